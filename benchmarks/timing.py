"""Per-step phase times of a TRL GRPOTrainer, shared by the GRPO benchmarks: wrap the trainer's generation,
scoring, rollout and training-step methods, and snapshot the totals at the end of every step."""

from __future__ import annotations

import time

from transformers import TrainerCallback

WRAPPED = (("_generate", "generation"), ("_calculate_rewards", "scoring"),
           ("_generate_and_score_completions", "rollout"), ("training_step", "step"))


def _timed(obj, name: str, totals: dict, key: str) -> None:
    inner = getattr(obj, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            totals[key] = totals.get(key, 0.0) + time.perf_counter() - start
    setattr(obj, name, wrapper)


class PhaseTimes(TrainerCallback):
    """After `trainer.train()`, `steps` holds one dict per optimiser step: generation, scoring, log-probs (the
    rest of the rollout: reference/old-policy passes, padding, advantages), train fwd+bwd, step."""

    def __init__(self, trainer, sync=None):
        self.steps, self._totals, self._sync = [], {}, sync or (lambda: None)
        for name, key in WRAPPED:
            _timed(trainer, name, self._totals, key)
        trainer.add_callback(self)

    def on_step_end(self, *_, **__):
        self._sync()  # a GPU's queued kernels belong to this step
        t = self._totals
        self.steps.append({"generation": t["generation"], "scoring": t["scoring"],
                           "log-probs": t["rollout"] - t["generation"] - t["scoring"],
                           "train fwd+bwd": t["step"] - t["rollout"], "step": t["step"]})
        t.clear()


def run_child(module: str, args: list[str], cwd: str, env: dict | None = None) -> dict:
    """Run `python -m module --one ARGS` in a fresh process (its own peak memory, its own GPU context) and return
    the dict it prints on its `RESULT {json}` line; exit with the child's stderr tail if it fails."""
    import json
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", module, "--one", *args], capture_output=True, text=True, cwd=cwd,
                         env=env)
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    if run.returncode or not line:
        sys.exit(f"error: benchmark run {args[0]!r} failed:\n{run.stderr[-3000:]}")
    return json.loads(line[-1][len("RESULT "):])
