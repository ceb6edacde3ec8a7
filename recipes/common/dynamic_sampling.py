"""DAPO's dynamic sampling, the parts that are plain arithmetic (tested on hand-made reward tables).

A group (the G completions of one prompt) is informative when its accuracy outcomes differ: a group that is all
right or all wrong has zero advantage for every member and only dilutes the batch. The filter reads the binary
accuracy, not the shaped total reward: format or length terms make an all-wrong group look varied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


def informative_groups(scores: torch.Tensor, group_size: int) -> torch.Tensor:
    """One bool per group of `group_size` consecutive scores: do the (non-NaN) outcomes differ?

    NaN is an unscorable completion (e.g. an unreadable gold); it neither makes nor breaks a group."""
    groups = scores.view(-1, group_size)
    valid = ~torch.isnan(groups)
    high = torch.where(valid, groups, torch.full_like(groups, -torch.inf)).max(dim=1).values
    low = torch.where(valid, groups, torch.full_like(groups, torch.inf)).min(dim=1).values
    return valid.any(dim=1) & (high > low)


def group_rows(groups: torch.Tensor, group_size: int) -> list[int]:
    """Row indices of the selected groups, groups kept whole and in order."""
    return [g * group_size + i for g in groups.nonzero().flatten().tolist() for i in range(group_size)]


def groups_to_train(kept_per_process: list[int], target_groups: int, group_size: int, steps_per_generation: int) -> int:
    """How many groups every process trains on: the fewest any process holds (all must match, because
    rewards are gathered across processes), at most the target, and splittable into `steps_per_generation` slices."""
    n = min(min(kept_per_process), target_groups)
    while n > 0 and (n * group_size) % steps_per_generation:
        n -= 1
    return n


@dataclass
class Rollouts:
    """Generated completions with their scores, kept row-aligned so rounds can be filtered and concatenated."""

    inputs: list[dict] = field(default_factory=list)
    prompt_ids: list[list[int]] = field(default_factory=list)
    completion_ids: list[list[int]] = field(default_factory=list)
    completions: list = field(default_factory=list)
    logprobs: list | None = None
    rewards: torch.Tensor | None = None  # (rows, reward functions), this process's rows only

    def __len__(self) -> int:
        return len(self.inputs)

    def select(self, rows: list[int]) -> Rollouts:
        return Rollouts(
            inputs=[self.inputs[i] for i in rows],
            prompt_ids=[self.prompt_ids[i] for i in rows],
            completion_ids=[self.completion_ids[i] for i in rows],
            completions=[self.completions[i] for i in rows],
            logprobs=None if self.logprobs is None else [self.logprobs[i] for i in rows],
            rewards=self.rewards[rows],
        )

    def extend(self, other: Rollouts) -> Rollouts:
        if not len(self):
            return other
        return Rollouts(
            inputs=self.inputs + other.inputs,
            prompt_ids=self.prompt_ids + other.prompt_ids,
            completion_ids=self.completion_ids + other.completion_ids,
            completions=self.completions + other.completions,
            logprobs=None if self.logprobs is None else self.logprobs + other.logprobs,
            rewards=torch.cat([self.rewards, other.rewards]),
        )
