"""Entry-point helpers shared by every recipe's train.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from transformers.trainer_utils import get_last_checkpoint

from data_prep.schema import SchemaError
from recipes.common.data import DataError
from recipes.common.families import FamilyError


def run(main: Callable[[], None]) -> None:
    """Bad input (model, dataset, config) ends with one line saying what to do, not a traceback wall."""
    try:
        main()
    except (FamilyError, DataError, SchemaError) as err:
        sys.exit(f"error: {err}")


def resume_point(resume_from_checkpoint: str | None, output_dir: str) -> str | None:
    """'last' (or 'true') resumes from the newest checkpoint in output_dir; a path resumes from that one."""
    if resume_from_checkpoint in (None, "", "false", "False"):
        return None
    if resume_from_checkpoint in ("last", "true", "True"):
        last = get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None
        if last is None:
            raise DataError(f"--resume_from_checkpoint {resume_from_checkpoint}: no checkpoint in {output_dir}")
        return last
    return resume_from_checkpoint
