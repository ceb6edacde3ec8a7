"""python -m data_prep SOURCE ...: convert a source into the unified schema.

    python -m data_prep synthetic --task counting --n 200 --out data/counting [--seed 0]
    python -m data_prep geoqa_r1v --input leonardPKU/GEOQA_R1V_Train_8K --out data/geoqa_r1v [--limit 500]
    python -m data_prep geoqa_r1v --input geoqa_test.jsonl --images Geo170K.zip --split test --out data/geoqa_test
    python -m data_prep --list
    python -m data_prep preview data/geometry3k --split test --n 3     # the prompts the model will see
"""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from core.images import MAX_PIXELS
from core.schema import SchemaError
from data_prep import preview, synthetic
from data_prep.convert import StrictError, convert_split
from data_prep.reader import InputError, image_roots, read_splits
from data_prep.sources import SOURCES
from data_prep.writer import write

DESCRIPTIONS = {"synthetic": "offline PIL tasks: counting (CLEVR-like), angles (GeoQA-like), choice (geometry3k-like)",
           **{name: source.description for name, source in SOURCES.items()}}


def _synthetic(args) -> dict:
    sizes = {"train": args.n, "validation": args.n_eval, "test": args.n_eval}
    splits = {
        split: list(tqdm(synthetic.generate(args.task, n, args.seed, split, args.image_size, args.min_count,
                                            args.max_count), total=n, desc=f"{args.task}/{split}", leave=False))
        for split, n in sizes.items()
    }
    return write(splits, args.out, max_pixels=args.max_pixels)


def _convert(args) -> dict:
    if not args.input:
        raise InputError(f"--input PATH_OR_HUB_ID is required for {args.source}")
    source, roots = SOURCES[args.source], image_roots(args.images)
    splits, dropped = {}, {}
    for split, raw in read_splits(args.input, args.split).items():
        splits[split], dropped[split] = convert_split(args.source, source, split, raw, roots, args.limit, args.strict)
    return write(splits, args.out, dropped, max_pixels=args.max_pixels)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["preview"]:
        return preview.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m data_prep", description="Convert a dataset to the unified schema")
    parser.add_argument("source", nargs="?", help="one of --list")
    parser.add_argument("--list", action="store_true", help="list the sources and exit")
    parser.add_argument("--out", help="output directory (a HF dataset + summary.json)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS, help="the shared resize's pixel cap")
    real = parser.add_argument_group("public sources")
    real.add_argument("--input", help="a parquet/jsonl/json/arrow file, a folder of them, a saved dataset, or a hub id")
    real.add_argument("--images", help="folder or zip that relative image paths are looked up in")
    real.add_argument("--split", help="convert only this split (for a single file: the split it is)")
    real.add_argument("--limit", type=int, help="convert at most N rows per split")
    real.add_argument("--strict", action="store_true", help="stop at the first unusable row instead of dropping it")
    syn = parser.add_argument_group("synthetic")
    syn.add_argument("--task", choices=synthetic.TASKS, default="counting")
    syn.add_argument("--n", type=int, default=200, help="train rows")
    syn.add_argument("--n-eval", type=int, default=None, help="validation and test rows each (default n/4, >= 8)")
    syn.add_argument("--image-size", type=int, default=112)
    syn.add_argument("--min-count", type=int, default=1)
    syn.add_argument("--max-count", type=int, default=5)
    args = parser.parse_args(argv)
    if args.list:
        for name, what in DESCRIPTIONS.items():
            print(f"{name:12s} {what}")
        return
    if args.source not in DESCRIPTIONS:
        parser.exit(2, f"error: unknown source {args.source!r}; known: {', '.join(DESCRIPTIONS)} (see --list)\n")
    if not args.out:
        parser.exit(2, "error: --out DIR is required\n")
    if args.n_eval is None:
        args.n_eval = max(8, args.n // 4)
    try:
        summary = _synthetic(args) if args.source == "synthetic" else _convert(args)
    except (InputError, SchemaError, StrictError) as err:
        parser.exit(2, f"error: {err}\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
