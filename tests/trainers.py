"""Build a recipe's trainer in-process on a tiny model, through the same code path train.py uses."""

from trl import ModelConfig

from recipes.common.config import RecipeArguments, RLArguments
from recipes.common.launch import build_trainer

SMALL = dict(max_completion_length=8, learning_rate=1e-2, max_steps=2, report_to="none", bf16=False,
             save_strategy="no", logging_steps=1, seed=0, gradient_accumulation_steps=1)


def make_trainer(trainer_cls, config_cls, model_dir, dataset, out, rewards, vision_cache=True, **overrides):
    recipe = RecipeArguments(dataset_name=dataset)
    rl = RLArguments(reward_funcs=rewards, vision_cache=vision_cache)
    args = config_cls(output_dir=str(out), **{**SMALL, **overrides})
    model_args = ModelConfig(model_name_or_path=model_dir, dtype="float32")
    return build_trainer(trainer_cls, recipe, rl, args, model_args)
