"""The wrapper every command-line entry point runs under."""

from __future__ import annotations

import atexit
import faulthandler
import os
import sys
from collections.abc import Callable

from core.errors import UserError


def run(main: Callable[..., None], argv: list[str] | None = None) -> None:
    """Bad input (model, dataset, config) ends with one line saying what to do, not a traceback wall."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1  # set by accelerate launch / torchrun
    if distributed:
        faulthandler.enable()  # a native crash in one process prints where every thread was
    try:
        main(argv)
    except UserError as err:
        sys.exit(f"error: {err}")
    if distributed:
        leave_finished_run()


def leave_finished_run() -> None:
    """A finished multi-process run (model saved, every process past the last barrier) leaves without tearing down
    the interpreter's native state. Torch's gloo process group can abort a process during that teardown
    ("terminate called without an active exception", SIGABRT; 2 of about 30 two-process CPU runs in CI, with or
    without destroy_process_group), which failed a run that had finished. Python's exit handlers still run."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
