import io
import json
import os

import pytest
from datasets import Dataset, load_from_disk
from PIL import Image

from core.datasets import DataError, load_split
from core.families import load_model
from core.images import resize_for_vlm
from core.prompts import to_prompt_rows
from core.schema import REQUIRED_COLUMNS, SchemaError
from data_prep.__main__ import main as data_prep_main
from data_prep.synthetic import generate
from rewards import accuracy_reward


@pytest.mark.parametrize("task", ["counting", "angles", "choice"])
def test_synthetic_is_seeded_split_and_in_the_unified_schema(tmp_path, task):
    out = str(tmp_path / task)
    data_prep_main(["synthetic", "--task", task, "--n", "12", "--n-eval", "4", "--out", out, "--seed", "5"])
    data = load_from_disk(out)
    assert {k: len(v) for k, v in data.items()} == {"train": 12, "validation": 4, "test": 4}
    assert set(REQUIRED_COLUMNS) <= set(data["train"].column_names)
    summary = json.load(open(os.path.join(out, "summary.json")))
    for split in summary.values():
        assert split["rows_in"] == split["rows_out"] + sum(split["dropped"].values())
    ids = [r["id"] for s in data.values() for r in s]
    assert len(ids) == len(set(ids))
    again = list(generate(task, 3, 5, "train"))
    assert [r["answer"] for r in again] == data["train"]["answer"][:3]
    other_seed = list(generate(task, 3, 6, "train"))
    assert [r["images"][0].tobytes() for r in other_seed] != [r["images"][0].tobytes() for r in again]


@pytest.mark.parametrize("task", ["counting", "angles", "choice"])
def test_synthetic_worked_solutions_are_scored_correct_by_the_reward(task):
    rows = list(generate(task, 20, 0, "train"))
    completions = [f"<think>{r['rationale']}</think><answer>{r['answer']}</answer>" for r in rows]
    scores = accuracy_reward(completions, answer=[r["answer"] for r in rows], choices=[r["choices"] for r in rows])
    assert scores == [1.0] * 20


def test_angles_answer_is_the_missing_angle():
    for row in generate("angles", 30, 1, "train"):
        a, b = [int(x.rstrip("°")) for x in row["rationale"].split("180° - ")[1].split(" = ")[0].split("° - ")]
        assert row["answer"] == f"{180 - a - b}°" and 180 - a - b >= 30


def test_resize_keeps_multiples_of_28_within_pixel_bounds():
    img = resize_for_vlm(Image.new("L", (1000, 300)), max_pixels=28 * 28 * 64)
    assert img.mode == "RGB" and img.width % 28 == 0 and img.height % 28 == 0
    assert img.width * img.height <= 28 * 28 * 64


def test_missing_columns_name_what_is_missing_and_found(tmp_path):
    Dataset.from_dict({"question": ["q"], "answer": ["1"]}).save_to_disk(str(tmp_path / "bad"))
    with pytest.raises(SchemaError) as err:
        load_split(str(tmp_path / "bad"), "train")
    message = str(err.value)
    assert "'problem'" in message and "'images'" in message and "question" in message and "\n" not in message


def test_unknown_dataset_offline_is_one_line():
    with pytest.raises(DataError, match="python -m data_prep"):
        load_split("nobody/no-such-dataset", "train")


def test_undecodable_images_and_overlong_prompts_are_dropped_and_counted(tiny_models, tmp_path):
    model, processor, family = load_model(tiny_models["qwen2_vl"])
    rows = list(generate("counting", 6, 0, "train"))
    data = Dataset.from_list(rows)
    broken = io.BytesIO(b"not an image at all")
    data = data.cast_column("images", data.features["images"])
    records = data.to_list()
    records[0]["images"] = [{"bytes": broken.getvalue(), "path": None}]
    records[1]["problem"] = "long " * 3000
    data = Dataset.from_list(records, features=data.features)
    kept, summary = to_prompt_rows(data, family, processor, None, "{problem}", 512, report_dir=str(tmp_path))
    assert summary["rows_in"] == 6 and summary["rows_out"] == 4 == len(kept)
    assert summary["dropped"] == {"image does not decode": 1, "prompt longer than 512 tokens": 1}
    assert json.load(open(tmp_path / "data_summary.json")) == summary
    assert kept[0]["prompt"][-1]["role"] == "user" and "images" in kept.column_names


def test_cli_lists_sources_and_rejects_unknown(capsys):
    data_prep_main(["--list"])
    assert "synthetic" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        data_prep_main(["nope", "--out", "x"])


@pytest.mark.parametrize("name, damage", [("train.parquet", lambda b: b[: len(b) // 2]),
                                          ("train.json", lambda b: b[:-3])])
def test_a_corrupt_input_file_is_named_in_one_line(tmp_path, capsys, name, damage):
    import datasets

    good = tmp_path / f"good{os.path.splitext(name)[1]}"
    rows = [{"question": "How many?", "answer": "3", "image": ""}] * 4
    if name.endswith(".parquet"):
        datasets.Dataset.from_list(rows).to_parquet(str(good))
    else:
        good.write_text(json.dumps(rows))
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_bytes(damage(good.read_bytes()))
    capsys.readouterr()  # the fixture's own progress bar
    with pytest.raises(SystemExit) as exit_:
        data_prep_main(["clevr_count", "--input", str(bad.parent), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and str(bad) in err, err
