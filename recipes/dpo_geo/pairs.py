"""Preference pairs for DPO, built from verifiable rewards, or read from RLAIF-V.

    python -m recipes.dpo_geo.pairs --model PATH --dataset NAME_OR_DIR --out DIR [--split train] [--k 8]
    python -m recipes.dpo_geo.pairs --rlaif-v openbmb/RLAIF-V-Dataset --out DIR      # or a local parquet / folder

Sampling: K responses per prompt from one generate call, judged by the rewards named with --reward (default:
accuracy and format); a prompt gives one pair: chosen = a response that passes every judging reward (score > 0)
and ended with EOS, rejected = one that does not. Prompts without both are dropped and counted, like every other
dropped row, in DIR/summary.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter

from tqdm import tqdm

from core.prompts import R1_SYSTEM_PROMPT
from data_prep.convert import _decode
from data_prep.reader import InputError, image_roots, read_splits
from data_prep.writer import write

RLAIF_V_COLUMNS = ("image", "question", "chosen", "rejected")


NO_GOOD, NO_BAD = "no response passes every reward and ends", "every response passes every reward and ends"


def pick_pair(texts: list[str], good: list[bool], rng: random.Random) -> tuple[str, str] | str:
    """(chosen, rejected), or the reason the prompt gives no pair."""
    passed = [t for t, ok in zip(texts, good, strict=True) if ok]
    failed = [t for t, ok in zip(texts, good, strict=True) if not ok]
    if not passed:
        return NO_GOOD
    if not failed:
        return NO_BAD
    return rng.choice(passed), rng.choice(failed)


def verdicts(rewards: list, texts: list[str], ended: list[bool], row: dict) -> list[bool]:
    """Good: ended with EOS (a response cut at the token limit is not a finished answer) and scored > 0 by every
    reward (TRL's signature); None (unscorable) does not pass."""
    columns = {c: [row[c]] * len(texts) for c in ("id", "answer", "answer_type", "choices") if c in row}
    good = list(ended)
    for reward in rewards:
        scores = reward([[{"role": "assistant", "content": t}] for t in texts], **columns)
        good = [g and s is not None and s > 0 for g, s in zip(good, scores, strict=True)]
    return good


def sample_pairs(model_path: str, dataset: str, split: str, k: int, temperature: float, max_new_tokens: int,
                 system_prompt: str | None, limit: int | None, seed: int,
                 reward_specs: tuple[str, ...] = ("accuracy", "format"), require_eos: bool = True, batch_size: int = 8):
    from transformers import set_seed

    from core.datasets import load_split
    from core.families import load_model
    from core.prompts import to_prompt_rows
    from eval.generate import HFGenerator
    from recipes.common.config import reward_functions

    set_seed(seed)
    rewards = reward_functions(list(reward_specs))
    model, processor, family = load_model(model_path, dtype="auto")
    raw = load_split(dataset, split)
    raw = raw.select(range(min(limit, len(raw)))) if limit else raw
    prompts, summary = to_prompt_rows(raw, family, processor, system_prompt, "{problem}", max_prompt_length=None)
    generate, rng = HFGenerator(model, processor, batch_size, max_new_tokens), random.Random(seed)
    by_id = {r["id"]: r for r in raw.select_columns(["id", "problem", "source"])}
    dropped, rows = Counter(summary["dropped"]), []
    for start in tqdm(range(0, len(prompts), batch_size), desc=f"sampling {k} per prompt"):
        part = [prompts[i] for i in range(start, min(start + batch_size, len(prompts)))]
        samples = generate([r["prompt"] for r in part], [r["images"] for r in part], k, temperature, 1.0,
                           with_ends=True)
        for row, sampled in zip(part, samples, strict=True):
            texts = [text for text, _ in sampled]
            ended = [end or not require_eos for _, end in sampled]
            pair = pick_pair(texts, verdicts(rewards, texts, ended, row), rng)
            if isinstance(pair, str):
                dropped[pair] += 1
                continue
            rows.append({**{c: row[c] for c in ("id", "images", "answer", "answer_type", "choices", "rationale")},
                         "problem": by_id[row["id"]]["problem"], "source": by_id[row["id"]]["source"],
                         "chosen": pair[0], "rejected": pair[1]})
    return {split: rows}, {split: dropped}


def read_rlaif_v(source: str, split: str | None, limit: int | None):
    splits, dropped = {}, {}
    for name, raw in read_splits(source, split).items():
        columns = list(raw.rows.column_names) if hasattr(raw.rows, "column_names") else sorted(raw.rows[0])
        missing = [c for c in RLAIF_V_COLUMNS if c not in columns]
        if missing:
            raise InputError(f"{source}/{name} lacks RLAIF-V columns {missing} (found {sorted(columns)})")
        out, drops, seen = [], Counter(), set()
        n = len(raw.rows) if limit is None else min(limit, len(raw.rows))
        for i in tqdm(range(n), desc=f"rlaif_v/{name}", leave=False):
            row = raw.rows[i]
            row_id = str(row.get("idx") if row.get("idx") is not None else f"rlaif_v-{name}-{i}")
            if not all(str(row[c] or "").strip() for c in ("question", "chosen", "rejected")):
                drops["empty question, chosen or rejected"] += 1
                continue
            if row_id in seen:
                drops["duplicate id"] += 1
                continue
            try:
                image = _decode(image_roots(None), row["image"], raw.base)
            except Exception:
                drops["image does not decode"] += 1
                continue
            seen.add(row_id)
            out.append({"id": row_id, "images": [image], "problem": str(row["question"]).strip(), "answer": "",
                        "answer_type": "text", "choices": [], "source": "rlaif_v", "rationale": "",
                        "chosen": str(row["chosen"]), "rejected": str(row["rejected"])})
        splits[name], dropped[name] = out, drops
    return splits, dropped


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m recipes.dpo_geo.pairs", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--model", help="sample from this model (a path or hub id)")
    p.add_argument("--dataset", help="unified-schema dataset or source name to take prompts and golds from")
    p.add_argument("--rlaif-v", help="read an RLAIF-V-format preference dataset instead (file, folder or hub id)")
    p.add_argument("--split", default=None, help="default: train when sampling, every split for --rlaif-v")
    p.add_argument("--k", type=int, default=8, help="responses sampled per prompt")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--max-new-tokens", type=int, default=1024)
    p.add_argument("--system-prompt", default=R1_SYSTEM_PROMPT, help="'' for none; use the one the recipe trains with")
    p.add_argument("--reward", nargs="+", default=["accuracy", "format"],
                   help="the judging rewards, as in the recipes' reward_funcs: chosen scores > 0 on every one")
    p.add_argument("--require-eos", action=argparse.BooleanOptionalAction, default=True,
                   help="chosen must have ended with EOS (--no-require-eos: random test models never end)")
    p.add_argument("--limit", type=int)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if bool(args.rlaif_v) == bool(args.model):
        p.exit(2, "error: pass either --model and --dataset (sample pairs) or --rlaif-v SOURCE (read pairs)\n")
    try:
        if args.rlaif_v:
            splits, dropped = read_rlaif_v(args.rlaif_v, args.split, args.limit)
        else:
            if not args.dataset:
                p.exit(2, "error: --dataset is required with --model\n")
            if args.k < 2:
                p.exit(2, "error: --k must be at least 2 to find a passing and a failing response\n")
            splits, dropped = sample_pairs(args.model, args.dataset, args.split or "train", args.k, args.temperature,
                                           args.max_new_tokens, args.system_prompt or None, args.limit, args.seed,
                                           tuple(args.reward), args.require_eos)
    except (InputError, ValueError) as err:
        p.exit(2, f"error: {str(err).splitlines()[0]}\n")
    summary = write(splits, args.out, dropped)
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
