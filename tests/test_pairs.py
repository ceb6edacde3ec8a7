"""Preference pairs for DPO: sampled from a model and judged by a reward, or read from RLAIF-V's format; every
prompt or row without a pair is counted by reason."""

import json
import os
import random

import pytest
from datasets import Value, load_from_disk

from recipes.dpo_geo.pairs import main as pairs_main
from recipes.dpo_geo.pairs import pick_pair
from tests.source_fixtures import BROKEN, image_cell, parquet


def test_pick_pair():
    rng = random.Random(0)
    assert pick_pair(["a", "b"], [False, False], rng) == "no correct response"
    assert pick_pair(["a", "b"], [True, True], rng) == "no incorrect response"
    assert pick_pair(["a", "bb", "c"], [False, True, False], rng)[0] == "bb"
    assert pick_pair(["a", "bb", "c"], [True, False, True], rng)[1] == "bb"


def test_sampled_pairs_are_judged_by_the_reward_and_drops_counted(pairs_dataset):
    data = load_from_disk(pairs_dataset)["train"]
    summary = json.load(open(os.path.join(pairs_dataset, "summary.json")))["train"]
    assert summary["rows_in"] == 16 == summary["rows_out"] + sum(summary["dropped"].values())
    assert set(summary["dropped"]) <= {"no correct response", "no incorrect response"}
    assert len(data) == summary["rows_out"] > 0
    for row in data:  # even_length_reward: right = an even number of characters
        assert len(row["chosen"]) % 2 == 0 and len(row["rejected"]) % 2 == 1
        assert row["images"] and row["problem"] and row["answer"]


def test_the_accuracy_reward_gives_a_random_model_no_pair_and_says_so(tiny_models, angles_dataset, tmp_path):
    out = str(tmp_path / "pairs")
    pairs_main(["--model", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--k", "2", "--max-new-tokens",
                "4", "--limit", "4", "--out", out])
    summary = json.load(open(os.path.join(out, "summary.json")))["train"]
    assert summary == {"rows_in": 4, "rows_out": 0, "dropped": {"no correct response": 4}, "answer_types": {}}


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
