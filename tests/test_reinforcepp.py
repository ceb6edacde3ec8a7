"""Reinforce++: returns, KL reward and whitening against hand-computed numbers; the trainer's loss on a fixed batch."""

import math
import statistics

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
from recipes.reinforcepp_geo.trainer import WHITENING, ReinforcePPConfig, ReinforcePPTrainer
from rewards.length import apply_no_eos_penalty
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


@pytest.mark.parametrize("baseline, generations, maye", [("none", 1, False), ("group", 2, False), ("none", 1, True)])
def test_loss_on_a_fixed_batch_equals_the_reference(tiny_models, angles_dataset, tmp_path, baseline, generations,
                                                    maye):
    """maye=True: MAYE's code (whitening per process with the mean added back, maye/rlhf/loss/ppo.py's masked mean
    over the micro-batch: TRL's bnpo) on the same batch."""
    trainer = make_trainer(ReinforcePPTrainer, ReinforcePPConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path,
                           ["tests.helpers.text_length_reward"], num_generations=generations,
                           per_device_train_batch_size=4, beta=0.04, loss_type="bnpo" if maye else "grpo",
                           advantage_baseline=baseline, no_eos_penalty=None, max_completion_length=6,
                           whitening="maye" if maye else "batch")
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
    n = mask.sum()
    mean = (scores[:, None] * mask).sum() / n
    var = (((scores[:, None] - mean) ** 2) * mask).sum() / (n - 1 if maye else n)
    expected_adv = (scores[:, None] - mean) / var.sqrt() + (mean if maye else 0)
    assert torch.allclose(adv, expected_adv * mask, atol=1e-4)

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
    if maye:  # one mean over every token of the micro-batch
        expected = (per_token * mask).sum() / mask.sum()
    else:  # each response's token mean, then the mean over responses
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


def test_a_masked_span_inside_a_response_does_not_cut_the_return():
    """A tool's output (mask 0) between the model's tokens: OpenRLHF's and verl's returns flow across it."""
    mask = torch.tensor([[1, 1, 0, 0, 1, 1]])
    rewards = token_rewards(torch.tensor([1.0]), mask)
    assert discounted_returns(rewards, mask).tolist() == [[1, 1, 0, 0, 1, 1]]
    # gamma < 1 discounts counted tokens only: G5 = 1, G4 = 0.5, G1 = 0.25, G0 = 0.125
    assert discounted_returns(rewards, mask, gamma=0.5).tolist() == [[0.125, 0.25, 0, 0, 0.5, 1]]


def test_gae_skips_a_masked_span_as_verl_does():
    rewards = torch.tensor([[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])
    values = torch.tensor([[0.1, 0.2, 9.0, 9.0, 0.3, 0.4]])  # the 9s sit on masked tokens and must not count
    mask = torch.tensor([[1, 1, 0, 0, 1, 1]])
    adv, ret = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    a5 = 1.0 - 0.4
    a4 = (0.9 * 0.4 - 0.3) + 0.72 * a5
    a1 = (0.9 * 0.3 - 0.2) + 0.72 * a4  # the next counted token after 1 is 4
    a0 = (0.9 * 0.2 - 0.1) + 0.72 * a1
    assert torch.allclose(adv, torch.tensor([[a0, a1, 0, 0, a4, a5]]), atol=1e-6)
    assert torch.allclose(ret, torch.tensor([[a0 + 0.1, a1 + 0.2, 0, 0, a4 + 0.3, a5 + 0.4]]), atol=1e-6)


def test_gae_defaults_to_lambda_one_so_the_first_token_sees_the_score():
    """verl and OpenRLHF default to lambda 1: with a zero critic, token 0 of a 600-token answer gets the score
    (lambda 0.95 would give it 0.95^599, about 0)."""
    mask = torch.ones(1, 600)
    adv, _ = gae(token_rewards(torch.tensor([1.0]), mask), torch.zeros(1, 600), mask)
    assert adv[0, 0].item() == pytest.approx(1.0)


def test_maye_whitening_on_a_fixed_batch_by_hand():
    """MAYE's code (maye/rlhf/rewards.py): scores on the last valid token, a no-EOS response scores -0.1, returns
    summed with gamma 1, whitened with the masked mean and the unbiased variance, the mean added back, and padding
    set to 0."""
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    scores = apply_no_eos_penalty([1.0, 0.0, 0.95], ended=[True, True, False], penalty=-0.1)
    returns = discounted_returns(token_rewards(torch.tensor(scores), mask), mask, gamma=1.0)
    ours = whiten(returns, mask, **{k: v for k, v in WHITENING["maye"].items() if k != "per_process"})
    counted = [1.0, 1.0, 1.0, 0.0, 0.0, -0.1, -0.1, -0.1, -0.1]  # every counted token's return, row by row
    mean, std = statistics.mean(counted), statistics.stdev(counted)  # stdev: the unbiased (n - 1) estimate
    expected = [[(1 - mean) / std + mean] * 3 + [0.0], [(0 - mean) / std + mean] * 2 + [0.0, 0.0],
                [(-0.1 - mean) / std + mean] * 4]
    assert torch.allclose(ours, torch.tensor(expected), atol=1e-5)
    assert WHITENING["maye"]["per_process"]  # MAYE whitens each rank's own 128 rollouts


def test_unscorable_rows_get_advantage_zero_and_stay_out_of_whitening(tiny_models, angles_dataset, tmp_path):
    trainer = make_trainer(ReinforcePPTrainer, ReinforcePPConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path,
                           ["tests.helpers.every_other_unscorable_reward"], num_generations=1,
                           per_device_train_batch_size=4, beta=0.0, max_completion_length=6)
    trainer.model.train()
    batch = trainer._generate_and_score_completions([trainer.train_dataset[i] for i in range(4)])
    adv, mask = batch["advantages"], batch["completion_mask"].float()
    assert adv[0::2].abs().sum() == 0, "an unscorable row trained as a wrong answer"
    scores = trainer._gathered_rewards[1::2, 0]  # the scored rows alone make the whitening statistics
    kept = mask[1::2]
    mean = (scores[:, None] * kept).sum() / kept.sum()
    std = (((scores[:, None] - mean) ** 2) * kept).sum().div(kept.sum()).sqrt()
    assert torch.allclose(adv[1::2], (scores[:, None] - mean) / std * kept, atol=1e-4)


def test_tools_are_refused_with_a_clear_error():
    def tool(x: str) -> str:
        """A tool."""
        return x

    with pytest.raises(ValueError, match="does not support tools"):
        ReinforcePPTrainer(model=None, tools=[tool])


def test_one_sample_per_prompt_logs_no_group_statistics(tiny_models, angles_dataset, tmp_path):
    """With G = 1 there are no groups: TRL's frac_reward_zero_std is not logged, and the completions table shows
    the token advantages that train (each row's mean), not TRL's all-zero group advantages."""
    trainer = make_trainer(ReinforcePPTrainer, ReinforcePPConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path,
                           ["tests.helpers.text_length_reward"], num_generations=1, per_device_train_batch_size=4,
                           beta=0.0, max_completion_length=6, max_steps=1)
    trainer.train()
    assert not any("frac_reward_zero_std" in h for h in trainer.state.log_history)
    assert any(abs(a) > 0 for a in trainer._logs["advantages"])
