"""What every RL recipe's train.py does: parse its config, load the policy and prompts, train, save."""

from __future__ import annotations

from accelerate import PartialState

from recipes.common.callbacks import ReflectionCallback, ReplicaCheckCallback
from recipes.common.cli import resume_point
from recipes.common.config import parse_args, reward_functions
from recipes.common.data import load_split, to_prompt_rows
from recipes.common.families import (
    check_quantization,
    family_of,
    load_model,
    lora_config,
    quantization_config,
    set_pixel_range,
    set_trainable,
)
from recipes.common.vision_cache import install as install_vision_cache


def load_policy_and_prompts(recipe, args, model_args, require_answer: bool = True):
    """The policy (frozen parts per the MAYE flags) and its prompt rows (bad rows dropped and counted)."""
    check_quantization(model_args)
    trust = getattr(model_args, "trust_remote_code", False)  # off unless a TRL version exposes the flag
    quantized = quantization_config(model_args, family_of(model_args.model_name_or_path, trust))
    model, processor, family = load_model(model_args.model_name_or_path, dtype=model_args.dtype or "auto",
                                          trust_remote_code=trust, quantization_config=quantized,
                                          # a quantized model is placed at load time, one GPU per process
                                          device_map={"": PartialState().local_process_index} if quantized else None)
    set_pixel_range(processor, recipe.min_pixels, recipe.max_pixels)
    set_trainable(model, family, recipe.train_vit, recipe.train_connector, recipe.train_llm)
    prompts = dict(family=family, processor=processor, system_prompt=recipe.system_prompt or None,
                   question_template=recipe.question_template, max_prompt_length=recipe.max_prompt_length,
                   require_answer=require_answer)
    train, _ = to_prompt_rows(load_split(recipe.dataset, recipe.train_split), report_dir=args.output_dir, **prompts)
    evaluation = None
    if recipe.eval_split:
        evaluation = to_prompt_rows(load_split(recipe.dataset, recipe.eval_split), **prompts)[0]
    return model, processor, family, train, evaluation


def build_trainer(trainer_cls, recipe, args, model_args, **extra):
    """An RL trainer on the policy, its prompts and the rewards the recipe names."""
    model, processor, family, train, evaluation = load_policy_and_prompts(recipe, args, model_args)
    trainer = trainer_cls(model=model, processing_class=processor, reward_funcs=reward_functions(recipe.reward_funcs),
                          args=args, train_dataset=train, eval_dataset=evaluation,
                          peft_config=lora_config(model_args, family), **extra)
    trainer.add_callback(ReflectionCallback(trainer))
    if recipe.vision_cache:
        critic = getattr(getattr(trainer, "critic", None), "backbone", None)
        for model, never_trained in ((trainer.model, False), (trainer.ref_model, True), (critic, False)):
            if model is not None:
                model = trainer.accelerator.unwrap_model(model)
                model = model.get_base_model() if hasattr(model, "get_base_model") else model
                install_vision_cache(model, family.name, never_trained)
    if trainer.accelerator.num_processes > 1:
        trainer.add_callback(ReplicaCheckCallback(trainer))
    return trainer


def train_rl(script: str, trainer_cls, config_cls) -> None:
    """`script` is the recipe's train.py: its config.yaml is the default config."""
    recipe, args, model_args = parse_args(script, config_cls)
    trainer = build_trainer(trainer_cls, recipe, args, model_args)
    trainer.train(resume_from_checkpoint=resume_point(args.resume_from_checkpoint, args.output_dir))
    trainer.save_model(args.output_dir)


def train_on_rows(script: str, trainer_cls, config_classes: tuple, targets, require_answer: bool = True) -> None:
    """What SFT and DPO recipes do: parse, load the policy and its prompt rows, add the training targets
    (`targets(row, *extra_configs)` -> new columns), train, save."""
    recipe, args, *extra, model_args = parse_args(script, *config_classes)
    model, processor, family, train, evaluation = load_policy_and_prompts(recipe, args, model_args, require_answer)

    def with_targets(data):
        return None if data is None else data.map(lambda row: targets(row, *extra))

    trainer = trainer_cls(model=model, processing_class=processor, args=args, train_dataset=with_targets(train),
                          eval_dataset=with_targets(evaluation), peft_config=lora_config(model_args, family))
    trainer.train(resume_from_checkpoint=resume_point(args.resume_from_checkpoint, args.output_dir))
    trainer.save_model(args.output_dir)
