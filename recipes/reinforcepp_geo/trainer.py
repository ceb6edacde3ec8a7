"""Reinforce++ (MAYE's algorithm) on TRL's GRPOTrainer: token-level returns instead of group-relative advantages.

The score (weighted sum of the rewards) sits on the last token, optionally minus a per-token k3 KL reward; returns
are discounted with gamma and whitened over the whole generation batch (every process); the loss is GRPOTrainer's
PPO-clip loss with its k3 KL term (`beta`, MAYE's kl_loss_coeff). `advantage_baseline: group` subtracts each
prompt's mean score first (Reinforce++-baseline).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig, GRPOTrainer

from recipes.common.advantages import discounted_returns, k3, token_rewards, whiten
from recipes.common.token_rl import ScoredCompletionsMixin, post_init_allowing_one_generation


@dataclass
class ReinforcePPConfig(GRPOConfig):
    gamma: float = field(default=1.0, metadata={"help": "discount of the token-level returns (MAYE: 1.0)"})
    kl_reward_coef: float = field(default=0.0, metadata={"help": "beta_rew: per-token k3 KL reward (MAYE: 0)"})
    advantage_baseline: str = field(default="none", metadata={"help": "'none' (Reinforce++) or 'group' (-baseline)"})
    no_eos_penalty: float | None = field(
        default=None, metadata={"help": "score of a completion that never emitted EOS (MAYE's no-EOS penalty)"}
    )

    def __post_init__(self):
        post_init_allowing_one_generation(self, super().__post_init__)  # plain Reinforce++: one sample a prompt
        if self.advantage_baseline not in ("none", "group"):
            raise ValueError(f"advantage_baseline must be 'none' or 'group', not {self.advantage_baseline!r}")
        if self.advantage_baseline == "group" and self.num_generations < 2:
            raise ValueError("advantage_baseline: group needs num_generations >= 2 (a group to average over)")
        if self.kl_reward_coef and not self.beta:
            raise ValueError("kl_reward_coef needs the reference model: set beta > 0 (MAYE uses 0.001)")


class ReinforcePPTrainer(ScoredCompletionsMixin, GRPOTrainer):
    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return out
        mask = out["completion_mask"] * out.get("tool_mask", 1)
        scores = self._scores(out["completion_ids"], mask, self.args.no_eos_penalty,
                              group=self.args.advantage_baseline == "group", prefix="reinforce_pp")
        kl = k3(self._policy_logps(out), out["ref_per_token_logps"]) if self.args.kl_reward_coef else None
        returns = discounted_returns(token_rewards(scores, mask, kl, self.args.kl_reward_coef), mask, self.args.gamma)
        out["advantages"] = whiten(returns, mask, reduce=lambda t: self.accelerator.reduce(t, reduction="sum"))
        return out
