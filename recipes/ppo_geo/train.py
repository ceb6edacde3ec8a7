"""PPO with a multimodal critic on geometry (trainer.py): GAE, value clipping, whitened advantages, entropy bonus,
fixed or adaptive KL in the reward, verifiable rewards on the last token, vision tower frozen.

    accelerate launch recipes/ppo_geo/train.py                       # the run config.yaml documents
    accelerate launch recipes/ppo_geo/train.py --model_name_or_path DIR --dataset_name DIR --max_steps 2 \
        --output_dir OUT
    accelerate launch recipes/ppo_geo/train.py --kl_target 0.1       # adaptive KL coefficient (mean per-token KL)
"""

from core.cli import run
from recipes.common.launch import train_rl
from recipes.common.local_module import import_beside

trainer = import_beside(__file__, "trainer")  # a copied recipe runs its own trainer.py
CONFIG, TRAINER = trainer.PPOConfig, trainer.PPOTrainer


def main(argv: list[str] | None = None) -> None:
    train_rl(__file__, TRAINER, CONFIG, argv, cached_models=lambda trainer: [trainer.critic.backbone])


if __name__ == "__main__":
    run(main)
