"""One seed of the demo: tiny model -> data -> SFT warm start -> GRPO, DAPO and more SFT (with --full also
Reinforce++ and PPO) -> evaluation.

Training runs the recipes themselves through `accelerate launch` (the code path a user runs), with the demo's
overrides on top of each recipe's config.yaml. A stage whose output is complete is skipped, so an interrupted
`make demo` resumes where it stopped.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import torch

from core.errors import UserError
from core.numerics import PINNED
from core.tiny import build as build_tiny
from demo import task
from eval.harness import Candidate, checkpoints, evaluate_run
from eval.settings import Setting
from recipes.common import run_recipe

SETTINGS = (Setting("pass1_t001", 1, 1, 0.01, 0.001), Setting("pass1_t06", 1, 1, 0.6, 1.0))
MODELS = ("sft", "sft_more", "grpo", "dapo")
FULL_MODELS = (*MODELS, "reinforcepp", "ppo")
RL_MODELS = ("grpo", "dapo", "reinforcepp", "ppo")


class DemoError(UserError):
    """A stage failed; the message names its log."""


@dataclass(frozen=True)
class DemoConfig:
    sft_steps: int = 200
    rl_steps: int = 60            # GRPO and DAPO optimizer steps; more SFT gets as many
    save_every: int = 20          # RL checkpoints, evaluated for the accuracy curve
    prompts_per_step: int = 16
    generations: int = 8
    sft_lr: float = 1e-3
    rl_lr: float = 1e-4
    max_new_tokens: int = 32
    sizes: task.TaskSizes = field(default_factory=task.TaskSizes)

    def common(self, seed: int) -> list[str]:
        """Overrides every stage shares: a short prompt (no system prompt), the task's image size, the seed."""
        return ["--system_prompt", "", "--max_pixels", str(task.SIDE * task.SIDE), "--seed", str(seed),
                "--gradient_checkpointing", "false", "--logging_steps", "1", "--report_to", "none"]

    def completions_per_step(self) -> int:
        return self.prompts_per_step * self.generations

    def rl(self) -> list[str]:
        return ["--per_device_train_batch_size", str(self.completions_per_step()),
                "--num_generations", str(self.generations), "--gradient_accumulation_steps", "1",
                "--learning_rate", str(self.rl_lr), "--lr_scheduler_type", "constant", "--beta", "0",
                "--max_steps", str(self.rl_steps), "--max_completion_length", str(self.max_new_tokens),
                "--save_strategy", "steps", "--save_steps", str(self.save_every), "--save_total_limit", "100"]

    def sft(self, steps: int) -> list[str]:
        return ["--dataset_train_split", "teacher", "--per_device_train_batch_size", str(self.prompts_per_step),
                "--gradient_accumulation_steps", "1", "--learning_rate", str(self.sft_lr), "--max_steps", str(steps),
                "--warmup_steps", "0.05", "--save_strategy", "steps", "--save_steps", str(steps)]


def run_seed(out: str, seed: int, cfg: DemoConfig, log=print, models: tuple[str, ...] = MODELS) -> dict:
    """The stages for one seed under `out` ("sft" always, then `models`); returns the accuracy table
    {model: {split_setting: accuracy}}, the RL checkpoints' accuracy curves and the RL training logs."""
    model_dir, data_dir = os.path.join(out, "tiny-qwen2vl"), os.path.join(out, "data")
    _stage(log, "build tiny Qwen2-VL", os.path.join(model_dir, "model.safetensors"),
           lambda: build_tiny("qwen2_vl", model_dir, seed=seed, size="demo"))
    _stage(log, "synthetic counting task", os.path.join(data_dir, "summary.json"),
           lambda: task.build(data_dir, seed, cfg.sizes))
    common = ["--dataset_name", data_dir, *cfg.common(seed)]
    sft = ["--model_name_or_path", os.path.join(out, "sft")]
    overlong = f"soft_overlong:max_completion_len={cfg.max_new_tokens},soft_punish_cache={cfg.max_new_tokens // 4}"
    dapo_rewards = ["--reward_funcs", "accuracy:negative=true", "format", overlong]
    # Reinforce++ and PPO sample one response per prompt: the same completions per step, from 8x the prompts.
    one_each = ["--num_generations", "1", "--reward_funcs", "accuracy", "format"]
    stages = {
        "sft": ("sft_geo", ["--model_name_or_path", model_dir, *cfg.sft(cfg.sft_steps)]),
        "sft_more": ("sft_geo", [*sft, *cfg.sft(cfg.rl_steps)]),       # as many steps as RL gets
        "grpo": ("grpo_geo", [*sft, *cfg.rl()]),
        "dapo": ("dapo_qwen2vl", [*sft, *cfg.rl(), *dapo_rewards]),
        "reinforcepp": ("reinforcepp_geo", [*sft, *cfg.rl(), *one_each, "--question_template", "{problem}",
                                            "--steps_per_generation", "1"]),  # its config: MAYE's 32
        "ppo": ("ppo_geo", [*sft, *cfg.rl(), *one_each, "--kl_coef", "0", "--critic_learning_rate", str(cfg.rl_lr),
                            "--generation_batch_size", str(cfg.completions_per_step())]),
    }
    models = ("sft", *[m for m in models if m != "sft"])
    for name in models:
        recipe, args = stages[name]
        _train(log, out, name, recipe, [*common, *args])
    return evaluate(out, data_dir, cfg, log, models)


def evaluate(out: str, data_dir: str, cfg: DemoConfig, log, models: tuple[str, ...]) -> dict:
    """Final models on every split and setting; RL checkpoints on test at t=0.01 for the accuracy curves."""
    started = time.time()
    torch.set_num_threads(int(PINNED["OMP_NUM_THREADS"]))  # the pinned count, whatever ran in this process before
    common = dict(dataset=data_dir, prompt_args={"system_prompt": None, "question_template": "{problem}",
                                                 "max_prompt_length": None},
                  max_new_tokens=cfg.max_new_tokens, batch_size=50)
    rl = [m for m in models if m in RL_MODELS]
    results = {name: evaluate_run([Candidate("final", os.path.join(out, name), 0, 0.0)], splits=["test", "test_ood"],
                                  settings=list(SETTINGS), out=os.path.join(out, "eval", name), **common)["final"]
               for name in models}
    curves = {name: evaluate_run(checkpoints(os.path.join(out, name)), splits=["test"], settings=[SETTINGS[0]],
                                 out=os.path.join(out, "eval", name), **common) for name in rl}
    log(f"  evaluation: {time.time() - started:.0f} s")
    table = {name: {f"{split}_{setting}": m["accuracy"] for setting, splits in r["results"].items()
                    for split, m in splits.items()} for name, r in results.items()}
    logs = {name: _log_history(os.path.join(out, name)) for name in rl}
    generated = {name: completions_generated(logs[name], cfg) for name in rl}
    return {"table": table, "curves": curves, "logs": logs, "completions": generated}


def completions_generated(log_history: list[dict], cfg: DemoConfig) -> dict[int, int]:
    """Completions sampled up to each step ({step: total}): a fixed batch per step, except DAPO's dynamic
    sampling, which logs the groups it sampled (kept or filtered) in dynamic_sampling/prompts_consumed."""
    total, by_step = 0, {0: 0}
    for entry in log_history:
        if "step" not in entry or "loss" not in entry and "dynamic_sampling/prompts_consumed" not in entry:
            continue
        consumed = entry.get("dynamic_sampling/prompts_consumed")
        total += int(consumed * cfg.generations) if consumed is not None else cfg.completions_per_step()
        by_step[entry["step"]] = total
    return by_step


def _stage(log, what: str, done_marker: str, fn) -> None:
    if os.path.exists(done_marker):
        log(f"  {what}: done before, kept")
        return
    started = time.time()
    fn()
    log(f"  {what}: {time.time() - started:.0f} s")


def _train(log, out: str, name: str, recipe: str, args: list[str]) -> None:
    run_dir = os.path.join(out, name)
    logfile = os.path.join(out, "logs", f"{name}.log")

    def launch():
        # pinned numerics: the same table on any machine of the kind (core/numerics.py)
        code = run_recipe.launch(recipe, [*args, "--output_dir", run_dir], log=logfile, env=PINNED,
                                 timeout=None).returncode
        if code:
            tail = open(logfile).read().strip().splitlines()[-3:]
            raise DemoError(f"{name} ({recipe}) failed with exit code {code}; log: {logfile}\n" + "\n".join(tail))

    _stage(log, f"{name} ({recipe})", os.path.join(run_dir, "model.safetensors"), launch)


def _log_history(run_dir: str) -> list[dict]:
    """The per-step training log of the run's last checkpoint (TRL's metrics, dynamic sampling included)."""
    import json

    last = checkpoints(run_dir)[-1:]
    return json.load(open(os.path.join(last[0].path, "trainer_state.json")))["log_history"] if last else []
