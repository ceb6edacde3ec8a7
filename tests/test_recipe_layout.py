"""Every recipe directory has the fixed files, a config that parses, and DeepSpeed configs DeepSpeed accepts."""

import json
import os
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = sorted(d for d in os.listdir(os.path.join(ROOT, "recipes"))
                 if os.path.isfile(os.path.join(ROOT, "recipes", d, "train.py")))

# The PPO critic lives outside the DeepSpeed engine: ppo_geo runs on DDP / FSDP and says so (its README, trainer).
NO_DEEPSPEED = {"ppo_geo"}
DEEPSPEED = [r for r in RECIPES if r not in NO_DEEPSPEED]


def test_there_are_recipes():
    assert "grpo_geo" in RECIPES


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_has_fixed_files(recipe):
    zero = () if recipe in NO_DEEPSPEED else ("zero2.json", "zero3.json")
    for name in ("train.py", "config.yaml", *zero, "README.md"):
        assert os.path.isfile(os.path.join(ROOT, "recipes", recipe, name)), name


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_config_parses_into_its_dataclasses(recipe, monkeypatch):
    import importlib

    from recipes.common.config import parse_args

    script = os.path.join(ROOT, "recipes", recipe, "train.py")
    config = importlib.import_module(f"recipes.{recipe}.train").CONFIG
    monkeypatch.setattr(sys, "argv", [script, "--output_dir", "/tmp/unused"])
    recipe_args, args, *_, model_args = parse_args(script, *(config if isinstance(config, tuple) else (config,)))
    raw = yaml.safe_load(open(os.path.join(ROOT, "recipes", recipe, "config.yaml")))
    assert model_args.model_name_or_path == raw["model_name_or_path"]
    assert recipe_args.reward_funcs == raw["reward_funcs"] and args.learning_rate == raw["learning_rate"]


@pytest.mark.parametrize("recipe", DEEPSPEED)
@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_configs_validate_with_deepspeed(recipe, stage):
    from deepspeed.runtime.zero.config import DeepSpeedZeroConfig

    cfg = json.load(open(os.path.join(ROOT, "recipes", recipe, f"zero{stage}.json")))
    zero = {k: v for k, v in cfg["zero_optimization"].items() if v != "auto"}  # 'auto' is filled by accelerate
    assert DeepSpeedZeroConfig(**zero).stage == stage
    if stage == 3:
        assert cfg["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True


ACCELERATE = {"single_gpu": ("NO", None), "ddp": ("MULTI_GPU", None), "zero2": ("DEEPSPEED", 2),
              "zero3": ("DEEPSPEED", 3), "fsdp2": ("FSDP", None), "multi_node_zero3": ("DEEPSPEED", 3)}


@pytest.mark.parametrize("name", sorted(ACCELERATE))
def test_accelerate_configs_load_with_accelerate(name):
    from accelerate.commands.config.config_args import ClusterConfig

    path = os.path.join(ROOT, "recipes", "common", "accelerate", f"{name}.yaml")
    raw = yaml.safe_load(open(path))
    assert set(raw) <= set(ClusterConfig.__dataclass_fields__), "unknown keys are silently dropped by accelerate"
    config = ClusterConfig.from_yaml_file(path)
    kind, stage = ACCELERATE[name]
    assert config.distributed_type.value == kind
    assert (config.deepspeed_config or {}).get("zero_stage") == stage
    assert config.num_processes >= config.num_machines
