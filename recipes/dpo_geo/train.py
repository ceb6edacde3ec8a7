"""DPO on preference pairs built from verifiable rewards (python -m data_prep.pairs: chosen = a sampled response
the accuracy reward marks right, rejected = one it marks wrong), or on RLAIF-V-format pairs.

    python -m data_prep.pairs --model DIR --dataset DIR --k 8 --out PAIRS
    accelerate launch recipes/dpo_geo/train.py --model_name_or_path DIR --dataset PAIRS --output_dir OUT
"""

from trl import DPOConfig, DPOTrainer

from recipes.common.cli import run
from recipes.common.launch import train_on_rows

CONFIG = DPOConfig


def preference(row: dict) -> dict:
    return {side: [{"role": "assistant", "content": row[side]}] for side in ("chosen", "rejected")}


if __name__ == "__main__":
    run(lambda: train_on_rows(__file__, DPOTrainer, (CONFIG,), preference, require_answer=False))
