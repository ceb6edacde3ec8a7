"""make bench-eval: completions/s of the pass@8 setting, one generate call per prompt (num_return_sequences=8)
against 8 separate calls, same tiny model and prompts, measured side by side in one run. Target: >= 2x.
Writes docs/bench_eval.json."""

from __future__ import annotations

import json
import os
import tempfile
import time

import torch

from core.datasets import load_split
from core.families import load_model
from core.prompts import R1_SYSTEM_PROMPT, to_prompt_rows
from core.tiny import build
from data_prep.__main__ import main as data_prep
from eval.generate import HFGenerator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROMPTS, N, TOKENS = 16, 8, 32


def main() -> None:
    torch.manual_seed(0)
    work = tempfile.mkdtemp()
    tiny = build("qwen2_vl", os.path.join(work, "tiny"), seed=0)
    data_prep(["synthetic", "--task", "angles", "--n", str(PROMPTS), "--out", os.path.join(work, "angles")])
    model, processor, family = load_model(tiny)
    rows, _ = to_prompt_rows(load_split(os.path.join(work, "angles"), "train"), family, processor, R1_SYSTEM_PROMPT,
                             "{problem}", 4096)
    prompts, images = [r["prompt"] for r in rows], [r["images"] for r in rows]
    # min_new_tokens = max: every completion is TOKENS long, so both ways generate the same number of tokens
    generate = HFGenerator(model, processor, batch_size=1, max_new_tokens=TOKENS)
    model.generation_config.min_new_tokens = TOKENS
    generate(prompts[:1], images[:1], N, 1.0, 1.0)  # warm-up

    timings = {}
    for name, calls, n in (("one call, n=8", 1, N), ("8 calls, n=1", N, 1)):
        start = time.perf_counter()
        made = 0
        for p, i in zip(prompts, images, strict=True):
            for _ in range(calls):
                made += len(generate([p], [i], n, 1.0, 1.0)[0])
        timings[name] = made / (time.perf_counter() - start)
    ratio = timings["one call, n=8"] / timings["8 calls, n=1"]
    result = {"prompts": PROMPTS, "samples_per_prompt": N, "tokens_per_completion": TOKENS,
              "completions_per_s": timings, "ratio": ratio, "target": 2.0, "torch_threads": torch.get_num_threads()}
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    json.dump(result, open(os.path.join(ROOT, "docs", "bench_eval.json"), "w"), indent=2)
    print("| pass@8 sampling | completions/s |\n| --- | --- |")
    for name, value in timings.items():
        print(f"| {name} | {value:.1f} |")
    print(f"ratio {ratio:.2f}x (target >= 2x) -> docs/bench_eval.json")


if __name__ == "__main__":
    main()
