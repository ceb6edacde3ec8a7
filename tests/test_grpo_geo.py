"""grpo_geo end to end on every family: the real command line, in a subprocess, on tiny models."""

import os
import subprocess
import sys

import pytest
import torch
from PIL import Image

from recipes.common.families import build_prompt, get_family, load_model
from tests.conftest import FAMILIES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch(recipe: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "1",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           f"recipes/{recipe}/train.py", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ROOT})


@pytest.mark.parametrize("family", FAMILIES)
def test_two_grpo_steps_train_save_and_reload(tiny_models, angles_dataset, tmp_path, family):
    out = str(tmp_path / "out")
    # Accuracy and format are all 0 on a random model; a text-length reward varies, so the weights must move.
    result = launch("grpo_geo", "--model_name_or_path", tiny_models[family], "--dataset", angles_dataset,
                    "--max_steps", "2", "--output_dir", out, "--max_completion_length", "24",
                    "--num_generations", "4", "--per_device_train_batch_size", "4", "--gradient_accumulation_steps", "1",
                    "--reward_funcs", "accuracy", "format", "tests.helpers.text_length_reward",
                    "--reward_weights", "1.0", "1.0", "1.0", "--learning_rate", "1e-2", "--save_steps", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert os.path.isdir(os.path.join(out, "checkpoint-2"))

    fam = get_family(family)
    before = dict(load_model(tiny_models[family])[0].named_parameters())
    model, processor, _ = load_model(out)
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert not [n for n in changed if n.startswith(fam.vision_tower)], "the frozen vision tower moved"
    assert not [n for n in changed if n.startswith(fam.connector)], "the frozen connector moved"
    assert [n for n in changed if n.startswith(fam.language_model)], "no language-model weight changed"

    from trl.data_utils import prepare_multimodal_messages

    messages = prepare_multimodal_messages(build_prompt(fam, "What is the angle?"), images=[Image.new("RGB", (56, 56))])
    enc = processor.apply_chat_template([messages], add_generation_prompt=True, tokenize=True, return_dict=True,
                                        return_tensors="pt")
    assert model.generate(**enc, max_new_tokens=3).shape[1] > enc["input_ids"].shape[1]


def test_bad_dataset_path_is_one_clear_line(tiny_models, tmp_path):
    result = launch("grpo_geo", "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset", "no/such/dataset",
                    "--max_steps", "1", "--output_dir", str(tmp_path))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors and "python -m data_prep" in errors[0]
    assert not os.path.exists(os.path.join(tmp_path, "model.safetensors"))


def test_yaml_typo_is_rejected(tiny_models, tmp_path):
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("model_name_or_path: x\nlearning_rat: 1.0e-6\n")
    result = launch("grpo_geo", "--config", str(cfg), "--output_dir", str(tmp_path))
    assert result.returncode != 0 and "learning_rat" in result.stderr
