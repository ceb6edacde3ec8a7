"""Recipe arguments and parsing: TRL/dataclass defaults < the recipe's config.yaml < the command line."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from trl import ModelConfig, TrlParser

import rewards

R1_SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question about an image, and the Assistant solves "
    "it. The Assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>"
)


@dataclass
class RecipeArguments:
    dataset: str = field(default="", metadata={
        "help": "unified-schema dataset directory (python -m data_prep) or hub id"})
    train_split: str = "train"
    eval_split: str | None = None
    system_prompt: str | None = field(default=R1_SYSTEM_PROMPT, metadata={"help": "empty string for none"})
    question_template: str = field(
        default="{problem}",
        metadata={"help": "how the problem becomes the user turn; {problem} is replaced"},
    )
    reward_funcs: list[str] = field(
        default_factory=lambda: ["accuracy", "format"],
        metadata={"help": "reward names from rewards.REGISTRY, optionally with params: 'accuracy:negative=true'"},
    )
    max_prompt_length: int = field(
        default=4096, metadata={"help": "prompts longer than this (image tokens included) are dropped, never truncated"}
    )
    train_vit: bool = False
    train_connector: bool = False
    train_llm: bool = True
    vision_cache: bool = field(default=True, metadata={
        "help": "frozen vision tower (Qwen-VL): encode each distinct image once per step, "
                "not once per rollout and pass"})
    min_pixels: int | None = field(default=None, metadata={"help": "override the processor's (Qwen-VL) min_pixels"})
    max_pixels: int | None = field(default=None, metadata={"help": "override the processor's (Qwen-VL) max_pixels"})


def parse_args(script: str, *dataclass_types):
    """Parse `dataclass_types` from the recipe's config.yaml (beside `script`) plus command-line overrides.

    `--config OTHER.yaml` replaces the default file. Unknown keys stay an error, so a YAML typo cannot pass.
    """
    argv = sys.argv[1:]
    if "--config" not in argv:
        argv = ["--config", str(Path(script).with_name("config.yaml")), *argv]
    if not torch.cuda.is_available():
        # Configs document the real (bf16, GPU) run; on a CPU the same config runs in fp32 unless told otherwise.
        cpu = [flag for flag in (["--bf16", "false"], ["--dtype", "float32"]) if flag[0] not in argv]
        if cpu:
            print(f"no GPU: running with {' '.join(' '.join(f) for f in cpu)}", file=sys.stderr)
            argv += [x for flag in cpu for x in flag]
    parser = TrlParser((RecipeArguments, *dataclass_types, ModelConfig))
    return parser.parse_args_and_config(args=argv)


def reward_functions(specs: list[str]) -> list:
    """'name' or 'name:key=value,key=value' -> configured reward functions (values parsed as YAML scalars).

    A dotted name ('my_pkg.rewards.my_reward') imports a reward function of your own, as TRL's scripts do."""
    funcs = []
    for spec in specs:
        name, _, params = spec.partition(":")
        kwargs = {}
        for item in filter(None, params.split(",")):
            key, sep, value = item.partition("=")
            if not sep:
                raise SystemExit(f"error: reward spec {spec!r}: parameters are key=value, "
                                 "e.g. 'accuracy:negative=true'")
            kwargs[key.strip()] = yaml.safe_load(value)
        try:
            funcs.append(_custom(name.strip()) if "." in name else rewards.get(name.strip(), **kwargs))
        except (KeyError, TypeError, ImportError, AttributeError) as err:
            raise SystemExit(f"error: reward spec {spec!r}: {err}") from None
    return funcs


def _custom(dotted: str):
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)
