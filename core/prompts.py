"""Prompt building: unified-schema rows -> TRL conversational prompts, with over-long and broken rows dropped and
counted. Training, eval and pair sampling all render prompts here, so what the model sees cannot drift."""

from __future__ import annotations

import json
import os
from collections import Counter

from datasets import Dataset, Image, Sequence
from tqdm import tqdm

from core.datasets import DataError
from core.families import Family
from core.images import decode_image
from core.schema import SCORING_DEFAULTS

R1_SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question about an image, and the Assistant solves "
    "it. The Assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>"
)

# Columns rewards, SFT and DPO read (chosen / rejected exist in preference-pair datasets only).
_KEEP = ("id", "images", "answer", "answer_type", "choices", "rationale", "chosen", "rejected", *SCORING_DEFAULTS)


def build_prompt(family: Family, problem: str, system_prompt: str | None = None) -> list[dict]:
    """A conversational prompt; TRL puts the row's `images` in front of the user text."""
    if system_prompt and not family.supports_system_role:
        # LLaVA-1.5's template drops system turns, so the instruction would silently vanish.
        return [{"role": "user", "content": f"{system_prompt}\n\n{problem}"}]
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": problem}]


def user_turn(row: dict, question_template: str = "{problem}") -> str:
    """The user text of a row, exactly as recipes and eval render it."""
    return question_template.format(problem=row["problem"])


def to_prompt_rows(data: Dataset, family: Family, processor, system_prompt: str | None, question_template: str,
                   max_prompt_length: int | None = None, report_dir: str | None = None,
                   require_answer: bool = True) -> tuple[Dataset, dict]:
    """Conversational prompts + images; rows whose image does not decode or whose prompt (image tokens included)
    exceeds max_prompt_length (None: no limit) are dropped and counted, because truncating through image tokens
    breaks training. `require_answer=False` keeps rows without a gold (preference pairs, which need none)."""
    raw = data.cast_column("images", Sequence(Image(decode=False)))
    keep, dropped = [], Counter()
    for i, row in enumerate(tqdm(raw, desc="checking prompts", leave=False)):
        try:
            images = [decode_image(im) for im in row["images"]]
        except Exception:
            dropped["image does not decode"] += 1
            continue
        if not row["problem"].strip() or (require_answer and not row["answer"].strip()):
            dropped["empty problem or answer"] += 1
            continue
        if max_prompt_length is not None:
            prompt = build_prompt(family, user_turn(row, question_template), system_prompt)
            if prompt_length(processor, prompt, images) > max_prompt_length:
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
        return {"prompt": build_prompt(family, user_turn(row, question_template), system_prompt)}

    kept = kept.map(to_row, remove_columns=[c for c in kept.column_names if c not in _KEEP])
    return kept, summary


def prompt_length(processor, prompt: list[dict], images: list) -> int:
    """Tokens of the prompt with its images expanded, as the trainer will see it. Running the image processor per
    row costs 10-25 ms; the rendered text alone costs 0.3 ms. So the text is tokenized per row and each image adds
    what its placeholder expands to, measured once per image size (tests/test_prompt_length.py checks the two
    agree on every family)."""
    return _text_length(processor, prompt, images) + sum(_image_expansion(processor, im.size) for im in images)


def _messages(prompt: list[dict], images: list) -> list[list[dict]]:
    from trl.data_utils import prepare_multimodal_messages

    return [prepare_multimodal_messages(prompt, images=images)]


def _text_length(processor, prompt: list[dict], images: list) -> int:
    text = processor.apply_chat_template(_messages(prompt, images), add_generation_prompt=True, tokenize=False)
    return len(processor.tokenizer(text[0] if isinstance(text, list) else text)["input_ids"])


def _full_length(processor, prompt: list[dict], images: list) -> int:
    enc = processor.apply_chat_template(_messages(prompt, images), add_generation_prompt=True, tokenize=True,
                                        return_dict=True)
    return len(enc["input_ids"][0])


_EXPANSION: dict[tuple, tuple] = {}  # (processor id, its size settings, image size) -> (processor, extra tokens)


def _image_expansion(processor, size: tuple[int, int]) -> int:
    from PIL import Image

    key = (id(processor), repr(getattr(processor.image_processor, "size", None)), size)
    if key not in _EXPANSION:
        probe, image = [{"role": "user", "content": "x"}], [Image.new("RGB", size)]
        extra = _full_length(processor, probe, image) - _text_length(processor, probe, image)
        _EXPANSION[key] = (processor, extra)  # the processor is kept so its id is never reused
    return _EXPANSION[key][1]
