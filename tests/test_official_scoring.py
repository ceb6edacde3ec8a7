"""The benchmarks' own scoring rules (rewards.official), written here again from each rule's definition, agree with
the accuracy reward when a row names the rule in its `scorer` column."""

import pytest

from rewards import accuracy_reward

A = "<think>x</think><answer>{}</answer>"


def chartqa_rule(pred: str, gold: str) -> bool:
    """ChartQA relaxed accuracy (Masry et al. 2022, 5.1): within 5 % of a numeric gold, else exact (any case)."""
    def num(s):
        try:
            return float(s[:-1]) / 100 if s.endswith("%") else float(s)
        except ValueError:
            return None
    p, g = num(pred), num(gold)
    return abs(p - g) / abs(g) <= 0.05 if p is not None and g else pred.lower() == gold.lower()


def score(preds, gold, **columns):
    n = len(preds)
    return accuracy_reward([A.format(p) for p in preds], answer=[gold] * n, **{k: [v] * n for k, v in columns.items()})


@pytest.mark.parametrize("gold", ["14", "2019", "0.57", "45%", "Blue", "0", "-3.2"])
def test_relaxed_accuracy_matches_chartqa_rule(gold):
    preds = ["14", "14.6", "14.8", "13.4", "2019", "2000", "0.6", "0.54", "0.5", "45%", "0.45", "45", "47%", "blue",
             "Blue", "Blue.", "0", "0.0", "-3.2", "-3.3", "3.2", "dark blue"]
    expected = [float(chartqa_rule(p, gold)) for p in preds]
    assert score(preds, gold, scorer="relaxed", tolerance=0.05) == expected
    assert score(["14.6"], "14") == [0.0]  # without the column: exact numbers (1e-6)


def mathvista_rule(pred: str, gold: str, answer_type: str, precision, choices):
    """MathVista calculate_score.py: letter -> option text; int(float(x)); round(float(x), precision); exact."""
    if choices:
        letter = pred.strip()
        text = choices["ABCDEFGH".index(letter)] if letter in "ABCDEFGH"[: len(choices)] else letter
        return text == choices["ABCDEFGH".index(gold)]
    try:
        if answer_type == "integer":
            return str(int(float(pred))) == gold
        return str(round(float(pred), int(precision))) == gold
    except ValueError:
        return False


@pytest.mark.parametrize("gold, answer_type, precision, preds", [
    ("7", "integer", -1, ["7", "7.0", "7.9", "6.99", "8", "-7", "seven"]),
    ("1.2", "number", 1, ["1.2", "1.23", "1.24", "1.15", "1.25", "1.3", "1.20", "12"]),
    ("0.57", "number", 2, ["0.57", "0.571", "0.5749", "0.575", "0.56", "0.6"]),
])
def test_mathvista_numbers_match_the_official_normalisation(gold, answer_type, precision, preds):
    expected = [float(mathvista_rule(p, gold, answer_type, precision, None)) for p in preds]
    assert score(preds, gold, scorer="mathvista", answer_type=answer_type, precision=precision) == expected
    assert expected.count(1.0) >= 2  # the official rule really is looser than exact


def test_mathvista_choice_by_letter_or_option_text():
    choices = ["red", "green", "blue"]
    preds = ["B", "green", "(B) green", "A", "red", "B or C"]
    assert score(preds, "B", scorer="mathvista", answer_type="choice", choices=choices) == [1, 1, 1, 0, 0, 0]


def test_letter_scorer_takes_the_letter_never_the_option_text():
    # AI2D: options that are themselves letters; the gold is B, whose text is "A"
    choices = ["D", "A", "B", "C"]
    preds = ["B", "b", "B. A", "(B)", "A", "D"]
    assert score(preds, "B", scorer="letter", answer_type="choice", choices=choices) == [1, 1, 1, 1, 0, 0]
    assert score(["whale"], "B", scorer="letter", choices=["frog", "whale"]) == [0.0]
    assert score(["whale"], "B", choices=["frog", "whale"]) == [1.0]  # the default accepts the option text


def test_multi_letter_gold_needs_every_letter():
    choices = ["a", "b", "c", "d"]
    assert score(["C, D", "D and C", "(C)(D)", "C", "D", "C, D, A"], "C, D", answer_type="choice",
                 choices=choices) == [1, 1, 1, 0, 0, 0]


def test_unknown_scorer_is_one_line():
    with pytest.raises(ValueError, match="unknown scorer 'nope'.*known"):
        score(["1"], "1", scorer="nope")
