"""PPO for VLMs on TRL's GRPOTrainer: a multimodal critic, GAE, value clipping, whitened advantages, an entropy
bonus, and a fixed or adaptive KL penalty in the reward. TRL's own PPOTrainer is text-only; GRPOTrainer already
samples, scores and computes PPO-clip on images, so only the advantages and the critic are added here.

Per generation batch: the score (weighted rewards) sits on the last token, minus kl_coef x KL(pi || ref) on every
token; the critic's values give GAE(gamma, lambda) advantages and returns. The policy loss is GRPOTrainer's
PPO-clip (token advantages); the value loss is PPO's clipped squared error, added with vf_coef. The critic's
parameters are a second group of the one optimizer (its own learning rate and gradient clipping), so checkpoints
hold both; the KL coefficient is checkpointed beside the critic. Under DeepSpeed the critic is a second engine with
the same ZeRO config (recipes.common.critic.deepspeed_engine), as in OpenRLHF.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import torch
from safetensors.torch import load_file, save_file
from transformers import TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from recipes.common.advantages import gae, token_rewards, whiten
from recipes.common.critic import ValueModel, deepspeed_engine
from recipes.common.token_rl import ScoredCompletionsMixin, post_init_allowing_one_generation, refuse_tools


@dataclass
class PPOConfig(GRPOConfig):
    gamma: float = field(default=1.0, metadata={"help": "discount of the token-level rewards"})
    lam: float = field(default=1.0, metadata={"help": "GAE lambda (verl and OpenRLHF default: 1.0)"})
    vf_coef: float = field(default=0.5, metadata={"help": "weight of the value loss"})
    cliprange_value: float = field(default=0.5, metadata={
        "help": "value clipping around the rollout's values (verl and OpenRLHF default: 0.5)"})
    critic_learning_rate: float | None = field(default=None, metadata={"help": "default: learning_rate"})
    critic_max_grad_norm: float | None = field(default=None, metadata={
        "help": "gradient clipping of the critic (default: max_grad_norm; 0 turns it off)"})
    kl_coef: float = field(default=0.0, metadata={"help": "KL(pi || ref) penalty per token in the reward"})
    kl_target: float | None = field(default=None, metadata={
        "help": "adaptive KL: steer kl_coef so the mean per-token KL hits this (verl's target_kl: 0.1)"})
    kl_horizon: int = field(default=10000, metadata={"help": "adaptive KL controller horizon (Ziegler et al.)"})
    kl_start_coef: float = field(default=0.01, metadata={
        "help": "adaptive KL from kl_coef 0: the coefficient it starts at once the KL exceeds kl_target"})
    whiten_advantages: bool = True
    no_eos_penalty: float | None = field(default=None, metadata={"help": "score of a completion without EOS"})

    def __post_init__(self):
        post_init_allowing_one_generation(self, super().__post_init__)  # PPO has no groups
        if (self.kl_coef or self.kl_target) and not self.beta:
            raise ValueError("kl_coef / kl_target need the reference model: set beta > 0 (e.g. 1e-3; it also adds "
                             "GRPOTrainer's KL loss term, set it to the smallest value you accept)")
        if self.critic_max_grad_norm is None:
            self.critic_max_grad_norm = self.max_grad_norm


class PPOTrainer(ScoredCompletionsMixin, GRPOTrainer):
    def __init__(self, model, *args, **kwargs):
        refuse_tools(type(self).__name__, kwargs)
        if isinstance(model, str):
            raise ValueError("PPOTrainer takes a loaded model (recipes.common.launch loads it), not a path")
        # Copied before GRPOTrainer patches the policy's forward (its fused LM head would keep reading the
        # policy's head) and before PEFT wraps it: the critic is a full model, LoRA or not.
        critic = ValueModel(model)
        super().__init__(model, *args, **kwargs)
        self.critic = critic.to(self.accelerator.device)
        self.critic_engine = None  # DeepSpeed only: built with the policy's engine, when the step count is known
        self._critic_checkpoint: str | None = None
        self.kl_coef = self.args.kl_coef
        self._measured_kl: tuple[float, int] | None = None  # the last batch's KL, applied after its step
        self.add_callback(_AroundOptimizerStep(self))

    # -- optimisation: the critic is a second parameter group of the trainer's optimizer -----------------------
    def create_optimizer(self, *args, **kwargs):
        optimizer = super().create_optimizer(*args, **kwargs)
        if self.is_deepspeed_enabled:  # the critic has an engine of its own
            return optimizer
        lr = self.args.critic_learning_rate or self.args.learning_rate
        optimizer.add_param_group({"params": [p for p in self.critic.parameters() if p.requires_grad], "lr": lr,
                                   "initial_lr": lr, "weight_decay": 0.0})
        return optimizer

    def _prepare_for_training(self, max_steps, train_dataloader, resume_from_checkpoint):
        prepared = super()._prepare_for_training(max_steps, train_dataloader, resume_from_checkpoint)
        if self.is_deepspeed_enabled and self.critic_engine is None:
            self.critic_engine = deepspeed_engine(self.critic, self, max_steps)
            if self._critic_checkpoint:
                self.critic_engine.load_checkpoint(self._critic_checkpoint)
        return prepared

    def _critic_values(self, inputs) -> torch.Tensor:
        return (self.critic_engine or self.critic)(inputs, inputs["completion_ids"].size(1))

    def _critic_gradients_ready(self) -> None:
        """Before the optimiser step: average the critic's gradients over processes (it is outside the DDP
        wrapper), clip them with their own norm (OpenRLHF's --critic.max_norm, verl's critic.grad_clip), log it.
        Under DeepSpeed the critic's engine does all three in its own step."""
        if self.critic_engine is not None:
            return
        grads = [p for p in self.critic.parameters() if p.grad is not None]
        if not grads:
            return
        if self.accelerator.num_processes > 1:
            for p in grads:
                p.grad = self.accelerator.reduce(p.grad, reduction="mean")
        limit = self.args.critic_max_grad_norm or float("inf")
        norm = torch.nn.utils.clip_grad_norm_(grads, limit)
        self._metrics["train"]["ppo/critic_grad_norm"].append(norm.item())

    def _update_kl_coef(self) -> None:
        """After the step that trained on a batch, as OpenRLHF does (ppo_trainer.py: kl_ctl.update after
        ppo_train): that batch's rewards used the coefficient from before."""
        if self._measured_kl is None or not self.args.kl_target:
            return
        mean_kl, n = self._measured_kl
        self._measured_kl = None
        self.kl_coef = adaptive_kl_coef(self.kl_coef, mean_kl, self.args.kl_target, n, self.args.kl_horizon,
                                        self.args.kl_start_coef)

    # -- rollouts: GAE advantages from the critic ------------------------------------------------------------
    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return out
        mask = out["completion_mask"]
        scores = self._scores(out["completion_ids"], mask, self.args.no_eos_penalty, prefix="ppo")
        scored = ~scores.isnan()
        counted = mask * scored[:, None]  # unscorable rows: advantage 0, no value target
        kl = None
        if self.kl_coef or self.args.kl_target:
            kl = (self._policy_logps(out) - out["ref_per_token_logps"]) * mask  # k1, as in PPO-RLHF
            self._measure_kl(kl, mask)
        with torch.no_grad():
            values = self._critic_values(out) * mask
        advantages, returns = gae(token_rewards(scores.nan_to_num(0.0), counted, kl, self.kl_coef), values, counted,
                                  self.args.gamma, self.args.lam)
        if self.args.whiten_advantages:
            advantages = whiten(advantages, counted, reduce=lambda t: self.accelerator.reduce(t, reduction="sum"))
        out.update(advantages=advantages, returns=returns, old_values=values, scored=scored)
        metrics = self._metrics["train"]
        value_mean = values.sum() / mask.sum().clamp(min=1)
        metrics["ppo/value_mean"].append(self.accelerator.gather(value_mean).mean().item())
        metrics["ppo/kl_coef"].append(self.kl_coef)  # the coefficient these rewards used
        self._log_token_advantages(advantages, mask)
        return out

    def _measure_kl(self, kl: torch.Tensor, mask: torch.Tensor) -> None:
        """The batch's KL as verl and OpenRLHF measure it for the controller: each sequence's mean per-token KL,
        averaged over the batch of every process."""
        per_sequence = kl.sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        mean_kl = self.accelerator.gather(per_sequence).mean().item()
        self._metrics["train"]["ppo/kl"].append(mean_kl)
        self._measured_kl = (mean_kl, mask.size(0) * self.accelerator.num_processes)

    # -- loss: PPO-clip (GRPOTrainer, token advantages, entropy bonus) + clipped value loss --------------------
    def _compute_loss(self, model, inputs):
        loss = super()._compute_loss(model, inputs)
        if not self.model.training:
            return loss
        mask = inputs["completion_mask"] * inputs["scored"][:, None]
        values = self._critic_values(inputs)
        vloss = value_loss(values, inputs["old_values"], inputs["returns"], mask, self.args.cliprange_value)
        self._metrics["train"]["ppo/value_loss"].append(self.accelerator.gather(vloss.detach()).mean().item())
        weighted = self.args.vf_coef * vloss / self.current_gradient_accumulation_steps
        if self.critic_engine is not None:
            self._critic_engine_step(weighted)
            weighted = weighted.detach()  # logged in the loss as under DDP; its gradients are already taken
        return loss + weighted

    def _critic_engine_step(self, weighted_value_loss: torch.Tensor) -> None:
        """What the HF Trainer and accelerate's DeepSpeedEngineWrapper do for the policy's engine, for the critic's:
        the loss comes already divided by the current accumulation steps (scale_wrt_gas off, as the Trainer sets it,
        so a short last accumulation is scaled as under DDP); the engine clips and steps at the boundary."""
        engine, boundary = self.critic_engine, self.accelerator.sync_gradients
        engine.set_gradient_accumulation_boundary(is_boundary=boundary)
        engine.backward(weighted_value_loss, scale_wrt_gas=False)
        if boundary:
            engine.step()
            self._metrics["train"]["ppo/critic_grad_norm"].append(float(engine.get_global_grad_norm() or 0.0))

    # -- the critic and the KL coefficient are saved with every checkpoint and restored on resume ---------------
    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        folder = os.path.join(self._get_output_dir(trial=trial), f"checkpoint-{self.state.global_step}")
        if self.critic_engine is not None:  # every rank writes its ZeRO shard
            self.critic_engine.save_checkpoint(os.path.join(folder, "critic"))
        if self.args.should_save:
            if self.critic_engine is None:
                save_file({k: v.contiguous() for k, v in self.critic.state_dict().items()},
                          os.path.join(folder, "critic.safetensors"))
            with open(os.path.join(folder, "ppo_state.json"), "w") as f:
                json.dump({"kl_coef": self.kl_coef}, f)

    def _load_optimizer_and_scheduler(self, checkpoint):
        if checkpoint is not None and os.path.isdir(os.path.join(checkpoint, "critic")):
            self._critic_checkpoint = os.path.join(checkpoint, "critic")  # loaded into its engine once built
        if checkpoint is not None and os.path.exists(os.path.join(checkpoint, "critic.safetensors")):
            self.critic.load_state_dict(load_file(os.path.join(checkpoint, "critic.safetensors")))
        if checkpoint is not None and os.path.exists(os.path.join(checkpoint, "ppo_state.json")):
            with open(os.path.join(checkpoint, "ppo_state.json")) as f:
                self.kl_coef = json.load(f)["kl_coef"]
        super()._load_optimizer_and_scheduler(checkpoint)


class _AroundOptimizerStep(TrainerCallback):
    """The trainer loop's hooks around the optimiser step: critic gradients before it, the KL controller after."""

    def __init__(self, trainer: PPOTrainer):
        self.trainer = trainer

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        self.trainer._critic_gradients_ready()

    def on_step_end(self, args, state, control, **kwargs):
        self.trainer._update_kl_coef()


def adaptive_kl_coef(coef: float, mean_kl: float, target: float, n_samples: int, horizon: int,
                     start: float = 0.0) -> float:
    """Ziegler et al.'s controller (OpenRLHF's and verl's AdaptiveKLController): move the coefficient toward the
    one that makes the mean KL hit `target`, by at most 20 % of n_samples / horizon per update. A multiplicative
    update cannot leave 0, so a coefficient of 0 jumps to `start` the first time the KL exceeds the target."""
    if not coef and mean_kl > target:
        coef = start
    error = max(-0.2, min(0.2, mean_kl / target - 1))
    return coef * (1 + error * n_samples / horizon)


def value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
               clip: float) -> torch.Tensor:
    """PPO's clipped value loss: 0.5 x max((V - R)^2, (V_old + clip(V - V_old, +-clip) - R)^2), token mean."""
    clipped = old_values + (values - old_values).clamp(-clip, clip)
    per_token = torch.max((values - returns) ** 2, (clipped - returns) ** 2)
    return 0.5 * (per_token * mask).sum() / mask.sum().clamp(min=1)
