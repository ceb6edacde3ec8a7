"""Length shaping: DAPO's soft overlong punishment and n-gram repetition come from TRL; MAYE's no-EOS penalty."""

from __future__ import annotations

from trl.rewards import get_repetition_penalty_reward, get_soft_overlong_punishment

__all__ = ["get_soft_overlong_punishment", "get_repetition_penalty_reward", "apply_no_eos_penalty"]


def apply_no_eos_penalty(scores: list[float], ended: list[bool], penalty: float = -0.1) -> list[float]:
    """MAYE: a response that never ended (hit the length limit) gets `penalty` instead of its score."""
    return [s if e else penalty for s, e in zip(scores, ended, strict=True)]
