"""Every public source converts from local files shaped like the hub's, with every dropped row counted by reason."""

import json
import os

import pytest
from datasets import load_from_disk

from core.prompts import user_turn
from data_prep.__main__ import DESCRIPTIONS
from data_prep.__main__ import main as data_prep
from data_prep.answers import answer_type_of, parse_choices_block
from data_prep.sources import LETTER_HINT
from tests.source_fixtures import FIXTURES, ai2d, geometry3k, geoqa_r1v_train, mathverse, mathvista, scienceqa

CASES = [(name, build) for name, builders in FIXTURES.items() for build in builders]


def test_every_source_has_a_fixture():
    assert set(FIXTURES) | {"synthetic"} == set(DESCRIPTIONS)


@pytest.mark.parametrize("name, build", CASES, ids=[b.__name__ for _, b in CASES])
def test_source_converts_and_counts_drops(tmp_path, name, build):
    path, extra, (rows_out, dropped), golds = build(str(tmp_path / "raw"))
    out = str(tmp_path / "out")
    data_prep([name, "--input", path, "--out", out, *extra])
    data = load_from_disk(out)
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert {split: len(rows) for split, rows in data.items()} == rows_out
    assert {reason: n for s in summary.values() for reason, n in s["dropped"].items()} == dropped
    for _split, s in summary.items():
        assert s["rows_in"] == s["rows_out"] + sum(s["dropped"].values())
        assert sum(s["answer_types"].values()) == s["rows_out"]
    rows = [r for split in data.values() for r in split]
    assert {r["answer"]: r["answer_type"] for r in rows if r["answer"] in golds} == golds
    for r in rows:
        assert r["source"] == name and r["problem"].strip() and r["answer"].strip()
        assert all(im.mode == "RGB" and im.width % 28 == 0 and im.height % 28 == 0 for im in r["images"])
        if r["answer_type"] == "choice" and r["choices"]:  # a vision-only row's options are in its image
            assert all("ABCDEFGH".index(x) < len(r["choices"]) for x in r["answer"].split(", "))
    assert len({r["id"] for r in rows}) == len(rows)


def test_converted_rows_score_with_the_rewards(tmp_path):
    from rewards import accuracy_reward

    path, *_ = geometry3k(str(tmp_path / "raw"))
    data_prep(["geometry3k", "--input", path, "--out", str(tmp_path / "out")])
    row = load_from_disk(str(tmp_path / "out"))["train"][0]
    right = [[{"role": "assistant", "content": "<think>x</think><answer>5</answer>"}]]  # the text of option C
    assert accuracy_reward(right, answer=[row["answer"]], choices=[row["choices"]],
                           answer_type=[row["answer_type"]]) == [1.0]


def test_strict_stops_at_the_first_bad_row_and_names_it(tmp_path, capsys):
    path, *_ = geoqa_r1v_train(str(tmp_path / "raw"))
    with pytest.raises(SystemExit) as stop:
        data_prep(["geoqa_r1v", "--input", path, "--out", str(tmp_path / "out"), "--strict"])
    assert stop.value.code == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1 and "row 3" in err[0] and "image does not decode" in err[0]
    assert not os.path.exists(tmp_path / "out")


def test_missing_columns_is_one_line_naming_them(tmp_path, capsys):
    bad = tmp_path / "rows.jsonl"
    bad.write_text(json.dumps({"question": "q", "picture": "x.png"}) + "\n")
    with pytest.raises(SystemExit):
        data_prep(["clevr_count", "--input", str(bad), "--out", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1 and "['image_path', 'ground_truth']" in err[0] and "'picture'" in err[0]


def test_limit_and_split(tmp_path):
    path, *_ = geometry3k(str(tmp_path / "raw"))
    data_prep(["geometry3k", "--input", path, "--out", str(tmp_path / "out"), "--split", "test", "--limit", "1"])
    data = load_from_disk(str(tmp_path / "out"))
    assert list(data) == ["test"] and len(data["test"]) == 1
    with pytest.raises(SystemExit):
        data_prep(["geometry3k", "--input", path, "--out", str(tmp_path / "o2"), "--split", "nope"])


def test_unreachable_hub_id_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        data_prep(["chartqa", "--input", "no-such-org/no-such-dataset", "--out", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1 and err[0].startswith("error: cannot read") and "--input" in err[0]


@pytest.mark.parametrize("answer, choices, kind", [
    ("145°", None, "degrees"), ("3cm", None, "length"), ("12", None, "integer"), ("1.5", None, "number"),
    ("\\frac{3}{2}", None, "number"), ("2\\sqrt{3}", None, "expression"), ("B", ["1", "2"], "choice"),
    ("C", ["1", "2"], "text"), ("yes", None, "yesno"), ("Blue", None, "text"), ("x^2+1", None, "expression"),
    ("the left one", None, "text"),
])
def test_answer_types(answer, choices, kind):
    assert answer_type_of(answer, choices) == kind


def test_choices_block_parsing():
    q, c = parse_choices_block("Find x.\nChoices:\nA:30°\nB:60°")
    assert q == "Find x." and c == ["30°", "60°"]
    assert parse_choices_block("No options here") == ("No options here", [])


def test_recipes_name_datasets_by_source(tmp_path, monkeypatch):
    from core.datasets import DataError, load_split

    monkeypatch.setenv("VLM_RL_DATA", str(tmp_path / "data"))
    with pytest.raises(DataError, match="python -m data_prep SOURCE --input"):
        load_split("ai2d", "test")
    path, *_ = geometry3k(str(tmp_path / "raw"))
    data_prep(["geometry3k", "--input", path, "--out", str(tmp_path / "data" / "geometry3k")])
    assert len(load_split("geometry3k", "test")) == 2


def _converted(tmp_path, name, build):
    path, extra, *_ = build(str(tmp_path / "raw"))
    data_prep([name, "--input", path, "--out", str(tmp_path / "out"), *extra])
    return [r for split in load_from_disk(str(tmp_path / "out")).values() for r in split.remove_columns("images")]


@pytest.mark.parametrize("name, build", [("geometry3k", geometry3k), ("scienceqa", scienceqa), ("ai2d", ai2d)])
def test_options_reach_the_model_as_lmms_eval_shows_them(tmp_path, name, build):
    """The user turn (as recipes and eval render it) lists every option, 'A. text' per line, then the letter hint:
    a blind 'A' is no longer a free reward, and letters-as-options (AI2D) are unambiguous."""
    for row in _converted(tmp_path, name, build):
        turn = user_turn(row)
        options = "\n".join(f"{'ABCDEFGH'[i]}. {c}" for i, c in enumerate(row["choices"]))
        assert row["choices"] and f"\n{options}\n{LETTER_HINT}" in turn and "<image>" not in turn


def test_mathvista_and_mathverse_prompts_are_their_own_queries(tmp_path):
    vista = _converted(tmp_path / "vista", "mathvista", mathvista)
    assert all(r["problem"].startswith("Hint: ") and "Question: " in r["problem"] for r in vista)
    assert "(Unit: cm)" in next(r["problem"] for r in vista if r["answer"] == "7")
    assert "\n(A) red\n(B) green\n(C) blue" in next(r["problem"] for r in vista if r["answer_type"] == "choice")
    verse = {r["id"]: r for r in _converted(tmp_path / "verse", "mathverse", mathverse)}
    assert verse["1"]["problem"].endswith("Choices:\nA:30°\nB:60°\nC:90°") and verse["1"]["choices"] == [
        "30°", "60°", "90°"]
    assert verse["2"]["problem"].startswith("According to the question shown in the image")  # vision only: kept
    assert verse["5"]["choices"] == ["True", "False"] and verse["5"]["answer"] == "B"


def test_chartqa_m4_val_split_is_validation(tmp_path):
    from datasets import Dataset, DatasetDict, Features, Image, Sequence, Value

    from tests.source_fixtures import image_cell

    rows = [{"image": image_cell(0), "query": "Peak?", "label": ["14"], "human_or_machine": 0}]
    features = Features({"image": Image(), "query": Value("string"), "label": Sequence(Value("string")),
                         "human_or_machine": Value("int64")})
    DatasetDict({"val": Dataset.from_list(rows, features=features)}).save_to_disk(str(tmp_path / "hub"))
    data_prep(["chartqa", "--input", str(tmp_path / "hub"), "--out", str(tmp_path / "out")])
    data = load_from_disk(str(tmp_path / "out"))
    assert list(data) == ["validation"]
    assert data["validation"][0]["problem"] == "Peak?\nAnswer the question with a single word."
