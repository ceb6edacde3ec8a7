"""Unified-schema dataset -> TRL conversational rows, with over-long and broken rows dropped and counted."""

from __future__ import annotations

import io
import json
import os
from collections import Counter

from datasets import Dataset, DatasetDict, Image, Sequence, load_dataset, load_from_disk
from PIL import Image as PILImage
from tqdm import tqdm

from data_prep.schema import check_columns
from recipes.common.families import Family, build_prompt

# Columns rewards, SFT and DPO read (chosen / rejected exist in preference-pair datasets only).
_KEEP = ("id", "images", "answer", "answer_type", "choices", "rationale", "chosen", "rejected")


class DataError(ValueError):
    """A dataset the recipes cannot use; the message says what to do."""


def load_split(name_or_path: str, split: str) -> Dataset:
    if not name_or_path:
        raise DataError("no dataset given: pass --dataset DIR (make one with `python -m data_prep synthetic ...`)")
    name_or_path = source_dir(name_or_path)
    if os.path.isdir(name_or_path):
        data = load_from_disk(name_or_path)
    else:
        try:
            data = load_dataset(name_or_path)
        except Exception as err:  # hub unreachable, unknown id, ...: one line, not a traceback wall
            raise DataError(
                f"cannot load dataset {name_or_path!r} ({str(err).splitlines()[0]}): pass a local directory made by "
                "`python -m data_prep SOURCE --out DIR`"
            ) from None
    if isinstance(data, DatasetDict):
        if split not in data:
            raise DataError(f"dataset {name_or_path!r} has no split {split!r}; it has {sorted(data)}")
        data = data[split]
    check_columns(data.column_names, f"dataset {name_or_path!r}")
    return data


def source_dir(name: str) -> str:
    """A source name ('geoqa_r1v') means its converted copy under $VLM_RL_DATA (default ./data)."""
    from data_prep.__main__ import SOURCES

    if name not in SOURCES or os.path.isdir(name):
        return name
    path = os.path.join(os.environ.get("VLM_RL_DATA", "data"), name)
    if not os.path.isdir(path):
        raise DataError(f"dataset {name!r} is not prepared: run `python -m data_prep {name} --input PATH_OR_HUB_ID "
                        f"--out {path}` (or set VLM_RL_DATA to where it is)")
    return path


def _decode(image) -> PILImage.Image:
    raw = image.get("bytes")
    img = PILImage.open(io.BytesIO(raw) if raw else image["path"])
    img.load()
    return img.convert("RGB")


def to_prompt_rows(data: Dataset, family: Family, processor, system_prompt: str | None, question_template: str,
                   max_prompt_length: int, report_dir: str | None = None,
                   require_answer: bool = True) -> tuple[Dataset, dict]:
    """Conversational prompts + images; rows whose image does not decode or whose prompt (image tokens included)
    exceeds max_prompt_length are dropped and counted, because truncating through image tokens breaks training.
    `require_answer=False` keeps rows without a gold (preference pairs, which need none)."""
    raw = data.cast_column("images", Sequence(Image(decode=False)))
    keep, dropped = [], Counter()
    for i, row in enumerate(tqdm(raw, desc="checking prompts", leave=False)):
        try:
            images = [_decode(im) for im in row["images"]]
        except Exception:
            dropped["image does not decode"] += 1
            continue
        if not row["problem"].strip() or (require_answer and not row["answer"].strip()):
            dropped["empty problem or answer"] += 1
            continue
        prompt = build_prompt(family, question_template.format(problem=row["problem"]), system_prompt)
        length = prompt_length(processor, prompt, images)
        if length > max_prompt_length:
            dropped[f"prompt longer than {max_prompt_length} tokens"] += 1
            continue
        keep.append(i)
    summary = {"rows_in": len(data), "rows_out": len(keep), "dropped": dict(dropped)}
    if report_dir:
        os.makedirs(report_dir, exist_ok=True)
        with open(os.path.join(report_dir, "data_summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
    if not keep:
        raise DataError(f"no usable rows left: {summary['dropped']}; raise --max_prompt_length or fix the data")
    kept = data.select(keep)

    def to_row(row):
        problem = question_template.format(problem=row["problem"])
        return {"prompt": build_prompt(family, problem, system_prompt)}

    kept = kept.map(to_row, remove_columns=[c for c in kept.column_names if c not in _KEEP])
    return kept, summary


def prompt_length(processor, prompt: list[dict], images: list) -> int:
    from trl.data_utils import prepare_multimodal_messages

    messages = prepare_multimodal_messages(prompt, images=images)
    enc = processor.apply_chat_template([messages], add_generation_prompt=True, tokenize=True, return_dict=True)
    return len(enc["input_ids"][0])
