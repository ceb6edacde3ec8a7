"""Benchmarks' own scoring rules, applied when a row names one in its `scorer` column (data_prep writes it).

Each is written from the benchmark's official scorer, cited per function; `rules()` lists them. The answer they
receive is the one `extract_answer` took from the completion (the official scorers take a model's short answer
or an LLM's extraction of it).
"""

from __future__ import annotations

import re

from rewards import compare

SCORERS = {
    "": "math-verify equivalence with the fast exact checks (the default)",
    "relaxed": "ChartQA relaxed accuracy: numbers within `tolerance` relative error, else exact case-insensitive text",
    "mathvista": "MathVista: option letter or text; integers truncated, floats rounded to `precision`, then exact",
    "letter": "lmms-eval multiple choice (ScienceQA, AI2D): the option letter only, never the option text",
}


def _to_float(text: str) -> float | None:
    # lmms-eval chartqa/utils.py relaxed_correctness._to_float: '%' divides by 100, anything float() rejects is text
    try:
        return float(text.rstrip("%")) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        return None


def relaxed_equal(pred: str, gold: str, tolerance: float) -> bool:
    """ChartQA (Masry et al. 2022, section 5.1; lmms-eval chartqa/utils.py relaxed_correctness): a number within
    `tolerance` relative change of a non-zero numeric gold, otherwise an exact case-insensitive match."""
    p, g = _to_float(pred.strip()), _to_float(gold.strip())
    if p is not None and g:
        return abs(p - g) / abs(g) <= tolerance
    return pred.strip().lower() == gold.strip().lower()


def _value(pred: str) -> float | None:
    """The number in an answer, read as float() would (MathVista), also through a unit, a thousands comma or a
    fraction: our answers are the model's own text, not an LLM's clean extraction."""
    value, _ = compare.split_unit(compare.canonical(pred))
    number = compare.parse_number(value)
    return float(number) if number is not None else _to_float(value)


def mathvista_equal(pred: str, gold: str, answer_type: str | None, precision: int | None, choices) -> bool:
    """MathVista evaluation/calculate_score.py normalize_extracted_answer + safe_equal: an option by letter or text
    (the official nearest-option fallback is left out: it maps any text, even an empty answer, to some option);
    an integer answer is str(int(float(x))); a float answer is str(round(float(x), precision)); else exact."""
    if choices:
        letters = re.findall(r"\(([a-zA-Z])\)", pred)  # "(A) text" -> "A", as the official normalisation does
        return compare.choice_equal(letters[0].upper() if letters else pred, gold, choices)
    if answer_type == "integer":
        value = _value(pred)
        return value is not None and abs(value) < 1e18 and str(int(value)) == gold.strip()
    if precision is not None and precision >= 0:
        value = _value(pred)
        return value is not None and abs(value) < 1e18 and str(round(value, int(precision))) == gold.strip()
    return pred.strip() == gold.strip()


def letter_equal(pred: str, gold: str) -> bool:
    """lmms-eval scienceqa/utils.py sqa_process_results and ai2d's exact_match: the answer is the option letter
    ('B', 'b', 'B. whale'). The option's text scores 0, so an option that is itself a letter cannot be misread."""
    return compare.choice_equal(pred, gold, None, by_text=False)
