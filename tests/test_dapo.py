"""DAPO dynamic sampling: the filter and the pool on hand-made tables, the prompt stream, the trainer's batches
(one process and two), skipped steps, resume, equality with plain GRPO."""

import json
import math
import os

import pytest
import torch
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.grpo_trainer import RepeatSampler

from core.families import load_model
from recipes.common.dynamic_sampling import (
    PromptStream,
    Rollouts,
    group_rows,
    groups_per_process,
    informative_groups,
    pool_positions,
)
from recipes.dapo_qwen2vl.trainer import DAPOConfig, DAPOTrainer
from tests.helpers import _category
from tests.test_recipe_runs import launch, small_config
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


def test_rollouts_select_and_extend_stay_row_aligned():
    a = Rollouts([{"id": i} for i in range(4)], [[10 + i] for i in range(4)], None, torch.arange(4.0).view(4, 1))
    b = a.select([2, 3]).extend(a.select([0]))
    assert [x["id"] for x in b.inputs] == [2, 3, 0] and b.completion_ids == [[12], [13], [10]]
    assert b.rewards.flatten().tolist() == [2.0, 3.0, 0.0] and len(Rollouts().extend(b)) == 3


class Recording(DAPOTrainer):
    """Records the ids of every batch it optimises, and each step's sampling summary."""

    def _sample_informative(self):
        out = super()._sample_informative()
        if out is not None:
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


@pytest.mark.parametrize("found, target, processes, group, spg, expected", [
    (8, 4, 2, 2, 1, 2),     # more than a full batch: each process trains its share of exactly the target
    (4, 4, 2, 2, 1, 2),     # full
    (3, 4, 2, 2, 1, 1),     # rounds ran out: equal shares of what was found, the odd group trimmed
    (1, 4, 2, 2, 1, 0),     # one group cannot be shared by two processes: nothing to train
    (6, 8, 1, 2, 8, 4),     # 6 groups x 2 rows do not split into 8 slices; 4 groups do
    (0, 4, 1, 2, 1, 0),
])
def test_groups_per_process(found, target, processes, group, spg, expected):
    assert groups_per_process(found, target, processes, group, spg) == expected


def test_pool_positions_number_groups_by_round_then_process():
    informative = torch.tensor([True, False, True, True, False, True])  # 2 processes x 3 groups
    assert pool_positions(informative, 2, 0, pooled_before=5) == [5, 6]
    assert pool_positions(informative, 2, 1, pooled_before=5) == [7, 8]


def test_prompt_stream_walks_the_samplers_order_and_resumes():
    sampler = RepeatSampler(list(range(10)), mini_repeat_count=1, batch_size=4, seed=3)
    expected = [i for _ in range(3) for i in sampler]  # three passes: 8 prompts each (the last 2 cut off)
    stream = PromptStream(10, batch_prompts=4, seed=3)
    assert [i for _ in range(6) for i in stream.take(4, set())] == expected
    again = PromptStream(10, batch_prompts=4, seed=3)
    again.load_state_dict(stream.state_dict())
    assert again.take(4, set()) == stream.take(4, set())


def test_prompt_stream_never_repeats_a_prompt_within_one_batch():
    stream = PromptStream(6, batch_prompts=2, seed=0)
    batch: set[int] = set()
    for _ in range(3):
        batch.update(stream.take(2, batch))
    assert len(batch) == 6
    assert stream.take(2, batch) == []  # every prompt is in this batch already: nothing left to draw


def test_no_prompt_twice_in_a_batch_and_identical_batches_after_resume(tiny_models, angles_dataset, tmp_path):
    run = dict(max_steps=3, save_strategy="steps", save_steps=1)
    trainer = _dapo(tiny_models, angles_dataset, tmp_path / "run", **run)
    trainer.train()
    for ids in trainer.trained:
        assert len(set(ids)) == len(ids) // 2, f"a prompt was sampled twice into one batch: {ids}"
    resumed = _dapo(tiny_models, angles_dataset, tmp_path / "run", **run)
    resumed.train(resume_from_checkpoint=str(tmp_path / "run" / "checkpoint-1"))
    assert resumed.trained == trainer.trained[1:]


def test_nothing_informative_skips_the_step_or_raises(tiny_models, angles_dataset, tmp_path, caplog):
    trainer = _dapo(tiny_models, angles_dataset, tmp_path / "skip", reward="tests.helpers.constant_reward",
                    max_generation_rounds=3, max_steps=1)
    start = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()  # 16 prompts, 4 per round
    assert trainer.history == [{"rounds": 3, "groups_seen": 12, "groups_trained": 0, "uninformative_trained": 0}]
    assert all(torch.equal(p, start[n]) for n, p in trainer.model.named_parameters()), "a skipped step moved weights"
    logged = [h for h in trainer.state.log_history if "dynamic_sampling/batch_fill" in h]
    assert logged[0]["dynamic_sampling/batch_fill"] == 0.0 and logged[0]["dynamic_sampling/step_skipped"] == 1.0
    assert "no informative group" in caplog.text
    with pytest.raises(RuntimeError, match="no informative group"):
        _dapo(tiny_models, angles_dataset, tmp_path / "raise", reward="tests.helpers.constant_reward",
              max_generation_rounds=3, max_steps=1, on_no_informative_groups="raise").train()


def test_sampled_rounds_and_the_trained_batch_are_logged_apart(tiny_models, angles_dataset, tmp_path):
    trainer = _dapo(tiny_models, angles_dataset, tmp_path, max_steps=1)
    trainer.train()
    logged = next(h for h in trainer.state.log_history if "dynamic_sampling/batch_fill" in h)
    assert "dynamic_sampling/sampled_completions/mean_length" in logged  # every round sampled
    assert "completions/mean_length" in logged and "rewards/table_accuracy_reward/mean" in logged  # trained batch
    assert logged["rewards/table_accuracy_reward/mean"] == 0.5  # the trained groups are all half right


def test_two_processes_where_one_never_finds_an_informative_group_train_full_batches(tiny_models, angles_dataset,
                                                                                      tmp_path):
    """Process 0 only ever samples uninformative groups, process 1 only informative ones: the pool is shared, so
    both processes train full batches of informative groups."""
    out = str(tmp_path / "out")
    cfg = small_config("dapo_qwen2vl", tmp_path / "c.yaml", max_generation_rounds=4,
                       reward_funcs=["tests.helpers.rank_dependent_reward"], reward_weights=[1.0],
                       dynamic_sampling_reward="rank_dependent_reward", per_device_train_batch_size=2)
    result = launch("dapo_qwen2vl", "--config", cfg, "--model_name_or_path", tiny_models["qwen2_vl"],
                    "--dataset_name", angles_dataset, "--output_dir", out, processes=2)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    steps = [h for h in logs if "dynamic_sampling/generation_rounds" in h]
    assert len(steps) == 2, logs
    for h in steps:  # each round, half the groups (process 1's) are informative: two rounds fill the batch
        assert h["dynamic_sampling/generation_rounds"] == 2 and h["dynamic_sampling/groups_filtered_frac"] == 0.5
        assert h["dynamic_sampling/batch_fill"] == 1.0 and h["dynamic_sampling/uninformative_groups_trained"] == 0
        assert h["rewards/rank_dependent_reward/mean"] == 0.5  # alternating groups only, on both processes
    spreads = [h["replicas/checksum_spread"] for h in logs if "replicas/checksum_spread" in h]
    assert spreads == [0.0]
