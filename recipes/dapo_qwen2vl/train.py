"""DAPO on Qwen2-VL with real dynamic sampling: groups whose accuracy outcomes are all equal are dropped and fresh
prompts are sampled until the batch is full of informative groups (trainer.py).

    accelerate launch recipes/dapo_qwen2vl/train.py                  # the run config.yaml documents
    accelerate launch recipes/dapo_qwen2vl/train.py --model_name_or_path DIR --dataset DIR \
        --max_steps 2 --output_dir OUT
"""

from recipes.common.cli import run
from recipes.common.launch import train_rl
from recipes.dapo_qwen2vl.trainer import DAPOConfig, DAPOTrainer

CONFIG, TRAINER = DAPOConfig, DAPOTrainer

if __name__ == "__main__":
    run(lambda: train_rl(__file__, TRAINER, CONFIG))
