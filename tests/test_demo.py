"""`make demo`: the counting task with its flawed teacher, and a seconds-long run of every stage (--quick)."""

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from core.numerics import PINNED
from data_prep.synthetic import generate
from demo.__main__ import main as demo_main
from recipes.common.run_recipe import ROOT


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


@pytest.mark.slow
def test_quick_demo_runs_every_stage_writes_the_report_and_resumes(tmp_path, capsys):
    a = str(tmp_path / "a")
    demo_main(["--quick", "--full", "--out", a])
    printed = capsys.readouterr().out
    assert "| SFT warm start |" in printed and "best RL" in printed and "Saving the dataset" not in printed
    stable, report = _report(a)
    for model in ("sft", "sft_more", "grpo", "dapo", "reinforcepp", "ppo"):
        assert set(report[model]) == {"test_pass1_t001", "test_pass1_t06", "test_ood_pass1_t001",
                                      "test_ood_pass1_t06"}
        assert all(0 <= v <= 100 for v in report[model].values())
    assert report["wall_time_s"] > 0 and report["seeds"] == [0]
    # 2 steps of 2 prompts x 4 completions; DAPO samples at least that many
    generated = report["completions_generated"]
    assert generated["grpo"] == generated["ppo"] == generated["reinforcepp"] == 16
    assert generated["dapo"] >= 16
    for name in ("report.md", "accuracy.png", "accuracy_vs_completions.png", "reward.png", "response_length.png",
                 "groups_filtered.png"):
        assert os.path.getsize(os.path.join(a, name)) > 0, name
    assert "completions generated" in open(os.path.join(a, "report.md")).read()
    logs = json.load(open(os.path.join(a, "seed_0", "dapo", "checkpoint-2", "trainer_state.json")))["log_history"]
    assert any("dynamic_sampling/groups_filtered_frac" in e for e in logs)
    sft = load_file(os.path.join(a, "seed_0", "sft", "model.safetensors"))
    sft_more = load_file(os.path.join(a, "seed_0", "sft_more", "model.safetensors"))
    assert any(not (sft_more[k] == sft[k]).all() for k in sft), "more SFT did not train"
    for model in ("grpo", "dapo", "reinforcepp", "ppo"):  # quick runs: advantages may all be zero, steps still run
        state = json.load(open(os.path.join(a, "seed_0", model, "checkpoint-2", "trainer_state.json")))
        assert state["global_step"] == 2

    demo_main(["--quick", "--full", "--out", a])  # a re-run resumes: every stage is kept
    assert capsys.readouterr().out.count("done before, kept") == 8
    assert _report(a)[0] == stable


@pytest.mark.slow
def test_quick_demo_is_identical_across_processes_and_thread_settings(tmp_path):
    """Two separate `python -m demo --quick` runs, one told to use 1 thread and one 2: the demo pins its numerics
    (core/numerics.py), so the trained weights and the report are identical."""
    outs = []
    for threads in ("1", "2"):
        out = str(tmp_path / f"t{threads}")
        env = {k: v for k, v in os.environ.items() if k not in PINNED} | {"OMP_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, "-m", "demo", "--quick", "--out", out], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        outs.append(out)
    assert _report(outs[0])[0] == _report(outs[1])[0]
    for model in ("sft", "grpo", "dapo", "sft_more"):
        wa, wb = (load_file(os.path.join(o, "seed_0", model, "model.safetensors")) for o in outs)
        assert all(torch.equal(wa[k], wb[k]) for k in wa), f"{model} differs between the two runs"
