"""Reinforce++ on geometry, MAYE's algorithm and hyper-parameters (trainer.py): no critic, no groups, returns
whitened over the batch, PPO-clip loss with a k3 KL loss, accuracy + language rewards, vision tower frozen.

    accelerate launch recipes/reinforcepp_geo/train.py               # the run config.yaml documents
    accelerate launch recipes/reinforcepp_geo/train.py --model_name_or_path DIR --dataset_name DIR \
        --max_steps 2 --output_dir OUT
    accelerate launch recipes/reinforcepp_geo/train.py \
        --advantage_baseline group --num_generations 8                # Reinforce++-baseline
"""

from core.cli import run
from recipes.common.launch import train_rl
from recipes.common.local_module import import_beside

trainer = import_beside(__file__, "trainer")  # a copied recipe runs its own trainer.py
CONFIG, TRAINER = trainer.ReinforcePPConfig, trainer.ReinforcePPTrainer


def main(argv: list[str] | None = None) -> None:
    train_rl(__file__, TRAINER, CONFIG, argv)


if __name__ == "__main__":
    run(main)
