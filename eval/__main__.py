"""python -m eval: the MAYE evaluation scheme for a recipe's base model and checkpoints.

    python -m eval --recipe grpo_geo                                   # make eval RECIPE=grpo_geo
    python -m eval --model PATH --dataset NAME_OR_DIR --out DIR
    python -m eval --runs RUN1 RUN2 RUN3 --base MODEL --dataset NAME_OR_DIR --out DIR   # mean ± std over seeds
"""

from __future__ import annotations

import argparse
import os
import sys

import yaml

from core.cli import run
from core.datasets import DataError, load_split
from core.prompts import R1_SYSTEM_PROMPT
from eval.harness import Candidate, EvalError, checkpoints, evaluate_run
from eval.report import write_report
from eval.settings import MAYE, parse_setting

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m eval", description=__doc__.splitlines()[0])
    p.add_argument("--recipe", help="read model, dataset, prompt and run directory from recipes/RECIPE/config.yaml")
    p.add_argument("--model", help="evaluate this model only (no checkpoints)")
    p.add_argument("--base", help="base model to compare checkpoints against")
    p.add_argument("--runs", nargs="+", help="run directories holding checkpoint-N folders (one per seed)")
    p.add_argument("--dataset", help="a source name or a unified-schema directory")
    p.add_argument("--splits", nargs="+", default=["validation", "test"])
    p.add_argument("--settings", nargs="+", type=parse_setting, default=list(MAYE),
                   help="name:n=8,k=8,temperature=1.0,top_p=1.0 ... (default: MAYE's three)")
    p.add_argument("--out", help="output directory (default: RUN/eval, or eval_output)")
    p.add_argument("--limit", type=int, help="evaluate the first N prompts of each split")
    p.add_argument("--backend", choices=["hf", "vllm"], default="hf")
    p.add_argument("--max-new-tokens", type=int)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--system-prompt", help="the system prompt the model was trained with ('' for none; default: the "
                                           "recipe's, else R1's)")
    p.add_argument("--question-template", help="how the problem became the user turn ({problem} is replaced)")
    return p.parse_args(argv)


def from_recipe(args) -> tuple[dict, dict]:
    path = os.path.join(ROOT, "recipes", args.recipe, "config.yaml")
    if not os.path.exists(path):
        raise EvalError(f"no recipe {args.recipe!r} (no {path})")
    cfg = yaml.safe_load(open(path))
    args.base = args.base or cfg.get("model_name_or_path")
    args.dataset = args.dataset or cfg.get("dataset")
    args.runs = args.runs or [cfg.get("output_dir", f"outputs/{args.recipe}")]
    args.max_new_tokens = args.max_new_tokens or cfg.get("max_completion_length")
    return {k: cfg[k] for k in ("system_prompt", "question_template", "max_prompt_length") if k in cfg}, cfg


def main(argv=None) -> None:
    args = parse(argv)
    prompt = {"system_prompt": R1_SYSTEM_PROMPT, "question_template": "{problem}", "max_prompt_length": None}
    if args.recipe:
        prompt.update(from_recipe(args)[0])
    if args.system_prompt is not None:
        prompt["system_prompt"] = args.system_prompt
    if args.question_template:
        prompt["question_template"] = args.question_template
    prompt["system_prompt"] = prompt["system_prompt"] or None
    found = {} if args.model else {run_dir: checkpoints(run_dir) for run_dir in args.runs or []}
    for run_dir, ckpts in found.items():
        if not ckpts:
            raise EvalError(f"no checkpoints in {run_dir} yet: train first (make train RECIPE=...) or pass --model")
    if not args.dataset:
        raise EvalError("no dataset: pass --dataset NAME_OR_DIR or --recipe NAME")
    splits = [s for s in args.splits if _has_split(args.dataset, s)]
    if not splits:
        raise EvalError(f"dataset {args.dataset!r} has none of the splits {args.splits}")
    common = dict(dataset=args.dataset, splits=splits, settings=args.settings, prompt_args=prompt,
                  backend=args.backend, max_new_tokens=args.max_new_tokens or 1024, limit=args.limit,
                  batch_size=args.batch_size)
    if args.model:
        out = args.out or "eval_output"
        results = {"model": evaluate_run([Candidate("base", args.model, 0, 0.0)], out=out, **common)}
    else:
        if not args.runs:
            raise EvalError("pass --recipe NAME, --model PATH or --runs DIR ...")
        out = args.out or (os.path.join(args.runs[0], "eval") if len(args.runs) == 1 else "eval_output")
        base = evaluate_run([Candidate("base", args.base, 0, 0.0)], out=os.path.join(out, "base"),
                            **common) if args.base else {}
        results = {}
        for run_dir, ckpts in found.items():
            name = os.path.basename(os.path.normpath(run_dir))
            results[name] = {**base, **evaluate_run(ckpts, out=os.path.join(out, name), **common)}
    report = write_report(out, results)
    print(open(os.path.join(out, "summary.md")).read().split("![")[0].strip())
    print(f"wrote {out}/summary.md, summary.json and plots ({len(report['runs'])} run(s))", file=sys.stderr)


def _has_split(dataset: str, split: str) -> bool:
    try:
        load_split(dataset, split)
        return True
    except DataError as err:
        if "has no split" in str(err):
            return False
        raise


if __name__ == "__main__":
    run(main)
