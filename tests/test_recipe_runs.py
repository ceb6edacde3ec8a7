"""Every recipe end to end on every family, on tiny models: one family per recipe through the real `accelerate
launch` command line, the others through the recipe's main(argv) in this process (the same code, without ~10 s of
interpreter start-up each)."""

import json
import os
import subprocess

import pytest
import torch
import yaml
from PIL import Image

from core.families import get_family, load_model
from core.prompts import build_prompt
from recipes.common import run_recipe
from tests.conftest import FAMILIES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch(recipe: str, *args: str, processes: int = 1) -> subprocess.CompletedProcess:
    """The real command line, in a fresh process."""
    return run_recipe.launch(recipe, list(args), processes=processes)


# Small, fast settings on top of each recipe's own config.yaml. Accuracy and format are 0 on a random model, so a
# text-length reward is added: advantages are non-zero and the weights must move.
SMALL = {"max_steps": 2, "save_steps": 2, "max_completion_length": 24, "learning_rate": 1.0e-2, "bf16": False,
         "dtype": "float32", "save_strategy": "steps", "gradient_accumulation_steps": 1,
         "reward_funcs": ["accuracy", "format", "tests.helpers.text_length_reward"], "reward_weights": [1.0, 1.0, 1.0]}
FAST = {k: SMALL[k] for k in ("max_steps", "save_steps", "learning_rate", "bf16", "dtype", "save_strategy",
                               "gradient_accumulation_steps")}
OVERRIDES = {
    "grpo_geo": {**SMALL, "num_generations": 4, "per_device_train_batch_size": 4},
    "sft_geo": {**FAST, "per_device_train_batch_size": 4},
    "dapo_qwen2vl": {**SMALL, "num_generations": 2, "per_device_train_batch_size": 4, "max_generation_rounds": 2,
                     "dynamic_sampling_reward": "text_length_reward",
                     "mask_truncated_completions": False},  # a random model never ends: nothing would be trained
    "reinforcepp_geo": {**SMALL, "num_generations": 1, "per_device_train_batch_size": 2, "steps_per_generation": 2,
                        "no_eos_penalty": None},  # a random model never ends: every score would be the penalty
    "dpo_geo": {**FAST, "per_device_train_batch_size": 2},
    "ppo_geo": {**SMALL, "num_generations": 1, "per_device_train_batch_size": 2, "generation_batch_size": 4},
}
RECIPES = sorted(OVERRIDES)


def small_config(recipe: str, path, **extra) -> str:
    cfg = yaml.safe_load(open(os.path.join(ROOT, "recipes", recipe, "config.yaml")))
    cfg.update({**OVERRIDES[recipe], **extra})
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return str(path)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("recipe", RECIPES)
def test_two_steps_train_save_and_reload(tiny_models, angles_dataset, tmp_path, recipe, family, request):
    out = str(tmp_path / "out")
    dataset = request.getfixturevalue("pairs_dataset") if recipe == "dpo_geo" else angles_dataset
    args = ["--config", small_config(recipe, tmp_path / "c.yaml"), "--model_name_or_path", tiny_models[family],
            "--dataset_name", dataset, "--output_dir", out]
    if family == "qwen2_vl":  # the command line a user types, once per recipe
        result = launch(recipe, *args)
        assert result.returncode == 0, result.stderr[-3000:]
    else:
        run_recipe.run_in_process(recipe, args)
    assert os.path.isdir(os.path.join(out, "checkpoint-2"))
    if recipe == "ppo_geo":  # the critic is checkpointed with the policy, for resuming
        assert os.path.isfile(os.path.join(out, "checkpoint-2", "critic.safetensors"))

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


@pytest.mark.parametrize("loss_type, scale_rewards", [("dr_grpo", "none"), ("bnpo", "batch")])
def test_grpo_recipe_takes_trl_loss_types(tiny_models, angles_dataset, tmp_path, loss_type, scale_rewards):
    out = str(tmp_path / "out")
    run_recipe.run_in_process("grpo_geo", [
        "--config", small_config("grpo_geo", tmp_path / "c.yaml"), "--model_name_or_path", tiny_models["qwen2_vl"],
        "--dataset_name", angles_dataset, "--output_dir", out, "--loss_type", loss_type,
        "--scale_rewards", scale_rewards])
    state = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))
    assert state["global_step"] == 2


@pytest.mark.parametrize("recipe", ["grpo_geo", "dapo_qwen2vl"])
def test_two_process_ddp_over_gloo_ends_with_identical_replicas(tiny_models, angles_dataset, tmp_path, recipe):
    out = str(tmp_path / "out")
    result = launch(recipe, "--config", small_config(recipe, tmp_path / "c.yaml", per_device_train_batch_size=2),
                    "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset,
                    "--output_dir", out, processes=2)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    spreads = [h["replicas/checksum_spread"] for h in logs if "replicas/checksum_spread" in h]
    assert spreads == [0.0], logs  # gathered from both processes at the last step: the same parameters
    before = dict(load_model(tiny_models["qwen2_vl"])[0].named_parameters())
    after = dict(load_model(out)[0].named_parameters())
    assert any(not torch.equal(p, before[n]) for n, p in after.items()), "nothing trained"


def test_lora_run_saves_an_adapter_on_the_language_model_only(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    run_recipe.run_in_process("grpo_geo", [
        "--config", small_config("grpo_geo", tmp_path / "c.yaml"), "--model_name_or_path", tiny_models["qwen2_vl"],
        "--dataset_name", angles_dataset, "--output_dir", out, "--use_peft", "true", "--lora_r", "4",
        "--lora_alpha", "8"])
    from safetensors.torch import load_file

    adapter = load_file(os.path.join(out, "adapter_model.safetensors"))
    assert adapter and all("lora_" in k for k in adapter)
    assert all("language_model" in k and "visual" not in k for k in adapter), sorted(adapter)[:5]


def test_bad_dataset_path_is_one_clear_line(tiny_models, tmp_path):
    result = launch("grpo_geo", "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", "no/such/dataset",
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
