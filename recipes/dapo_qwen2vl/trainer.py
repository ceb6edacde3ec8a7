"""DAPO's dynamic sampling on TRL's GRPOTrainer (TRL has the DAPO loss and overlong shaping, not the sampler:
huggingface/trl#3708), pooled across processes as verl's recipe/dapo pools over the whole batch.

Each generation batch is sampled in rounds: every process generates and scores its share of a round's prompts,
the informative groups (accuracy outcomes that differ) of all processes go into one pool, and rounds continue
until the pool holds a full batch or `max_generation_rounds` is reached. The pool is trimmed and dealt out so every
process trains an equal share; uninformative groups are never trained. The kept rollouts are then replayed through
GRPOTrainer's own `_generate_and_score_completions`, so padding, image features, log-probs, advantages and the
`completions/*`, `rewards/*` logs are those of the trained batch, computed exactly as plain GRPO computes them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import torch
from accelerate.utils import gather_object
from transformers.utils import logging
from trl import GRPOConfig, GRPOTrainer
from trl.data_utils import prepare_multimodal_messages

from recipes.common.dynamic_sampling import (
    PromptStream,
    Rollouts,
    group_rows,
    groups_per_process,
    informative_groups,
    pool_positions,
)

logger = logging.get_logger(__name__)
SKIP = "dynamic_sampling_skip"  # marks a generation batch with nothing to train


@dataclass
class DAPOConfig(GRPOConfig):
    dynamic_sampling: bool = field(default=True, metadata={"help": "drop groups whose accuracy outcomes are all equal"})
    dynamic_sampling_reward: str = field(
        default="accuracy_reward", metadata={"help": "the reward function (by name) whose outcomes decide"}
    )
    max_generation_rounds: int = field(default=8, metadata={
        "help": "generation rounds per batch before training on the informative groups found (0: no limit, "
                "verl's max_num_gen_batches: 0)"})
    on_no_informative_groups: str = field(default="skip", metadata={
        "help": "when the rounds found no informative group: 'skip' the optimiser step with a warning, or 'raise' "
                "(verl raises when max_num_gen_batches is reached)"})

    def __post_init__(self):
        super().__post_init__()
        if self.on_no_informative_groups not in ("skip", "raise"):
            raise ValueError(f"on_no_informative_groups must be 'skip' or 'raise', not "
                             f"{self.on_no_informative_groups!r}")


class DAPOTrainer(GRPOTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._replay: Rollouts | None = None
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
        if not hasattr(self.train_dataset, "__len__"):
            raise ValueError("dynamic sampling reads prompts by index: it needs a map-style dataset, not a stream")
        self._stream = PromptStream(len(self.train_dataset), self.args.generation_batch_size // self.num_generations,
                                    self.args.seed, self.shuffle_dataset)

    # -- the sampler --------------------------------------------------------------------------------------------
    def _generate_and_score_completions(self, inputs):
        if not (self.model.training and self.args.dynamic_sampling):
            return super()._generate_and_score_completions(inputs)
        # The dataloader only paces the steps: prompts come from the stream, which walks the sampler's order.
        self._replay = self._sample_informative()
        if self._replay is None:
            return {SKIP: torch.ones(self.args.steps_per_generation, device=self.accelerator.device)}
        tokens_seen = self.state.num_input_tokens_seen  # the rounds counted every token generated
        try:
            return super()._generate_and_score_completions(self._replay.inputs)
        finally:
            self._replay = None
            self.state.num_input_tokens_seen = tokens_seen
            self._metrics["train"]["num_tokens"] = [tokens_seen]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if SKIP in inputs:  # no forward pass and no gradient: the optimiser leaves every parameter as it is
            return torch.zeros((), device=self.accelerator.device, requires_grad=True)
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def _sample_informative(self) -> Rollouts | None:
        G, P, me = self.num_generations, self.accelerator.num_processes, self.accelerator.process_index
        target = self.args.generation_batch_size // G  # groups in a full batch, all processes together
        limit = self.args.max_generation_rounds
        pool, pooled, rounds, seen, correct, this_batch = [], 0, 0, 0, [], set()
        while pooled < target and (not limit or rounds < limit):
            prompts = self._stream.take(target, this_batch)
            prompts = prompts[:len(prompts) - len(prompts) % P]  # every process generates as many
            if not prompts:
                break  # every prompt of the training set is already in this batch
            this_batch.update(prompts)
            rounds += 1
            share = len(prompts) // P
            sampled, scores = self._sample_round([self.train_dataset[i] for i in prompts[me * share:(me + 1) * share]
                                                  for _ in range(G)])
            informative = informative_groups(scores, G)  # every process's groups, in process order
            seen += informative.numel()
            # Share right, whether the decider scores {0, 1} or DAPO's {-1, 1}; NaN (unscorable) is left out.
            correct.append(torch.nanmean(torch.where(scores.isnan(), scores, (scores > 0).float())).item())
            mine = informative.view(P, -1)[me]
            positions = pool_positions(informative, P, me, pooled)
            groups = mine.nonzero().flatten().tolist()
            pool += [(pos, sampled.select(group_rows(torch.arange(len(mine)) == g, G)))
                     for pos, g in zip(positions, groups, strict=True)]
            pooled += int(informative.sum())
        share = groups_per_process(pooled, target, P, G, self.args.steps_per_generation)
        kept = [(pos, group) for pos, group in pool if pos < share * P]
        everyone = gather_object(kept) if P > 1 else kept  # the pooled groups that will train, on every process
        metrics = self._metrics["train"]
        metrics["dynamic_sampling/generation_rounds"].append(rounds)
        metrics["dynamic_sampling/groups_filtered_frac"].append(1 - pooled / max(seen, 1))
        metrics["dynamic_sampling/prompts_consumed"].append(seen)
        metrics["dynamic_sampling/sampled_accuracy"].append(sum(correct) / max(len(correct), 1))
        metrics["dynamic_sampling/batch_fill"].append(share * P / target)
        flat = sum(int(not informative_groups(g.rewards[:, self._decider], G).all()) for _, g in everyone)
        metrics["dynamic_sampling/uninformative_groups_trained"].append(flat)
        metrics["dynamic_sampling/step_skipped"].append(float(share == 0))
        self.last_sampling = {"rounds": rounds, "groups_seen": seen, "groups_trained": share * P,
                              "uninformative_trained": flat}
        if share == 0:
            message = (f"dynamic sampling found no informative group in {rounds} rounds ({seen} groups): "
                       f"{'raising' if self.args.on_no_informative_groups == 'raise' else 'skipping the step'}; "
                       "the data may be too easy or too hard for the model, or raise max_generation_rounds")
            if self.args.on_no_informative_groups == "raise":
                raise RuntimeError(message)
            if self.accelerator.is_main_process:
                logger.warning(message)
            return None
        trained = Rollouts()
        for _, group in sorted((x for x in everyone if me * share <= x[0] < (me + 1) * share), key=lambda x: x[0]):
            trained = trained.extend(group)
        return trained

    def _sample_round(self, inputs: list[dict]) -> tuple[Rollouts, torch.Tensor]:
        prompts = [x["prompt"] for x in inputs]
        images = [x.get("images") for x in inputs] if "images" in inputs[0] else None
        if images is not None and not all(i == [] for i in images):
            prompts = [prepare_multimodal_messages(p, images=i) for p, i in zip(prompts, images, strict=True)]
        metrics = self._metrics["train"]
        before = {k: len(v) for k, v in metrics.items() if k.startswith("completions/")}
        _, completion_ids, _, completions, logprobs, _, _, _ = self._generate(prompts)
        for key in [k for k in metrics if k.startswith("completions/")]:  # these describe the sampled rounds
            metrics[f"dynamic_sampling/sampled_{key}"] += metrics[key][before.get(key, 0):]
            del metrics[key][before.get(key, 0):]
        rewards = self._calculate_rewards(inputs, prompts, completions, completion_ids)  # gathered over processes
        mine = rewards.view(self.accelerator.num_processes, len(inputs), -1)[self.accelerator.process_index]
        rollouts = Rollouts(list(inputs), list(completion_ids), None if logprobs is None else list(logprobs),
                            mine.cpu())
        return rollouts, rewards[:, self._decider]

    # -- replay of the kept rollouts through GRPOTrainer's own scoring path ------------------------------------
    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, *args, **kwargs):
        if self._replay is None:
            return super()._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations, *args,
                                                 **kwargs)
        return self._replay.completion_ids, self._replay.logprobs

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        if self._replay is None:
            return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self.accelerator.gather(self._replay.rewards.to(self.accelerator.device))

    # -- the prompt stream's cursor is saved with every checkpoint and restored on resume -----------------------
    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        if self.args.should_save and self.args.dynamic_sampling:
            folder = os.path.join(self._get_output_dir(trial=trial), f"checkpoint-{self.state.global_step}")
            with open(os.path.join(folder, "dynamic_sampling.json"), "w") as f:
                json.dump(self._stream.state_dict(), f)

    def _load_optimizer_and_scheduler(self, checkpoint):
        state = None if checkpoint is None else os.path.join(checkpoint, "dynamic_sampling.json")
        if self.args.dynamic_sampling and state is not None and os.path.exists(state):
            with open(state) as f:
                self._stream.load_state_dict(json.load(f))
        super()._load_optimizer_and_scheduler(checkpoint)
