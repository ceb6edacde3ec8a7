"""The MAYE evaluation scheme: metrics against hand-computed values, the harness end to end on a tiny model."""

import json
import os
import shutil

import pytest

from core.reflection import reflection_metrics
from eval.__main__ import main as eval_main
from eval.harness import EvalError
from eval.metrics import pass_at_k
from eval.run import score
from eval.settings import MAYE, parse_setting
from rewards import get_accuracy_reward


@pytest.mark.parametrize("n, c, k, expected", [
    (8, 0, 8, 0.0), (8, 8, 1, 1.0), (8, 1, 1, 1 / 8), (5, 2, 2, 1 - 3 / 10), (8, 1, 8, 1.0), (4, 1, 2, 1 - 3 / 6),
])
def test_pass_at_k_unbiased_estimator(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError):
        pass_at_k(4, 1, 5)


def test_reflection_metrics_follow_maye_substring_rule_by_hand():
    # MAYE's code (GAIR-NLP/MAYE recipes/full_ppo_vllm_distributed.py, log_reflection_analysis): a text reflects
    # when any word is a substring of the lower-cased text; a word's count is text.count(word).
    texts = ["Wait, let me re-check. 5", "The answer is 3", "Let me VERIFY: yet another way", "rethinking is no word",
             "awaited", "Yeti"]
    correct = [True, False, True, True, False, False]
    m = reflection_metrics(texts, correct)
    assert {w: n for w, n in m["word_counts"].items() if n} == {
        "wait": 2, "re-check": 1, "verify": 1, "yet": 2, "rethink": 1}
    assert m["reflection_ratio"] == pytest.approx(5 / 6)        # all but "The answer is 3"
    assert m["reflection_ratio_in_correct_answers"] == 1.0
    assert m["reflection_ratio_in_incorrect_answers"] == pytest.approx(2 / 3)
    assert m["correct_ratio_in_reflection_texts"] == pytest.approx(3 / 5)
    assert m["correct_ratio_in_no_reflection_texts"] == 0.0


def test_reflection_whole_word_mode_is_stricter():
    texts = ["Let me check again and think again; try again. Rethink, reevaluation.", "awaited", "Yeti", "rethinking"]
    m = reflection_metrics(texts, [False] * 4, whole_words=True)
    counts = m["word_counts"]
    assert counts["check again"] == counts["think again"] == counts["try again"] == 1
    assert counts["rethink"] == 1 and counts["reevaluation"] == 1 and counts["wait"] == 0 and counts["yet"] == 0
    assert m["reflection_ratio"] == 0.25
    assert reflection_metrics(texts, [False] * 4)["reflection_ratio"] == 1.0  # MAYE's rule: all four


def test_settings():
    assert [s.name for s in MAYE] == ["pass8_t1", "pass1_t06", "pass1_t001"]
    assert MAYE[0].n == 8 and MAYE[2].temperature == 0.01 and MAYE[2].top_p == 0.001
    s = parse_setting("p4:n=4,k=2,temperature=0.7")
    assert (s.n, s.k, s.temperature, s.top_p) == (4, 2, 0.7, 1.0)
    with pytest.raises(ValueError):
        parse_setting("bad:n=2,k=3")


def test_eval_scores_exactly_like_the_training_reward():
    rows = [{"answer": "65°", "answer_type": "degrees", "choices": []}] * 3
    texts = ["<think>..</think><answer>65</answer>", "<answer>A or 65</answer>", "no answer"]
    assert score(texts, rows, get_accuracy_reward()) == [True, False, False]


def _fake_run(root, tiny, epochs):
    for step, epoch in epochs:
        ckpt = os.path.join(root, f"checkpoint-{step}")
        shutil.copytree(tiny, ckpt)
        json.dump({"epoch": epoch, "global_step": step}, open(os.path.join(ckpt, "trainer_state.json"), "w"))
    return str(root)


def test_model_eval_end_to_end_and_resumable(tiny_models, angles_dataset, tmp_path, capsys):
    out = str(tmp_path / "out")
    args = ["--model", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--out", out, "--limit", "3",
            "--max-new-tokens", "6"]
    eval_main(args)
    results = json.load(open(os.path.join(out, "results.json")))
    got = results["base"]["results"]
    assert set(got) == {"pass8_t1", "pass1_t06", "pass1_t001"} and set(got["pass8_t1"]) == {"validation", "test"}
    lines = [json.loads(x) for x in open(os.path.join(out, "base", "pass8_t1", "test.jsonl"))]
    assert len(lines) == 3 and all(len(x["completions"]) == 8 and len(x["correct"]) == 8 for x in lines)
    assert {"id", "answer", "extracted", "correct"} <= set(lines[0])
    assert 0.0 <= got["pass8_t1"]["test"]["accuracy"] <= 100.0
    for name in ("summary.md", "summary.json", "accuracy.png", "response_length.png", "reflection.png"):
        assert os.path.getsize(os.path.join(out, name)) > 0
    stamp = os.path.getmtime(os.path.join(out, "base", "pass8_t1", "test.jsonl"))
    eval_main(args)  # everything already scored: nothing is generated again
    assert os.path.getmtime(os.path.join(out, "base", "pass8_t1", "test.jsonl")) == stamp


def test_runs_with_checkpoints_and_seeds(tiny_models, angles_dataset, tmp_path):
    runs = [_fake_run(tmp_path / f"seed{i}", tiny_models["qwen2_vl"], [(1, 0.5), (2, 1.0)]) for i in range(2)]
    out = str(tmp_path / "out")
    eval_main(["--runs", *runs, "--base", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--out", out,
               "--limit", "2", "--max-new-tokens", "4", "--splits", "test", "--settings", "greedyish:temperature=0.01"])
    summary = json.load(open(os.path.join(out, "summary.json")))
    run = summary["runs"]["seed0"]["test_greedyish"]
    assert len(run["checkpoints"]) == 2 and run["base"] is not None
    assert run["max"] == max(run["checkpoints"]) and run["mean"] == pytest.approx(sum(run["checkpoints"]) / 2)
    assert set(summary["across_runs"]["test_greedyish"]) >= {"last", "max", "mean"}
    assert "mean ± std over 2 runs" in open(os.path.join(out, "summary.md")).read()


def test_no_checkpoints_is_one_clear_error(tmp_path, angles_dataset):
    with pytest.raises(EvalError, match="no checkpoints in"):
        eval_main(["--runs", str(tmp_path / "empty"), "--dataset", angles_dataset, "--out", str(tmp_path / "o")])
