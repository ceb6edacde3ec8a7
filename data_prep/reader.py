"""Read a source's raw rows from local files (parquet, jsonl, json, arrow, a saved dataset) or the hub, by split."""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field

from datasets import Dataset, DatasetDict, Image, Sequence, load_dataset, load_from_disk
from PIL import Image as PILImage

from core.errors import UserError

FORMATS = {".parquet": "parquet", ".arrow": "arrow", ".jsonl": "json", ".json": "json"}
SPLIT_WORDS = (("testmini", "testmini"), ("test", "test"), ("validation", "validation"), ("val", "validation"),
               ("dev", "validation"), ("train", "train"))


class InputError(UserError):
    """An input that cannot be read; the message says what to pass instead."""


@dataclass
class RawSplit:
    rows: list | Dataset
    base: str | None = None  # directory that relative image paths start from
    bad_lines: int = 0       # jsonl lines that are not JSON, counted as dropped rows


@dataclass
class ImageRoots:
    """Where relative image paths are looked up: the data file's folder, --images DIR, or --images ZIP."""

    dirs: list[str] = field(default_factory=list)
    zip: zipfile.ZipFile | None = None

    def open(self, ref, base: str | None) -> PILImage.Image:
        if isinstance(ref, PILImage.Image):
            return ref
        if isinstance(ref, dict):
            if ref.get("bytes"):
                return PILImage.open(io.BytesIO(ref["bytes"]))
            ref = ref.get("path")
        if isinstance(ref, bytes):
            return PILImage.open(io.BytesIO(ref))
        if not ref:
            raise FileNotFoundError("no image")
        rel = str(ref).removeprefix("./")
        for root in ([base] if base else []) + self.dirs:
            path = os.path.join(root, rel)
            if os.path.isfile(path):
                return PILImage.open(path)
        if self.zip is not None:
            names = [n for n in self.zip.namelist() if n == rel or n.endswith("/" + rel)]
            if names:
                return PILImage.open(io.BytesIO(self.zip.read(names[0])))
        raise FileNotFoundError(rel)


def image_roots(images: str | None) -> ImageRoots:
    if not images:
        return ImageRoots()
    if zipfile.is_zipfile(images):
        return ImageRoots(zip=zipfile.ZipFile(images))
    if os.path.isdir(images):
        return ImageRoots(dirs=[images])
    raise InputError(f"--images {images!r} is neither a folder nor a zip file")


def split_of(path: str, default: str = "train") -> str:
    name = os.path.basename(path).lower()
    return next((split for word, split in SPLIT_WORDS if word in name), default)


def read_splits(source: str, split: str | None = None) -> dict[str, RawSplit]:
    if os.path.isdir(source) and any(os.path.exists(os.path.join(source, f))
                                     for f in ("dataset_dict.json", "dataset_info.json", "state.json")):
        splits = _from_dataset(load_from_disk(source), source)
    elif os.path.isdir(source) or os.path.isfile(source):
        splits = _from_files(source, split)
    else:
        try:
            splits = _from_dataset(load_dataset(source), None)
        except Exception as err:  # offline, unknown id, ...
            raise InputError(f"cannot read {source!r} ({str(err).splitlines()[0][:200]}): pass a local file or "
                             "folder (parquet, jsonl, json, arrow) with --input") from None
    if split is not None:
        if split not in splits:
            raise InputError(f"--split {split!r} not found in {source!r}; it has {sorted(splits)}")
        splits = {split: splits[split]}
    return splits


def _from_dataset(data, base: str | None) -> dict[str, RawSplit]:
    data = data if isinstance(data, DatasetDict) else DatasetDict({"train": data})
    # a hub's split names as eval and recipes spell them: HuggingFaceM4/ChartQA's 'val' is 'validation'
    return {dict(SPLIT_WORDS).get(name, name): RawSplit(_undecoded(ds), base) for name, ds in data.items()}


def _undecoded(ds: Dataset) -> Dataset:
    """Images stay bytes until the converter decodes them, so a broken image drops one row, not the run."""
    for name, feature in ds.features.items():
        if isinstance(feature, Image):
            ds = ds.cast_column(name, Image(decode=False))
        elif isinstance(feature, Sequence | list) and isinstance(getattr(feature, "feature", None), Image):
            ds = ds.cast_column(name, Sequence(Image(decode=False)))
        elif isinstance(feature, list) and feature and isinstance(feature[0], Image):
            ds = ds.cast_column(name, [Image(decode=False)])
    return ds


def _from_files(source: str, split: str | None) -> dict[str, RawSplit]:
    files = [source] if os.path.isfile(source) else sorted(
        os.path.join(d, f) for d, _, fs in os.walk(source) for f in fs if os.path.splitext(f)[1] in FORMATS)
    files = [f for f in files if os.path.splitext(f)[1] in FORMATS and not f.endswith("summary.json")]
    if not files:
        raise InputError(f"no parquet, jsonl, json or arrow file in {source!r}")
    splits: dict[str, RawSplit] = {}
    for path in files:
        name = split if split and os.path.isfile(source) else split_of(path)
        try:
            part = _read_file(path)
        except InputError:
            raise
        except Exception as err:  # a truncated parquet, a broken arrow file, bad JSON: name the file, one line
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            raise InputError(f"{path}: cannot read it as {FORMATS[os.path.splitext(path)[1]]} ({first}); "
                             "re-download or re-export the file") from None
        if name in splits:
            splits[name].rows = list(splits[name].rows) + list(part.rows)
            splits[name].bad_lines += part.bad_lines
        else:
            splits[name] = part
    return splits


def _read_file(path: str) -> RawSplit:
    ext = os.path.splitext(path)[1]
    base = os.path.dirname(os.path.abspath(path))
    if ext == ".jsonl":  # read line by line: one bad line is one dropped row, and mixed value types are fine
        rows, bad = [], 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        bad += 1
        return RawSplit(rows, base, bad)
    if ext == ".json":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        rows = data if isinstance(data, list) else next((v for v in data.values() if isinstance(v, list)), None)
        if rows is None:
            raise InputError(f"{path}: expected a JSON list of rows (or an object holding one)")
        return RawSplit(rows, base)
    return RawSplit(_undecoded(load_dataset(FORMATS[ext], data_files=path, split="train")), base)
