"""Runs inside a verifier pool process: parse and verify one (prediction, gold) pair at a time."""

from __future__ import annotations

import logging
from functools import lru_cache

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

_CONFIG = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]


def _as_latex(s: str) -> str:
    return s if "\\boxed" in s else f"\\boxed{{{s}}}"


@lru_cache(maxsize=4096)  # GRPO repeats each gold G times: parse it once per worker
def _gold(gold: str):
    return parse(_as_latex(gold), extraction_config=_CONFIG, parsing_timeout=None)


def check(pred: str, gold: str) -> bool | None:
    gold_parsed = _gold(gold)
    if all(isinstance(x, str) for x in gold_parsed):  # only the raw-string fallback: math-verify did not read it
        return None
    pred_parsed = parse(_as_latex(pred), extraction_config=_CONFIG, parsing_timeout=None)
    if not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=None))


def warm() -> None:
    """Pay math-verify's first-use costs (lazy imports, grammar set-up: 0.1-0.6 s) outside any check's budget."""
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    for pred, gold in (("\\frac{\\sqrt{3}}{2}", "x^2+1"), ("\\{1, 2\\}", "2\\pi"), ("0.5", "50\\%")):
        check(pred, gold)


def serve(conn) -> None:
    # The pool kills an overrunning worker, so math-verify's own (signal-based) timeouts stay off.
    warm()
    conn.send("ready")
    while True:
        try:
            pred, gold = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            result = check(pred, gold)
        except Exception:  # any parser failure on model text is a wrong answer, not a crash
            result = False
        conn.send(result)
