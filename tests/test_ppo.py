"""PPO with a multimodal critic: GAE from the critic's values, the clipped value loss, the adaptive KL controller,
a value loss that falls on a fixed batch, and the critic saved with checkpoints and restored on resume."""

import json
import os

import pytest
import torch
import yaml
from transformers import TrainerCallback

from recipes.common.advantages import gae, token_rewards
from recipes.ppo_geo.trainer import PPOConfig, PPOTrainer, adaptive_kl_coef, value_loss
from tests.test_recipe_runs import launch, small_config
from tests.trainers import make_trainer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def test_defaults_follow_verl_and_openrlhf(tmp_path):
    cfg = PPOConfig(output_dir=str(tmp_path), bf16=False, num_generations=1, per_device_train_batch_size=2,
                    max_grad_norm=0.7)
    assert (cfg.lam, cfg.cliprange_value, cfg.critic_max_grad_norm) == (1.0, 0.5, 0.7)
    recipe = yaml.safe_load(open(os.path.join(ROOT, "recipes", "ppo_geo", "config.yaml")))
    assert (recipe["lam"], recipe["cliprange_value"]) == (1.0, 0.5)


def test_adaptive_kl_leaves_zero_only_when_the_kl_is_above_target():
    assert adaptive_kl_coef(0.0, 0.05, target=0.1, n_samples=8, horizon=100, start=0.01) == 0.0
    assert adaptive_kl_coef(0.0, 0.5, target=0.1, n_samples=8, horizon=100, start=0.01) == pytest.approx(
        0.01 * (1 + 0.2 * 8 / 100))


class CriticGradients(TrainerCallback):
    """Runs after the trainer's own hooks: records the critic's gradient norm the optimiser will apply."""

    def __init__(self, critic):
        self.critic, self.norms = critic, []

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        grads = [p.grad for p in self.critic.parameters() if p.grad is not None]
        self.norms.append(torch.norm(torch.stack([g.norm() for g in grads])).item())


def test_critic_gradients_are_clipped_with_their_own_norm_and_logged(tiny_models, angles_dataset, tmp_path):
    trainer = _ppo(tiny_models, angles_dataset, tmp_path, max_steps=1, critic_max_grad_norm=1e-4, max_grad_norm=1.0)
    spy = CriticGradients(trainer.critic)
    trainer.add_callback(spy)
    trainer.train()
    logged = [h["ppo/critic_grad_norm"] for h in trainer.state.log_history if "ppo/critic_grad_norm" in h]
    assert logged and logged[0] > 1e-4, "the critic's (pre-clip) gradient norm is not logged"
    assert spy.norms and spy.norms[0] <= 1e-4 * 1.001


def test_adaptive_kl_is_updated_after_the_step_checkpointed_and_adapts_from_zero(tiny_models, angles_dataset,
                                                                                   tmp_path):
    """kl_coef 0 with a target: the KL is measured, and once it exceeds the target the coefficient starts; each
    batch's rewards use the coefficient from before its own KL; a resumed run continues with the saved one."""
    run = dict(kl_coef=0.0, kl_target=1e-6, kl_horizon=10, kl_start_coef=0.01, beta=0.01, save_strategy="steps",
               save_steps=1, max_steps=2)
    trainer = _ppo(tiny_models, angles_dataset, tmp_path / "run", **run)
    with torch.no_grad():  # move the policy away from the reference so the KL is not zero
        for p in trainer.model.model.language_model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    trainer.train()
    used = [h["ppo/kl_coef"] for h in trainer.state.log_history if "ppo/kl_coef" in h]
    step = 1 + 0.2 * 4 / 10  # KL far above target: +20 % x n / horizon, n = 4 rollouts
    assert used == pytest.approx([0.0, 0.01 * step]) and trainer.kl_coef == pytest.approx(0.01 * step ** 2)
    saved = json.load(open(tmp_path / "run" / "checkpoint-1" / "ppo_state.json"))
    assert saved["kl_coef"] == pytest.approx(used[1])

    resumed = _ppo(tiny_models, angles_dataset, tmp_path / "run", **run)
    resumed.train(resume_from_checkpoint=str(tmp_path / "run" / "checkpoint-1"))  # trains step 2 again
    again = [h["ppo/kl_coef"] for h in resumed.state.log_history if "ppo/kl_coef" in h]
    assert again[-1] == pytest.approx(used[1])


def test_unscorable_rows_carry_no_advantage_and_no_value_target(tiny_models, angles_dataset, tmp_path):
    trainer = make_trainer(PPOTrainer, PPOConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path,
                           ["tests.helpers.every_other_unscorable_reward"], num_generations=1,
                           per_device_train_batch_size=4, beta=0.0, max_completion_length=6, loss_type="dapo")
    trainer.model.train()
    batch = trainer._generate_and_score_completions([trainer.train_dataset[i] for i in range(4)])
    assert batch["scored"].tolist() == [False, True, False, True]
    assert batch["advantages"][0::2].abs().sum() == 0 and batch["advantages"][1::2].abs().sum() > 0


def test_tools_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="does not support tools"):
        PPOTrainer(None, tools=[len])


@pytest.mark.slow  # two 2-process launches, ~70 s: make test-slow
def test_two_process_run_with_adaptive_kl_resumes_with_the_same_coefficient(tiny_models, angles_dataset, tmp_path):
    """kl_coef > 0 with a target on two processes: step 1's KL is 0 (policy = reference), so the coefficient its
    rewards used (0.05) drops by 20 % x n / horizon after the step; a run resumed at step 1 uses that one."""
    out = str(tmp_path / "out")
    cfg = small_config("ppo_geo", tmp_path / "c.yaml", kl_coef=0.05, kl_target=1e-6, kl_horizon=10, beta=0.01,
                       save_steps=1)
    common = ["--config", cfg, "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset,
              "--output_dir", out]
    result = launch("ppo_geo", *common, processes=2)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    used = [h["ppo/kl_coef"] for h in logs if "ppo/kl_coef" in h]
    assert used == pytest.approx([0.05, 0.05 * (1 - 0.2 * 4 / 10)])

    result = launch("ppo_geo", *common, "--resume_from_checkpoint", os.path.join(out, "checkpoint-1"), processes=2)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    assert [h["ppo/kl_coef"] for h in logs if "ppo/kl_coef" in h][-1] == pytest.approx(used[1])
