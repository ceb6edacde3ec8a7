"""Evaluation metrics of the MAYE scheme: unbiased pass@k and the reflection-word statistics."""

from __future__ import annotations

import re
from math import comb

# MAYE's 15 reflection words, matched case-insensitively as whole words or phrases.
REFLECTION_WORDS = ("re-check", "re-evaluate", "re-examine", "re-think", "recheck", "reevaluate", "reexamine",
                    "reevaluation", "rethink", "check again", "think again", "try again", "verify", "wait", "yet")
_PATTERNS = {w: re.compile(rf"(?<![\w-]){re.escape(w)}(?![\w-])", re.IGNORECASE) for w in REFLECTION_WORDS}


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k samples drawn from n (c of them correct) is correct (Chen et al., 2021)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def reflection_counts(text: str) -> dict[str, int]:
    return {w: len(p.findall(text)) for w, p in _PATTERNS.items()}


def reflection_metrics(texts: list[str], correct: list[bool]) -> dict:
    """Per-word counts over all texts and MAYE's five ratios (0.0 where a ratio's denominator is empty)."""
    if len(texts) != len(correct):
        raise ValueError("texts and correct must have the same length")
    counts = {w: 0 for w in REFLECTION_WORDS}
    reflective = []
    for text in texts:
        found = reflection_counts(text)
        for w, n in found.items():
            counts[w] += n
        reflective.append(any(found.values()))

    def ratio(num: int, den: int) -> float:
        return num / den if den else 0.0

    n_right = sum(correct)
    n_refl = sum(reflective)
    refl_right = sum(r and c for r, c in zip(reflective, correct, strict=True))
    return {
        "word_counts": counts,
        "reflection_ratio": ratio(n_refl, len(texts)),
        "reflection_ratio_in_correct_answers": ratio(refl_right, n_right),
        "reflection_ratio_in_incorrect_answers": ratio(n_refl - refl_right, len(texts) - n_right),
        "correct_ratio_in_reflection_texts": ratio(refl_right, n_refl),
        "correct_ratio_in_no_reflection_texts": ratio(n_right - refl_right, len(texts) - n_refl),
    }
