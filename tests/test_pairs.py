"""Preference pairs for DPO: sampled from a model and judged by a reward, or read from RLAIF-V's format; every
prompt or row without a pair is counted by reason."""

import json
import os
import random

import pytest
from datasets import Value, load_from_disk

from recipes.dpo_geo.pairs import NO_BAD, NO_GOOD, pick_pair, verdicts
from recipes.dpo_geo.pairs import main as pairs_main
from rewards import accuracy_reward, format_reward
from tests.source_fixtures import BROKEN, image_cell, parquet


def test_pick_pair():
    rng = random.Random(0)
    assert pick_pair(["a", "b"], [False, False], rng) == NO_GOOD
    assert pick_pair(["a", "b"], [True, True], rng) == NO_BAD
    assert pick_pair(["a", "bb", "c"], [False, True, False], rng)[0] == "bb"
    assert pick_pair(["a", "bb", "c"], [True, False, True], rng)[1] == "bb"


def test_chosen_passes_every_judging_reward_and_ended():
    """The recipe judges with accuracy and format: a right answer without the format, or one cut at the token
    limit, is not a chosen response."""
    formatted = "<think>3 + 4</think><answer>7</answer>"
    texts = [formatted, "The answer is \\boxed{7}.", formatted, "<think>3 + 3</think><answer>6</answer>"]
    ended = [True, True, False, True]
    row = {"id": "x", "answer": "7"}
    assert verdicts([accuracy_reward, format_reward], texts, ended, row) == [True, False, False, False]
    assert verdicts([accuracy_reward], texts, [True] * 4, row) == [True, True, True, False]


def test_reward_takes_a_list(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "pairs")
    pairs_main(["--model", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--k", "2", "--max-new-tokens",
                "4", "--limit", "4", "--no-require-eos", "--reward", "tests.helpers.even_length_reward",
                "tests.helpers.constant_reward", "--out", out])
    summary = json.load(open(os.path.join(out, "summary.json")))["train"]
    assert summary["rows_in"] == 4 and set(summary["dropped"]) <= {NO_GOOD, NO_BAD}


def test_sampled_pairs_are_judged_by_the_reward_and_drops_counted(pairs_dataset):
    data = load_from_disk(pairs_dataset)["train"]
    summary = json.load(open(os.path.join(pairs_dataset, "summary.json")))["train"]
    assert summary["rows_in"] == 16 == summary["rows_out"] + sum(summary["dropped"].values())
    assert set(summary["dropped"]) <= {NO_GOOD, NO_BAD}
    assert len(data) == summary["rows_out"] > 0
    for row in data:  # even_length_reward: right = an even number of characters
        assert len(row["chosen"]) % 2 == 0 and len(row["rejected"]) % 2 == 1
        assert row["images"] and row["problem"] and row["answer"]


def test_the_accuracy_reward_gives_a_random_model_no_pair_and_says_so(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "pairs")
    pairs_main(["--model", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--k", "2", "--max-new-tokens",
                "4", "--limit", "4", "--out", out])
    summary = json.load(open(os.path.join(out, "summary.json")))["train"]
    assert summary == {"rows_in": 4, "rows_out": 0, "dropped": {NO_GOOD: 4}, "answer_types": {}}


def rlaif_v(root):
    """openbmb/RLAIF-V-Dataset's columns, with a broken image, an empty response and a repeated idx."""
    s = Value("string")
    rows = [dict(ds_name="vqav2", image=image_cell(i), question=f"What is in picture {i}?", chosen=f"A line {i}.",
                 rejected="A cat.", origin_dataset="vqav2", origin_split="train", idx=str(i), image_path=f"{i}.jpg")
            for i in range(5)]
    rows[1]["image"] = BROKEN
    rows[2]["chosen"] = ""
    rows[4]["idx"] = "3"
    features = dict(ds_name=s, image={"bytes": Value("binary"), "path": s}, question=s, chosen=s, rejected=s,
                    origin_dataset=s, origin_split=s, idx=s, image_path=s)
    return parquet(os.path.join(root, "RLAIF-V-Dataset_000.parquet"), rows, features)


def test_rlaif_v_pairs_are_read_with_drops_counted(tmp_path):
    out = str(tmp_path / "out")
    pairs_main(["--rlaif-v", rlaif_v(str(tmp_path / "raw")), "--out", out])
    data = load_from_disk(out)["train"]
    summary = json.load(open(os.path.join(out, "summary.json")))["train"]
    assert summary["dropped"] == {"image does not decode": 1, "empty question, chosen or rejected": 1,
                                  "duplicate id": 1}
    assert summary["rows_in"] == 5 and [r["id"] for r in data] == ["0", "3"]
    assert data[0]["chosen"] == "A line 0." and data[0]["rejected"] == "A cat." and data[0]["images"][0].mode == "RGB"


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        pairs_main(["--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        pairs_main(["--rlaif-v", str(tmp_path / "missing.parquet"), "--out", str(tmp_path / "o")])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(errors) == 2
