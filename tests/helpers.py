"""Rewards for tests only: signals that vary on a random tiny model's output, so advantages are non-zero."""


def text_length_reward(completions, **kwargs) -> list[float]:
    return [len(c[-1]["content"] if isinstance(c, list) else c) / 100.0 for c in completions]


def even_length_reward(completions, **kwargs) -> list[float]:
    """Right when the response has an even number of characters: a random model is right about half the time."""
    return [float(len(c[0]["content"]) % 2 == 0) for c in completions]


def _category(row_id: str) -> int:
    return int(row_id.rsplit("-", 1)[1]) % 3


def table_accuracy_reward(completions, id, **kwargs) -> list[float]:
    """A hand-made accuracy table keyed by row id: every third prompt all right, every third all wrong, the rest
    right on even positions of its group only (rows of a group are consecutive, groups start at even rows)."""
    table = {0: lambda i: 1.0, 1: lambda i: 0.0, 2: lambda i: float(i % 2 == 0)}
    return [table[_category(row_id)](i) for i, row_id in enumerate(id)]


def signed_table_accuracy_reward(completions, id, **kwargs) -> list[float]:
    """table_accuracy_reward on DAPO's {-1, 1} scale."""
    return [2 * r - 1 for r in table_accuracy_reward(completions, id)]


def alternating_reward(completions, **kwargs) -> list[float]:
    """Every group of an even size is informative: right, wrong, right, wrong, ..."""
    return [float(i % 2 == 0) for i in range(len(completions))]


def constant_reward(completions, **kwargs) -> list[float]:
    """No group is ever informative."""
    return [1.0] * len(completions)


def rank_dependent_reward(completions, **kwargs) -> list[float]:
    """Process 0 never sees an informative group; the others always do (a process that never fills its share)."""
    import os

    if int(os.environ.get("RANK", "0")) == 0:
        return constant_reward(completions)
    return alternating_reward(completions)


def first_group_only_reward(completions, **kwargs) -> list[float]:
    """Only the first group of each batch is informative (right, wrong, wrong, ...)."""
    return [float(i == 0) for i in range(len(completions))]


def every_other_unscorable_reward(completions, **kwargs) -> list[float | None]:
    """None (a gold the verifier cannot read) on even rows, the text length on odd rows."""
    return [None if i % 2 == 0 else v for i, v in enumerate(text_length_reward(completions))]
