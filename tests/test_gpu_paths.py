"""The one path that still needs a GPU: QLoRA (bitsandbytes' 4-bit kernels). Skipped on CPU machines; run it where a
GPU is: `pytest tests/test_gpu_paths.py`. vLLM rollouts and evaluation run on CPU in tests/vllm (`make test-vllm`)."""

import importlib.util
import os

import pytest
import torch

from tests.test_recipe_runs import launch, small_config

needs_bnb = pytest.mark.skipif(not (torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes")),
                               reason="needs a GPU and bitsandbytes")
GPU = {"bf16": True, "dtype": "bfloat16"}


@needs_bnb
def test_qlora_trains_adapters_on_a_4bit_language_model(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    result = launch("grpo_geo", "--config", small_config("grpo_geo", tmp_path / "c.yaml", **GPU),
                    "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset,
                    "--output_dir", out, "--use_peft", "true", "--load_in_4bit", "true", "--lora_r", "4",
                    "--lora_alpha", "8")
    assert result.returncode == 0, result.stderr[-3000:]
    from safetensors.torch import load_file

    adapter = load_file(os.path.join(out, "adapter_model.safetensors"))
    assert adapter and all("language_model" in k and "visual" not in k for k in adapter)
