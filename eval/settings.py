"""Sampling settings of the MAYE evaluation scheme; `--settings` replaces the list."""

from __future__ import annotations

from dataclasses import dataclass


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
    name, _, params = spec.partition(":")
    values = dict(n="1", k=None, temperature="1.0", top_p="1.0")
    for item in filter(None, params.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in values:
            raise ValueError(f"setting {spec!r}: use name:n=8,k=8,temperature=1.0,top_p=1.0")
        values[key] = value
    n = int(values["n"])
    k = int(values["k"] or n)
    if not 1 <= k <= n:
        raise ValueError(f"setting {spec!r}: k must be between 1 and n")
    return Setting(name, n, k, float(values["temperature"]), float(values["top_p"]))
