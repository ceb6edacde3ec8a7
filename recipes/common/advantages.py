"""Token-level returns and advantages for critic-free (Reinforce++) and critic (PPO) training.

All tensors are (batch, completion tokens), right-padded; `mask` is 1 on completion tokens that count.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def k3(logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """Schulman's k3 estimator of KL(pi || ref) per token: exp(ref - pi) - (ref - pi) - 1 (non-negative)."""
    delta = ref_logps - logps
    return torch.exp(delta) - delta - 1


def last_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Index of each row's last counted token (-1 for a row with none)."""
    positions = torch.arange(mask.size(1), device=mask.device).expand_as(mask)
    return torch.where(mask.bool(), positions, torch.full_like(positions, -1)).max(dim=1).values


def token_rewards(scores: torch.Tensor, mask: torch.Tensor, kl: torch.Tensor | None = None,
                  kl_coef: float = 0.0) -> torch.Tensor:
    """The sequence score on its last token, minus `kl_coef` x the per-token KL on every token (MAYE Eq. 1)."""
    rewards = torch.zeros_like(mask, dtype=torch.float)
    if kl is not None and kl_coef:
        rewards = rewards - kl_coef * kl * mask
    last = last_token_index(mask)
    rows = (last >= 0).nonzero().flatten()
    rewards[rows, last[rows]] += scores[rows].to(rewards.dtype)
    return rewards


def discounted_returns(rewards: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0) -> torch.Tensor:
    """G_t = sum over the counted tokens k >= t of gamma^(steps from t to k) r_k.

    A masked span inside a response (e.g. a tool's output) is skipped, not a cut: the return flows across it
    undiscounted, as verl's GAE skips observation tokens (verl/trainer/ppo/core_algos.py)."""
    returns = torch.zeros_like(rewards)
    running = torch.zeros(rewards.size(0), dtype=rewards.dtype, device=rewards.device)
    for t in reversed(range(rewards.size(1))):
        counted = mask[:, t].bool()
        running = torch.where(counted, rewards[:, t] + gamma * running, running)
        returns[:, t] = running
    return returns * mask


def whiten(x: torch.Tensor, mask: torch.Tensor, reduce: Callable[[torch.Tensor], torch.Tensor] | None = None,
           shift_mean: bool = False, unbiased: bool = False, eps: float = 1e-8) -> torch.Tensor:
    """(x - mean) / std over every counted token of the batch; `reduce` sums the statistics across processes.

    OpenRLHF whitens with the population variance and removes the mean; MAYE's code (maye/rlhf/rewards.py,
    `whiten`) uses the unbiased variance and adds the mean back (`shift_mean=True`)."""
    reduce = reduce or (lambda t: t)
    m = mask.to(x.dtype)
    n, total = reduce(torch.stack([m.sum(), (x * m).sum()])).unbind()
    mean = total / n.clamp(min=1)
    var = reduce(((x - mean) ** 2 * m).sum()) / n.clamp(min=1)
    if unbiased:
        var = var * n / (n - 1).clamp(min=1)
    out = (x - mean) * torch.rsqrt(var + eps)
    return (out + mean if shift_mean else out) * m


def group_baseline(scores: torch.Tensor, group_size: int) -> torch.Tensor:
    """Reinforce++-baseline: subtract the mean score of each prompt's group (rows of a group are consecutive).
    NaN (unscorable) rows stay NaN and are left out of their group's mean, as TRL's GRPOTrainer leaves them out."""
    groups = scores.view(-1, group_size)
    return (groups - groups.nanmean(dim=1, keepdim=True)).flatten()


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0,
        lam: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation; returns (advantages, returns = advantages + values).

    delta_t = r_t + gamma V_next - V_t, where V_next is the value of the next counted token (0 after the last).
    Masked tokens inside a response are skipped, as verl skips observation tokens
    (verl/trainer/ppo/core_algos.py, compute_gae_advantage_return)."""
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(rewards.size(0), dtype=rewards.dtype, device=rewards.device)
    next_value = torch.zeros_like(running)
    for t in reversed(range(rewards.size(1))):
        counted = mask[:, t].bool()
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = torch.where(counted, delta + gamma * lam * running, running)
        next_value = torch.where(counted, values[:, t], next_value)
        advantages[:, t] = running
    return advantages * mask, (advantages + values) * mask
