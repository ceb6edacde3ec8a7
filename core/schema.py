"""The unified row schema every converter writes and every recipe and eval reads."""

from __future__ import annotations

from datasets import Features, Image, Sequence, Value

from core.errors import UserError

# answer_type tells the reward which comparison applies; it never changes what counts as correct.
# Option letters, in the order of a row's `choices`.
LETTERS = "ABCDEFGH"

ANSWER_TYPES = ("integer", "number", "degrees", "length", "choice", "expression", "yesno", "text")

FEATURES = Features(
    {
        "id": Value("string"),
        "images": Sequence(Image()),
        "problem": Value("string"),  # the question as the benchmark prompts it: options and its own answer hint
        "answer": Value("string"),  # gold final answer, unwrapped (no <answer>, \boxed, $)
        "answer_type": Value("string"),
        "choices": Sequence(Value("string")),  # option texts in letter order; empty when not multiple choice
        "source": Value("string"),
        "rationale": Value("string"),  # worked reasoning for SFT; empty when the source has none
        # The benchmark's own scoring rule (rewards.official) and its parameters; the accuracy reward applies them,
        # in training and in eval alike. Optional: a dataset without them is scored by the default rule.
        "scorer": Value("string"),  # '' (default), 'relaxed' (ChartQA), 'mathvista', 'letter' (ScienceQA, AI2D)
        "tolerance": Value("float64"),  # relative tolerance of 'relaxed' (ChartQA: 0.05)
        "precision": Value("int32"),  # decimal places a float answer is rounded to ('mathvista'); -1: none
    }
)

SCORING_DEFAULTS = {"scorer": "", "tolerance": 0.0, "precision": -1}
REQUIRED_COLUMNS = tuple(c for c in FEATURES if c not in SCORING_DEFAULTS)

# Preference pairs for DPO (python -m recipes.dpo_geo.pairs): the unified row plus a preferred and a dispreferred
# response.
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
