"""DAPO on Qwen2-VL with real dynamic sampling: groups whose accuracy outcomes are all equal are dropped and fresh
prompts are sampled until the batch is full of informative groups (trainer.py).

    accelerate launch recipes/dapo_qwen2vl/train.py                  # the run config.yaml documents
    accelerate launch recipes/dapo_qwen2vl/train.py --model_name_or_path DIR --dataset_name DIR \
        --max_steps 2 --output_dir OUT
"""

from core.cli import run
from recipes.common.launch import train_rl
from recipes.common.local_module import import_beside

trainer = import_beside(__file__, "trainer")  # a copied recipe runs its own trainer.py
CONFIG, TRAINER = trainer.DAPOConfig, trainer.DAPOTrainer


def main(argv: list[str] | None = None) -> None:
    train_rl(__file__, TRAINER, CONFIG, argv)


if __name__ == "__main__":
    run(main)
