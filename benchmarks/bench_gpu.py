"""make bench-gpu: GRPO on a real-size random-weight VLM, built from Qwen2-VL-2B's architecture (no download), on
one GPU: step time split into phases, tokens/s, MFU and peak GPU memory, with HF generation and with vLLM
(colocate) generation. Each configuration runs in its own process.

    python -m benchmarks.bench_gpu [--size qwen2_vl_2b] [--steps 6] [--warmup 2] [--vllm auto|on|off]
                                   [--peak-tflops X] [--out docs]

MFU = model FLOPs / (step time x the GPU's dense bf16 peak). Model FLOPs count what the algorithm needs: each
forward pass over the language model (generation, reference and old-policy log-probs) costs 2 FLOPs per parameter
per token, the training pass 6 (forward + backward); the frozen vision tower runs forward only, once per distinct
image per pass. Attention's sequence-length term is left out (prompts and completions are short), so MFU is
slightly understated. Without a GPU the same code runs on a tiny model (`--size tiny`; `--size small` with vLLM,
whose CPU attention needs head_dim >= 32) as a smoke test, MFU omitted; `make test-vllm` runs both generators so."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile

from benchmarks.timing import PhaseTimes, run_child

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

G, PROMPTS, COMPLETION = 8, 4, 256
PHASES = ("generation", "scoring", "log-probs", "train fwd+bwd")
# Dense bf16 peak (TFLOP/s) from the vendors' data sheets, matched on torch.cuda.get_device_name().
PEAK_TFLOPS = {"H200": 989.4, "H100 PCIe": 756.0, "H100 NVL": 835.0, "H100": 989.4, "A100": 312.0, "L40S": 362.0,
               "A10G": 70.0, "L4": 121.0}


def peak_tflops(device_name: str) -> float | None:
    return next((v for k, v in PEAK_TFLOPS.items() if k in device_name), None)


def step_flops(llm_params: int, vision_params: int, tokens: int, image_patches: int, forward_passes: int) -> float:
    """Model FLOPs of one GRPO step (see the module docstring). `tokens`: prompt + completion tokens of every
    sequence; `image_patches`: vision-tower patches of the step's distinct images; `forward_passes`: generation
    plus the log-prob passes that ran (reference, old policy)."""
    language = 2 * llm_params * tokens * forward_passes + 6 * llm_params * tokens
    return language + 2 * vision_params * image_patches * (forward_passes + 1)


def parameter_counts(model, family) -> tuple[int, int]:
    """(language-model FLOP-bearing parameters, vision-tower parameters). The input embedding is a lookup, not a
    matmul; the output head is a matmul even when it shares the embedding's weights."""
    from core.families import parts

    p = parts(model, family)
    total = sum(x.numel() for x in model.parameters())  # shared (tied) tensors counted once
    vision = sum(x.numel() for x in p["vision_tower"].parameters())
    embed = model.get_input_embeddings().weight
    tied = p["lm_head"].weight is embed
    return total - vision - embed.numel() + (embed.numel() if tied else 0), vision


def one(config: str, model_dir: str, data: str, out: str, steps: str, warmup: str, peak: str) -> dict:
    """One configuration in this process; `peak`: the --peak-tflops override, or "" for the table's."""
    import torch
    from trl import GRPOConfig, GRPOTrainer, ModelConfig

    from core.families import family_of
    from recipes.common.config import RecipeArguments, RLArguments
    from recipes.common.launch import build_trainer

    gpu = torch.cuda.is_available()
    steps, warmup = int(steps), int(warmup)
    args = GRPOConfig(output_dir=out, num_generations=G, per_device_train_batch_size=G * PROMPTS, beta=0.04,
                      max_completion_length=COMPLETION if gpu else 8, max_steps=steps, logging_steps=1,
                      report_to="none", bf16=gpu, use_cpu=not gpu, gradient_checkpointing=gpu, save_strategy="no",
                      seed=0, use_vllm=config == "vllm", vllm_mode="colocate", vllm_gpu_memory_utilization=0.3,
                      vllm_max_model_length=None if gpu else 1024)  # a CPU's KV cache is small (tests/vllm)
    recipe, rl = RecipeArguments(dataset_name=data, system_prompt=""), RLArguments(reward_funcs=["format"])
    model_args = ModelConfig(model_name_or_path=model_dir, dtype="bfloat16" if gpu else "float32")
    trainer = build_trainer(GRPOTrainer, recipe, rl, args, model_args)
    counts = []
    inner = trainer._generate_and_score_completions

    def counted(inputs):
        output = inner(inputs)
        grid = output.get("image_grid_thw")
        counts.append({
            "tokens": int(output["prompt_mask"].sum() + output["completion_mask"].sum()),
            "completion_tokens": int(output["completion_mask"].sum()),
            "patches": 0 if grid is None else int(grid.prod(-1).sum()) // G,  # distinct images: one per group
            "passes": 1 + sum(output.get(k) is not None for k in ("ref_per_token_logps", "old_per_token_logps"))})
        return output
    trainer._generate_and_score_completions = counted
    times = PhaseTimes(trainer, sync=torch.cuda.synchronize if gpu else None)
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    model = trainer.accelerator.unwrap_model(trainer.model)
    llm, vision = parameter_counts(model, family_of(model_dir))
    timed, counted_steps = times.steps[warmup:], counts[warmup:]
    step = statistics.fmean(s["step"] for s in timed)
    flops = statistics.fmean(step_flops(llm, vision, c["tokens"], c["patches"], c["passes"]) for c in counted_steps)
    device = torch.cuda.get_device_name() if gpu else "cpu"
    peak = float(peak) if peak else peak_tflops(device) if gpu else None
    return {phase: statistics.fmean(s[phase] for s in timed) for phase in (*PHASES, "step")} | {
        "tokens_per_s": statistics.fmean(c["tokens"] for c in counted_steps) / step,
        "generated_tokens_per_s": statistics.fmean(c["completion_tokens"] / s["generation"]
                                                    for c, s in zip(counted_steps, timed, strict=True)),
        "tflops_per_step": flops / 1e12, "achieved_tflops": flops / step / 1e12, "device": device,
        "peak_tflops": peak, "mfu_pct": None if peak is None else 100 * flops / step / (peak * 1e12),
        "peak_gpu_mem_gb": torch.cuda.max_memory_allocated() / 2**30 if gpu else None,
        "llm_params_b": llm / 1e9, "vision_params_b": vision / 1e9, "max_completion_length": args.max_completion_length}


def vllm_skip_reason(choice: str, size) -> str | None:
    import torch

    if choice == "off":
        return "--vllm off"
    reason = None if importlib.util.find_spec("vllm") else (
        "vllm is not installed (pip install vllm; on a CPU: make test-vllm's environment)")
    if reason is None and not torch.cuda.is_available() and size.hidden // size.heads < 32:
        reason = "vLLM's CPU attention needs head_dim >= 32 (--size small)"
    if reason and choice == "on":
        sys.exit(f"error: --vllm on, but {reason}")
    return reason


def markdown(report: dict) -> str:
    s = report["setup"]
    lines = [f"## GRPO on a real-size model (make bench-gpu)\n\n{s['model']} ({s['llm_params_b']:.3g} B language, "
             f"{s['vision_params_b']:.3g} B vision), {s['device']}; {s['prompts']} prompts x G = {G}, "
             f"{s['completion_tokens']} completion tokens, {s['image_side']}-px images, reference model on; "
             f"mean of {s['steps_timed']} steps after {s['warmup']} warm-up.\n",
             "| generator | " + " | ".join(PHASES) + " | step (s) | tokens/s | generated tokens/s | MFU | GPU GB |",
             "| --- |" + " ---: |" * (len(PHASES) + 5)]
    for name, r in report["results"].items():
        mfu = "n/a" if r["mfu_pct"] is None else f"{r['mfu_pct']:.1f} %"
        mem = "n/a" if r["peak_gpu_mem_gb"] is None else f"{r['peak_gpu_mem_gb']:.1f}"
        lines.append(f"| {name} | " + " | ".join(f"{r[p]:.2f}" for p in PHASES) + f" | **{r['step']:.2f}** | "
                     f"{r['tokens_per_s']:.0f} | {r['generated_tokens_per_s']:.0f} | {mfu} | {mem} |")
    lines += [f"\n{name}: not run ({why})." for name, why in report["skipped"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        print("RESULT " + json.dumps(one(*argv[1:8])))
        return
    from core.tiny import SIZES, build
    from data_prep.__main__ import main as data_prep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="qwen2_vl_2b", choices=sorted(SIZES))
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--vllm", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--peak-tflops", type=float, help="the accelerator's dense bf16 peak, if not in the table")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"), help="where bench_gpu.json/.md go")
    args = parser.parse_args(argv)
    if args.steps <= args.warmup:
        sys.exit(f"error: --steps ({args.steps}) must exceed --warmup ({args.warmup})")
    skipped = {"vllm": why} if (why := vllm_skip_reason(args.vllm, SIZES[args.size])) else {}  # before the (slow) build
    side = SIZES[args.size].image_side
    work = tempfile.mkdtemp()
    print(f"building {args.size} (random weights) ...", file=sys.stderr, flush=True)
    model = build("qwen2_vl", os.path.join(work, "model"), seed=0, size=args.size)
    data = os.path.join(work, "angles")
    data_prep(["synthetic", "--task", "angles", "--n", str(PROMPTS * args.steps * 2), "--image-size", str(side),
               "--max-pixels", str(side * side), "--out", data])
    results = {}
    for config in ("hf", "vllm"):
        if config not in skipped:
            print(f"{config} generation ...", file=sys.stderr, flush=True)
            results[config] = run_child(__spec__.name, [config, model, data, os.path.join(work, config),
                                                        str(args.steps), str(args.warmup),
                                                        str(args.peak_tflops or "")], cwd=ROOT)
    first = next(iter(results.values()))
    report = {"setup": {"model": f"Qwen2-VL, size {args.size}", "device": first["device"], "prompts": PROMPTS,
                        "completion_tokens": first["max_completion_length"], "image_side": side,
                        "steps_timed": args.steps - args.warmup, "warmup": args.warmup,
                        "llm_params_b": first["llm_params_b"], "vision_params_b": first["vision_params_b"]},
              "results": results, "skipped": skipped}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench_gpu.json"), "w") as f:
        json.dump(report, f, indent=1)
    text = markdown(report)
    with open(os.path.join(args.out, "bench_gpu.md"), "w") as f:
        f.write("# Benchmarks\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
