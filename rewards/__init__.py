"""Verifiable rewards with TRL's signature `fn(completions, **columns) -> list[float | None]`.

Recipes name rewards in their config; `get(name)` returns the function, `get(name, **params)` a configured one.
"""

from __future__ import annotations

from collections.abc import Callable

from rewards.accuracy import accuracy_reward, get_accuracy_reward
from rewards.format import boxed_format_reward, format_reward
from rewards.language import get_language_reward, language_reward
from rewards.length import apply_no_eos_penalty, get_repetition_penalty_reward, get_soft_overlong_punishment

# name -> factory; a factory called with no arguments gives the default function
REGISTRY: dict[str, Callable[..., Callable]] = {
    "accuracy": get_accuracy_reward,
    "format": lambda: format_reward,
    "boxed_format": lambda: boxed_format_reward,
    "language": get_language_reward,
    "soft_overlong": get_soft_overlong_punishment,
    "repetition": get_repetition_penalty_reward,
}


def get(name: str, **params) -> Callable:
    if name not in REGISTRY:
        raise KeyError(f"unknown reward {name!r}; known: {', '.join(sorted(REGISTRY))}")
    fn = REGISTRY[name](**params)
    fn.__name__ = f"{name}_reward" if not fn.__name__.endswith("_reward") else fn.__name__
    return fn


__all__ = [
    "REGISTRY", "get", "accuracy_reward", "get_accuracy_reward", "format_reward", "boxed_format_reward",
    "language_reward", "get_language_reward", "get_soft_overlong_punishment", "get_repetition_penalty_reward",
    "apply_no_eos_penalty",
]
