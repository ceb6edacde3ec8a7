import json
import os
import shutil

import pytest
import torch
from PIL import Image
from trl.data_utils import prepare_multimodal_messages

from core.families import (
    FamilyError,
    family_of,
    get_family,
    load_model,
    load_processor,
    set_pixel_range,
    set_trainable,
)
from core.prompts import build_prompt
from tests.conftest import FAMILIES


def test_unknown_model_type_is_one_line_listing_families():
    with pytest.raises(FamilyError) as err:
        get_family("gpt2")
    assert "\n" not in str(err.value)
    assert all(name in str(err.value) for name in FAMILIES)


def test_missing_local_path_is_one_line_with_the_fix(tmp_path):
    with pytest.raises(FamilyError, match="does not exist.*core.tiny"):
        family_of(str(tmp_path / "nope"))


def test_uncached_hub_id_while_offline_says_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(FamilyError, match="offline and 'Qwen/Qwen2.5-VL-3B-Instruct' is not cached"):
        family_of("Qwen/Qwen2.5-VL-3B-Instruct")


def test_loader_rejects_a_bare_tokenizer_instead_of_a_processor(tiny_models, monkeypatch):
    # Without torchvision AutoProcessor returns the tokenizer alone: training would then run text-only.
    from transformers import AutoProcessor, AutoTokenizer

    monkeypatch.setattr(AutoProcessor, "from_pretrained", lambda path, **kw: AutoTokenizer.from_pretrained(path))
    with pytest.raises(FamilyError, match="not a processor with an image processor.*torchvision"):
        load_processor(tiny_models["qwen2_vl"])


def test_directory_without_processor_files_is_one_line(tiny_models, tmp_path):
    dst = tmp_path / "no-processor"
    shutil.copytree(tiny_models["qwen2_vl"], dst)
    os.remove(dst / "processor_config.json")
    with pytest.raises(FamilyError, match="no processor for") as err:
        load_processor(str(dst))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("family", FAMILIES)
def test_default_freeze_trains_language_model_only(tiny_models, family):
    model, _, fam = load_model(tiny_models[family])
    counts = set_trainable(model, fam)
    assert counts["vision_tower"] == 0 and counts["connector"] == 0 and counts["language_model"] > 0
    counts = set_trainable(model, fam, train_vit=False, train_connector=True, train_llm=False)
    assert counts["connector"] > 0 and counts["language_model"] == 0
    # the connector may live inside the vision tower (Qwen's merger): the rest of the tower must stay frozen
    connector = {id(p) for p in model.get_submodule(fam.connector).parameters()}
    tower_rest = [p for p in model.get_submodule(fam.vision_tower).parameters() if id(p) not in connector]
    assert tower_rest and not any(p.requires_grad for p in tower_rest)


@pytest.mark.parametrize("family", FAMILIES)
def test_lora_targets_only_language_model_linears(tiny_models, family):
    import re

    model, _, fam = load_model(tiny_models[family])
    hits = [n for n, _ in model.named_modules() if re.fullmatch(fam.lora_target_modules, n)]
    assert hits and all(n.startswith(fam.language_model) for n in hits)
    layers = model.get_submodule(fam.language_model).config.num_hidden_layers
    assert len(hits) == 7 * layers  # q k v o gate up down in every decoder layer


@pytest.mark.parametrize("family", FAMILIES)
def test_prompt_with_image_expands_to_image_tokens_and_generates(tiny_models, family):
    model, processor, fam = load_model(tiny_models[family])
    messages = prepare_multimodal_messages(build_prompt(fam, "How many?", "Think first."),
                                           images=[Image.new("RGB", (60, 90))])
    text = processor.apply_chat_template([messages], add_generation_prompt=True, tokenize=False)[0]
    assert "Think first." in text and "How many?" in text
    enc = processor.apply_chat_template([messages], add_generation_prompt=True, tokenize=True, return_dict=True,
                                        return_tensors="pt")
    image_id = model.config.image_token_id
    assert (enc["input_ids"] == image_id).sum() > 1  # the placeholder was expanded to the image's tokens
    out = model.generate(**enc, max_new_tokens=4, do_sample=False)
    assert out.shape[1] > enc["input_ids"].shape[1]


def test_pixel_range_applies_to_qwen_and_leaves_fixed_size_processors_alone(tiny_models):
    processor = load_processor(tiny_models["qwen2_vl"])
    def patches():
        return int(torch.prod(processor.image_processor(Image.new("RGB", (280, 280)))["image_grid_thw"][0]))
    assert patches() == 16  # the tiny default: at most 56x56 pixels = 4x4 patches of 14
    set_pixel_range(processor, None, 112 * 112)
    assert patches() == 64
    llava = load_processor(tiny_models["llava"])
    set_pixel_range(llava, None, 1000)
    assert llava.image_processor(Image.new("RGB", (280, 280)))["pixel_values"][0].shape[-1] == 56


def test_saved_config_names_no_remote_code(tiny_models):
    for path in tiny_models.values():
        with open(os.path.join(path, "config.json")) as f:
            assert "auto_map" not in json.load(f)
