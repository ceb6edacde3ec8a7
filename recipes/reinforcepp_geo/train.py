"""Reinforce++ on geometry, MAYE's algorithm and hyper-parameters (trainer.py): no critic, no groups, returns
whitened over the batch, PPO-clip loss with a k3 KL loss, accuracy + language rewards, vision tower frozen.

    accelerate launch recipes/reinforcepp_geo/train.py               # the run config.yaml documents
    accelerate launch recipes/reinforcepp_geo/train.py --model_name_or_path DIR --dataset DIR \
        --max_steps 2 --output_dir OUT
    accelerate launch recipes/reinforcepp_geo/train.py \
        --advantage_baseline group --num_generations 8                # Reinforce++-baseline
"""

from recipes.common.cli import run
from recipes.common.launch import train_rl
from recipes.reinforcepp_geo.trainer import ReinforcePPConfig, ReinforcePPTrainer

CONFIG, TRAINER = ReinforcePPConfig, ReinforcePPTrainer

if __name__ == "__main__":
    run(lambda: train_rl(__file__, TRAINER, CONFIG))
