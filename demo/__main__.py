"""python -m demo [--out demo_output] [--seeds 3]: the README's first command (`make demo`), offline on a CPU.

Per seed: build a tiny Qwen2-VL and the counting task, SFT-warm-start it, train GRPO, DAPO with dynamic sampling
and (for comparison) more SFT from that warm start, evaluate all four, and write demo_output/report.{md,json} and
PNG plots. Re-running resumes: finished stages are kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from core.cli import run
from demo.pipeline import DemoConfig, DemoError, run_seed
from demo.report import markdown_table, write

QUICK = DemoConfig(sft_steps=8, rl_steps=2, save_every=1, prompts_per_step=2, generations=4, max_new_tokens=16,
                   sizes=dataclasses.replace(DemoConfig().sizes, prompts=16, teacher=32, test=8, test_ood=8))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="demo_output")
    p.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 and report mean ± std")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="a seconds-long smoke run of every stage (tests use it)")
    args = p.parse_args(argv)
    if args.seeds < 1:
        raise DemoError("--seeds must be at least 1")
    cfg = QUICK if args.quick else DemoConfig()
    started, per_seed = time.time(), {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        print(f"seed {seed}:", file=sys.stderr, flush=True)
        per_seed[seed] = run_seed(os.path.join(args.out, f"seed_{seed}"), seed, cfg,
                                  log=lambda m: print(m, file=sys.stderr, flush=True))
    report = write(args.out, per_seed, time.time() - started, dataclasses.asdict(cfg))
    print(markdown_table({m: report[m] for m in report["std"]}, report["std"], len(per_seed)))
    print(f"\nbest RL ({report['best_rl']}) vs SFT warm start: {report['best_rl_gain_points']:+.1f} points "
          f"(target >= +10); wall time {report['wall_time_s']:.0f} s (target <= 600 for one seed)")
    print(f"wrote {args.out}/report.md, report.json and plots", file=sys.stderr)


if __name__ == "__main__":
    run(main)
