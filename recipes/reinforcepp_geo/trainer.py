"""Reinforce++ (MAYE's algorithm) on TRL's GRPOTrainer: token-level returns instead of group-relative advantages.

The score (weighted sum of the rewards) sits on the last token, optionally minus a per-token k3 KL reward; returns
are discounted with gamma and whitened over the whole generation batch (every process); the loss is GRPOTrainer's
PPO-clip loss with its k3 KL term (`beta`, MAYE's kl_loss_coeff). `advantage_baseline: group` subtracts each
prompt's mean score first (Reinforce++-baseline).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from trl import GRPOConfig, GRPOTrainer

from recipes.common.advantages import discounted_returns, group_baseline, k3, token_rewards, whiten
from rewards.length import apply_no_eos_penalty


@dataclass
class ReinforcePPConfig(GRPOConfig):
    gamma: float = field(default=1.0, metadata={"help": "discount of the token-level returns (MAYE: 1.0)"})
    kl_reward_coef: float = field(default=0.0, metadata={"help": "beta_rew: per-token k3 KL reward (MAYE: 0)"})
    advantage_baseline: str = field(default="none", metadata={"help": "'none' (Reinforce++) or 'group' (-baseline)"})
    no_eos_penalty: float | None = field(
        default=None, metadata={"help": "score of a completion that never emitted EOS (MAYE's no-EOS penalty)"}
    )

    def __post_init__(self):
        # Plain Reinforce++ samples one response per prompt; TRL's config insists on groups of at least 2.
        single = self.num_generations == 1
        if single:
            self.num_generations = 2
        super().__post_init__()
        if single:
            self.num_generations = 1
        if self.advantage_baseline not in ("none", "group"):
            raise ValueError(f"advantage_baseline must be 'none' or 'group', not {self.advantage_baseline!r}")
        if self.advantage_baseline == "group" and self.num_generations < 2:
            raise ValueError("advantage_baseline: group needs num_generations >= 2 (a group to average over)")
        if self.kl_reward_coef and not self.beta:
            raise ValueError("kl_reward_coef needs the reference model: set beta > 0 (MAYE uses 0.001)")


class ReinforcePPTrainer(GRPOTrainer):
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._gathered_rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._gathered_rewards

    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return out
        mask = out["completion_mask"] * out.get("tool_mask", 1)
        scores = self._scores(out["completion_ids"], mask)
        kl = None
        if self.args.kl_reward_coef:
            old = out.get("old_per_token_logps")
            kl = k3(self._policy_logps(out) if old is None else old, out["ref_per_token_logps"])
        returns = discounted_returns(token_rewards(scores, mask, kl, self.args.kl_reward_coef), mask, self.args.gamma)
        out["advantages"] = whiten(returns, mask, reduce=lambda t: self.accelerator.reduce(t, reduction="sum"))
        self._metrics["train"]["reinforce_pp/score_mean"].append(self.accelerator.gather(scores).mean().item())
        return out

    def _scores(self, completion_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """This process's sequence scores: weighted reward sum, no-EOS penalty, optional group baseline."""
        weights = self.reward_weights.to(self._gathered_rewards.device)
        scores = (self._gathered_rewards * weights).nansum(dim=1)  # every process's rows
        eos = torch.tensor(self.eos_token_ids, device=completion_ids.device)
        ended = self.accelerator.gather((torch.isin(completion_ids, eos) & mask.bool()).any(dim=1))
        self._metrics["train"]["reinforce_pp/no_eos_frac"].append(1 - ended.float().mean().item())
        if self.args.no_eos_penalty is not None:
            scores = scores.new_tensor(apply_no_eos_penalty(scores.tolist(), ended.tolist(), self.args.no_eos_penalty))
        if self.args.advantage_baseline == "group":
            scores = group_baseline(scores, self.num_generations)
        n = completion_ids.size(0)
        return scores[self.accelerator.process_index * n:(self.accelerator.process_index + 1) * n]

    @torch.no_grad()
    def _policy_logps(self, out: dict) -> torch.Tensor:
        """The sampling policy's per-token log-probs, when GRPOTrainer skipped them (on-policy steps)."""
        keys = ("pixel_values", "image_grid_thw", "num_images", "pixel_attention_mask", "image_sizes", "num_tiles",
                "token_type_ids", "mm_token_type_ids", "spatial_shapes", "image_position_ids")
        logps, _, _ = self._get_per_token_logps_and_entropies(
            self.model, torch.cat([out["prompt_ids"], out["completion_ids"]], dim=1),
            torch.cat([out["prompt_mask"], out["completion_mask"]], dim=1), out["completion_ids"].size(1),
            batch_size=self.args.per_device_train_batch_size, **{k: out[k] for k in keys if k in out})
        return logps
