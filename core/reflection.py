"""MAYE's reflection statistics of responses, shared by training logs and evaluation.

The default reproduces MAYE's own code exactly (GAIR-NLP/MAYE, recipes/full_ppo_vllm_distributed.py,
`log_reflection_analysis`): each of the 15 words is a plain substring of the lower-cased text (`word in text`),
and a word's count is `text.count(word)`, so "yet" also matches "yeti" and "wait" matches "awaiting".
`whole_words=True` is a stricter mode of our own that matches whole words and phrases only.
"""

from __future__ import annotations

import re

REFLECTION_WORDS = ("re-check", "re-evaluate", "re-examine", "re-think", "recheck", "reevaluate", "reexamine",
                    "reevaluation", "rethink", "check again", "think again", "try again", "verify", "wait", "yet")
_WHOLE = {w: re.compile(rf"(?<![\w-]){re.escape(w)}(?![\w-])") for w in REFLECTION_WORDS}


def reflection_counts(text: str, whole_words: bool = False) -> dict[str, int]:
    text = text.lower()
    if whole_words:
        return {w: len(p.findall(text)) for w, p in _WHOLE.items()}
    return {w: text.count(w) for w in REFLECTION_WORDS}


def reflection_metrics(texts: list[str], correct: list[bool], whole_words: bool = False) -> dict:
    """Per-word counts over all texts and MAYE's five ratios (0.0 where a ratio's denominator is empty)."""
    if len(texts) != len(correct):
        raise ValueError("texts and correct must have the same length")
    counts = {w: 0 for w in REFLECTION_WORDS}
    reflective = []
    for text in texts:
        found = reflection_counts(text, whole_words)
        for w, n in found.items():
            counts[w] += n
        reflective.append(any(found.values()))

    def ratio(num: int, den: int) -> float:
        return num / den if den else 0.0

    n_right = sum(map(bool, correct))
    n_refl = sum(reflective)
    refl_right = sum(r and bool(c) for r, c in zip(reflective, correct, strict=True))
    return {
        "word_counts": counts,
        "reflection_ratio": ratio(n_refl, len(texts)),
        "reflection_ratio_in_correct_answers": ratio(refl_right, n_right),
        "reflection_ratio_in_incorrect_answers": ratio(n_refl - refl_right, len(texts) - n_right),
        "correct_ratio_in_reflection_texts": ratio(refl_right, n_refl),
        "correct_ratio_in_no_reflection_texts": ratio(n_right - refl_right, len(texts) - n_refl),
    }
