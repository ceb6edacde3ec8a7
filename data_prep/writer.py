"""Write unified-schema rows as a HF dataset with a summary that accounts for every input row."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter

from datasets import Dataset, DatasetDict

from core.images import resize_for_vlm
from core.schema import FEATURES, PAIR_FEATURES, SCORING_DEFAULTS


def write(splits: dict[str, list[dict]], out: str, dropped: dict[str, Counter] | None = None,
          max_pixels: int | None = None) -> dict:
    """Resize images once with the shared resize, save to `out` atomically, write and return summary.json."""
    dropped = dropped or {}
    for rows in splits.values():
        for row in rows:
            for column, neutral in SCORING_DEFAULTS.items():  # a source without an official rule: the default
                row.setdefault(column, neutral)
            row["images"] = [resize_for_vlm(im, max_pixels=max_pixels) if max_pixels else resize_for_vlm(im)
                             for im in row["images"]]
    pairs = any("chosen" in row for rows in splits.values() for row in rows[:1])
    features = PAIR_FEATURES if pairs else FEATURES
    data = DatasetDict({name: Dataset.from_list(rows, features=features) if rows else
                        Dataset.from_dict({c: [] for c in features}, features=features)
                        for name, rows in splits.items()})
    summary = {
        name: {
            "rows_in": len(rows) + sum(dropped.get(name, Counter()).values()),
            "rows_out": len(rows),
            "dropped": dict(dropped.get(name, Counter())),
            "answer_types": dict(Counter(r["answer_type"] for r in rows)),
        }
        for name, rows in splits.items()
    }
    tmp = f"{out.rstrip('/')}.tmp"  # nothing half-written at `out` if this stops midway
    shutil.rmtree(tmp, ignore_errors=True)
    data.save_to_disk(tmp)
    with open(os.path.join(tmp, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return summary
