"""Recipe arguments and parsing: TRL/dataclass defaults < the recipe's config.yaml < the command line.

Every configuration error surfaces here, in one line, before any model or dataset loads."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from trl import ModelConfig, TrlParser

import rewards
from core.errors import UserError
from core.families import check_attn_implementation
from core.prompts import R1_SYSTEM_PROMPT
from core.specs import parse_spec


class ConfigError(UserError):
    """A config key or value the recipe cannot use."""


@dataclass
class RecipeArguments:
    """Data, prompt and which parts train: every recipe. Dataset names follow TRL's ScriptArguments."""
    dataset_name: str = field(default="", metadata={
        "help": "unified-schema dataset directory (python -m data_prep), source name or hub id"})
    dataset_train_split: str = "train"
    dataset_test_split: str | None = None
    system_prompt: str | None = field(default=R1_SYSTEM_PROMPT, metadata={"help": "empty string for none"})
    question_template: str = field(
        default="{problem}",
        metadata={"help": "how the problem becomes the user turn; {problem} is replaced"},
    )
    max_prompt_length: int = field(
        default=4096, metadata={"help": "prompts longer than this (image tokens included) are dropped, never truncated"}
    )
    train_vit: bool = False
    train_connector: bool = False
    train_llm: bool = True
    min_pixels: int | None = field(default=None, metadata={"help": "override the processor's (Qwen-VL) min_pixels"})
    max_pixels: int | None = field(default=None, metadata={"help": "override the processor's (Qwen-VL) max_pixels"})


@dataclass
class RLArguments:
    """What only the RL recipes read: their rewards and the frozen-vision cache."""
    reward_funcs: list[str] = field(
        default_factory=lambda: ["accuracy", "format"],
        metadata={"help": "reward names from rewards.REGISTRY, optionally with params: 'accuracy:negative=true'"},
    )
    vision_cache: bool = field(default=True, metadata={
        "help": "frozen vision tower (Qwen-VL): encode each distinct image once per step, "
                "not once per rollout and pass"})


def parse_args(script: str, argv: list[str] | None, *dataclass_types):
    """Parse `dataclass_types` (+ ModelConfig, last) from the recipe's config.yaml beside `script` plus `argv`
    (default: sys.argv[1:]). `--config OTHER.yaml` replaces the default file. Unknown keys stay an error, so a
    YAML typo cannot pass; every error here is one line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--config" not in argv:
        argv = ["--config", str(Path(script).with_name("config.yaml")), *argv]
    if not torch.cuda.is_available():
        # Configs document the real (bf16, GPU) run; on a CPU the same config runs in fp32 unless told otherwise.
        cpu = [flag for flag in (["--bf16", "false"], ["--dtype", "float32"]) if flag[0] not in argv]
        if cpu:
            print(f"no GPU: running with {' '.join(' '.join(f) for f in cpu)}", file=sys.stderr)
            argv += [x for flag in cpu for x in flag]
    parser = TrlParser((*dataclass_types, ModelConfig))
    try:
        parsed = parser.parse_args_and_config(args=argv)
    except ValueError as err:  # unknown keys and TRL's own config checks
        raise ConfigError(str(err).strip().splitlines()[0]) from None
    check_attn_implementation(parsed[-1].attn_implementation)
    return parsed


def reward_functions(specs: list[str]) -> list:
    """'name' or 'name:key=value,key=value' -> configured reward functions (values parsed as YAML scalars).

    A dotted name ('my_pkg.rewards.my_reward') imports a reward function of your own, as TRL's scripts do."""
    funcs = []
    for spec in specs:
        name, kwargs = parse_spec(spec, "reward spec", "accuracy:negative=true")
        try:
            funcs.append(_custom(name) if "." in name else rewards.get(name, **kwargs))
        except (KeyError, TypeError, ImportError, AttributeError, ValueError) as err:
            raise ConfigError(f"reward spec {spec!r}: {err.args[0] if err.args else err}") from None
    return funcs


def _custom(dotted: str):
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)
