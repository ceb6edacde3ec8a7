"""DeepSpeed ZeRO-2/3 for real: two gloo processes on CPU train each RL recipe with its own zero2.json/zero3.json.

DeepSpeed runs on CPU with DS_ACCELERATOR=cpu and --ddp_backend gloo. ACCELERATE_USE_CPU (or `use_cpu: true`) must
NOT be set: with it accelerate silently drops DeepSpeed and runs plain DDP, hence the check of the per-rank ZeRO
shards. DeepSpeed compiles a small C++ comm module once (~60 s), cached under TORCH_EXTENSIONS_DIR.
"""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from PIL import Image

from core.families import get_family, load_model
from core.prompts import build_prompt
from recipes.common import run_recipe
from tests.test_recipe_runs import small_config

# One sharded run in `make test`; the rest of the recipe x stage grid in `make test-slow`.
CASES = [("grpo_geo", "zero3"), ("ppo_geo", "zero2"), pytest.param("grpo_geo", "zero2", marks=pytest.mark.slow),
         pytest.param("ppo_geo", "zero3", marks=pytest.mark.slow)] + [
    pytest.param(recipe, stage, marks=pytest.mark.slow)
    for recipe in ("dapo_qwen2vl", "reinforcepp_geo") for stage in ("zero2", "zero3")]


def deepspeed_launch(recipe: str, stage: str, args: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--use_deepspeed", "--deepspeed_config_file",
           str(run_recipe.ROOT / "recipes" / recipe / f"{stage}.json"), "--num_processes", "2", "--num_machines", "1",
           "--main_process_port", str(run_recipe.free_port()), "--mixed_precision", "no", "--dynamo_backend", "no",
           run_recipe.script_of(recipe), *args, "--ddp_backend", "gloo"]
    env = run_recipe.launch_env({"DS_ACCELERATOR": "cpu", "TORCH_EXTENSIONS_DIR": os.environ.get(
        "TORCH_EXTENSIONS_DIR", os.path.expanduser("~/.cache/torch_extensions"))})
    env.pop("ACCELERATE_USE_CPU")
    return subprocess.run(cmd, cwd=run_recipe.ROOT, capture_output=True, text=True, timeout=600, env=env)


def losses(out: str) -> list[float]:
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    return [h["loss"] for h in logs if "loss" in h]


@pytest.fixture(scope="module")
def ddp_losses(tiny_models, angles_dataset, tmp_path_factory):
    """The same two-process run under plain DDP, once per recipe."""
    cache = {}

    def run(recipe):
        if recipe not in cache:
            tmp = tmp_path_factory.mktemp(f"ddp_{recipe}")
            result = run_recipe.launch(recipe, ["--config", small_config(recipe, tmp / "c.yaml",
                                                                         per_device_train_batch_size=2),
                                                "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name",
                                                angles_dataset, "--output_dir", str(tmp / "out")], processes=2)
            assert result.returncode == 0, result.stderr[-3000:]
            cache[recipe] = losses(str(tmp / "out"))
        return cache[recipe]

    return run


@pytest.mark.parametrize("recipe, stage", CASES)
def test_zero_shards_train_like_ddp_and_save_a_loadable_model(recipe, stage, tiny_models, angles_dataset,
                                                               ddp_losses, tmp_path):
    out = str(tmp_path / "out")
    result = deepspeed_launch(recipe, stage, [
        "--config", small_config(recipe, tmp_path / "c.yaml", per_device_train_batch_size=2),
        "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset, "--output_dir", out])
    assert result.returncode == 0, result.stderr[-3000:]
    shards = glob.glob(os.path.join(out, "checkpoint-2", "global_step2", "*zero_pp_rank_*optim_states.pt"))
    assert len(shards) == 2, "no per-rank ZeRO shards: DeepSpeed did not run"
    assert losses(out) == pytest.approx(ddp_losses(recipe), rel=1e-4, abs=1e-6)

    fam = get_family("qwen2_vl")
    before = dict(load_model(tiny_models["qwen2_vl"])[0].named_parameters())
    model, processor, _ = load_model(out)  # under ZeRO-3, the 16-bit gather on save (zero3.json) wrote real weights
    assert [n for n, p in model.named_parameters() if n.startswith(fam.language_model)
            and not torch.equal(p, before[n])], "no language-model weight changed"
    from trl.data_utils import prepare_multimodal_messages

    messages = prepare_multimodal_messages(build_prompt(fam, "What is the angle?"), images=[Image.new("RGB", (56, 56))])
    enc = processor.apply_chat_template([messages], add_generation_prompt=True, tokenize=True, return_dict=True,
                                        return_tensors="pt")
    assert model.generate(**enc, max_new_tokens=3).shape[1] > enc["input_ids"].shape[1]


@pytest.mark.slow
def test_ppo_critic_engine_is_checkpointed_and_a_resumed_run_trains_the_same_step(tiny_models, angles_dataset,
                                                                                  tmp_path):
    """Under DeepSpeed the critic is an engine of its own: its ZeRO shards go into every checkpoint, and a run
    resumed at step 1 trains step 2 as the uninterrupted run did (its advantages come from the restored critic)."""
    out = tmp_path / "out"
    args = ["--config", small_config("ppo_geo", tmp_path / "c.yaml", per_device_train_batch_size=2, save_steps=1),
            "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset, "--output_dir", str(out)]
    assert deepspeed_launch("ppo_geo", "zero2", args).returncode == 0
    assert len(glob.glob(str(out / "checkpoint-1" / "critic" / "global_step1" / "*zero_pp_rank_*optim_states.pt"))) == 2
    uninterrupted = losses(str(out))
    shutil.rmtree(out / "checkpoint-2")
    result = deepspeed_launch("ppo_geo", "zero2", [*args, "--resume_from_checkpoint", str(out / "checkpoint-1")])
    assert result.returncode == 0, result.stderr[-3000:]
    assert losses(str(out)) == pytest.approx(uninterrupted, rel=1e-4, abs=1e-6)
