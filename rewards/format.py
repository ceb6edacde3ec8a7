"""Format rewards: the answer sits where the prompt asked, exactly once, with nothing around it."""

from __future__ import annotations

import re

from rewards.extract import completion_text, last_boxed

# A tempered token: any text that does not open or close a think/answer tag. DOTALL so multi-line reasoning
# counts (peers without DOTALL score every multi-line answer 0).
_FREE = r"(?:(?!</?think>|</?answer>).)*"
_THINK_ANSWER = re.compile(rf"\s*<think>{_FREE}</think>\s*<answer>{_FREE}</answer>\s*", re.DOTALL)
_THINK_THEN = re.compile(rf"\s*<think>{_FREE}</think>({_FREE})", re.DOTALL)


def format_ok(text: str, style: str = "think") -> bool:
    """'think': <think>..</think><answer>..</answer>; 'boxed': <think>..</think> then text with one \\boxed{}."""
    if style == "think":
        return _THINK_ANSWER.fullmatch(text) is not None
    if style == "boxed":
        m = _THINK_THEN.fullmatch(text)
        if m is None:
            return False
        rest = m.group(1)
        return rest.count("\\boxed{") == 1 and last_boxed(rest) is not None
    raise ValueError(f"unknown format style {style!r}: use 'think' or 'boxed'")


def format_reward(completions, **kwargs) -> list[float]:
    """1 for exactly one <think>..</think> followed by exactly one <answer>..</answer>, else 0."""
    return [float(format_ok(completion_text(c), "think")) for c in completions]


def boxed_format_reward(completions, **kwargs) -> list[float]:
    """1 for <think>..</think> followed by a final answer with exactly one \\boxed{}, else 0."""
    return [float(format_ok(completion_text(c), "boxed")) for c in completions]
