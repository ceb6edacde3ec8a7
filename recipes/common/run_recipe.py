"""The one way tests, the demo and benchmarks start a recipe: `accelerate launch` in a fresh process (the command
line a user types), or the recipe's `main(argv)` in this process (seconds instead of an interpreter start-up)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def script_of(recipe: str) -> str:
    """A recipe name ('grpo_geo') or a train.py path."""
    return recipe if recipe.endswith(".py") else str(ROOT / "recipes" / recipe / "train.py")


def free_port() -> int:
    """A port nothing listens on now, so two multi-process runs at once (two test sessions) do not meet."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_command(recipe: str, args: list[str], processes: int = 1, port: int | None = None) -> list[str]:
    # `accelerate launch --cpu --num_processes 2` starts ONE process (accelerate's simple launcher); several CPU
    # processes over gloo need the multi-process launcher with ACCELERATE_USE_CPU set (launch_env).
    mode = ["--cpu"] if processes == 1 else ["--multi_gpu", "--main_process_port", str(port or free_port())]
    return [sys.executable, "-m", "accelerate.commands.launch", *mode, "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", script_of(recipe), *args]


def launch_env(extra: dict | None = None) -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT),
            "ACCELERATE_USE_CPU": "1", **(extra or {})}


def launch(recipe: str, args: list[str], processes: int = 1, log: str | None = None, env: dict | None = None,
           timeout: float | None = 600) -> subprocess.CompletedProcess:
    """Run the recipe through `accelerate launch`; output captured, or written to `log` (a file path)."""
    cmd = launch_command(recipe, args, processes)
    if log is None:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=launch_env(env))
    os.makedirs(os.path.dirname(log) or ".", exist_ok=True)
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n")
        f.flush()
        return subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                              env=launch_env(env))


def run_in_process(recipe: str, args: list[str]) -> None:
    """The recipe's `main(argv)`, loaded from its train.py by path (a copied recipe runs its own file)."""
    path = Path(script_of(recipe)).resolve()
    spec = importlib.util.spec_from_file_location(f"{path.parent.name}_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(list(args))
