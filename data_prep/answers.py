"""Gold answers: unwrap, classify (the schema's answer_type) and check that a numeric gold really is a number."""

from __future__ import annotations

import re

from rewards.compare import NO, YES, normalize_text, parse_number, split_unit
from rewards.extract import unwrap_gold

LETTERS = "ABCDEFGH"
_MATH = re.compile(r"^[0-9a-zA-Z\s\\{}()\[\]^_+\-*/.,√π=<>|:°%']+$")


class Drop(Exception):
    """A row that cannot be used; the message is the reason it is counted under."""


def letter(index: int, choices: list) -> str:
    if not 0 <= index < len(choices):
        raise Drop("answer index outside the choices")
    return LETTERS[index]


def answer_type_of(answer: str, choices: list | None = None) -> str:
    if choices and len(answer) == 1 and answer in LETTERS[: len(choices)]:
        return "choice"
    if normalize_text(answer) in YES | NO:
        return "yesno"
    value, unit = split_unit(answer)
    number = parse_number(value)
    if number is not None:
        if unit == "°":
            return "degrees"
        if unit:
            return "length"
        return "integer" if number.denominator == 1 and "." not in value else "number"
    words = re.sub(r"\\[a-zA-Z]+", " ", answer)  # LaTeX commands (\sqrt, \frac, \pi) are not words
    if re.search(r"\d", answer) and _MATH.match(answer) and not re.search(r"[a-zA-Z]{3,}", words):
        return "expression"
    return "text"


def numeric_gold(raw, choices: list | None = None) -> tuple[str, str]:
    """A gold that must be a number (counts, angles, lengths, values): its bare text and answer_type, or Drop."""
    answer = unwrap_gold(str(raw)) if raw is not None else ""
    if not answer:
        raise Drop("empty answer")
    kind = answer_type_of(answer, choices)
    if kind not in ("integer", "number", "degrees", "length", "expression"):
        raise Drop("numeric answer does not parse")
    return answer, kind


def any_gold(raw, choices: list | None = None) -> tuple[str, str]:
    answer = unwrap_gold(str(raw)) if raw is not None else ""
    if not answer:
        raise Drop("empty answer")
    return answer, answer_type_of(answer, choices)


def parse_choices_block(question: str) -> tuple[str, list[str]]:
    """MathVerse-style 'Choices:\\nA:1\\nB:2' at the end of a question -> (question without it, option texts)."""
    m = re.search(r"\n\s*Choices?\s*:\s*\n(.*)$", question, re.DOTALL | re.IGNORECASE)
    if not m:
        return question, []
    options = re.findall(r"^\s*\(?([A-H])[:.)]\s*(.*?)\s*$", m.group(1), re.MULTILINE)
    if [o[0] for o in options] != list(LETTERS[: len(options)]):
        return question, []
    return question[: m.start()].strip(), [o[1] for o in options]
