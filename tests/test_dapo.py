"""DAPO dynamic sampling: the filter on hand-made reward tables, the trainer's batches, equality with plain GRPO."""

import math

import pytest
import torch
from trl import GRPOConfig, GRPOTrainer

from core.families import load_model
from recipes.common.dynamic_sampling import Rollouts, group_rows, groups_to_train, informative_groups
from recipes.dapo_qwen2vl.trainer import DAPOConfig, DAPOTrainer
from tests.helpers import _category
from tests.trainers import make_trainer

NAN = math.nan


@pytest.mark.parametrize("scores, expected", [
    ([1, 1, 1, 1], [False]),            # all correct
    ([0, 0, 0, 0], [False]),            # all wrong
    ([-1, -1, -1, -1], [False]),        # all wrong, DAPO's {-1, 1}
    ([1, 0, 0, 0], [True]),             # mixed
    ([-1, 1, -1, -1], [True]),
    ([1, NAN, 1, 1], [False]),          # an unscorable completion does not make a group informative
    ([1, NAN, 0, 1], [True]),
    ([NAN, NAN, NAN, NAN], [False]),
    ([1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1], [True, True, False]),  # several groups, in order
])
def test_informative_groups_on_reward_tables(scores, expected):
    assert informative_groups(torch.tensor(scores, dtype=torch.float), 4).tolist() == expected


def test_group_rows_keeps_whole_groups_in_order():
    assert group_rows(torch.tensor([False, True, False, True]), 3) == [3, 4, 5, 9, 10, 11]
    assert group_rows(torch.tensor([False, False]), 2) == []


@pytest.mark.parametrize("held, target, group, spg, expected", [
    ([4, 4], 4, 2, 1, 4),      # every process full
    ([6, 4], 4, 2, 1, 4),      # never more than the target
    ([4, 1], 4, 2, 1, 1),      # processes train on as many groups as the emptiest holds
    ([3, 3], 4, 2, 4, 2),      # 3 groups x 2 rows = 6 rows do not split into 4 slices; 2 groups = 4 rows do
    ([1, 5], 4, 2, 4, 0),      # nothing splittable: the caller falls back to the last round
    ([0, 4], 4, 2, 1, 0),      # a process that found nothing
])
def test_groups_to_train(held, target, group, spg, expected):
    assert groups_to_train(held, target, group, spg) == expected


def test_rollouts_select_and_extend_stay_row_aligned():
    a = Rollouts([{"id": i} for i in range(4)], [[i] for i in range(4)], [[10 + i] for i in range(4)],
                 [f"c{i}" for i in range(4)], None, torch.arange(4.0).view(4, 1))
    b = a.select([2, 3]).extend(a.select([0]))
    assert [x["id"] for x in b.inputs] == [2, 3, 0] and b.completion_ids == [[12], [13], [10]]
    assert b.rewards.flatten().tolist() == [2.0, 3.0, 0.0] and len(Rollouts().extend(b)) == 3


class Recording(DAPOTrainer):
    """Records the ids of every batch it optimises."""

    def _sample_informative(self, batch):
        out = super()._sample_informative(batch)
        self.trained = getattr(self, "trained", []) + [[row["id"] for row in out.inputs]]
        self.history = getattr(self, "history", []) + [dict(self.last_sampling)]
        return out


def _dapo(tiny_models, angles_dataset, tmp_path, reward="tests.helpers.table_accuracy_reward", **overrides):
    cfg = dict(num_generations=2, per_device_train_batch_size=8, max_generation_rounds=20,
               dynamic_sampling_reward=reward.rsplit(".", 1)[1], beta=0.0, loss_type="dapo")
    return make_trainer(Recording, DAPOConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path, [reward],
                        **{**cfg, **overrides})


def test_batches_hold_only_informative_groups_with_batch_larger_than_group(tiny_models, angles_dataset, tmp_path):
    trainer = _dapo(tiny_models, angles_dataset, tmp_path)
    trainer.train()
    assert len(trainer.trained) == 2
    for ids in trainer.trained:
        assert len(ids) == 8, "the batch was not filled"
        assert {_category(i) for i in ids} == {2}, f"an uninformative group was optimised: {ids}"
    # two thirds of the prompts are uninformative, so filling 4 groups takes more than one round of 4 prompts
    assert all(h["rounds"] > 1 and h["groups_seen"] >= 4 * h["rounds"] for h in trainer.history)
    logged = [h for h in trainer.state.log_history if "dynamic_sampling/generation_rounds" in h]
    assert logged and 0 < logged[0]["dynamic_sampling/groups_filtered_frac"] < 1
    assert logged[0]["dynamic_sampling/batch_fill"] == 1.0
    assert all(h["dynamic_sampling/uninformative_groups_trained"] == 0 for h in logged)
    # the table reward scores a third of the prompts right, a third wrong, a third mixed: share right is in (0, 1)
    assert 0 < logged[0]["dynamic_sampling/sampled_accuracy"] < 1


def test_sampled_accuracy_is_the_share_right_on_either_reward_scale(tiny_models, angles_dataset, tmp_path):
    def sampled(reward, sub):
        trainer = _dapo(tiny_models, angles_dataset, tmp_path / sub, reward=reward, max_steps=1)
        trainer.train()
        return [h["dynamic_sampling/sampled_accuracy"] for h in trainer.state.log_history
                if "dynamic_sampling/sampled_accuracy" in h]
    binary = sampled("tests.helpers.table_accuracy_reward", "a")
    assert binary == sampled("tests.helpers.signed_table_accuracy_reward", "b") and 0 < binary[0] < 1


def test_accumulation_and_steps_per_generation(tiny_models, angles_dataset, tmp_path):
    trainer = _dapo(tiny_models, angles_dataset, tmp_path, per_device_train_batch_size=2, gradient_accumulation_steps=2,
                    steps_per_generation=4, max_steps=2)
    trainer.train()
    # one generation batch (2 rows x 4 slices) serves both optimiser steps (2 micro-steps each)
    assert len(trainer.trained) == 1 and len(trainer.trained[0]) == 8
    assert {_category(i) for i in trainer.trained[0]} == {2}


def test_running_out_of_rounds_trains_on_what_there_is(tiny_models, angles_dataset, tmp_path):
    trainer = _dapo(tiny_models, angles_dataset, tmp_path, reward="tests.helpers.constant_reward",
                    max_generation_rounds=3, max_steps=1)
    trainer.train()  # 16 prompts, 4 per round: the refill source wraps around and must not stop the run
    assert trainer.history == [{"rounds": 3, "groups_seen": 12, "groups_trained": 0, "uninformative_trained": 4}]
    assert len(trainer.trained[0]) == 8  # the last round, whose advantages are all zero
    logged = [h for h in trainer.state.log_history if "dynamic_sampling/batch_fill" in h]
    assert logged[0]["dynamic_sampling/batch_fill"] == 0.0 and logged[0]["dynamic_sampling/groups_filtered_frac"] == 1.0


def test_a_short_batch_keeps_only_informative_groups(tiny_models, angles_dataset, tmp_path):
    trainer = _dapo(tiny_models, angles_dataset, tmp_path, reward="tests.helpers.first_group_only_reward",
                    max_generation_rounds=2, max_steps=1)
    trainer.train()
    assert trainer.history == [{"rounds": 2, "groups_seen": 8, "groups_trained": 2, "uninformative_trained": 0}]
    assert len(trainer.trained[0]) == 4  # 2 informative groups of 2, not topped up with uninformative ones
    logged = [h for h in trainer.state.log_history if "dynamic_sampling/batch_fill" in h]
    assert logged[0]["dynamic_sampling/batch_fill"] == 0.5


def test_all_informative_run_equals_plain_grpo_step_for_step(tiny_models, angles_dataset, tmp_path):
    common = dict(num_generations=2, per_device_train_batch_size=4, beta=0.0, loss_type="dapo", epsilon_high=0.28,
                  max_steps=3)
    rewards = ["tests.helpers.alternating_reward"]
    dapo = make_trainer(DAPOTrainer, DAPOConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path / "d", rewards,
                        dynamic_sampling_reward="alternating_reward", **common)
    dapo.train()  # built and trained one after the other: trainers seed the global RNG when built
    grpo = make_trainer(GRPOTrainer, GRPOConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path / "g", rewards,
                        **common)
    grpo.train()
    losses = lambda t: [h["loss"] for h in t.state.log_history if "loss" in h]  # noqa: E731
    assert losses(dapo) == losses(grpo) and len(losses(dapo)) == 3
    g = dict(grpo.model.named_parameters())
    start = dict(load_model(tiny_models["qwen2_vl"])[0].named_parameters())
    for name, p in dapo.model.named_parameters():
        assert torch.equal(p, g[name]), name
    assert any(not torch.equal(p, start[n]) for n, p in dapo.model.named_parameters()), "nothing was trained"


def test_config_errors_are_clear(tiny_models, angles_dataset, tmp_path):
    with pytest.raises(ValueError, match="not among the reward functions"):
        _dapo(tiny_models, angles_dataset, tmp_path, dynamic_sampling_reward="accuracy_reward")
