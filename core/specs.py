"""The one `name:key=value,key=value` parser (reward specs, eval settings)."""

from __future__ import annotations

import yaml

from core.errors import UserError


def parse_spec(spec: str, what: str, example: str) -> tuple[str, dict]:
    """'accuracy:negative=true,budget_s=2' -> ('accuracy', {'negative': True, 'budget_s': 2});
    values are YAML scalars. `what` and `example` make the one-line error."""
    name, _, params = spec.partition(":")
    kwargs = {}
    for item in filter(None, params.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{what} {spec!r}: parameters are key=value, e.g. {example!r}")
        kwargs[key.strip()] = yaml.safe_load(value)
    if not name.strip():
        raise UserError(f"{what} {spec!r} has no name, e.g. {example!r}")
    return name.strip(), kwargs
