"""The demo's task: count the shapes in a picture (1-5), with a flawed teacher for the SFT warm start.

A tiny model learns this counting to ~100 % from gold labels in a minute of SFT, leaving RL nothing to show. So the
warm start imitates a *teacher* that undercounts crowded pictures (4 or 5 shapes labelled one short 60 % of the
time), as a weaker annotator or a distilled model would. SFT copies that bias, and more SFT keeps it; RL, which
is scored against the true count by the verifier, can correct it. Out of distribution: triangles, which training
never shows, mixed in with the circles and squares.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_prep.synthetic import generate
from data_prep.writer import write

IN_DISTRIBUTION = {"kinds": ("circle", "square")}
OUT_OF_DISTRIBUTION = {"kinds": ("circle", "square", "triangle")}
SIDE = 112  # 4x4 grid of 28-px cells: one Qwen2-VL visual token per cell


@dataclass(frozen=True)
class TaskSizes:
    prompts: int = 1000      # RL prompts (the gold count is the verifier's answer key)
    teacher: int = 4800      # the teacher's demonstrations, for SFT and more SFT
    test: int = 200          # held-out, in distribution
    test_ood: int = 200      # held-out, with unseen triangles
    undercount: float = 0.6  # how often the teacher says one short on a crowded picture


def build(out: str, seed: int, sizes: TaskSizes = TaskSizes()) -> dict:
    """Splits train / teacher / test / test_ood in the unified schema; returns data_prep's summary."""
    def rows(split, n, **options):
        return list(generate("shapes", n, seed, split, SIDE, 1, 5, **options))

    splits = {
        "train": rows("train", sizes.prompts, **IN_DISTRIBUTION),
        "teacher": rows("teacher", sizes.teacher, undercount=sizes.undercount, **IN_DISTRIBUTION),
        "test": rows("test", sizes.test, **IN_DISTRIBUTION),
        "test_ood": rows("test_ood", sizes.test_ood, **OUT_OF_DISTRIBUTION),
    }
    return write(splits, out, max_pixels=SIDE * SIDE)
