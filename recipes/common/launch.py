"""What every recipe's train.py does: parse its config, check what can be checked cheaply, load the policy and
prompts, train, save. Configuration errors (keys, rewards, dataset) stop the run before any model loads."""

from __future__ import annotations

import os

from accelerate import PartialState
from transformers.trainer_utils import get_last_checkpoint

from core.datasets import DataError, check_dataset, load_split
from core.families import (
    check_quantization,
    family_of,
    load_model,
    lora_config,
    quantization_config,
    set_pixel_range,
    set_trainable,
)
from core.images import fit_images, pixel_range
from core.prompts import to_prompt_rows
from recipes.common.callbacks import ReflectionCallback, ReplicaCheckCallback
from recipes.common.config import RecipeArguments, RLArguments, parse_args, reward_functions
from recipes.common.vision_cache import install as install_vision_cache
from recipes.common.vllm_prompts import install as install_vllm_prompts
from recipes.common.vllm_sync import install as install_vllm_sync
from recipes.common.vllm_sync import server_without_nccl


def load_policy_and_prompts(recipe, args, model_args, require_answer: bool = True):
    """The policy (frozen parts per the MAYE flags) and its prompt rows (bad rows dropped and counted)."""
    check_quantization(model_args)
    quantized = quantization_config(model_args, family_of(model_args.model_name_or_path, model_args.model_revision))
    model, processor, family = load_model(model_args.model_name_or_path, dtype=model_args.dtype or "auto",
                                          revision=model_args.model_revision,
                                          attn_implementation=model_args.attn_implementation,
                                          quantization_config=quantized,
                                          # a quantized model is placed at load time, one GPU per process
                                          device_map={"": PartialState().local_process_index} if quantized else None)
    checkpoint_range = pixel_range(processor)  # what a vLLM engine will use
    set_pixel_range(processor, recipe.min_pixels, recipe.max_pixels)
    set_trainable(model, family, recipe.train_vit, recipe.train_connector, recipe.train_llm)
    prompts = dict(family=family, processor=processor, system_prompt=recipe.system_prompt or None,
                   question_template=recipe.question_template, max_prompt_length=recipe.max_prompt_length,
                   require_answer=require_answer)
    train, _ = to_prompt_rows(load_split(recipe.dataset_name, recipe.dataset_train_split), report_dir=args.output_dir,
                              **prompts)
    evaluation = None
    if recipe.dataset_test_split:
        evaluation = to_prompt_rows(load_split(recipe.dataset_name, recipe.dataset_test_split), **prompts)[0]
    if getattr(args, "use_vllm", False):  # vLLM reads the checkpoint's pixel range, not the recipe's
        train = fit_images(train, processor, checkpoint_range)
        evaluation = evaluation and fit_images(evaluation, processor, checkpoint_range)
    return model, processor, family, train, evaluation


def build_trainer(trainer_cls, recipe, rl, args, model_args, cached_models=None, reward_funcs=None):
    """An RL trainer on the policy, its prompts and the rewards the recipe names. `cached_models(trainer)` names
    the recipe's own extra models (PPO's critic) that get the frozen-vision cache too."""
    reward_funcs = reward_funcs or reward_functions(rl.reward_funcs)
    model, processor, family, train, evaluation = load_policy_and_prompts(recipe, args, model_args)
    with server_without_nccl(args):
        trainer = trainer_cls(model=model, processing_class=processor, reward_funcs=reward_funcs, args=args,
                              train_dataset=train, eval_dataset=evaluation, peft_config=lora_config(model_args, family))
    trainer.add_callback(ReflectionCallback(trainer))
    install_vllm_sync(trainer)
    install_vllm_prompts(trainer)
    if rl.vision_cache:
        extra = cached_models(trainer) if cached_models else []
        for model, never_trained in ((trainer.model, False), (trainer.ref_model, True), *((m, False) for m in extra)):
            if model is not None:
                model = trainer.accelerator.unwrap_model(model)
                model = model.get_base_model() if hasattr(model, "get_base_model") else model
                install_vision_cache(model, family.name, never_trained)
    if trainer.accelerator.num_processes > 1:
        trainer.add_callback(ReplicaCheckCallback(trainer))
    return trainer


def train_rl(script: str, trainer_cls, config_cls, argv: list[str] | None = None, cached_models=None) -> None:
    """`script` is the recipe's train.py: its config.yaml is the default config."""
    recipe, rl, args, model_args = parse_args(script, argv, RecipeArguments, RLArguments, config_cls)
    reward_funcs = reward_functions(rl.reward_funcs)  # a bad reward spec stops here, before anything loads
    check_dataset(recipe.dataset_name, recipe.dataset_train_split)
    trainer = build_trainer(trainer_cls, recipe, rl, args, model_args, cached_models, reward_funcs)
    train_and_save(trainer, args)


def train_on_rows(script: str, trainer_cls, config_classes: tuple, targets, argv: list[str] | None = None,
                  require_answer: bool = True) -> None:
    """What SFT and DPO recipes do: parse, load the policy and its prompt rows, add the training targets
    (`targets(row, *extra_configs)` -> new columns), train, save."""
    recipe, args, *extra, model_args = parse_args(script, argv, RecipeArguments, *config_classes)
    check_dataset(recipe.dataset_name, recipe.dataset_train_split)
    model, processor, family, train, evaluation = load_policy_and_prompts(recipe, args, model_args, require_answer)

    def with_targets(data):
        return None if data is None else data.map(lambda row: targets(row, *extra))

    trainer = trainer_cls(model=model, processing_class=processor, args=args, train_dataset=with_targets(train),
                          eval_dataset=with_targets(evaluation), peft_config=lora_config(model_args, family))
    train_and_save(trainer, args)


def train_and_save(trainer, args) -> None:
    trainer.train(resume_from_checkpoint=resume_point(args.resume_from_checkpoint, args.output_dir))
    trainer.save_model(args.output_dir)
    trainer.accelerator.wait_for_everyone()  # ranks leave together (core.cli.leave_finished_run)


def resume_point(resume_from_checkpoint: str | None, output_dir: str) -> str | None:
    """'last' (or 'true') resumes from the newest checkpoint in output_dir; a path resumes from that one."""
    if resume_from_checkpoint in (None, "", "false", "False"):
        return None
    if resume_from_checkpoint in ("last", "true", "True"):
        last = get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None
        if last is None:
            raise DataError(f"--resume_from_checkpoint {resume_from_checkpoint}: no checkpoint in {output_dir}")
        return last
    return resume_from_checkpoint
