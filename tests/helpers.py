"""Rewards for tests only: signals that vary on a random tiny model's output, so advantages are non-zero."""


def text_length_reward(completions, **kwargs) -> list[float]:
    return [len(c[-1]["content"] if isinstance(c, list) else c) / 100.0 for c in completions]
