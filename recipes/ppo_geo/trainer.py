"""PPO for VLMs on TRL's GRPOTrainer: a multimodal critic, GAE, value clipping, whitened advantages, an entropy
bonus, and a fixed or adaptive KL penalty in the reward. TRL's own PPOTrainer is text-only; GRPOTrainer already
samples, scores and computes PPO-clip on images, so only the advantages and the critic are added here.

Per generation batch: the score (weighted rewards) sits on the last token, minus kl_coef x KL(pi || ref) on every
token; the critic's values give GAE(gamma, lambda) advantages and returns. The policy loss is GRPOTrainer's
PPO-clip (token advantages); the value loss is PPO's clipped squared error, added with vf_coef. The critic's
parameters are a second group of the one optimizer (its own learning rate), so checkpoints hold both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
from safetensors.torch import load_file, save_file
from trl import GRPOConfig, GRPOTrainer

from recipes.common.advantages import gae, token_rewards, whiten
from recipes.common.critic import ValueModel
from recipes.common.token_rl import ScoredCompletionsMixin, post_init_allowing_one_generation


@dataclass
class PPOConfig(GRPOConfig):
    gamma: float = field(default=1.0, metadata={"help": "discount of the token-level rewards"})
    lam: float = field(default=0.95, metadata={"help": "GAE lambda"})
    vf_coef: float = field(default=0.5, metadata={"help": "weight of the value loss"})
    cliprange_value: float = field(default=0.2, metadata={"help": "value clipping around the rollout's values"})
    critic_learning_rate: float | None = field(default=None, metadata={"help": "default: learning_rate"})
    kl_coef: float = field(default=0.0, metadata={"help": "KL(pi || ref) penalty per token in the reward"})
    kl_target: float | None = field(default=None, metadata={"help": "adaptive KL: steer kl_coef to this KL"})
    kl_horizon: int = field(default=10000, metadata={"help": "adaptive KL controller horizon (Ziegler et al.)"})
    whiten_advantages: bool = True
    no_eos_penalty: float | None = field(default=None, metadata={"help": "score of a completion without EOS"})

    def __post_init__(self):
        post_init_allowing_one_generation(self, super().__post_init__)  # PPO has no groups
        if (self.kl_coef or self.kl_target) and not self.beta:
            raise ValueError("kl_coef / kl_target need the reference model: set beta > 0 (e.g. 1e-3; it also adds "
                             "GRPOTrainer's KL loss term, set it to the smallest value you accept)")


class PPOTrainer(ScoredCompletionsMixin, GRPOTrainer):
    def __init__(self, model, *args, **kwargs):
        if isinstance(model, str):
            raise ValueError("PPOTrainer takes a loaded model (recipes.common.launch loads it), not a path")
        # Copied before GRPOTrainer patches the policy's forward (its fused LM head would keep reading the
        # policy's head) and before PEFT wraps it: the critic is a full model, LoRA or not.
        critic = ValueModel(model)
        super().__init__(model, *args, **kwargs)
        if self.is_deepspeed_enabled:
            raise ValueError("ppo_geo: the critic is not sharded by DeepSpeed yet; use DDP or FSDP "
                             "(accelerate configs) or a GRPO-family recipe under ZeRO")
        self.critic = critic.to(self.accelerator.device)
        self.kl_coef = self.args.kl_coef

    # -- optimisation: the critic is a second parameter group of the trainer's optimizer -----------------------
    def create_optimizer(self, *args, **kwargs):
        optimizer = super().create_optimizer(*args, **kwargs)
        lr = self.args.critic_learning_rate or self.args.learning_rate
        optimizer.add_param_group({"params": [p for p in self.critic.parameters() if p.requires_grad], "lr": lr,
                                   "initial_lr": lr, "weight_decay": 0.0})
        return optimizer

    def training_step(self, model, inputs, num_items_in_batch=None):
        loss = super().training_step(model, inputs, num_items_in_batch)
        if self.accelerator.num_processes > 1:  # the critic is outside the DDP wrapper: average its gradients
            for p in self.critic.parameters():
                if p.grad is not None:
                    p.grad = self.accelerator.reduce(p.grad, reduction="mean")
        return loss

    # -- rollouts: GAE advantages from the critic ------------------------------------------------------------
    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return out
        mask = out["completion_mask"] * out.get("tool_mask", 1)
        scores = self._scores(out["completion_ids"], mask, self.args.no_eos_penalty, prefix="ppo")
        kl = None
        if self.kl_coef:
            kl = (self._policy_logps(out) - out["ref_per_token_logps"]) * mask  # k1, as in PPO-RLHF
            self._update_kl_coef(kl, mask)
        with torch.no_grad():
            values = self.critic(out, out["completion_ids"].size(1)) * mask
        advantages, returns = gae(token_rewards(scores, mask, kl, self.kl_coef), values, mask, self.args.gamma,
                                  self.args.lam)
        if self.args.whiten_advantages:
            advantages = whiten(advantages, mask, reduce=lambda t: self.accelerator.reduce(t, reduction="sum"))
        out.update(advantages=advantages, returns=returns, old_values=values)
        metrics = self._metrics["train"]
        value_mean = values.sum() / mask.sum().clamp(min=1)
        metrics["ppo/value_mean"].append(self.accelerator.gather(value_mean).mean().item())
        metrics["ppo/kl_coef"].append(self.kl_coef)
        return out

    def _update_kl_coef(self, kl: torch.Tensor, mask: torch.Tensor) -> None:
        mean_kl = self.accelerator.reduce(kl.sum(dim=1).mean(), reduction="mean").item()
        self._metrics["train"]["ppo/kl"].append(mean_kl)
        if self.args.kl_target:
            n = mask.size(0) * self.accelerator.num_processes
            self.kl_coef = adaptive_kl_coef(self.kl_coef, mean_kl, self.args.kl_target, n, self.args.kl_horizon)

    # -- loss: PPO-clip (GRPOTrainer, token advantages, entropy bonus) + clipped value loss --------------------
    def _compute_loss(self, model, inputs):
        loss = super()._compute_loss(model, inputs)
        if not self.model.training:
            return loss
        mask = inputs["completion_mask"] * inputs.get("tool_mask", 1)
        values = self.critic(inputs, inputs["completion_ids"].size(1))
        vloss = value_loss(values, inputs["old_values"], inputs["returns"], mask, self.args.cliprange_value)
        self._metrics["train"]["ppo/value_loss"].append(self.accelerator.gather(vloss.detach()).mean().item())
        return loss + self.args.vf_coef * vloss / self.current_gradient_accumulation_steps

    # -- the critic is saved with every checkpoint and restored on resume ---------------------------------------
    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial=trial), f"checkpoint-{self.state.global_step}")
            save_file({k: v.contiguous() for k, v in self.critic.state_dict().items()},
                      os.path.join(folder, "critic.safetensors"))

    def _load_optimizer_and_scheduler(self, checkpoint):
        if checkpoint is not None and os.path.exists(os.path.join(checkpoint, "critic.safetensors")):
            self.critic.load_state_dict(load_file(os.path.join(checkpoint, "critic.safetensors")))
        super()._load_optimizer_and_scheduler(checkpoint)


def adaptive_kl_coef(coef: float, mean_kl: float, target: float, n_samples: int, horizon: int) -> float:
    """Ziegler et al.'s controller: move the coefficient toward the one that makes the mean sequence KL hit
    `target`, by at most 20 % of n_samples / horizon per update."""
    error = max(-0.2, min(0.2, mean_kl / target - 1))
    return coef * (1 + error * n_samples / horizon)


def value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
               clip: float) -> torch.Tensor:
    """PPO's clipped value loss: 0.5 x max((V - R)^2, (V_old + clip(V - V_old, +-clip) - R)^2), token mean."""
    clipped = old_values + (values - old_values).clamp(-clip, clip)
    per_token = torch.max((values - returns) ** 2, (clipped - returns) ** 2)
    return 0.5 * (per_token * mask).sum() / mask.sum().clamp(min=1)
