"""Cheap, exact comparisons that settle most answers before any symbolic work.

Each returns True/False when it can decide, or None to hand the pair to math-verify.
"""

from __future__ import annotations

import re
from fractions import Fraction

_LETTERS = "ABCDEFGH"
# "B", "(B)", "B.", "B)", "B: 60°", "B. 60°" ; not "A or B", "A, B", "AB"
_CHOICE = re.compile(r"^[(\[]?([A-Ha-h])[)\]]?(?:\s*[.:)]\s*(.*))?$", re.DOTALL)
_OPTION_WORD = re.compile(r"^(?:option|choice|answer)\s*[:]?\s*", re.IGNORECASE)

_DEGREE = re.compile(r"\s*(?:\^\s*\{?\s*\\circ\s*\}?|\\circ|°|º|\\degree|degrees?|deg)\s*$", re.IGNORECASE)
_UNIT = re.compile(r"\s*(?:\\(?:text|mathrm|mbox)\{\s*([a-zA-Z]{1,12})\s*\}|([a-zA-Z]{1,12}))"
                   r"(?:\^?\{?[23]\}?|²|³)?\s*$")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$|^([+-]?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")
_MAX_NUMBER_CHARS = 60  # longer digit strings are left to math-verify in the sandbox


def normalize_text(s: str) -> str:
    s = re.sub(r"\\text\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\s+", " ", s.strip().strip("$").strip()).lower()
    return s.rstrip(".!。;,").strip()


def split_unit(s: str) -> tuple[str, str | None]:
    """'145°' -> ('145', '°'), '3 cm' -> ('3', 'cm'), '12' -> ('12', None)."""
    s = s.strip()
    m = _DEGREE.search(s)
    if m and m.start() > 0:
        return s[: m.start()].strip(), "°"
    m = _UNIT.search(s)
    if m and m.start() > 0 and re.search(r"\d\s*$", s[: m.start()]):
        return s[: m.start()].strip(), (m.group(1) or m.group(2)).lower()
    return s, None


def parse_number(s: str) -> Fraction | None:
    s = s.strip().replace("\\!", "").replace("{,}", ",")
    if len(s) > _MAX_NUMBER_CHARS:
        return None
    if s.endswith("%"):
        value = parse_number(s[:-1])
        return value / 100 if value is not None else None
    if _NUMBER.match(s):
        return Fraction(s.replace(",", ""))
    m = _FRACTION.match(s)
    if m:
        if m.group(1) is not None:
            num, den = int(m.group(1)), int(m.group(2))
        else:
            num, den = int(m.group(3) + m.group(4)), int(m.group(5))
        return Fraction(num, den) if den else None
    return None


def numbers_equal(pred: str, gold: str) -> bool | None:
    """Numbers with optional degree/unit suffixes; a unit that contradicts the gold's is wrong."""
    (pv, pu), (gv, gu) = split_unit(pred), split_unit(gold)
    gnum = parse_number(gv)
    if gnum is None:
        return None
    pnum = parse_number(pv)
    if pnum is None:
        return None
    if pu is not None and gu is not None and pu != gu:
        return False
    tol = Fraction(1, 10**6) * max(1, abs(gnum))
    return abs(pnum - gnum) <= tol


def is_choice_gold(gold: str, answer_type: str | None, choices) -> bool:
    g = gold.strip().strip("()").strip()
    return len(g) == 1 and g.upper() in _LETTERS and (bool(choices) or answer_type in (None, "choice") and g.isupper())


def choice_equal(pred: str, gold: str, choices) -> bool:
    """Letter in any of its usual dresses, or the text of the right option; any hedge is wrong."""
    gold_letter = gold.strip().strip("()").strip().upper()
    pred = _OPTION_WORD.sub("", pred.strip())
    m = _CHOICE.match(pred)
    if m:
        letter, rest = m.group(1), m.group(2)
        if letter.islower() and rest:  # "b. 60°" is prose, not an option letter
            return False
        return letter.upper() == gold_letter
    if choices:
        idx = _LETTERS.find(gold_letter)
        texts = [normalize_text(str(c)) for c in choices]
        target = normalize_text(pred)
        if 0 <= idx < len(texts) and target == texts[idx]:
            return True
        gold_text = str(choices[idx]) if 0 <= idx < len(choices) else ""
        if gold_text and numbers_equal(pred, gold_text) and not any(
            j != idx and numbers_equal(pred, str(c)) for j, c in enumerate(choices)
        ):
            return True
    return False


YES = {"yes", "y", "true", "correct"}
NO = {"no", "n", "false", "incorrect"}


def yesno_equal(pred: str, gold: str) -> bool | None:
    g = normalize_text(gold)
    if g not in YES | NO:
        return None
    p = normalize_text(pred)
    return (p in YES and g in YES) or (p in NO and g in NO)


def sqrt_to_latex(s: str) -> str:
    """'2√3' -> '2\\sqrt{3}', '√(x+1)' -> '\\sqrt{x+1}' so math-verify reads it."""
    s = re.sub(r"√\s*\(([^()]*)\)", r"\\sqrt{\1}", s)
    return re.sub(r"√\s*([0-9a-zA-Z.]+)", r"\\sqrt{\1}", s)
