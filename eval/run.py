"""Evaluate one model on one split under each setting; every completion is written to JSONL for audit."""

from __future__ import annotations

import json
import os

from tqdm import tqdm

from core.reflection import reflection_metrics
from core.schema import SCORING_DEFAULTS
from eval.metrics import pass_at_k
from eval.settings import Setting
from rewards import get_accuracy_reward
from rewards.extract import extract_answer


def score(texts: list[str], rows: list[dict], accuracy) -> list[bool]:
    """The training accuracy reward, so eval extracts and compares answers exactly as training rewards them."""
    completions = [[{"role": "assistant", "content": t}] for t in texts]
    columns = ("answer", "choices", "answer_type", *SCORING_DEFAULTS)  # the benchmark's scorer rides in the rows
    rewards = accuracy(completions, **{c: [r.get(c) for r in rows] for c in columns})
    return [bool(r) and r > 0 for r in rewards]


def evaluate_split(generate, rows: list[dict], setting: Setting, jsonl_path: str, chunk: int = 32) -> dict:
    """pass@k and reflection metrics of `setting` on `rows`; resumes a half-written JSONL (finished prompts kept)."""
    accuracy = get_accuracy_reward()
    done = _read_jsonl(jsonl_path)
    by_id = {r["id"]: r for r in done}
    todo = [r for r in rows if r["id"] not in by_id]
    os.makedirs(os.path.dirname(jsonl_path), exist_ok=True)
    with open(jsonl_path, "a") as f, tqdm(total=len(rows), initial=len(rows) - len(todo), desc=setting.name,
                                          leave=False) as bar:
        for start in range(0, len(todo), chunk):
            part = todo[start:start + chunk]
            samples = generate([r["prompt"] for r in part], [r["images"] for r in part], setting.n,
                               setting.temperature, setting.top_p)
            for row, texts in zip(part, samples, strict=True):
                correct = score(texts, [row] * len(texts), accuracy)
                record = {"id": row["id"], "answer": row["answer"], "completions": texts,
                          "extracted": [extract_answer(t) for t in texts], "correct": correct}
                f.write(json.dumps(record) + "\n")
                by_id[row["id"]] = record
            f.flush()
            bar.update(len(part))
    records = [by_id[r["id"]] for r in rows]
    texts = [t for r in records for t in r["completions"]]
    flags = [c for r in records for c in r["correct"]]
    return {
        "accuracy": 100.0 * sum(pass_at_k(len(r["correct"]), sum(r["correct"]), setting.k) for r in records)
        / max(1, len(records)),
        "prompts": len(records),
        "mean_response_chars": sum(map(len, texts)) / max(1, len(texts)),
        "reflection": reflection_metrics(texts, flags),
    }


def _read_jsonl(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    records = []
    with open(path) as f:
        for line in f:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut off by an interrupted run is redone
                pass
    return records
