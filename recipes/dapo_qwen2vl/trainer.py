"""DAPO's dynamic sampling on TRL's GRPOTrainer (TRL has the DAPO loss and overlong shaping, not the sampler:
huggingface/trl#3708).

Each generation batch is sampled in rounds: generate and score, keep only informative groups (accuracy outcomes
that differ), draw fresh prompts, and repeat until the batch is full or `max_generation_rounds` is reached.
The kept rollouts are then replayed through GRPOTrainer's own `_generate_and_score_completions`, so padding,
image features, log-probs and advantages are computed exactly as plain GRPO computes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from trl import GRPOConfig, GRPOTrainer
from trl.data_utils import prepare_multimodal_messages
from trl.trainer.grpo_trainer import RepeatSampler

from recipes.common.dynamic_sampling import Rollouts, group_rows, groups_to_train, informative_groups


@dataclass
class DAPOConfig(GRPOConfig):
    dynamic_sampling: bool = field(default=True, metadata={"help": "drop groups whose accuracy outcomes are all equal"})
    dynamic_sampling_reward: str = field(
        default="accuracy_reward", metadata={"help": "the reward function (by name) whose outcomes decide"}
    )
    max_generation_rounds: int = field(
        default=8, metadata={"help": "generation rounds per batch before training on the informative groups found"}
    )


class DAPOTrainer(GRPOTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._replay: Rollouts | None = None
        self._prompt_source = None
        if not self.args.dynamic_sampling:
            return
        if self.tools or self.environment_factories is not None or self.rollout_func is not None:
            raise ValueError("dynamic_sampling does not support tools, environments or rollout_func yet; "
                             "set dynamic_sampling: false")
        local_batch = self.args.per_device_train_batch_size * self.args.steps_per_generation
        if local_batch % self.num_generations:
            raise ValueError(f"dynamic sampling keeps whole groups per process: per_device_train_batch_size x "
                             f"steps_per_generation ({local_batch}) must be a multiple of num_generations "
                             f"({self.num_generations})")
        if self.args.dynamic_sampling_reward not in self.reward_func_names:
            raise ValueError(f"dynamic_sampling_reward {self.args.dynamic_sampling_reward!r} is not among the reward "
                             f"functions {self.reward_func_names}")
        self._decider = self.reward_func_names.index(self.args.dynamic_sampling_reward)

    # -- the sampler --------------------------------------------------------------------------------------------
    def _generate_and_score_completions(self, inputs):
        if not (self.model.training and self.args.dynamic_sampling):
            return super()._generate_and_score_completions(inputs)
        self._replay = self._sample_informative(inputs)
        try:
            return super()._generate_and_score_completions(self._replay.inputs)
        finally:
            self._replay = None

    def _sample_informative(self, batch: list[dict]) -> Rollouts:
        G, target = self.num_generations, len(batch)
        kept, rounds, groups_seen, groups_informative, correct = Rollouts(), 0, 0, 0, []
        while True:
            rounds += 1
            sampled, scores = self._sample_round(batch)  # scores: the decider's outcomes on every process
            informative = informative_groups(scores, G)
            groups_seen += informative.numel()
            groups_informative += int(informative.sum())
            # Share right, whether the decider scores {0, 1} or DAPO's {-1, 1}; NaN (unscorable) is left out.
            correct.append(torch.nanmean(torch.where(scores.isnan(), scores, (scores > 0).float())).item())
            local = informative.view(self.accelerator.num_processes, -1)[self.accelerator.process_index]
            if len(kept) < target:
                kept = kept.extend(sampled.select(group_rows(local, G)))
            still_short = torch.tensor([float(len(kept) < target)], device=self.accelerator.device)
            if not self.accelerator.gather(still_short).any() or rounds >= self.args.max_generation_rounds:
                break
            batch = self._fresh_prompts()  # every process joins each round (rewards are gathered), full or not
        held = self.accelerator.gather(torch.tensor([len(kept) // G], device=self.accelerator.device)).tolist()
        n = groups_to_train(held, target // G, G, self.args.steps_per_generation)
        metrics = self._metrics["train"]
        metrics["dynamic_sampling/generation_rounds"].append(rounds)
        metrics["dynamic_sampling/groups_filtered_frac"].append(1 - groups_informative / groups_seen)
        metrics["dynamic_sampling/prompts_consumed"].append(groups_seen)
        metrics["dynamic_sampling/sampled_accuracy"].append(sum(correct) / len(correct))
        metrics["dynamic_sampling/batch_fill"].append(n * G / target)
        # Nothing informative anywhere after the last round: train on that round as plain GRPO would
        # (every advantage is zero, so only a KL term, if any, moves the weights).
        trained = kept.select(list(range(n * G))) if n else sampled
        flat = ~informative_groups(trained.rewards[:, self._decider], G) if len(trained) else torch.zeros(0)
        metrics["dynamic_sampling/uninformative_groups_trained"].append(int(flat.sum()))
        self.last_sampling = {"rounds": rounds, "groups_seen": groups_seen, "groups_trained": n,
                              "uninformative_trained": int(flat.sum())}
        return trained

    def _sample_round(self, inputs: list[dict]) -> tuple[Rollouts, torch.Tensor]:
        prompts = [x["prompt"] for x in inputs]
        images = [x.get("images") for x in inputs] if "images" in inputs[0] else None
        if images is not None and not all(i == [] for i in images):
            prompts = [prepare_multimodal_messages(p, images=i) for p, i in zip(prompts, images, strict=True)]
        prompt_ids, completion_ids, _, completions, logprobs, _, _, _ = self._generate(prompts)
        rewards = self._calculate_rewards(inputs, prompts, completions, completion_ids)  # gathered over processes
        mine = rewards.view(self.accelerator.num_processes, len(inputs), -1)[self.accelerator.process_index]
        rollouts = Rollouts(list(inputs), list(prompt_ids), list(completion_ids), list(completions),
                            None if logprobs is None else list(logprobs), mine)
        return rollouts, rewards[:, self._decider]

    def _fresh_prompts(self) -> list[dict]:
        if self._prompt_source is None:
            self._prompt_source = self._prompt_batches()
        return next(self._prompt_source)

    def _prompt_batches(self):
        """Generation batches of fresh prompts for extra rounds: the training set reshuffled pass after pass, so
        no process can run out (each process reads the same number of batches from its shard)."""
        for epoch in range(1, 1 << 30):
            sampler = RepeatSampler(self.train_dataset, mini_repeat_count=self.num_generations,
                                    batch_size=self.args.generation_batch_size // self.num_generations,
                                    shuffle=True, seed=self.args.seed + epoch)
            yield from self._get_dataloader(self.train_dataset, "Dynamic sampling",
                                            self._train_batch_size * self.args.steps_per_generation,
                                            sampler_fn=lambda _, s=sampler: s, is_training=True)

    # -- replay of the kept rollouts through GRPOTrainer's own scoring path ------------------------------------
    def _generate(self, prompts):
        if self._replay is None:
            return super()._generate(prompts)
        r = self._replay
        return r.prompt_ids, r.completion_ids, None, r.completions, r.logprobs, {}, None, []

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        if self._replay is None:
            return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self.accelerator.gather(self._replay.rewards.to(self.accelerator.device))
