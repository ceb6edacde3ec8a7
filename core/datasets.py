"""Loading a unified-schema dataset split by directory, source name or hub id."""

from __future__ import annotations

import os

from datasets import Dataset, DatasetDict, load_dataset, load_from_disk

from core.errors import UserError
from core.schema import check_columns


class DataError(UserError):
    """A dataset the recipes cannot use; the message says what to do."""


def load_split(name_or_path: str, split: str) -> Dataset:
    data = _load(source_dir(name_or_path))
    if isinstance(data, DatasetDict):
        if split not in data:
            raise DataError(f"dataset {name_or_path!r} has no split {split!r}; it has {sorted(data)}")
        data = data[split]
    check_columns(data.column_names, f"dataset {name_or_path!r}")
    return data


def splits_of(name_or_path: str) -> list[str]:
    data = _load(source_dir(name_or_path))
    return sorted(data) if isinstance(data, DatasetDict) else ["train"]


def check_dataset(name_or_path: str, split: str) -> None:
    """Fail fast, before any model loads: the split exists and has the unified columns (a memory-mapped open)."""
    load_split(name_or_path, split)


def source_dir(name: str) -> str:
    """A directory is itself; a source name ('geoqa_r1v', no '/') means its converted copy under $VLM_RL_DATA
    (default ./data); an 'owner/name' id is a hub dataset."""
    if not name:
        raise DataError("no dataset given: pass --dataset_name DIR (make one with `python -m data_prep synthetic ...`)")
    if os.path.isdir(name):
        return name
    if "/" in name and not name.startswith((".", "/", "~")):
        return name  # a hub id: loaded (or refused, offline) by `datasets`
    path = os.path.join(os.environ.get("VLM_RL_DATA", "data"), name)
    if os.sep in name or not os.path.isdir(path):
        raise DataError(f"dataset {name!r} is neither a directory nor prepared under {path}: run `python -m data_prep "
                        f"SOURCE --input PATH_OR_HUB_ID --out {path}` (or set VLM_RL_DATA to where it is)")
    return path


def _load(path: str) -> Dataset | DatasetDict:
    if os.path.isdir(path):
        return load_from_disk(path)
    try:
        return load_dataset(path)
    except Exception as err:  # hub unreachable, unknown id, ...: one line, not a traceback wall
        raise DataError(f"cannot load dataset {path!r} ({str(err).splitlines()[0]}): pass a local directory made by "
                        "`python -m data_prep SOURCE --out DIR`") from None
