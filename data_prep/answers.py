"""Gold answers: unwrap, classify (the schema's answer_type) and check that a numeric gold really is a number."""

from __future__ import annotations

import re

from core.schema import LETTERS
from rewards.compare import NO, YES, canonical, choice_letters, normalize_text, parse_number, split_unit
from rewards.extract import unwrap_gold

_MATH = re.compile(r"^[0-9a-zA-Z\s\\{}()\[\]^_+\-*/.,√π=<>|:°%']+$")


class Drop(Exception):
    """A row that cannot be used; the message is the reason it is counted under."""


def letter(index: int, choices: list) -> str:
    if not 0 <= index < len(choices):
        raise Drop("answer index outside the choices")
    return LETTERS[index]


def answer_type_of(answer: str, choices: list | None = None) -> str:
    letters = choice_letters(answer) if choices else None
    if letters and all(LETTERS.index(x) < len(choices) for x in letters):
        return "choice"
    if normalize_text(answer) in YES | NO:
        return "yesno"
    value, unit = split_unit(canonical(answer))  # read as the reward reads it: 'Area $=9 \\mathrm{cm}^2$', '9米'
    number = parse_number(value.rstrip("%"))
    if number is not None:
        if unit == "°":
            return "degrees"
        if unit:
            return "length"
        return "integer" if number.denominator == 1 and not re.search(r"[.%]", value) else "number"
    words = re.sub(r"\\[a-zA-Z]+", " ", value)  # LaTeX commands (\sqrt, \frac, \pi) are not words
    if re.search(r"[\d√π]|\\pi", value) and _MATH.match(value) and not re.search(r"[a-zA-Z]{3,}", words):
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
    """A 'Choices:' block at the end of a question (MathVerse: 'Choices:\\nA:1\\nB:2', 'Choice:\\nA. 1') -> (the
    question before it, option texts in letter order); ([], unchanged) when there is none."""
    m = re.search(r"\n\s*Choices?\s*:\s*\n(.*)$", question, re.DOTALL | re.IGNORECASE)
    if not m:
        return question, []
    options = re.findall(r"^\s*\(?([A-H])[:.)]\s*(.*?)\s*$", m.group(1), re.MULTILINE)
    if [o[0] for o in options] != list(LETTERS[: len(options)]):
        return question, []
    return question[: m.start()].strip(), [o[1] for o in options]


def choice_gold(raw, choices: list[str]) -> str:
    """A multiple-choice gold as letters: 'B', '(B)' -> 'B'; 'C\\nD' -> 'C, D'; an option's own text -> its letter."""
    answer = unwrap_gold(str(raw)) if raw is not None else ""
    letters = choice_letters(answer)
    if letters and all(LETTERS.index(x) < len(choices) for x in letters):
        return ", ".join(letters)
    texts = [normalize_text(c) for c in choices]
    if normalize_text(answer) in texts:
        return LETTERS[texts.index(normalize_text(answer))]
    raise Drop("answer not among the choices")
