"""python -m demo [--out demo_output] [--seeds 3] [--full]: the README's first command (`make demo`), offline on a CPU.

Per seed: build a tiny Qwen2-VL and the counting task, SFT-warm-start it, train GRPO, DAPO with dynamic sampling
and (for comparison) more SFT from that warm start (--full: also Reinforce++ and PPO), evaluate them all, and write
demo_output/report.{md,json} and PNG plots. Re-running resumes: finished stages are kept. The console shows one
line per stage and the table; everything else goes to demo_output/logs/.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import time

from core.cli import run
from core.numerics import is_pinned, pinned_env
from demo.pipeline import FULL_MODELS, MODELS, DemoConfig, DemoError, run_seed
from demo.report import markdown_table, write

QUICK = DemoConfig(sft_steps=8, rl_steps=2, save_every=1, prompts_per_step=2, generations=4, max_new_tokens=16,
                   sizes=dataclasses.replace(DemoConfig().sizes, prompts=16, teacher=32, test=8, test_ood=8))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="demo_output")
    p.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 and report mean ± std")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--full", action="store_true", help="also Reinforce++ (MAYE) and PPO, from the same warm start")
    p.add_argument("--quick", action="store_true", help="a seconds-long smoke run of every stage (tests use it)")
    args = p.parse_args(argv)
    if args.seeds < 1:
        raise DemoError("--seeds must be at least 1")
    cfg = QUICK if args.quick else DemoConfig()
    models = FULL_MODELS if args.full else MODELS
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    started, per_seed = time.time(), {}

    console = sys.stdout

    def say(message: str) -> None:
        print(message, file=console, flush=True)

    # Progress bars, warnings and libraries' prints of this process go to the log; each training stage has its own.
    with (open(os.path.join(args.out, "logs", "demo.log"), "a") as quiet, contextlib.redirect_stderr(quiet),
          contextlib.redirect_stdout(quiet)):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            say(f"seed {seed}:")
            per_seed[seed] = run_seed(os.path.join(args.out, f"seed_{seed}"), seed, cfg, log=say, models=models)
        report = write(args.out, per_seed, time.time() - started, dataclasses.asdict(cfg))
    say("")
    say(markdown_table({m: report[m] for m in report["std"]}, report["std"], len(per_seed)))
    gains = ", ".join(f"seed {s} {g:+.1f}" for s, g in report["best_rl_gain_per_seed"].items())
    say(f"\nbest RL ({report['best_rl']}) vs SFT warm start: {report['best_rl_gain_points']:+.1f} points; per seed: "
        f"{gains} (target >= +10 each); wall time {report['wall_time_s']:.0f} s (target <= 600 for one seed)")
    say(f"wrote {args.out}/report.md, report.json and plots")


if __name__ == "__main__":
    if not is_pinned():  # evaluation runs in this process: pin its numerics too, before torch loads
        os.execve(sys.executable, [sys.executable, "-m", "demo", *sys.argv[1:]], pinned_env())
    run(main)
