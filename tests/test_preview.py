"""python -m data_prep preview: the user turn exactly as recipes and eval render it, before any training."""

import json
import sys

import pytest
from datasets import load_from_disk

from core.families import FAMILIES
from core.prompts import R1_SYSTEM_PROMPT, build_prompt
from data_prep.__main__ import main as data_prep
from tests.source_fixtures import geometry3k


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("preview")
    path, *_ = geometry3k(str(tmp_path / "raw"))
    out = str(tmp_path / "geometry3k")
    data_prep(["geometry3k", "--input", path, "--out", out])
    return out


def test_preview_prints_the_user_turn_recipes_render(prepared, capsys):
    data_prep(["preview", prepared, "--split", "test", "--n", "1"])
    (line,) = capsys.readouterr().out.splitlines()
    shown = json.loads(line)
    row = load_from_disk(prepared)["test"][0]
    assert set(shown) == {"id", "prompt", "answer", "choices"}
    assert (shown["id"], shown["answer"], shown["choices"]) == (row["id"], row["answer"], row["choices"])
    family = FAMILIES["qwen2_vl"]
    rendered = build_prompt(family, row["problem"], R1_SYSTEM_PROMPT)  # the recipes' default prompt
    assert rendered[-1] == {"role": "user", "content": shown["prompt"]}
    assert "\nA. 3\nB. 4\nC. 5\nD. 6\n" in shown["prompt"]  # the options the model is asked to choose from


def test_preview_defaults_to_train(prepared, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["python -m data_prep", "preview", prepared, "--n", "2"])
    data_prep()  # as `python -m data_prep preview DIR --n 2` calls it
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in out] == list(load_from_disk(prepared)["train"]["id"][:2])


def test_preview_of_a_missing_split_is_one_line(prepared, capsys):
    with pytest.raises(SystemExit):
        data_prep(["preview", prepared, "--split", "nope"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1 and "nope" in err[0] and "train" in err[0]
