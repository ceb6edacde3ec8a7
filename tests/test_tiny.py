import json
import os

import pytest
from safetensors.torch import load_file
from transformers import AutoConfig

from core.families import FAMILIES, load_model
from core.tiny import build
from tests.conftest import FAMILIES as FAMILY_NAMES


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_tiny_model_is_the_real_class_with_a_real_processor(tiny_models, family):
    model, processor, fam = load_model(tiny_models[family])
    assert type(model) is FAMILIES[family].model_class
    assert fam.name == family == AutoConfig.from_pretrained(tiny_models[family]).model_type
    assert processor.image_processor is not None and processor.tokenizer.padding_side == "left"
    assert sum(p.numel() for p in model.parameters()) < 2_000_000


def test_same_seed_builds_identical_weights_and_tokenizer(tmp_path, tiny_models):
    again = build("qwen2_vl", str(tmp_path / "again"), seed=0)
    other = build("qwen2_vl", str(tmp_path / "other"), seed=1)
    a, b, c = (load_file(os.path.join(d, "model.safetensors")) for d in (tiny_models["qwen2_vl"], again, other))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    assert any(not (a[k] == c[k]).all() for k in a)
    with open(os.path.join(again, "tokenizer.json")) as f1, \
            open(os.path.join(tiny_models["qwen2_vl"], "tokenizer.json")) as f2:
        assert json.load(f1) == json.load(f2)


def test_tiny_cli_rejects_unknown_family(tmp_path):
    from core.tiny import main

    with pytest.raises(SystemExit):
        main(["--family", "gpt2", "--out", str(tmp_path)])


def test_demo_size_widens_the_language_model_init_only(tmp_path):
    weights = load_file(os.path.join(build("qwen2_vl", str(tmp_path / "demo"), size="demo"), "model.safetensors"))
    llm = weights["model.layers.0.self_attn.q_proj.weight"]
    vision = weights["visual.blocks.0.attn.qkv.weight"]
    assert abs(llm.std().item() - 0.15) < 0.01 and abs(vision.std().item() - 0.02) < 0.005
