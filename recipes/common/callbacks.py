"""Training-time view of the MAYE evaluation metrics: response length and reflection ratios of each rollout batch."""

from __future__ import annotations

from transformers import TrainerCallback

from core.reflection import reflection_metrics


class ReflectionCallback(TrainerCallback):
    """Reads the latest rollouts GRPOTrainer keeps for its completions table and adds, per logged step,
    `reflection/*` ratios and `completions/mean_chars`; correctness is the accuracy reward's score > 0."""

    def __init__(self, trainer, accuracy_name: str = "accuracy_reward"):
        self.trainer, self.accuracy_name = trainer, accuracy_name

    def on_step_end(self, args, state, control, **kwargs):
        logs = getattr(self.trainer, "_logs", None)
        if not logs or not logs["completion"]:
            return
        texts = [c[-1]["content"] if isinstance(c, list) else str(c) for c in logs["completion"]]
        scores = logs["rewards"].get(self.accuracy_name)
        if not scores or len(scores) != len(texts):
            scores = [0.0] * len(texts)
        correct = [bool(s == s and s > 0) for s in scores]  # s == s: NaN (unscorable) counts as not correct
        m = reflection_metrics(texts, correct)
        metrics = self.trainer._metrics["train"]
        metrics["completions/mean_chars"].append(sum(map(len, texts)) / len(texts))
        for key in ("reflection_ratio", "reflection_ratio_in_correct_answers", "reflection_ratio_in_incorrect_answers",
                    "correct_ratio_in_reflection_texts", "correct_ratio_in_no_reflection_texts"):
            metrics[f"reflection/{key}"].append(m[key])


class ReplicaCheckCallback(TrainerCallback):
    """Multi-process runs: at every save step and the last step, gather a checksum of each process's trainable
    parameters and log `replicas/checksum_spread` (max - min over processes; 0 when the replicas agree). A rank
    that skipped or doubled an update shows up here instead of in a silently worse model."""

    def __init__(self, trainer):
        self.trainer = trainer

    def on_step_end(self, args, state, control, **kwargs):
        save_step = args.save_strategy == "steps" and args.save_steps and state.global_step % args.save_steps == 0
        if not (save_step or state.global_step >= state.max_steps):
            return
        import torch

        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        params = [p for p in model.parameters() if p.requires_grad]
        if any(hasattr(p, "ds_id") for p in params):
            return  # ZeRO-3: each process holds empty placeholders and a shard; gathered, every process sees the same
        # FSDP2 parameters are sharded DTensors, which the gather below cannot take: checksum their full tensors
        params = [(p.full_tensor() if hasattr(p, "full_tensor") else p).detach().double() for p in params]
        # weight each tensor by its position, so two swapped updates do not cancel out
        checksum = sum((i + 1) * (p.sum() + p.square().sum()) for i, p in enumerate(params))
        every = self.trainer.accelerator.gather(torch.as_tensor(checksum, device=self.trainer.accelerator.device)[None])
        self.trainer._metrics["train"]["replicas/checksum_spread"].append((every.max() - every.min()).item())
