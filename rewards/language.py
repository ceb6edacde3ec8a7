"""MAYE's language reward: a penalty proportional to the share of characters from unwanted scripts."""

from __future__ import annotations

from collections.abc import Callable

from rewards.extract import completion_text

SCRIPTS = {
    "cjk": ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x3040, 0x30FF), (0xAC00, 0xD7AF)),
    "cyrillic": ((0x0400, 0x04FF),),
}


def get_language_reward(weight: float = -0.1, scripts: tuple[str, ...] = ("cjk",)) -> Callable:
    ranges = [r for name in scripts for r in SCRIPTS[name]]

    def language_reward(completions, **kwargs) -> list[float]:
        scores = []
        for c in completions:
            chars = [ch for ch in completion_text(c) if not ch.isspace()]
            hits = sum(any(lo <= ord(ch) <= hi for lo, hi in ranges) for ch in chars)
            scores.append(weight * hits / len(chars) if chars else 0.0)
        return scores

    language_reward.__name__ = "language_reward"
    return language_reward


language_reward = get_language_reward()
