"""The unified row schema every converter writes and every recipe and eval reads."""

from __future__ import annotations

from datasets import Features, Image, Sequence, Value

from core.errors import UserError

# answer_type tells the reward which comparison applies; it never changes what counts as correct.
ANSWER_TYPES = ("integer", "number", "degrees", "length", "choice", "expression", "yesno", "text")

FEATURES = Features(
    {
        "id": Value("string"),
        "images": Sequence(Image()),
        "problem": Value("string"),  # question text, without any answer-format instruction
        "answer": Value("string"),  # gold final answer, unwrapped (no <answer>, \boxed, $)
        "answer_type": Value("string"),
        "choices": Sequence(Value("string")),  # option texts in letter order; empty when not multiple choice
        "source": Value("string"),
        "rationale": Value("string"),  # worked reasoning for SFT; empty when the source has none
    }
)

REQUIRED_COLUMNS = tuple(FEATURES)

# Preference pairs for DPO (python -m recipes.dpo_geo.pairs): the unified row plus a preferred and a dispreferred response.
PAIR_FEATURES = Features({**FEATURES, "chosen": Value("string"), "rejected": Value("string")})


class SchemaError(UserError):
    """A dataset that does not have the unified schema; the message says what is missing and how to fix it."""


def check_columns(columns: list[str], where: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise SchemaError(
            f"{where} lacks columns {missing} (found {sorted(columns)}): convert it with `python -m data_prep SOURCE "
            "--input PATH --out DIR` first"
        )
