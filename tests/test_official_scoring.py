"""The benchmarks' own scoring rules (rewards.official), written here again from each rule's definition, agree with
the accuracy reward when a row names the rule in its `scorer` column."""

import re
import string

import pytest
from datasets import load_from_disk
from math_verify import parse, verify

from core.schema import SCORING_DEFAULTS
from data_prep.__main__ import main as data_prep
from rewards import accuracy_reward
from tests.source_fixtures import FIXTURES, GEOQA_TEST_GOLDS

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


# ---- per source: fixture rows with the hub's columns, converted, then scored with the row's own columns ----

@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Every source's fixture converted once: {source: [row, ...]} (images left out)."""
    out = {}
    for name, builders in FIXTURES.items():
        out[name] = []
        for build in builders:
            root = tmp_path_factory.mktemp(build.__name__)
            path, extra, *_ = build(str(root / "raw"))
            data_prep([name, "--input", path, "--out", str(root / "out"), *extra])
            for split in load_from_disk(str(root / "out")).values():
                out[name] += list(split.remove_columns("images"))
    return out


def rewarded(row: dict, answers: list[str]) -> list[float]:
    columns = ("answer", "choices", "answer_type", *SCORING_DEFAULTS)
    return accuracy_reward([A.format(a) for a in answers], **{c: [row[c]] * len(answers) for c in columns})


def test_chartqa_rows_score_by_relaxed_accuracy(converted):
    answers = ["14", "14.5", "13.4", "15", "2019", "2050", "blue", "Blue", "red", "14%", "14.0"]
    for row in converted["chartqa"]:
        assert row["scorer"] == "relaxed" and row["tolerance"] == 0.05
        assert rewarded(row, answers) == [float(chartqa_rule(a, row["answer"])) for a in answers], row["answer"]


def mathvista_reference(pred: str, row: dict) -> bool:
    if row["choices"]:  # calculate_score.py: '(B) text' -> 'B'; a letter -> its option text; compared to the text
        letters = re.findall(r"\(([a-zA-Z])\)", pred)
        pred = letters[0].upper() if letters else pred
        letters_in_use = "ABCDEFGH"[: len(row["choices"])]
        text = row["choices"][letters_in_use.index(pred)] if pred in letters_in_use else pred
        return text == row["choices"]["ABCDEFGH".index(row["answer"])]
    return mathvista_rule(pred, row["answer"], row["answer_type"], row["precision"], None)


def test_mathvista_rows_score_by_the_official_normalisation(converted):
    answers = ["B", "green", "(B) green", "A", "red", "7", "7.4", "8", "1.5", "1.53", "1.46", "0.57", "0.571",
               "0.58"]
    rows = converted["mathvista"]
    assert {r["answer"]: r["precision"] for r in rows} == {"B": -1, "7": -1, "1.5": 1, "0.57": 2}
    for row in rows:
        assert row["scorer"] == "mathvista"
        assert rewarded(row, answers) == [float(mathvista_reference(a, row)) for a in answers], row["answer"]


def scienceqa_reference(pred: str, target: str) -> bool:
    # lmms-eval scienceqa/utils.py sqa_process_results
    if pred.lower() == target.lower():
        return True
    return len(pred) >= 2 and pred[0].isupper() and pred[1] == "." and pred[0].lower() == target.lower()


def ai2d_reference(pred: str, target: str) -> bool:
    # lmms-eval ai2d: MultiChoiceRegexFilter ('^\s*([A-Z])\.'), then exact_match ignoring case and punctuation
    m = re.match(r"^\s*([A-Z])\.", pred)
    pred = m.group(1) if m else pred
    return pred.translate(str.maketrans("", "", string.punctuation)).strip().lower() == target.lower()


def test_scienceqa_and_ai2d_rows_score_the_letter_only(converted):
    for name, reference, answers in [
        ("scienceqa", scienceqa_reference, ["B", "b", "B. whale", "A", "whale", "C. shark", "B or C"]),
        ("ai2d", ai2d_reference, ["C", "c", "C. B", "(C)", "C)", "B", "D", "A"]),
    ]:
        for row in converted[name]:
            assert row["scorer"] == "letter"
            assert rewarded(row, answers) == [float(reference(a, row["answer"])) for a in answers], (name, row)
    # deliberate: '(B)' names the option letter; lmms-eval's ScienceQA parser reads it as wrong, its AI2D one as right
    assert rewarded(converted["scienceqa"][0], ["(B)"]) == [1.0]


def geometry3k_reference(pred: str, row: dict) -> bool:
    # lmms-eval geometry3k/utils.py _extract_answer_letter: letter patterns, last match; else an option's text
    for pattern in (r"[Aa]nswer\s*[:=]\s*\(?([A-Da-d])\)?", r"\b([A-Da-d])\s*[.)\]]", r"^\s*\(?([A-Da-d])\)?$",
                    r"\b([A-Da-d])\b"):
        found = re.findall(pattern, pred.strip())
        if found:
            return found[-1].upper() == row["answer"]
    texts = [i for i, c in enumerate(row["choices"]) if c.lower() in pred.lower()]
    return bool(texts) and "ABCD"[texts[0]] == row["answer"]


def test_geometry3k_rows_score_letter_or_option_text(converted):
    answers = ["C", "(C)", "c", "C.", "A", "5", "3", "D", "6"]
    for row in converted["geometry3k"]:
        assert rewarded(row, answers) == [float(geometry3k_reference(a, row)) for a in answers], row["id"]


def test_clevr_rows_score_as_r1v_counts(converted):
    # R1-V src/eval/test_qwen2vl_counting_superclevr.py: '<answer>\s*(\d+)\s*</answer>', compared as integers
    answers = ["4", " 4 ", "04", "5", "four", "2", "7"]
    for row in converted["clevr_count"]:
        expected = [float(bool(re.fullmatch(r"\s*(\d+)\s*", a)) and int(a) == int(row["answer"])) for a in answers]
        assert rewarded(row, answers) == expected, row["answer"]


def test_geoqa_rows_score_as_math_verify_reads_them(converted):
    """R1-V's GeoQA test scores with math-verify (src/eval/test_qwen2vl_geoqa.py). Every gold converts and scores 1
    given verbatim; where math-verify reads the gold whole (numbers, degrees, lengths) our score is its score."""
    rows = converted["geoqa_r1v"]
    assert set(GEOQA_TEST_GOLDS) <= {r["answer"] for r in rows}
    for row in rows:
        assert rewarded(row, [row["answer"]]) == [1.0], row["answer"]
        value = re.match(r"^(\d+(?:\.\d+)?)(°|cm|)$", row["answer"])
        if value:
            answers = [value.group(1), f"{value.group(1)}{value.group(2)}", str(float(value.group(1)) + 1)]
            expected = [float(verify(parse(row["answer"]), parse(a))) for a in answers]
            assert rewarded(row, answers) == expected, row["answer"]
    by_gold = {r["answer"]: r for r in rows}  # where math-verify misreads the gold (2√{3} as 2), we do not
    assert rewarded(by_gold["2√{3}"], ["2\\sqrt{3}", "2", "\\sqrt{12}"]) == [1.0, 0.0, 1.0]
    assert rewarded(by_gold["16π平方米"], ["16\\pi", "16", "16\\pi m^2", "16\\pi cm^2"]) == [1.0, 0.0, 1.0, 0.0]
    assert rewarded(by_gold["4πcm"], ["4\\pi", "4\\pi cm", "4\\pi m"]) == [1.0, 1.0, 0.0]


def test_maye_rows_score_against_the_solution_as_maye_does(converted):
    """MAYE (maye/datasets/math.py judge) checks a prediction against `solution`'s last boxed sentence with
    math-verify: the gold is the solution's box, also where `answer` is written another way."""
    rows = {r["id"]: r for r in converted["maye"]}
    assert rows["mm_1"]["answer"] == "1.5" and "<image>" not in rows["mm_1"]["problem"]
    for row, answers in [(rows["mm_1"], ["1.5", "\\frac{3}{2}", "3/2", "2", "1.05"]),
                         (rows["mm_0"], ["12", "12.0", "13"])]:
        solution = parse(row["rationale"][row["rationale"].rfind("\\boxed"):])
        expected = [float(verify(parse(f"\\boxed{{{a}}}"), solution)) for a in answers]
        assert rewarded(row, answers) == expected, row["id"]


def test_mathverse_rows_score_by_the_judge_prompts_rule(converted):
    """MathVerse scores with a GPT judge (evaluation/prompts.py demo_prompt_score): a choice answer must name the
    standard option (its letter, or its text); a free-form answer must mean the same value. Labelled by hand."""
    rows = {r["id"]: r for r in converted["mathverse"]}
    cases = {
        "1": [("B", 1), ("60°", 1), ("B:60°", 1), ("A", 0), ("30°", 0)],
        "2": [("C", 1), ("(C)", 1), ("A", 0)],  # vision only: the options are in the image
        "3": [("C", 1), ("(C)", 1), ("B", 0)],  # gold written '(C)'
        "4": [("C, D", 1), ("D and C", 1), ("C", 0), ("D", 0)],  # gold 'C\nD': both letters, never one
        "5": [("B", 1), ("False", 1), ("True", 0), ("A", 0)],  # gold written as the option's text
        "6": [("113.1", 1), ("113.1 cm^2", 1), ("Area = 113.1", 1), ("113", 0), ("113.1 m^2", 0)],
        "7": [("(20,10)", 1), ("(20, 10)", 1), ("(10,20)", 0)],
    }
    for gold, labelled in cases.items():
        answers = [a for a, _ in labelled]
        assert rewarded(rows[gold], answers) == [float(e) for _, e in labelled], gold
