"""make bench: one GRPO step, split into generation, scoring, log-prob passes and the training forward/backward,
for a bare TRL GRPOTrainer, this project's recipe path (same model, data, freeze flags and settings), and the
recipe with the frozen-vision cache. Each runs in its own process (so peak RSS is its own), in one `make bench`.

Image-heavy prompts: 448-px images (1024 patches each), a one-line question, 8-token completions, G = 8, a reference
model. The tiny model's vision tower is sized so that vision costs about what it does next to the language model
in Qwen2-VL-2B. Targets: recipe overhead < 5 % over bare TRL; the cache >= 1.3x faster.
Writes docs/bench_grpo.json and docs/bench.md."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile

from benchmarks.timing import PhaseTimes, run_child

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SIDE, G, PROMPTS, STEPS, WARMUP = 448, 8, 2, 5, 1
ROUNDS = 2  # the configurations run interleaved (A B C A B C): process-to-process noise is about +-10 %
CONFIGS = ("bare TRL", "recipe", "recipe + vision cache")
PHASES = ("generation", "scoring", "log-probs", "train fwd+bwd")


def one(config: str, model_dir: str, data: str, out: str, completion: str = "8") -> dict:
    """Run STEPS GRPO steps in this process; per-step phase times after WARMUP, and peak RSS."""
    from trl import GRPOConfig, GRPOTrainer, ModelConfig

    from core.datasets import load_split
    from core.families import load_model, set_pixel_range, set_trainable
    from core.prompts import to_prompt_rows
    from recipes.common.config import RecipeArguments, RLArguments, reward_functions
    from recipes.common.launch import build_trainer

    args = GRPOConfig(output_dir=out, num_generations=G, per_device_train_batch_size=G * PROMPTS, beta=0.04,
                      max_completion_length=int(completion), max_steps=STEPS, logging_steps=1, report_to="none",
                      bf16=False, save_strategy="no", seed=0, use_cpu=True)
    if config == "bare TRL":  # TRL as its docs show it, with the same frozen tower and the same prompt rows
        model, processor, family = load_model(model_dir, dtype="float32")
        set_pixel_range(processor, None, SIDE * SIDE)
        set_trainable(model, family)
        rows, _ = to_prompt_rows(load_split(data, "train"), family, processor, None, "{problem}", None)
        trainer = GRPOTrainer(model=model, processing_class=processor, reward_funcs=reward_functions(["format"]),
                              args=args, train_dataset=rows)
    else:
        recipe = RecipeArguments(dataset_name=data, system_prompt="", max_pixels=SIDE * SIDE)
        rl = RLArguments(reward_funcs=["format"], vision_cache=config.endswith("cache"))
        trainer = build_trainer(GRPOTrainer, recipe, rl, args,
                                ModelConfig(model_name_or_path=model_dir, dtype="float32"))
    times = PhaseTimes(trainer)
    trainer.train()
    steps = times.steps[WARMUP:]
    return {k: statistics.fmean(s[k] for s in steps) for k in steps[0]} | {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print("RESULT " + json.dumps(one(*sys.argv[2:7])))
        return
    if sys.argv[1:] == ["--real-shapes"]:
        return real_shapes()
    work = tempfile.mkdtemp()
    model, data = model_and_data(work, "vision_heavy")
    runs = {config: [] for config in CONFIGS}
    for round_ in range(ROUNDS):
        for config in CONFIGS:
            print(f"round {round_ + 1}/{ROUNDS}: {config} ...", file=sys.stderr, flush=True)
            runs[config].append(run_child(__spec__.name,
                                          [config, model, data, os.path.join(work, f"{config}-{round_}")], cwd=ROOT))
    results = {c: {k: statistics.fmean(r[k] for r in rs) for k in rs[0]} | {"step_per_round": [r["step"] for r in rs]}
               for c, rs in runs.items()}
    bare, recipe, cached = (results[c]["step"] for c in CONFIGS)
    summary = {"recipe_overhead_pct": round(100 * (recipe / bare - 1), 1), "cache_speedup": round(recipe / cached, 2),
               "targets": {"recipe_overhead_pct": "< 5", "cache_speedup": ">= 1.3"}}
    report = {"setup": {"image_side": SIDE, "generations": G, "prompts_per_step": PROMPTS,
                        "steps_timed": STEPS - WARMUP, "rounds": ROUNDS,
                        "model": "tiny qwen2_vl (size vision_heavy), float32, CPU"},
              "results": results, "summary": summary}
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "bench_grpo.json"), "w") as f:
        json.dump(report, f, indent=1)
    head = "| seconds per GRPO step | " + " | ".join(PHASES) + " | total (per round) | peak RSS (MB) |"
    rows = [f"| {c} | " + " | ".join(f"{results[c][p]:.2f}" for p in PHASES) +
            f" | **{results[c]['step']:.2f}** ({' / '.join(f'{x:.2f}' for x in results[c]['step_per_round'])}) | "
            f"{results[c]['peak_rss_mb']:.0f} |" for c in CONFIGS]
    table = "\n".join([head, "| --- |" + " ---: |" * (len(PHASES) + 2), *rows])
    lines = [table, "", f"Recipe overhead over bare TRL: {summary['recipe_overhead_pct']:+.1f} % (target < 5 %). "
             f"Frozen-vision cache: {summary['cache_speedup']:.2f}x faster than the recipe without it "
             "(target >= 1.3x)."]
    with open(os.path.join(ROOT, "docs", "bench.md"), "w") as f:
        f.write("# Benchmarks\n\n## GRPO step (make bench)\n\n" + report["setup"]["model"] + f"; {SIDE}-px images, "
                f"G = {G}, {PROMPTS} prompts a step, reference model on; mean of {STEPS - WARMUP} steps after "
                f"{WARMUP} warm-up, each configuration in its own process, {ROUNDS} interleaved rounds, one run.\n\n"
                + "\n".join(lines) + "\n")
    print("\n".join(lines))


def model_and_data(work: str, size: str) -> tuple[str, str]:
    from core.tiny import build
    from data_prep.__main__ import main as data_prep

    model = build("qwen2_vl", os.path.join(work, size), seed=0, size=size)
    data = os.path.join(work, "angles")
    data_prep(["synthetic", "--task", "angles", "--n", "32", "--image-size", str(SIDE), "--max-pixels",
               str(SIDE * SIDE), "--out", data])
    return model, data


REAL_COMPLETION = 512  # tokens: a reasoning-length answer (the random model never stops, so every one is this long)


def real_shapes() -> None:
    """`python -m benchmarks.bench_grpo --real-shapes`: the cache's gain at Qwen2-VL-2B's proportions (the
    `qwen2_vl_2b_shape` size: vision tower ~27 % of the parameters, about half the language model's trunk, as in
    the real model), 448-px images and 512-token completions. Writes docs/bench_real_shapes.json."""
    work = tempfile.mkdtemp()
    model, data = model_and_data(work, "qwen2_vl_2b_shape")
    results = {}
    for config in CONFIGS[1:]:
        print(f"{config} ...", file=sys.stderr, flush=True)
        results[config] = run_child(__spec__.name, [config, model, data, os.path.join(work, config),
                                                    str(REAL_COMPLETION)], cwd=ROOT)
    speedup = results[CONFIGS[1]]["step"] / results[CONFIGS[2]]["step"]
    report = {"setup": {"image_side": SIDE, "generations": G, "prompts_per_step": PROMPTS,
                        "completion_tokens": REAL_COMPLETION, "steps_timed": STEPS - WARMUP,
                        "model": "tiny qwen2_vl (size qwen2_vl_2b_shape), float32, CPU"},
              "results": results, "cache_speedup": round(speedup, 2)}
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "bench_real_shapes.json"), "w") as f:
        json.dump(report, f, indent=1)
    for config in CONFIGS[1:]:
        print(f"{config}: " + ", ".join(f"{p} {results[config][p]:.2f} s" for p in PHASES)
              + f"; step {results[config]['step']:.2f} s")
    print(f"Frozen-vision cache at real shapes: {speedup:.2f}x")


if __name__ == "__main__":
    main()
