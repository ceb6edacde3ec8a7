"""A multimodal critic for PPO: a copy of the policy VLM (vision tower, connector, language model) whose LM head is
replaced by a scalar value head, so images flow through the critic exactly as through the policy.

A separate critic, not a value head on the policy's trunk: policy and value gradients do not fight over shared
weights (the instability of shared-trunk PPO on LLMs that OpenRLHF and verl avoid the same way). The price is a
second model: its weights, gradients and Adam states roughly double the memory of full fine-tuning (for a 2B VLM
in bf16 with fp32 Adam: about +16 GB before ZeRO sharding, which divides it like the policy's).
"""

from __future__ import annotations

import contextlib
import copy

import torch
from torch import nn

from recipes.common.token_rl import MULTIMODAL_KEYS


class ValueModel(nn.Module):
    def __init__(self, policy: nn.Module):
        super().__init__()
        with whole_parameters(policy):  # under ZeRO-3 the policy was loaded sharded (zero.Init); see whole_parameters
            self.backbone = copy.deepcopy(policy)
        hidden = self.backbone.config.get_text_config().hidden_size
        head = nn.Linear(hidden, 1, dtype=self.backbone.lm_head.weight.dtype)
        nn.init.zeros_(head.weight)  # values start at 0: the first advantages are the plain returns
        nn.init.zeros_(head.bias)
        self.backbone.lm_head = head
        self.backbone.config.tie_word_embeddings = False

    def forward(self, inputs: dict, logits_to_keep: int) -> torch.Tensor:
        """V(s_t) for each of the last `logits_to_keep` tokens: the value of the state before that token, read from
        the position that predicts it (the same alignment as the policy's log-probs)."""
        model_inputs = {k: inputs[k] for k in MULTIMODAL_KEYS if inputs.get(k) is not None
                        and k not in ("num_images", "num_tiles")}
        out = self.backbone(input_ids=torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1),
                            attention_mask=torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1),
                            logits_to_keep=logits_to_keep + 1, **model_inputs)
        return out.logits[:, :-1, 0].float()


def whole_parameters(module: nn.Module):
    """Gathers ZeRO-3 shards for the duration (read only): a copy of a sharded parameter is an empty tensor. The
    whole policy is gathered at once, and the copy stays whole on every process until its engine shards it when
    training starts: a model that fits only sharded needs the critic loaded under zero.Init instead (OpenRLHF)."""
    if not any(hasattr(p, "ds_id") for p in module.parameters()):
        return contextlib.nullcontext()
    import deepspeed

    return deepspeed.zero.GatheredParameters(list(module.parameters()))


def deepspeed_engine(critic: ValueModel, trainer, max_steps: int):
    """The critic as a DeepSpeed engine of its own beside the policy's, as OpenRLHF runs its critic
    (openrlhf/trainer/ppo_utils + strategy.prepare of actor and critic): the same ZeRO config, its own AdamW,
    learning rate, schedule and gradient clipping. A critic outside the policy's engine cannot be trained there: the
    ZeRO optimizer only steps the parameters of the module it wraps."""
    import deepspeed
    from transformers import get_scheduler

    args = trainer.args
    config = copy.deepcopy(trainer.accelerator.state.deepspeed_plugin.deepspeed_config)  # "auto"s filled by HF
    if config.get("zero_optimization", {}).get("offload_optimizer", {}).get("device", "none") != "none":
        raise ValueError("ppo_geo: the critic's engine takes a torch AdamW, which ZeRO-Offload refuses; remove "
                         "offload_optimizer from the DeepSpeed config (the policy-only recipes accept it)")
    config.pop("optimizer", None)
    config.pop("scheduler", None)
    config["gradient_clipping"] = args.critic_max_grad_norm or 0.0
    lr = args.critic_learning_rate or args.learning_rate
    optimizer = torch.optim.AdamW([p for p in critic.parameters() if p.requires_grad], lr=lr, weight_decay=0.0,
                                  betas=(args.adam_beta1, args.adam_beta2), eps=args.adam_epsilon)
    schedule = get_scheduler(args.lr_scheduler_type, optimizer, num_warmup_steps=args.get_warmup_steps(max_steps),
                             num_training_steps=max_steps, scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    engine, *_ = deepspeed.initialize(model=critic, optimizer=optimizer, lr_scheduler=schedule, config=config)
    return engine
