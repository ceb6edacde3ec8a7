"""Accuracy against a verifiable gold answer, bounded in time, taken only from the tagged or boxed answer."""

from __future__ import annotations

import re
from collections.abc import Callable

from core.schema import SCORING_DEFAULTS
from rewards import compare, official
from rewards.extract import MAX_ANSWER_CHARS, completion_text, extract_answer, unwrap_gold
from rewards.format import format_ok
from rewards.sandbox import TIMEOUT, pool

_TEXT_GOLD = re.compile(r"[A-Za-z][A-Za-z '\-]+")  # words only: compared exactly, never symbolically or fuzzily


def _official(pred: str, gold: str, row: dict) -> bool:
    scorer = row["scorer"]
    if scorer == "relaxed":
        return official.relaxed_equal(pred, gold, row["tolerance"])
    if scorer == "mathvista":
        return official.mathvista_equal(pred, gold, row["answer_type"], row["precision"], row["choices"])
    return official.letter_equal(pred, gold)


def _fast(pred: str, gold: str, row: dict) -> bool | None:
    if row["scorer"]:
        return _official(pred, gold, row)
    if compare.is_choice_gold(gold, row["answer_type"], row["choices"]):
        return compare.choice_equal(pred, gold, row["choices"])
    decided = compare.yesno_equal(pred, gold)
    if decided is not None:
        return decided
    if _same_text(pred, gold):
        return True
    pred, gold = compare.canonical(pred), compare.canonical(gold)
    decided = compare.numbers_equal(pred, gold)
    if decided is not None:
        return decided
    if row["answer_type"] == "text" or _TEXT_GOLD.fullmatch(gold):
        return False
    (_, pred_unit), (gold_value, gold_unit) = compare.split_unit(pred), compare.split_unit(gold)
    if pred_unit and gold_unit and pred_unit != gold_unit:
        return False  # '4πcm' is not '4πm'
    if compare.parse_number(gold_value) is not None and not re.search(r"\d", pred):
        return False  # a numeric gold and an answer without a digit
    return None


def _same_text(pred: str, gold: str) -> bool:
    return compare.normalize_text(compare.canonical(pred)) == compare.normalize_text(compare.canonical(gold))


def _symbolic(s: str) -> str:
    """What math-verify reads: the value without its label or unit ('Area =9π cm^2' -> '9π'), √ as \\sqrt."""
    return compare.sqrt_to_latex(compare.split_unit(compare.canonical(s))[0])


def _needs_symbolic(gold: str) -> bool:
    g = compare.canonical(gold)
    return not (compare.is_choice_gold(gold, None, None) or compare.yesno_equal(gold, gold) is not None
                or compare.parse_number(compare.split_unit(g)[0].rstrip("%")) is not None or _TEXT_GOLD.fullmatch(g))


def _rows(n: int, columns: dict) -> list[dict]:
    """Per-completion scoring fields; a column the dataset lacks takes its neutral value."""
    defaults = {"choices": None, "answer_type": None, **SCORING_DEFAULTS}
    given = {k: columns.get(k) if columns.get(k) is not None else [v] * n for k, v in defaults.items()}
    rows = [{k: given[k][i] for k in defaults} for i in range(n)]
    for row in rows:
        row["scorer"] = row["scorer"] or ""
        if row["scorer"] not in official.SCORERS:
            raise ValueError(f"unknown scorer {row['scorer']!r} in the dataset's `scorer` column; known: "
                             f"{', '.join(repr(s) for s in official.SCORERS)}")
    return rows


def get_accuracy_reward(negative: bool = False, gate: str | None = None, budget_s: float = 1.0) -> Callable:
    """Accuracy in {0, 1}, or {-1, 1} with `negative` (DAPO). `gate` = 'think' or 'boxed' scores an answer
    whose format is wrong as incorrect. Each completion's check is cut off after `budget_s` seconds (score 0).
    A row's `scorer` column (data_prep writes it) applies that benchmark's official rule (rewards.official)."""
    wrong = -1.0 if negative else 0.0

    def accuracy_reward(completions, solution=None, answer=None, log_metric=None, **columns) -> list[float | None]:
        golds = solution if solution is not None else answer
        if golds is None:
            raise ValueError("accuracy_reward needs the gold answers: a `solution` or `answer` dataset column")
        n = len(completions)
        rows = _rows(n, columns)
        unwrapped = {g: unwrap_gold(g) for g in set(map(str, golds))}  # each distinct gold once per batch
        as_symbolic = {g: _symbolic(g) for g in unwrapped.values() if g}
        scores: list[float | None] = [wrong] * n
        symbolic: dict[tuple[str, str], list[int]] = {}
        verbatim: set[int] = set()  # the gold's own text: right even where math-verify cannot read the gold
        for i, completion in enumerate(completions):
            gold = unwrapped[str(golds[i])]
            text = completion_text(completion)
            if not gold or (gate and not format_ok(text, gate)):
                continue
            # a gold with several values ('2, 3', or boxes '\boxed{2}, \boxed{3}') is compared whole: so is the answer
            several = "," in gold and compare.parse_number(gold) is None
            pred = extract_answer(text, several=several)
            if not pred or len(pred) > MAX_ANSWER_CHARS:
                continue
            decided = _fast(pred, gold, rows[i])
            if decided and _same_text(pred, gold):
                verbatim.add(i)
            if decided is None:
                symbolic.setdefault((_symbolic(pred), as_symbolic[gold]), []).append(i)
            else:
                scores[i] = 1.0 if decided else wrong
        # A gold math-verify cannot read gives None (TRL skips the sample) for any other answer than its own text.
        # Golds sent with a prediction answer that in the same call; the others are checked on their own.
        needy = {as_symbolic[unwrapped[g]] for g, row in zip(map(str, golds), rows, strict=True)
                 if unwrapped[g] and not row["scorer"] and _needs_symbolic(unwrapped[g])}
        unchecked = sorted(needy - {gold for _, gold in symbolic})
        pairs = list(symbolic) + [(g, g) for g in unchecked]
        results = pool().verify(pairs, budget_s)
        bad = {gold for (_, gold), result in zip(pairs, results, strict=True) if result is None}
        timeouts = 0
        for pair, result in zip(pairs, results, strict=True):
            timeouts += result == TIMEOUT
            for i in symbolic.get(pair, ()):
                scores[i] = 1.0 if result is True else wrong
        for i, g in enumerate(golds):
            gold = unwrapped[str(g)]
            if not gold or (not rows[i]["scorer"] and as_symbolic[gold] in bad and i not in verbatim):
                scores[i] = None
        if log_metric is not None:
            log_metric("accuracy/gold_unparsable", sum(s is None for s in scores) / max(1, n))
            log_metric("accuracy/timeouts", timeouts / max(1, n))
        return scores

    accuracy_reward.__name__ = "accuracy_reward"
    return accuracy_reward


accuracy_reward = get_accuracy_reward()
