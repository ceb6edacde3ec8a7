"""Rewards never raise, stay in range, and every completion's check is cut off at its budget."""

import multiprocessing as mp
import os
import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from rewards import (
    accuracy_reward,
    apply_no_eos_penalty,
    compare,
    format_reward,
    get,
    get_accuracy_reward,
    language_reward,
    sandbox,
)
from rewards.format import boxed_format_reward

ADVERSARIAL = [
    "\\boxed{9^{9^{9^{9}}}}",
    "\\boxed{10^{100000}!}",
    "\\boxed{" + "(1+" * 300 + "1" + ")" * 300 + "}",
    "\\boxed{" + "{" * 500 + "1" + "}" * 500 + "}",
    "<answer>" + "9" * 20000 + "</answer>",
    "<answer>" * 5000 + "1",
    "<think>" + "a" * 20000,
]

texts = st.one_of(
    st.text(max_size=300),
    st.builds(lambda a, b: f"<think>{a}</think><answer>{b}</answer>", st.text(max_size=80), st.text(max_size=40)),
    st.builds(lambda a: f"\\boxed{{{a}}}", st.text(alphabet="0123456789+-*/^{}()\\fracsqrt .", max_size=40)),
)


@settings(max_examples=150, deadline=None)
@given(completion=texts,
       gold=st.one_of(st.text(max_size=20), st.sampled_from(["3", "145°", "B", "yes", "\\frac{1}{2}"])))
def test_accuracy_never_raises_and_stays_in_range(completion, gold):
    (score,) = accuracy_reward([completion], solution=[gold])
    assert score is None or score in (0.0, 1.0)


@settings(max_examples=150, deadline=None)
@given(completion=texts)
def test_format_and_language_never_raise_and_stay_in_range(completion):
    assert format_reward([completion])[0] in (0.0, 1.0)
    assert boxed_format_reward([completion])[0] in (0.0, 1.0)
    assert -0.1 <= language_reward([completion])[0] <= 0.0


def test_each_adversarial_completion_is_cut_off_at_its_budget():
    fn = get_accuracy_reward(budget_s=1.0)
    logged = {}
    for text in ADVERSARIAL:
        if sandbox._POOL is not None:  # one fresh worker, so the CPU time of the one killed is this check's
            sandbox._POOL.close()
        sandbox._POOL = None
        fn(["\\boxed{x+1}"], solution=["1+x"])  # the pool's start-up (warm-up included) is no check's budget
        start, before = time.monotonic(), os.times()
        assert fn([text], solution=["2"], log_metric=lambda k, v: logged.__setitem__(k, v)) == [0.0]
        after = os.times()  # a killed worker is reaped, so its CPU time (warm-up included) is counted here
        used = after.children_user + after.children_system - before.children_user - before.children_system
        assert used < 1.0 + 0.3, text[:40]  # the budget is the check's CPU time, plus reading it every 20 ms
        assert time.monotonic() - start < sandbox._WALL_FACTOR * 1.0, text[:40]  # however busy the machine
    assert "accuracy/timeouts" in logged


HOSTILE = ["A   " * 499 + "!", "(A)  " * 399 + "x", "1" + " " * 1998 + "x", "a " * 999 + "=", "\\text{" * 300 + "A",
           "9" * 1999, "√" * 1999, "1 " + "\\text{ " * 280, "A , " * 499 + "or"]


def test_cheap_checks_take_linear_time_on_hostile_answers():
    """The exact checks run in the trainer's own process on model text up to MAX_ANSWER_CHARS: no regex may
    backtrack (a letter list with runs of spaces took seconds before possessive quantifiers)."""
    for text in HOSTILE:
        start = time.monotonic()
        compare.choice_equal(text, "C, D", ["a", "b", "c", "d"])
        compare.choice_equal(text, "B", ["1", "2"])
        compare.numbers_equal(text, "Area $=113.1 \\mathrm{~cm}^{2}$")
        compare.split_unit(compare.canonical(text))
        assert time.monotonic() - start < 0.05, text[:20]


def test_budget_holds_in_a_worker_thread():
    out = []
    start = time.monotonic()
    thread = threading.Thread(
        target=lambda: out.append(accuracy_reward([ADVERSARIAL[0], "\\boxed{2}"], solution=["2", "2"])))
    thread.start()
    thread.join(timeout=10)
    assert out == [[0.0, 1.0]] and time.monotonic() - start < sandbox._WALL_FACTOR * 1.0 + 2.0


SYMBOLIC = [("\\sqrt{12}", "2\\sqrt{3}", 1.0), ("x^{2}+1", "1+x^2", 1.0), ("\\frac{\\pi}{4}", "\\pi/4", 1.0),
            ("2\\sqrt{2}", "2\\sqrt{3}", 0.0), ("\\frac{2}{\\sqrt{3}}", "\\frac{2\\sqrt{3}}{3}", 1.0),
            ("(x+1)^2", "x^2+2x+1", 1.0), ("\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}", 1.0), ("3\\pi", "\\pi", 0.0)]


def _burn(until: float) -> None:
    while time.monotonic() < until:
        pass


def test_batched_scores_equal_one_at_a_time_on_a_busy_machine():
    """A fresh pool's first checks and every check under load get their whole budget: the budget is CPU time, and
    workers are warmed before they take work (a cold worker paid math-verify's first parse inside the budget)."""
    burners = [mp.get_context("fork").Process(target=_burn, args=(time.monotonic() + 60,), daemon=True)
               for _ in range(3 * (os.cpu_count() or 1))]
    for b in burners:
        b.start()
    try:
        if sandbox._POOL is not None:
            sandbox._POOL.close()
        sandbox._POOL = None
        completions = ["<answer>" + p + "</answer>" for p, _, _ in SYMBOLIC]
        golds = [g for _, g, _ in SYMBOLIC]
        batched = accuracy_reward(completions, solution=golds)
        single = [accuracy_reward([c], solution=[g])[0] for c, g in zip(completions, golds, strict=True)]
    finally:
        for b in burners:
            b.kill()
    assert batched == single == [e for _, _, e in SYMBOLIC]


def test_format_reward_is_strict_and_multiline():
    good = "<think>\nline one\nline two\n</think>\n<answer>\n3\n</answer>"
    bad = [
        "<answer>3</answer>", "<think>a</think>", "<think>a</think><answer>3</answer> trailing",
        "<think>a</think><answer>3</answer><answer>4</answer>", "<think><think>a</think></think><answer>3</answer>",
        "<think>a<answer>3</answer></think><answer>3</answer>", "<answer>3</answer><think>a</think>",
        "prefix <think>a</think><answer>3</answer>",
    ]
    assert format_reward([good] + bad) == [1.0] + [0.0] * len(bad)
    assert format_reward([[{"role": "assistant", "content": good}]]) == [1.0]


def test_boxed_format_wants_think_then_exactly_one_box():
    assert boxed_format_reward(["<think>a</think>So \\boxed{3}.", "<think>a</think>\\boxed{3} \\boxed{4}",
                                "\\boxed{3}", "<think>a</think>no box"]) == [1.0, 0.0, 0.0, 0.0]


def test_language_reward_is_minus_share_of_cjk_times_weight():
    assert language_reward(["abcd", "ab中文", "中文中文"]) == [0.0, -0.05, -0.1]
    assert get("language", weight=-1.0)(["a中"]) == [-0.5]


def test_soft_overlong_and_no_eos_penalty():
    punish = get("soft_overlong", max_completion_len=10, soft_punish_cache=4)
    assert punish(completion_ids=[[0] * 6, [0] * 8, [0] * 10, [0] * 12]) == [0.0, -0.5, -1.0, -1.0]
    assert apply_no_eos_penalty([1.0, 0.0, 1.0], ended=[True, True, False]) == [1.0, 0.0, -0.1]


def test_registry_names_and_errors():
    assert get("accuracy").__name__ == "accuracy_reward"
    try:
        get("nope")
    except KeyError as err:
        assert "accuracy" in str(err)
    else:
        raise AssertionError("unknown reward accepted")
