"""PPO with a multimodal critic: GAE from the critic's values, the clipped value loss, the adaptive KL controller,
a value loss that falls on a fixed batch, and the critic saved with checkpoints and restored on resume."""

import os

import pytest
import torch

from recipes.common.advantages import gae, token_rewards
from recipes.ppo_geo.trainer import PPOConfig, PPOTrainer, adaptive_kl_coef, value_loss
from tests.trainers import make_trainer


def test_value_loss_by_hand():
    values, old, returns = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.0]]), torch.tensor([[2.0, 1.0]])
    mask = torch.tensor([[1.0, 1.0]])
    # token 0: unclipped (1-2)^2 = 1, clipped V = 0.5 + 0.2 = 0.7 -> (0.7-2)^2 = 1.69; max 1.69
    # token 1: both (0-1)^2 = 1
    assert torch.isclose(value_loss(values, old, returns, mask, clip=0.2), torch.tensor(0.5 * (1.69 + 1.0) / 2))
    assert torch.isclose(value_loss(values, old, returns, torch.tensor([[1.0, 0.0]]), clip=0.2),
                         torch.tensor(0.5 * 1.69))


@pytest.mark.parametrize("kl, expected", [(12.0, 1.0 * (1 + 0.2 * 8 / 100)),    # far above target: +20 % x n/H
                                           (6.0, 1.0),                           # on target: unchanged
                                           (5.4, 1.0 * (1 - 0.1 * 8 / 100)),    # a little below: down
                                           (0.0, 1.0 * (1 - 0.2 * 8 / 100))])   # far below: -20 % x n/H
def test_adaptive_kl_moves_the_coefficient_toward_the_target(kl, expected):
    assert adaptive_kl_coef(1.0, kl, target=6.0, n_samples=8, horizon=100) == pytest.approx(expected)


def test_config_allows_one_sample_and_needs_the_reference_for_kl(tmp_path):
    assert PPOConfig(output_dir=str(tmp_path), bf16=False, num_generations=1, per_device_train_batch_size=2,
                     kl_coef=0.0, beta=0.0).num_generations == 1
    with pytest.raises(ValueError, match="set beta > 0"):
        PPOConfig(output_dir=str(tmp_path), bf16=False, num_generations=1, per_device_train_batch_size=2,
                  kl_coef=0.1, beta=0.0)


def _ppo(tiny_models, angles_dataset, out, **overrides):
    cfg = dict(num_generations=1, per_device_train_batch_size=4, beta=0.0, kl_coef=0.0, max_completion_length=6,
               gamma=0.9, lam=0.8, whiten_advantages=False, loss_type="dapo")
    return make_trainer(PPOTrainer, PPOConfig, tiny_models["qwen2_vl"], angles_dataset, out,
                        ["tests.helpers.text_length_reward"], **{**cfg, **overrides})


def test_advantages_are_gae_of_the_critics_values_on_images(tiny_models, angles_dataset, tmp_path):
    trainer = _ppo(tiny_models, angles_dataset, tmp_path)
    with torch.no_grad():  # a non-zero value head, so the values matter
        trainer.critic.backbone.lm_head.weight.normal_(0, 1.0)
    trainer.model.train()
    batch = trainer._generate_and_score_completions([trainer.train_dataset[i] for i in range(4)])
    mask = batch["completion_mask"].float()
    values = trainer.critic(batch, batch["completion_ids"].size(1)).detach() * mask
    assert torch.allclose(batch["old_values"], values, atol=1e-5) and values.abs().sum() > 0
    # the critic sees the image: another picture changes its values
    other = dict(batch, pixel_values=torch.flip(batch["pixel_values"], dims=[0]))
    assert not torch.allclose(trainer.critic(other, batch["completion_ids"].size(1)).detach() * mask, values)
    scores = trainer._gathered_rewards[:, 0]
    adv, ret = gae(token_rewards(scores, mask), values, mask, gamma=0.9, lam=0.8)
    assert torch.allclose(batch["advantages"], adv, atol=1e-5) and torch.allclose(batch["returns"], ret, atol=1e-5)


def test_value_loss_falls_on_a_fixed_batch(tiny_models, angles_dataset, tmp_path):
    trainer = _ppo(tiny_models, angles_dataset, tmp_path)
    trainer.model.train()
    batch = trainer._generate_and_score_completions([trainer.train_dataset[i] for i in range(4)])
    mask = batch["completion_mask"].float()
    optimizer = torch.optim.Adam([p for p in trainer.critic.parameters() if p.requires_grad], lr=2e-3)
    losses = []
    for _ in range(30):
        values = trainer.critic(batch, batch["completion_ids"].size(1))
        loss = value_loss(values, batch["old_values"], batch["returns"], mask, clip=1e9)  # unclipped: pure fit
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0], losses


def test_training_moves_the_critic_saves_it_and_resume_restores_it(tiny_models, angles_dataset, tmp_path):
    trainer = _ppo(tiny_models, angles_dataset, tmp_path / "run", save_strategy="steps", save_steps=2, max_steps=2,
                   learning_rate=1e-3)
    start = {k: v.clone() for k, v in trainer.critic.state_dict().items()}
    trainer.train()
    trained = trainer.critic.state_dict()
    assert any(not torch.equal(trained[k], start[k]) for k in start), "the critic did not train"
    assert any(e.get("ppo/value_loss", 0) > 0 for e in trainer.state.log_history)
    checkpoint = str(tmp_path / "run" / "checkpoint-2")
    assert os.path.isfile(os.path.join(checkpoint, "critic.safetensors"))

    resumed = _ppo(tiny_models, angles_dataset, tmp_path / "run", save_strategy="no", max_steps=2)
    resumed.train(resume_from_checkpoint=checkpoint)  # already at max_steps: restores, trains nothing
    assert all(torch.equal(resumed.critic.state_dict()[k], trained[k]) for k in trained)
