"""DAPO's dynamic sampling, the parts that are plain arithmetic and bookkeeping (tested on hand-made tables).

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


def groups_per_process(found: int, target: int, processes: int, group_size: int, steps_per_generation: int) -> int:
    """How many of the pooled groups each process trains: an equal share of the full batch (`target` groups over
    all processes) when the pool is full, else an equal share of what was found, splittable into
    `steps_per_generation` slices. Groups beyond processes x share are trimmed, as verl trims to train_batch_size."""
    share = min(found, target) // processes
    while share > 0 and (share * group_size) % steps_per_generation:
        share -= 1
    return share


def pool_positions(informative: torch.Tensor, processes: int, process: int, pooled_before: int) -> list[int]:
    """Positions in the global pool of this process's informative groups from one round. The pool is ordered by
    round, then process, then group, so every process numbers every group the same way without talking."""
    per_process = informative.view(processes, -1)
    start = pooled_before + int(per_process[:process].sum())
    return list(range(start, start + int(per_process[process].sum())))


class PromptStream:
    """The prompts in the order GRPOTrainer's RepeatSampler walks them (one permutation per pass, seeded once,
    cut to whole generation batches), read by a cursor that main batches and refills share, as verl's refills
    read on in the same dataloader. The cursor is saved with checkpoints, so a resumed run draws the same prompts.
    """

    def __init__(self, size: int, batch_prompts: int, seed: int, shuffle: bool = True):
        self.size, self.batch_prompts, self.seed, self.shuffle = size, batch_prompts, seed, shuffle
        self.epoch, self.position = 0, 0
        self._order: tuple[int, list[int]] | None = None

    def _epoch_order(self) -> list[int]:
        if self._order is None or self._order[0] != self.epoch:
            if self.shuffle:
                generator = torch.Generator().manual_seed(self.seed)
                for _ in range(self.epoch + 1):  # RepeatSampler draws one permutation per pass from one generator
                    order = torch.randperm(self.size, generator=generator).tolist()
            else:
                order = list(range(self.size))
            self._order = (self.epoch, order[:self.size - self.size % self.batch_prompts])
        return self._order[1]

    def take(self, n: int, exclude: set[int]) -> list[int]:
        """Up to `n` next prompts not in `exclude` (this step's prompts: no prompt twice in a batch); fewer only
        when two passes over the data find no other prompt. Skipped prompts are consumed."""
        out: list[int] = []
        idle = 0  # prompts read in a row that could not be used
        while len(out) < n and idle <= 2 * self.size:
            order = self._epoch_order()
            if not order:
                raise ValueError(f"the training set ({self.size} prompts) is smaller than one generation batch "
                                 f"({self.batch_prompts} prompts)")
            if self.position >= len(order):
                self.epoch, self.position = self.epoch + 1, 0
                continue
            index = order[self.position]
            self.position += 1
            if index in exclude or index in out:
                idle += 1
            else:
                out.append(index)
                idle = 0
        return out

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


@dataclass
class Rollouts:
    """Generated completions with their scores, kept row-aligned so rounds can be filtered and concatenated."""

    inputs: list[dict] = field(default_factory=list)
    completion_ids: list[list[int]] = field(default_factory=list)
    logprobs: list | None = None
    rewards: torch.Tensor | None = None  # (rows, reward functions), on the CPU (rollouts move between processes)

    def __len__(self) -> int:
        return len(self.inputs)

    def select(self, rows: list[int]) -> Rollouts:
        return Rollouts(
            inputs=[self.inputs[i] for i in rows],
            completion_ids=[self.completion_ids[i] for i in rows],
            logprobs=None if self.logprobs is None else [self.logprobs[i] for i in rows],
            rewards=self.rewards[rows],
        )

    def extend(self, other: Rollouts) -> Rollouts:
        if not len(self):
            return other
        return Rollouts(
            inputs=self.inputs + other.inputs,
            completion_ids=self.completion_ids + other.completion_ids,
            logprobs=None if self.logprobs is None else self.logprobs + other.logprobs,
            rewards=torch.cat([self.rewards, other.rewards]),
        )
