"""Cheap, exact comparisons that settle most answers before any symbolic work.

Each returns True/False when it can decide, or None to hand the pair to math-verify. Golds and answers go through
the same `canonical` and `split_unit`, so a format is read the same way on both sides.
"""

from __future__ import annotations

import re
from fractions import Fraction

from core.schema import LETTERS

# "B", "(B)", "B.", "B)", "B: 60°", "B. 60°" ; not "A or B", "A, B", "AB"
_CHOICE = re.compile(r"^[(\[]?([A-Ha-h])[)\]]?(?:\s*[.:)]\s*(.*))?$", re.DOTALL)
_LETTER_ITEM = r"[(\[]?+[A-H][)\]]?+"
# several option letters: "C, D", "C and D", "(C)(D)", "CD"; a hedge ("A or B") is not a list. Possessive
# quantifiers: no backtracking over model text.
_LETTER_LIST = re.compile(rf"^{_LETTER_ITEM}(?:\s*+(?:,|;|&|and)?+\s*+{_LETTER_ITEM})++$")
_OPTION_WORD = re.compile(r"^(?:option|choice|answer)\s*[:]?\s*", re.IGNORECASE)
_WRAPPER = re.compile(r"^\\(?:text|textbf|textrm|mathrm|mathbf|mbox|boxed|fbox)\s*\{(.*)\}$", re.DOTALL)

_DEGREE = re.compile(r"\s*(?:\^\s*\{?\s*\\circ\s*\}?|\\circ|°|º|\\degree|\\textdegree|"
                     r"\\text\s*\{\s*(?:°|degrees?)\s*\}|degrees?|deg|度)\s*$", re.IGNORECASE)
# Units as golds spell them, in any script -> one canonical name. Units are compared by name, never converted.
_UNITS = {
    "m": ("m", "meter", "meters", "metre", "metres", "米"), "cm": ("cm", "centimeter", "centimeters", "centimetre",
    "centimetres", "厘米"), "mm": ("mm", "millimeter", "millimeters", "毫米"), "km": ("km", "kilometer",
    "kilometers", "千米", "公里"), "dm": ("dm", "分米"), "nmi": ("nmi", "nautical miles", "海里"),
    "s": ("s", "sec", "second", "seconds", "秒"), "min": ("min", "minute", "minutes", "分钟"),
    "h": ("h", "hr", "hour", "hours", "小时"), "g": ("g", "gram", "grams", "克"), "kg": ("kg", "千克"),
    "l": ("l", "liter", "liters", "litre", "litres", "升"), "ml": ("ml", "毫升"), "in": ("in", "inch", "inches"),
    "ft": ("ft", "feet", "foot"), "yd": ("yd", "yard", "yards"), "mi": ("mi", "mile", "miles"),
    "yuan": ("yuan", "元"), "m^2": ("平方米",), "cm^2": ("平方厘米",), "km^2": ("平方千米",), "m^3": ("立方米",),
    "cm^3": ("立方厘米",), "": ("unit", "units", "square units", "cubic units", "sq units"),  # no named unit
}
_UNIT_NAME = {alias: name for name, aliases in _UNITS.items() for alias in aliases}
_UNIT_WORD = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in sorted(_UNIT_NAME, key=len, reverse=True))
_UNIT = re.compile(rf"(\s*+)(?:\\(?:text|mathrm|mbox|rm)\s*\{{\s*~?\s*({_UNIT_WORD})\s*\}}|({_UNIT_WORD}))"
                   rf"\s*(?:\^\s*\{{?\s*([23])\s*\}}?\s*\^?|([²³]))?\s*$", re.IGNORECASE)
_UNIT_TAIL = 48  # longer than any unit as written ('\\mathrm{~nautical miles}^{3}')
_VALUE_END = re.compile(r"(?:[0-9})]|π|\\pi)$")  # a unit glued to its value: '3cm', '4πcm', '(√{3}+1)小时'
_LABEL = re.compile(r"^[A-Za-z][A-Za-z .]*?\s*=\s*(?!=)(\S.*)$", re.DOTALL)  # 'Area =113.1 cm^2' -> '113.1 cm^2'
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$|^([+-]?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")
_MAX_NUMBER_CHARS = 60  # longer digit strings are left to math-verify in the sandbox


def canonical(s: str) -> str:
    """One spelling for what golds and answers write many ways: '$', 'Area $=113.1$', '20\\%', MathVerse's '掳'."""
    s = s.replace("\\$", "").replace("$", "").replace("\\%", "%").replace("\\!", "").replace("掳", "°").strip()
    m = _LABEL.match(s)
    if m:
        s = m.group(1)
    return s.lstrip("=").strip() if s.startswith("=") and len(s) > 1 else s


def normalize_text(s: str) -> str:
    s = re.sub(r"\\text\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\s+", " ", s.strip().strip("$").strip()).lower()
    return s.rstrip(".!。;,").strip()


def split_unit(s: str) -> tuple[str, str | None]:
    """'145°' -> ('145', '°'), '3 cm' -> ('3', 'cm'), '9米' -> ('9', 'm'), '4πcm^{2}' -> ('4π', 'cm^2'),
    '12 units' -> ('12', ''), '12' -> ('12', None). A word is a unit only when it follows a value."""
    s = s.strip()
    tail = len(s) - min(len(s), _UNIT_TAIL)  # a unit is the answer's last few characters: search only there
    m = _DEGREE.search(s, tail)
    if m and m.start() > 0:
        return s[: m.start()].strip(), "°"
    m = _UNIT.search(s, tail)
    if m and m.start() > 0:
        value = s[: m.start()].strip()
        glued = not m.group(1) and m.group(3) and m.group(3).isascii()
        if re.search(r"\d|π|\\pi", value) and (_VALUE_END.search(value) or not glued):
            name = _UNIT_NAME[_lookup(m.group(2) or m.group(3))]
            power = m.group(4) or {"²": "2", "³": "3"}.get(m.group(5) or "")
            return value, f"{name}^{power}" if power and name else name
    return s, None


def _lookup(word: str) -> str:
    word = re.sub(r"\s+", " ", word)
    return word if word in _UNIT_NAME else word.lower()


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


def _close(a: Fraction, b: Fraction, rel_tol: Fraction) -> bool:
    return abs(a - b) <= rel_tol * max(1, abs(b))


def numbers_equal(pred: str, gold: str, rel_tol: Fraction = Fraction(1, 10**6)) -> bool | None:
    """Numbers with optional degree/unit suffixes; a unit that contradicts the gold's is wrong. A percentage on one
    side only matches the other side's number or its hundredth ('20%' is 20 or 0.2), as math-verify reads it."""
    (pv, pu), (gv, gu) = split_unit(canonical(pred)), split_unit(canonical(gold))
    pp, gp = pv.endswith("%"), gv.endswith("%")
    gnum, pnum = parse_number(gv.rstrip("%")), parse_number(pv.rstrip("%"))
    if gnum is None or pnum is None:
        return None
    if pu and gu and pu != gu:
        return False
    if pp == gp:
        return _close(pnum, gnum, rel_tol)
    return _close(pnum, gnum, rel_tol) or _close(pnum / 100 if pp else pnum, gnum if pp else gnum / 100, rel_tol)


def unwrap_latex(s: str) -> str:
    """'\\text{(C)}', '\\textbf{A}', '\\boxed{\\text{A}}' -> '(C)', 'A', 'A'."""
    s = s.strip().strip("$").strip()
    while (m := _WRAPPER.match(s)) and _balanced(m.group(1)):
        s = m.group(1).strip()
    return s


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def choice_letters(s: str) -> tuple[str, ...] | None:
    """'B', '(B)' -> ('B',); 'C\\nD', 'C, D' -> ('C', 'D'); anything else -> None."""
    s = unwrap_latex(s)
    if len(s.strip("()[] ")) == 1 and s.strip("()[] ").upper() in LETTERS:
        return (s.strip("()[] ").upper(),)
    if _LETTER_LIST.match(s):
        return tuple(sorted(set(re.findall(r"[A-H]", s))))
    return None


def is_choice_gold(gold: str, answer_type: str | None, choices) -> bool:
    letters = choice_letters(gold)
    if not letters:
        return False
    if len(letters) > 1:
        return bool(choices) or answer_type == "choice"
    g = unwrap_latex(gold).strip("()[] ")
    return bool(choices) or answer_type in (None, "choice") and g.isupper()


def choice_equal(pred: str, gold: str, choices, by_text: bool = True) -> bool:
    """Letter(s) in any of their usual dresses, or (`by_text`) the text of the right option; any hedge is wrong."""
    gold_letters = choice_letters(gold) or ()
    pred = unwrap_latex(_OPTION_WORD.sub("", unwrap_latex(pred)))
    if _LETTER_LIST.match(pred):
        return tuple(sorted(set(re.findall(r"[A-H]", pred)))) == gold_letters
    m = _CHOICE.match(pred)
    if m:
        letter, rest = m.group(1), m.group(2)
        if letter.islower() and rest:  # "b. 60°" is prose, not an option letter
            return False
        return (letter.upper(),) == gold_letters
    if by_text and choices and len(gold_letters) == 1:
        idx = LETTERS.find(gold_letters[0])
        texts = [normalize_text(str(c)) for c in choices]
        if 0 <= idx < len(texts) and normalize_text(pred) == texts[idx]:
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
    """'2√3' -> '2\\sqrt{3}', '√{3}' -> '\\sqrt{3}', '√(x+1)' -> '\\sqrt{x+1}' so math-verify reads it."""
    s = re.sub(r"√\s*\{", r"\\sqrt{", s)
    s = re.sub(r"√\s*\(([^()]*)\)", r"\\sqrt{\1}", s)
    return re.sub(r"√\s*([0-9a-zA-Z.]+)", r"\\sqrt{\1}", s)
