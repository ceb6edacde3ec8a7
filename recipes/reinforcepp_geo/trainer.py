"""Reinforce++ (MAYE's algorithm) on TRL's GRPOTrainer: token-level returns instead of group-relative advantages.

The score (weighted sum of the rewards) sits on the last token, optionally minus a per-token k3 KL reward; returns
are discounted with gamma and whitened over the generation batch; the loss is GRPOTrainer's PPO-clip loss with its
k3 KL term (`beta`, MAYE's kl_loss_coeff). `advantage_baseline: group` subtracts each prompt's mean score first
(Reinforce++-baseline). `whitening: maye` and `loss_type: bnpo` reproduce MAYE's code (see config.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig, GRPOTrainer

from recipes.common.advantages import discounted_returns, k3, token_rewards, whiten
from recipes.common.token_rl import ScoredCompletionsMixin, post_init_allowing_one_generation, refuse_tools

WHITENING = {
    # OpenRLHF (experience_maker.py): the whole generation batch on every process, population variance, mean removed
    "batch": dict(per_process=False, unbiased=False, shift_mean=False),
    # MAYE's code (maye/rlhf/rewards.py `whiten`, called per rank): each process's own batch, unbiased variance,
    # mean added back
    "maye": dict(per_process=True, unbiased=True, shift_mean=True),
}


@dataclass
class ReinforcePPConfig(GRPOConfig):
    gamma: float = field(default=1.0, metadata={"help": "discount of the token-level returns (MAYE: 1.0)"})
    kl_reward_coef: float = field(default=0.0, metadata={"help": "beta_rew: per-token k3 KL reward (MAYE: 0)"})
    advantage_baseline: str = field(default="none", metadata={"help": "'none' (Reinforce++) or 'group' (-baseline)"})
    no_eos_penalty: float | None = field(
        default=None, metadata={"help": "score of a completion that never emitted EOS (MAYE's no-EOS penalty)"}
    )
    whitening: str = field(default="batch", metadata={
        "help": "'batch' (OpenRLHF: whole generation batch, mean removed) or 'maye' (MAYE's code: per process, "
                "unbiased variance, mean added back)"})

    def __post_init__(self):
        post_init_allowing_one_generation(self, super().__post_init__)  # plain Reinforce++: one sample a prompt
        if self.advantage_baseline not in ("none", "group"):
            raise ValueError(f"advantage_baseline must be 'none' or 'group', not {self.advantage_baseline!r}")
        if self.advantage_baseline == "group" and self.num_generations < 2:
            raise ValueError("advantage_baseline: group needs num_generations >= 2 (a group to average over)")
        if self.kl_reward_coef and not self.beta:
            raise ValueError("kl_reward_coef needs the reference model: set beta > 0 (MAYE uses 0.001)")
        if self.whitening not in WHITENING:
            raise ValueError(f"whitening must be one of {sorted(WHITENING)}, not {self.whitening!r}")


class ReinforcePPTrainer(ScoredCompletionsMixin, GRPOTrainer):
    def __init__(self, *args, **kwargs):
        refuse_tools(type(self).__name__, kwargs)
        super().__init__(*args, **kwargs)

    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return out
        mask = out["completion_mask"]
        scores = self._scores(out["completion_ids"], mask, self.args.no_eos_penalty,
                              group=self.args.advantage_baseline == "group", prefix="reinforce_pp")
        counted = mask * ~scores.isnan()[:, None]  # unscorable rows: advantage 0, outside the whitening statistics
        kl = k3(self._policy_logps(out), out["ref_per_token_logps"]) if self.args.kl_reward_coef else None
        returns = discounted_returns(token_rewards(scores.nan_to_num(0.0), counted, kl, self.args.kl_reward_coef),
                                     counted, self.args.gamma)
        how = WHITENING[self.args.whitening]
        reduce = None if how["per_process"] else (lambda t: self.accelerator.reduce(t, reduction="sum"))
        out["advantages"] = whiten(returns, counted, reduce=reduce, unbiased=how["unbiased"],
                                   shift_mean=how["shift_mean"])
        self._log_token_advantages(out["advantages"], mask)
        return out
