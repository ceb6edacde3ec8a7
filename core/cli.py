"""The wrapper every command-line entry point runs under."""

from __future__ import annotations

import sys
from collections.abc import Callable

from core.errors import UserError


def run(main: Callable[..., None], argv: list[str] | None = None) -> None:
    """Bad input (model, dataset, config) ends with one line saying what to do, not a traceback wall."""
    try:
        main(argv)
    except UserError as err:
        sys.exit(f"error: {err}")
