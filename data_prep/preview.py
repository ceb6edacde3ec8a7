"""python -m data_prep preview DIR [--split S] [--n N]: what the model will be asked, before any GPU hour is spent.

Prints one JSON line per row: {"id", "prompt", "answer", "choices"}, where `prompt` is the user turn exactly as
recipes and eval render it by default (core.prompts.user_turn; LLaVA-1.5, which has no system turn, also gets the
system prompt in front of it).
"""

from __future__ import annotations

import argparse
import json

from core.datasets import DataError, load_split, splits_of
from core.prompts import user_turn
from core.schema import SchemaError


def preview(dataset: str, split: str | None = None, n: int = 5) -> list[dict]:
    split = split or _default_split(dataset)
    data = load_split(dataset, split)
    rows = data.select_columns(["id", "problem", "answer", "choices"]).select(range(min(n, len(data))))
    return [{"id": r["id"], "prompt": user_turn(r), "answer": r["answer"], "choices": r["choices"]} for r in rows]


def _default_split(dataset: str) -> str:
    splits = splits_of(dataset)
    return "train" if "train" in splits else splits[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m data_prep preview", description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a directory made by python -m data_prep (or a prepared source's name)")
    parser.add_argument("--split", help="which split (default: train, else the first)")
    parser.add_argument("--n", type=int, default=5, help="how many rows")
    args = parser.parse_args(argv)
    try:
        rows = preview(args.dataset, args.split, args.n)
    except (DataError, SchemaError) as err:
        parser.exit(2, f"error: {err}\n")
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
