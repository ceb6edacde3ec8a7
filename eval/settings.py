"""Sampling settings of the MAYE evaluation scheme; `--settings` replaces the list."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import UserError
from core.specs import parse_spec


@dataclass(frozen=True)
class Setting:
    name: str
    n: int              # samples per prompt, from one generate call
    k: int              # pass@k reported
    temperature: float
    top_p: float


MAYE = (
    Setting("pass8_t1", n=8, k=8, temperature=1.0, top_p=1.0),
    Setting("pass1_t06", n=1, k=1, temperature=0.6, top_p=1.0),
    Setting("pass1_t001", n=1, k=1, temperature=0.01, top_p=0.001),
)


def parse_setting(spec: str) -> Setting:
    """'name:n=8,k=8,temperature=1.0,top_p=1.0' (missing keys: n=k=1, temperature 1.0, top_p 1.0)."""
    example = "name:n=8,k=8,temperature=1.0,top_p=1.0"
    name, values = parse_spec(spec, "setting", example)
    unknown = set(values) - {"n", "k", "temperature", "top_p"}
    if unknown:
        raise UserError(f"setting {spec!r}: unknown keys {sorted(unknown)}; use {example}")
    n = int(values.get("n", 1))
    k = int(values.get("k", n))
    if not 1 <= k <= n:
        raise UserError(f"setting {spec!r}: k must be between 1 and n")
    return Setting(name, n, k, float(values.get("temperature", 1.0)), float(values.get("top_p", 1.0)))
