"""GRPO on geometry with verifiable rewards: a plain TRL GRPOTrainer on a VLM.

    accelerate launch recipes/grpo_geo/train.py                      # the run config.yaml documents
    accelerate launch recipes/grpo_geo/train.py --model_name_or_path DIR --dataset_name DIR --max_steps 2 \
        --output_dir OUT
    accelerate launch recipes/grpo_geo/train.py --loss_type dr_grpo --scale_rewards none    # Dr. GRPO

Everything specific to the run lives in config.yaml; recipes/common/launch.py loads, trains and saves.
"""

from trl import GRPOConfig, GRPOTrainer

from core.cli import run
from recipes.common.launch import train_rl

CONFIG, TRAINER = GRPOConfig, GRPOTrainer


def main(argv: list[str] | None = None) -> None:
    train_rl(__file__, TRAINER, CONFIG, argv)


if __name__ == "__main__":
    run(main)
