"""Every recipe directory has the fixed files, a config that parses, and DeepSpeed configs DeepSpeed accepts."""

import json
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = sorted(d for d in os.listdir(os.path.join(ROOT, "recipes"))
                 if os.path.isfile(os.path.join(ROOT, "recipes", d, "train.py")))

DEEPSPEED = RECIPES


def test_there_are_recipes():
    assert "grpo_geo" in RECIPES


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_has_fixed_files(recipe):
    for name in ("train.py", "config.yaml", "zero2.json", "zero3.json", "README.md"):
        assert os.path.isfile(os.path.join(ROOT, "recipes", recipe, name)), name


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_config_parses_into_its_dataclasses(recipe):
    import importlib

    from recipes.common.config import RecipeArguments, RLArguments, parse_args

    script = os.path.join(ROOT, "recipes", recipe, "train.py")
    config = importlib.import_module(f"recipes.{recipe}.train").CONFIG
    raw = yaml.safe_load(open(os.path.join(ROOT, "recipes", recipe, "config.yaml")))
    rl = ("reward_funcs" in raw) * (RLArguments,)  # only RL recipes name rewards: a key nothing reads is an error
    parsed = parse_args(script, ["--output_dir", "/tmp/unused"], RecipeArguments, *rl,
                        *(config if isinstance(config, tuple) else (config,)))
    recipe_args, model_args = parsed[0], parsed[-1]
    assert model_args.model_name_or_path == raw["model_name_or_path"]
    assert recipe_args.dataset_name == raw["dataset_name"]
    assert parsed[1 + len(rl)].learning_rate == raw["learning_rate"]
    if rl:
        assert parsed[1].reward_funcs == raw["reward_funcs"]


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
