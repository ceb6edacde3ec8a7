"""Reinforce++: returns, KL reward and whitening against hand-computed numbers; the trainer's loss on a fixed batch."""

import math

import pytest
import torch

from recipes.common.advantages import (
    discounted_returns,
    gae,
    group_baseline,
    k3,
    last_token_index,
    token_rewards,
    whiten,
)
from recipes.reinforcepp_geo.trainer import ReinforcePPConfig, ReinforcePPTrainer
from tests.trainers import make_trainer

MASK = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])


def test_k3_matches_its_formula_and_is_zero_at_equal_policies():
    logp, ref = torch.tensor([-1.0, -2.0]), torch.tensor([-1.5, -2.0])
    assert torch.allclose(k3(logp, ref), torch.tensor([math.exp(-0.5) + 0.5 - 1, 0.0]))


def test_last_token_index():
    assert last_token_index(torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]])).tolist() == [2, 0, -1]


def test_returns_with_kl_reward_by_hand():
    scores = torch.tensor([1.0, -1.0])
    kl = torch.tensor([[0.1, 0.2, 0.3, 9.0], [0.4, 0.5, 9.0, 9.0]])  # 9.0 sits on padding and must not count
    r = token_rewards(scores, MASK, kl, kl_coef=0.5)
    assert torch.allclose(r, torch.tensor([[-0.05, -0.1, -0.15 + 1, 0], [-0.2, -0.25 - 1, 0, 0]]))
    g = discounted_returns(r, MASK, gamma=0.5)
    # row 0: G2 = 0.85, G1 = -0.1 + 0.5 * 0.85 = 0.325, G0 = -0.05 + 0.5 * 0.325 = 0.1125
    # row 1: G1 = -1.25, G0 = -0.2 + 0.5 * -1.25 = -0.825
    assert torch.allclose(g, torch.tensor([[0.1125, 0.325, 0.85, 0], [-0.825, -1.25, 0, 0]]))


def test_gamma_one_without_kl_puts_the_score_on_every_token():
    g = discounted_returns(token_rewards(torch.tensor([2.0, 0.0]), MASK), MASK, gamma=1.0)
    assert g.tolist() == [[2, 2, 2, 0], [0, 0, 0, 0]]


def test_whitening_over_all_counted_tokens():
    x = torch.tensor([[2.0, 2.0, 2.0, 7.0], [0.0, 0.0, 5.0, 5.0]])
    w = whiten(x, MASK)
    # counted values 2, 2, 2, 0, 0: mean 1.2, variance (3 * 0.64 + 2 * 1.44) / 5 = 0.96
    std = math.sqrt(0.96)
    expected = torch.tensor([[0.8 / std] * 3 + [0], [-1.2 / std] * 2 + [0, 0]])
    assert torch.allclose(w, expected, atol=1e-6)


def test_whitening_reduces_across_processes():
    """A 'process' holding row 0 whitens as if it held the whole batch, once the reduce adds row 1's statistics."""
    x = torch.tensor([[2.0, 2.0, 2.0, 7.0], [0.0, 0.0, 5.0, 5.0]])
    mean = 6.0 / 5  # over the five counted values of both rows
    row1 = {2: torch.tensor([2.0, 0.0]),                    # (count, sum) of row 1
            1: ((x[1] - mean) ** 2 * MASK[1]).sum()}         # its squared deviations
    local = whiten(x[:1], MASK[:1], reduce=lambda t: t + row1[t.numel()])
    assert torch.allclose(local, whiten(x, MASK)[:1], atol=1e-6)


def test_group_baseline():
    assert group_baseline(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0]), 3).tolist() == pytest.approx(
        [2 / 3, -1 / 3, -1 / 3, -2 / 3, 1 / 3, 1 / 3])


def test_gae_by_hand():
    rewards = torch.tensor([[0.0, 0.0, 1.0, 0.0]])
    values = torch.tensor([[0.5, 0.6, 0.7, 9.0]])
    mask = torch.tensor([[1, 1, 1, 0]])
    adv, ret = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    d2 = 1.0 - 0.7                      # last token: no next value
    d1 = 0.0 + 0.9 * 0.7 - 0.6
    d0 = 0.0 + 0.9 * 0.6 - 0.5
    a2, a1 = d2, d1 + 0.72 * d2
    a0 = d0 + 0.72 * a1
    assert torch.allclose(adv, torch.tensor([[a0, a1, a2, 0.0]]), atol=1e-6)
    assert torch.allclose(ret, torch.tensor([[a0 + 0.5, a1 + 0.6, a2 + 0.7, 0.0]]), atol=1e-6)


def test_config_allows_one_response_per_prompt_and_checks_the_baseline(tmp_path):
    cfg = ReinforcePPConfig(output_dir=str(tmp_path), bf16=False, num_generations=1, per_device_train_batch_size=4)
    assert cfg.num_generations == 1
    with pytest.raises(ValueError, match="num_generations >= 2"):
        ReinforcePPConfig(output_dir=str(tmp_path), bf16=False, num_generations=1, per_device_train_batch_size=4,
                          advantage_baseline="group")
    with pytest.raises(ValueError, match="set beta > 0"):
        ReinforcePPConfig(output_dir=str(tmp_path), bf16=False, num_generations=2, kl_reward_coef=0.1, beta=0.0,
                          per_device_train_batch_size=4)


@pytest.mark.parametrize("baseline, generations", [("none", 1), ("group", 2)])
def test_loss_on_a_fixed_batch_equals_the_reference(tiny_models, angles_dataset, tmp_path, baseline, generations):
    trainer = make_trainer(ReinforcePPTrainer, ReinforcePPConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path,
                           ["tests.helpers.text_length_reward"], num_generations=generations,
                           per_device_train_batch_size=4, beta=0.04, loss_type="grpo", advantage_baseline=baseline,
                           no_eos_penalty=None, max_completion_length=6)
    trainer.model.train()
    rows = [trainer.train_dataset[i] for i in range(4 // generations) for _ in range(generations)]
    batch = trainer._generate_and_score_completions(rows)
    mask = batch["completion_mask"].float()
    adv = batch["advantages"]
    assert adv.shape == mask.shape  # token-level advantages
    # gamma 1, no KL reward: each response's advantage is one whitened score on all its tokens
    scores = trainer._gathered_rewards[:, 0]
    if baseline == "group":
        scores = group_baseline(scores, generations)
    mean = (scores[:, None] * mask).sum() / mask.sum()
    std = (((scores[:, None] - mean) ** 2) * mask).sum().div(mask.sum()).sqrt()
    assert torch.allclose(adv, (scores[:, None] - mean) / std * mask, atol=1e-4)

    trainer.current_gradient_accumulation_steps = 1  # set by train() otherwise
    loss = trainer.compute_loss(trainer.model, batch)
    logps, _, _ = trainer._get_per_token_logps_and_entropies(
        trainer.model, torch.cat([batch["prompt_ids"], batch["completion_ids"]], 1),
        torch.cat([batch["prompt_mask"], batch["completion_mask"]], 1), batch["completion_ids"].size(1),
        pixel_values=batch["pixel_values"], image_grid_thw=batch["image_grid_thw"], num_images=batch["num_images"],
        mm_token_type_ids=batch["mm_token_type_ids"])
    ref = batch["ref_per_token_logps"]
    ratio = torch.exp(logps - logps.detach())  # on-policy: 1, with the policy gradient attached
    per_token = -torch.min(ratio * adv, torch.clamp(ratio, 0.8, 1.2) * adv) + 0.04 * k3(logps, ref)
    expected = ((per_token * mask).sum(1) / mask.sum(1)).mean()
    assert torch.allclose(loss, expected, atol=1e-5)


def test_kl_reward_makes_advantages_vary_along_a_response(tiny_models, angles_dataset, tmp_path):
    trainer = make_trainer(ReinforcePPTrainer, ReinforcePPConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path,
                           ["tests.helpers.text_length_reward"], num_generations=1, per_device_train_batch_size=2,
                           beta=0.04, kl_reward_coef=0.5, max_completion_length=6)
    trainer.model.train()
    with torch.no_grad():  # move the policy away from the reference so the KL is not zero
        for p in trainer.model.model.language_model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    batch = trainer._generate_and_score_completions([trainer.train_dataset[0], trainer.train_dataset[1]])
    adv, mask = batch["advantages"], batch["completion_mask"].bool()
    assert all(len(set(a[m].tolist())) > 1 for a, m in zip(adv, mask, strict=True))
