"""Accuracy against a verifiable gold answer, bounded in time, taken only from the tagged or boxed answer."""

from __future__ import annotations

import re
from collections.abc import Callable

from rewards import compare
from rewards.extract import MAX_ANSWER_CHARS, completion_text, extract_answer, unwrap_gold
from rewards.format import format_ok
from rewards.sandbox import TIMEOUT, pool

_TEXT_GOLD = re.compile(r"[A-Za-z][A-Za-z '\-]+")  # words only: compared exactly, never symbolically or fuzzily


def _fast(pred: str, gold: str, choices, answer_type: str | None) -> bool | None:
    if compare.is_choice_gold(gold, answer_type, choices):
        return compare.choice_equal(pred, gold, choices)
    decided = compare.yesno_equal(pred, gold)
    if decided is not None:
        return decided
    if compare.normalize_text(pred) == compare.normalize_text(gold):
        return True
    decided = compare.numbers_equal(pred, gold)
    if decided is not None:
        return decided
    if answer_type == "text" or _TEXT_GOLD.fullmatch(gold):
        return False
    if compare.parse_number(compare.split_unit(gold)[0]) is not None and not re.search(r"\d", pred):
        return False  # a numeric gold and an answer without a digit
    return None


def _needs_symbolic(gold: str) -> bool:
    return not (compare.is_choice_gold(gold, None, None) or compare.yesno_equal(gold, gold) is not None
                or compare.parse_number(compare.split_unit(gold)[0]) is not None or _TEXT_GOLD.fullmatch(gold))


def _symbolic_gold(gold: str) -> str:
    value, _ = compare.split_unit(gold)  # math-verify reads '145', not '145°'
    return compare.sqrt_to_latex(value if compare.parse_number(value) is not None else gold)


def get_accuracy_reward(negative: bool = False, gate: str | None = None, budget_s: float = 1.0) -> Callable:
    """Accuracy in {0, 1}, or {-1, 1} with `negative` (DAPO). `gate` = 'think' or 'boxed' scores an answer
    whose format is wrong as incorrect. Each completion's check is cut off after `budget_s` seconds (score 0)."""
    wrong = -1.0 if negative else 0.0

    def accuracy_reward(completions, solution=None, answer=None, choices=None, answer_type=None, log_metric=None,
                        **kwargs) -> list[float | None]:
        golds = solution if solution is not None else answer
        if golds is None:
            raise ValueError("accuracy_reward needs the gold answers: a `solution` or `answer` dataset column")
        n = len(completions)
        choices = choices if choices is not None else [None] * n
        answer_type = answer_type if answer_type is not None else [None] * n
        unwrapped = {g: unwrap_gold(g) for g in set(map(str, golds))}  # each distinct gold once per batch
        as_symbolic = {g: _symbolic_gold(g) for g in unwrapped.values() if g}
        scores: list[float | None] = [wrong] * n
        symbolic: dict[tuple[str, str], list[int]] = {}
        for i, completion in enumerate(completions):
            gold = unwrapped[str(golds[i])]
            text = completion_text(completion)
            if not gold or (gate and not format_ok(text, gate)):
                continue
            pred = extract_answer(text)
            if not pred or len(pred) > MAX_ANSWER_CHARS:
                continue
            decided = _fast(pred, gold, choices[i], answer_type[i])
            if decided is None:
                symbolic.setdefault((compare.sqrt_to_latex(pred), as_symbolic[gold]), []).append(i)
            else:
                scores[i] = 1.0 if decided else wrong
        # A gold math-verify cannot read gives None (TRL skips the sample) whatever the prediction, never 1.
        # Golds sent with a prediction answer that in the same call; the others are checked on their own.
        needy = {as_symbolic[g] for g in as_symbolic if _needs_symbolic(g)}
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
            if not gold or as_symbolic[gold] in bad:
                scores[i] = None
        if log_metric is not None:
            log_metric("accuracy/gold_unparsable", sum(s is None for s in scores) / max(1, n))
            log_metric("accuracy/timeouts", timeouts / max(1, n))
        return scores

    accuracy_reward.__name__ = "accuracy_reward"
    return accuracy_reward


accuracy_reward = get_accuracy_reward()
