"""make bench: GRPO step time with and without the frozen-vision cache, side by side in one run, on image-heavy
prompts (448-px images: 1024 patches each, a one-line question, 8-token completions, G = 8, a reference model).
The tiny model's vision tower is sized so that vision costs about what it does next to the language model in
Qwen2-VL-2B. Target: >= 1.3x. Writes docs/bench_vision_cache.json and docs/bench.md."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from trl import GRPOConfig, GRPOTrainer, ModelConfig  # noqa: E402

from data_prep.__main__ import main as data_prep  # noqa: E402
from recipes.common.config import RecipeArguments  # noqa: E402
from recipes.common.launch import build_trainer  # noqa: E402
from recipes.common.tiny import build  # noqa: E402

SIDE, G, PROMPTS, STEPS, WARMUP = 448, 8, 2, 5, 1


def step_times(model: str, data: str, out: str, cache: bool) -> tuple[list[float], int]:
    recipe = RecipeArguments(dataset=data, reward_funcs=["format"], system_prompt="", vision_cache=cache,
                             max_pixels=SIDE * SIDE)
    args = GRPOConfig(output_dir=out, num_generations=G, per_device_train_batch_size=G * PROMPTS, beta=0.04,
                      max_completion_length=8, max_steps=STEPS, logging_steps=1, report_to="none", bf16=False,
                      save_strategy="no", seed=0, use_cpu=True)
    trainer = build_trainer(GRPOTrainer, recipe, args, ModelConfig(model_name_or_path=model, dtype="float32"))
    trainer.train()
    times = [h["step_time"] for h in trainer.state.log_history if "step_time" in h]
    cache_obj = trainer.model.model.get_image_features
    return times[WARMUP:], getattr(cache_obj, "misses", 0)


def main() -> None:
    work = tempfile.mkdtemp()
    model = build("qwen2_vl", os.path.join(work, "tiny"), seed=0, size="vision_heavy")
    data = os.path.join(work, "angles")
    data_prep(["synthetic", "--task", "angles", "--n", "32", "--image-size", str(SIDE), "--max-pixels",
               str(SIDE * SIDE), "--out", data])
    results = {}
    for name, cache in (("no cache", False), ("frozen-vision cache", True)):
        times, encoded = step_times(model, data, os.path.join(work, name), cache)
        results[name] = {"step_s_mean": statistics.fmean(times), "step_s_all": times, "images_encoded": encoded}
    speedup = results["no cache"]["step_s_mean"] / results["frozen-vision cache"]["step_s_mean"]
    report = {"setup": {"image_side": SIDE, "generations": G, "prompts_per_step": PROMPTS, "steps": STEPS - WARMUP,
                        "model": "tiny qwen2_vl, size vision_heavy, float32, CPU"},
              "results": results, "speedup": round(speedup, 2), "target": 1.3}
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "bench_vision_cache.json"), "w") as f:
        json.dump(report, f, indent=1)
    table = ["| GRPO step | mean step time (s) |", "| --- | ---: |"] + [
        f"| {name} | {r['step_s_mean']:.3f} |" for name, r in results.items()] + [
        f"| **speedup** | **{speedup:.2f}x** (target >= 1.3x) |"]
    with open(os.path.join(ROOT, "docs", "bench.md"), "w") as f:
        f.write("# Benchmarks\n\n## Frozen-vision cache (make bench)\n\n" + report["setup"]["model"] +
                f"; {SIDE}-px images, G = {G}, {PROMPTS} prompts a step, reference model on.\n\n" + "\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
