"""GRPO on geometry with verifiable rewards: a plain TRL GRPOTrainer on a VLM.

    accelerate launch recipes/grpo_geo/train.py                      # the run config.yaml documents
    accelerate launch recipes/grpo_geo/train.py --model_name_or_path DIR --dataset DIR --max_steps 2 --output_dir OUT
    accelerate launch recipes/grpo_geo/train.py --loss_type dr_grpo --scale_rewards none    # Dr. GRPO

Everything specific to the run lives in config.yaml; recipes/common/launch.py loads, trains and saves.
"""

from trl import GRPOConfig, GRPOTrainer

from recipes.common.cli import run
from recipes.common.launch import train_rl

CONFIG, TRAINER = GRPOConfig, GRPOTrainer

if __name__ == "__main__":
    run(lambda: train_rl(__file__, TRAINER, CONFIG))
