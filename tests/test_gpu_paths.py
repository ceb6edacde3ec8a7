"""The paths that need a GPU: vLLM rollouts (colocate) for every GRPO-family recipe, vLLM evaluation, and QLoRA.
Skipped on CPU machines (CI); run them where a GPU is: `pytest tests/test_gpu_paths.py`."""

import importlib.util
import json
import os

import pytest
import torch

from eval.__main__ import main as eval_main
from tests.test_recipe_runs import launch, small_config

CUDA = torch.cuda.is_available()
needs_vllm = pytest.mark.skipif(not (CUDA and importlib.util.find_spec("vllm")), reason="needs a GPU and vllm")
needs_bnb = pytest.mark.skipif(not (CUDA and importlib.util.find_spec("bitsandbytes")),
                               reason="needs a GPU and bitsandbytes")
GPU = {"bf16": True, "dtype": "bfloat16"}


@needs_vllm
@pytest.mark.parametrize("recipe", ["grpo_geo", "dapo_qwen2vl", "reinforcepp_geo", "ppo_geo"])
def test_vllm_colocate_rollouts_train(recipe, tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    cfg = small_config(recipe, tmp_path / "c.yaml", use_vllm=True, vllm_mode="colocate",
                       vllm_gpu_memory_utilization=0.2, vllm_max_model_length=1024, **GPU)
    result = launch(recipe, "--config", cfg, "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name",
                    angles_dataset, "--output_dir", out)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    assert any("completions/mean_length" in h for h in logs)


@needs_vllm
def test_vllm_eval_backend_scores_every_prompt(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    eval_main(["--model", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--out", out, "--limit", "3",
               "--max-new-tokens", "6", "--backend", "vllm"])
    lines = [json.loads(x) for x in open(os.path.join(out, "base", "pass8_t1", "test.jsonl"))]
    assert len(lines) == 3 and all(len(x["completions"]) == 8 for x in lines)


@needs_bnb
def test_qlora_trains_adapters_on_a_4bit_language_model(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    result = launch("grpo_geo", "--config", small_config("grpo_geo", tmp_path / "c.yaml", **GPU),
                    "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset, "--output_dir", out,
                    "--use_peft", "true", "--load_in_4bit", "true", "--lora_r", "4", "--lora_alpha", "8")
    assert result.returncode == 0, result.stderr[-3000:]
    from safetensors.torch import load_file

    adapter = load_file(os.path.join(out, "adapter_model.safetensors"))
    assert adapter and all("language_model" in k and "visual" not in k for k in adapter)
