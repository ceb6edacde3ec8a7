"""What the token-level RL trainers (Reinforce++, PPO) share on top of TRL's GRPOTrainer: one scalar score per
completion from the weighted rewards, the sampling policy's log-probs when TRL skipped them, and configs that
allow one sample per prompt (TRL insists on groups of at least 2)."""

from __future__ import annotations

import torch

from recipes.common.advantages import group_baseline
from rewards.length import apply_no_eos_penalty

# The multimodal inputs GRPOTrainer keeps with a generation batch (only those the processor made are present).
MULTIMODAL_KEYS = ("pixel_values", "image_grid_thw", "num_images", "pixel_attention_mask", "image_sizes", "num_tiles",
                   "token_type_ids", "mm_token_type_ids", "spatial_shapes", "image_position_ids")


def post_init_allowing_one_generation(config, parent_post_init) -> None:
    """Run GRPOConfig's checks with num_generations >= 2, then restore 1 (no groups: plain Reinforce++, PPO)."""
    single = config.num_generations == 1
    if single:
        config.num_generations = 2
    parent_post_init()
    if single:
        config.num_generations = 1


def refuse_tools(trainer: str, kwargs: dict) -> None:
    """Tool and environment tokens would be masked out of the loss, but rewards, returns and KL across them have not
    been checked against a reference yet: refuse them before anything is built, rather than train on them."""
    if kwargs.get("tools") or kwargs.get("environment_factory") is not None or kwargs.get("rollout_func") is not None:
        raise ValueError(f"{trainer} does not support tools, environment_factory or rollout_func yet; use a "
                         "GRPO-family recipe (grpo_geo) for tool use")


class ScoredCompletionsMixin:
    """For a GRPOTrainer subclass: `_scores` gives this process's per-completion scores, `_policy_logps` the
    sampling policy's per-token log-probs."""

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._gathered_rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._gathered_rewards

    def _scores(self, completion_ids: torch.Tensor, mask: torch.Tensor, no_eos_penalty: float | None = None,
                group: bool = False, prefix: str = "scores") -> torch.Tensor:
        """Weighted reward sum, then the no-EOS penalty, then (group=True) each prompt's mean score subtracted.

        A row any reward could not score (None, e.g. a gold the verifier cannot read) is NaN: its score is not
        defined, so it must not train as a wrong answer (TRL's GRPOTrainer gives such rows advantage 0). The no-EOS
        penalty judges the response alone, so a cut-off response still scores it (MAYE)."""
        weights = self.reward_weights.to(self._gathered_rewards.device)
        scores = (self._gathered_rewards * weights).sum(dim=1)  # every process's rows; NaN where a reward is None
        eos = torch.tensor(self.eos_token_ids, device=completion_ids.device)
        ended = self.accelerator.gather((torch.isin(completion_ids, eos) & mask.bool()).any(dim=1))
        metrics = self._metrics["train"]
        metrics[f"{prefix}/no_eos_frac"].append(1 - ended.float().mean().item())
        if no_eos_penalty is not None:
            scores = scores.new_tensor(apply_no_eos_penalty(scores.tolist(), ended.tolist(), no_eos_penalty))
        metrics[f"{prefix}/unscorable_frac"].append(scores.isnan().float().mean().item())
        metrics[f"{prefix}/score_mean"].append(scores.nanmean().nan_to_num(0.0).item())
        if group:
            scores = group_baseline(scores, self.num_generations)
        n = completion_ids.size(0)
        return scores[self.accelerator.process_index * n:(self.accelerator.process_index + 1) * n]

    def _log_token_advantages(self, advantages: torch.Tensor, mask: torch.Tensor) -> None:
        """TRL logged group statistics these trainers do not use: with one sample per prompt there are no groups,
        so `frac_reward_zero_std` goes, and the completions table shows each row's mean token advantage instead of
        TRL's group advantage."""
        if self.num_generations == 1:
            self._metrics["train"].pop("frac_reward_zero_std", None)
        per_row = (advantages * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        rows = self.accelerator.gather(per_row).tolist()
        logged = self._logs["advantages"]
        for _ in range(min(len(rows), len(logged))):
            logged.pop()
        logged.extend(rows)

    @torch.no_grad()
    def _policy_logps(self, out: dict) -> torch.Tensor:
        """The sampling policy's per-token log-probs: TRL's own when it kept them (off-policy steps), else
        computed once here (on-policy steps, where TRL skips them)."""
        if out.get("old_per_token_logps") is not None:
            return out["old_per_token_logps"]
        logps, _, _ = self._get_per_token_logps_and_entropies(
            self.model, torch.cat([out["prompt_ids"], out["completion_ids"]], dim=1),
            torch.cat([out["prompt_mask"], out["completion_mask"]], dim=1), out["completion_ids"].size(1),
            batch_size=self.args.per_device_train_batch_size, **{k: out[k] for k in MULTIMODAL_KEYS if k in out})
        return logps
