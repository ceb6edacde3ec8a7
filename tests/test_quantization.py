"""QLoRA switch: the bitsandbytes config keeps the vision tower, connector and head in full precision, and a run
that cannot quantize here says so in one line before anything loads."""

import pytest
import torch
from transformers.quantizers.quantizers_utils import should_convert_module
from trl import ModelConfig

from core.families import FamilyError, check_quantization, get_family, load_model, quantization_config
from tests.conftest import FAMILIES
from tests.test_recipe_runs import launch


@pytest.mark.parametrize("family", FAMILIES)
def test_4bit_config_quantizes_language_model_linears_only(tiny_models, family):
    fam = get_family(family)
    config = quantization_config(ModelConfig(load_in_4bit=True, use_peft=True, dtype="bfloat16"), fam)
    assert config.load_in_4bit and config.bnb_4bit_quant_type == "nf4"
    model, _, _ = load_model(tiny_models[family])
    linears = [name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    converted = {name for name in linears if should_convert_module(name, config.llm_int8_skip_modules)}
    vision = [n for n in linears if n.startswith((fam.vision_tower + ".", fam.connector + "."))]
    assert vision and not converted & set(vision)
    assert "lm_head" not in converted
    llm = [n for n in linears if n.startswith(fam.language_model + ".")]
    assert llm and set(llm) <= converted  # every language-model projection is quantized


def test_no_quantization_flag_means_no_config():
    assert quantization_config(ModelConfig(), get_family("qwen2_vl")) is None
    check_quantization(ModelConfig())  # nothing to check


def test_4bit_without_lora_is_refused():
    with pytest.raises(FamilyError, match="--use_peft true"):
        check_quantization(ModelConfig(load_in_4bit=True))


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU refusal; a GPU run is tests/test_gpu_paths.py")
def test_4bit_on_cpu_is_one_line_before_loading(tiny_models, angles_dataset, tmp_path):
    result = launch("grpo_geo", "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset,
                    "--max_steps", "1", "--output_dir", str(tmp_path), "--use_peft", "true", "--load_in_4bit", "true")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors and "CUDA GPU and bitsandbytes" in errors[0], result.stderr[-2000:]
