"""Every configuration error is one line, raised before any model or dataset loads (the model path below does not
exist: had loading started, the error would be about the model instead)."""

import shutil

import pytest

from core.errors import UserError
from recipes.common import run_recipe
from recipes.common.run_recipe import ROOT

NO_MODEL = "/nonexistent/model"


def fails_first_with(recipe, *args):
    with pytest.raises(UserError) as err:
        run_recipe.run_in_process(recipe, ["--model_name_or_path", NO_MODEL, "--output_dir", "/tmp/unused", *args])
    message = str(err.value)
    assert "\n" not in message and NO_MODEL not in message, message
    return message


def test_unknown_yaml_key_names_the_key(tmp_path, angles_dataset):
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("model_name_or_path: x\nlearning_rat: 1.0e-6\n")
    assert "learning_rat" in fails_first_with("grpo_geo", "--config", str(cfg), "--dataset_name", angles_dataset)


def test_unknown_reward_and_bad_reward_parameter(angles_dataset):
    assert "unknown reward 'acuracy'" in fails_first_with("grpo_geo", "--dataset_name", angles_dataset,
                                                          "--reward_funcs", "acuracy")
    assert "accuracy:negatve=true" in fails_first_with("grpo_geo", "--dataset_name", angles_dataset,
                                                       "--reward_funcs", "accuracy:negatve=true")


def test_missing_dataset_says_how_to_make_it():
    assert "python -m data_prep" in fails_first_with("dapo_qwen2vl", "--dataset_name", "/nonexistent/data")


def test_missing_split_names_the_splits(angles_dataset):
    assert "has no split 'nope'" in fails_first_with("sft_geo", "--dataset_name", angles_dataset,
                                                     "--dataset_train_split", "nope")


def test_trl_config_checks_are_one_line(angles_dataset):
    message = fails_first_with("grpo_geo", "--dataset_name", angles_dataset, "--num_generations", "3",
                               "--per_device_train_batch_size", "8")
    assert "must be divisible by num_generations (3)" in message


def test_unknown_attn_implementation_is_named(angles_dataset):
    assert "no_such_impl" in fails_first_with("reinforcepp_geo", "--dataset_name", angles_dataset,
                                              "--attn_implementation", "no_such_impl")


def test_rewards_are_not_a_key_of_sft(angles_dataset):
    assert "reward_funcs" in fails_first_with("sft_geo", "--dataset_name", angles_dataset, "--reward_funcs",
                                              "accuracy")


@pytest.mark.parametrize("recipe", ["dapo_qwen2vl", "ppo_geo", "reinforcepp_geo"])
def test_a_copied_recipe_runs_its_own_trainer(tmp_path, recipe, tiny_models, angles_dataset):
    """cp -r recipes/RECIPE recipes/mine, then edit mine/trainer.py: the edit is what runs."""
    copy = tmp_path / "recipes" / "mine"
    shutil.copytree(ROOT / "recipes" / recipe, copy)
    marker = tmp_path / "ran"
    with open(copy / "trainer.py", "a") as f:  # an edit to the copy: its trainer refuses to start, leaving a mark
        f.write(f"\n\ndef _edited(self, *args, **kwargs):\n    open({str(marker)!r}, 'w').write(__file__)\n"
                "    raise SystemExit('the copy ran')\n\n\n"
                "for _cls in list(globals().values()):\n"
                "    if isinstance(_cls, type) and _cls.__module__ == __name__ and hasattr(_cls, 'train'):\n"
                "        _cls.train = _edited\n")
    with pytest.raises(SystemExit, match="the copy ran"):
        run_recipe.run_in_process(str(copy / "train.py"), [
            "--model_name_or_path", tiny_models["qwen2_vl"], "--dataset_name", angles_dataset,
            "--output_dir", str(tmp_path / "out"), "--max_steps", "1", "--num_generations", "2",
            "--per_device_train_batch_size", "2", "--max_completion_length", "4"])
    assert marker.read_text() == str(copy / "trainer.py")
