"""`make demo`: the counting task with its flawed teacher, and a seconds-long run of every stage (--quick)."""

import json
import os

from safetensors.torch import load_file

from data_prep.synthetic import generate
from demo.__main__ import main as demo_main


def test_the_teacher_undercounts_crowded_pictures_only():
    gold = list(generate("shapes", 60, 3, "train", undercount=0.0))
    teacher = list(generate("shapes", 60, 3, "train", undercount=1.0))
    for g, t in zip(gold, teacher, strict=True):
        assert g["images"][0].tobytes() == t["images"][0].tobytes()  # same pictures, only the labels differ
        n = int(g["answer"])
        assert int(t["answer"]) == (n - 1 if n >= 4 else n)
        assert t["rationale"].endswith(f"{t['answer']}.")
    assert any(int(g["answer"]) >= 4 for g in gold)


def test_shapes_counts_every_shape_of_the_kinds_asked():
    rows = list(generate("shapes", 30, 0, "test", min_count=2, max_count=3, kinds=("square",), colors=("red",)))
    for row in rows:
        image = row["images"][0]
        red = sum(1 for px in image.getdata() if px == (220, 40, 40))
        # squares of (28 - 2*4)^2 pixels (PIL's rectangle includes its far edge: 21 x 21)
        assert red == int(row["answer"]) * 21 * 21


def _report(out):
    report = json.load(open(os.path.join(out, "report.json")))
    return {k: v for k, v in report.items() if k != "wall_time_s"}, report


def test_quick_demo_runs_every_stage_writes_the_report_and_reproduces(tmp_path, capsys):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    demo_main(["--quick", "--out", a])
    printed = capsys.readouterr().out
    assert "| SFT warm start |" in printed and "best RL" in printed
    stable, report = _report(a)
    for model in ("sft", "sft_more", "grpo", "dapo"):
        assert set(report[model]) == {"test_pass1_t001", "test_pass1_t06", "test_ood_pass1_t001",
                                      "test_ood_pass1_t06"}
        assert all(0 <= v <= 100 for v in report[model].values())
    assert report["wall_time_s"] > 0 and report["seeds"] == [0]
    for name in ("report.md", "accuracy.png", "reward.png", "response_length.png", "groups_filtered.png"):
        assert os.path.getsize(os.path.join(a, name)) > 0, name
    logs = json.load(open(os.path.join(a, "seed_0", "dapo", "checkpoint-2", "trainer_state.json")))["log_history"]
    assert any("dynamic_sampling/groups_filtered_frac" in e for e in logs)

    demo_main(["--quick", "--out", b])  # same seed, fresh directory: the same weights and the same table
    assert _report(b)[0] == stable
    sft = load_file(os.path.join(a, "seed_0", "sft", "model.safetensors"))
    for model in ("grpo", "dapo", "sft_more"):
        wa = load_file(os.path.join(a, "seed_0", model, "model.safetensors"))
        wb = load_file(os.path.join(b, "seed_0", model, "model.safetensors"))
        assert all((wa[k] == wb[k]).all() for k in wa), f"{model} is not reproducible"
    sft_more = load_file(os.path.join(a, "seed_0", "sft_more", "model.safetensors"))
    assert any(not (sft_more[k] == sft[k]).all() for k in sft), "more SFT did not train"
    for model in ("grpo", "dapo"):  # quick runs sample from a barely trained model: advantages may all be zero
        state = json.load(open(os.path.join(a, "seed_0", model, "checkpoint-2", "trainer_state.json")))
        assert state["global_step"] == 2
    capsys.readouterr()

    demo_main(["--quick", "--out", a])  # a re-run resumes: every stage is kept
    assert capsys.readouterr().err.count("done before, kept") == 6
    assert _report(a)[0] == stable
