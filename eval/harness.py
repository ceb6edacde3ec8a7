"""Evaluate a base model and every checkpoint of a run, resumably: finished (model, setting, split) are skipped."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from transformers import set_seed

from core.datasets import load_split
from core.errors import UserError
from core.families import load_model
from core.prompts import to_prompt_rows
from eval.generate import HFGenerator, VLLMGenerator
from eval.run import evaluate_split
from eval.settings import Setting


class EvalError(UserError):
    """Nothing to evaluate or nothing to evaluate with; the message says what to do."""


@dataclass(frozen=True)
class Candidate:
    tag: str          # "base" or "checkpoint-200"
    path: str
    step: int
    epoch: float


def checkpoints(run_dir: str) -> list[Candidate]:
    found = []
    for name in os.listdir(run_dir) if os.path.isdir(run_dir) else []:
        m = re.fullmatch(r"checkpoint-(\d+)", name)
        if m:
            state = os.path.join(run_dir, name, "trainer_state.json")
            epoch = json.load(open(state)).get("epoch", 0.0) if os.path.exists(state) else 0.0
            found.append(Candidate(name, os.path.join(run_dir, name), int(m.group(1)), float(epoch or 0.0)))
    return sorted(found, key=lambda c: c.step)


def evaluate_run(candidates: list[Candidate], dataset: str, splits: list[str], settings: list[Setting], out: str,
                 prompt_args: dict, backend: str = "hf", max_new_tokens: int = 1024, limit: int | None = None,
                 batch_size: int = 8, seed: int = 0) -> dict:
    path = os.path.join(out, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    rows_by_split: dict[str, list[dict]] = {}
    for cand in candidates:
        entry = results.setdefault(cand.tag, {"step": cand.step, "epoch": cand.epoch, "results": {}})
        todo = [(s, sp) for s in settings for sp in splits if sp not in entry["results"].get(s.name, {})]
        if not todo:
            continue  # already scored: resumable
        model, processor, family = load_model(cand.path, dtype="auto")
        generate = (VLLMGenerator(cand.path, max_new_tokens) if backend == "vllm"
                    else HFGenerator(model, processor, batch_size, max_new_tokens))
        for setting, split in todo:
            if split not in rows_by_split:
                data, _ = to_prompt_rows(load_split(dataset, split), family, processor, **prompt_args)
                rows_by_split[split] = [data[i] for i in range(len(data) if limit is None else min(limit, len(data)))]
            jsonl = os.path.join(out, cand.tag, setting.name, f"{split}.jsonl")
            set_seed(seed)  # the same samples on a re-run, whatever was evaluated before
            entry["results"].setdefault(setting.name, {})[split] = evaluate_split(
                generate, rows_by_split[split], setting, jsonl)
            _save(results, path)
    return results


def _save(results: dict, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)
