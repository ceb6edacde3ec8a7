"""PPO with a multimodal critic on geometry (trainer.py): GAE, value clipping, whitened advantages, entropy bonus,
fixed or adaptive KL in the reward, verifiable rewards on the last token, vision tower frozen.

    accelerate launch recipes/ppo_geo/train.py                       # the run config.yaml documents
    accelerate launch recipes/ppo_geo/train.py --model_name_or_path DIR --dataset DIR --max_steps 2 --output_dir OUT
    accelerate launch recipes/ppo_geo/train.py --kl_target 6.0       # adaptive KL coefficient
"""

from recipes.common.cli import run
from recipes.common.launch import train_rl
from recipes.ppo_geo.trainer import PPOConfig, PPOTrainer

CONFIG, TRAINER = PPOConfig, PPOTrainer

if __name__ == "__main__":
    run(lambda: train_rl(__file__, TRAINER, CONFIG))
