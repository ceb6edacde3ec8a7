"""DPO on preference pairs built from verifiable rewards (python -m recipes.dpo_geo.pairs: chosen = a sampled response
the accuracy reward marks right, rejected = one it marks wrong), or on RLAIF-V-format pairs.

    python -m recipes.dpo_geo.pairs --model DIR --dataset DIR --k 8 --out PAIRS
    accelerate launch recipes/dpo_geo/train.py --model_name_or_path DIR --dataset_name PAIRS --output_dir OUT
"""

from trl import DPOConfig, DPOTrainer

from core.cli import run
from recipes.common.launch import train_on_rows

CONFIG = DPOConfig


def preference(row: dict) -> dict:
    return {side: [{"role": "assistant", "content": row[side]}] for side in ("chosen", "rejected")}


def main(argv: list[str] | None = None) -> None:
    train_on_rows(__file__, DPOTrainer, (CONFIG,), preference, argv, require_answer=False)


if __name__ == "__main__":
    run(main)
