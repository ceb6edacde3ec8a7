"""make bench-rewards: our accuracy reward vs trl.rewards.accuracy_reward on one GRPO-shaped batch, one run.

Prints throughput of each on 64 prompts x G=8 (a realistic mix of answer types) and the worst per-completion
latency of each on the adversarial set; writes docs/bench_rewards.json.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import threading
import time

from trl.rewards import accuracy_reward as trl_accuracy

from rewards import accuracy_reward as ours

ADVERSARIAL = ["\\boxed{9^{9^{9^{9}}}}", "\\boxed{10^{100000}!}", "\\boxed{" + "(1+" * 300 + "1" + ")" * 300 + "}",
               "\\boxed{" + "{" * 500 + "1" + "}" * 500 + "}", "\\boxed{" + "9" * 20000 + "}"]


def batch(prompts: int = 64, g: int = 8, seed: int = 0):
    """Golds in \\boxed{} (TRL's accuracy_reward wants LaTeX golds), completions right and wrong in the usual forms."""
    rng = random.Random(seed)
    completions, golds = [], []
    for _ in range(prompts):
        kind = rng.choice(["int", "deg", "frac", "sqrt", "expr"])
        n = rng.randint(2, 170)
        gold, right, wrong = {
            "int": (str(n), str(n), str(n + 1)),
            "deg": (f"{n}^\\circ", f"{n}^\\circ", f"{n + 5}^\\circ"),
            "frac": (f"\\frac{{{n}}}{{7}}", f"\\frac{{{n}}}{{7}}", f"\\frac{{{n + 1}}}{{7}}"),
            "sqrt": (f"{n}\\sqrt{{3}}", f"{n}\\sqrt{{3}}", f"{n}\\sqrt{{2}}"),
            "expr": (f"x^2+{n}", f"{n}+x^2", f"x^2-{n}"),
        }[kind]
        for _ in range(g):
            answer = right if rng.random() < 0.4 else wrong
            completions.append([{"role": "assistant", "content": f"<think>work it out</think> $\\boxed{{{answer}}}$"}])
            golds.append(f"${gold}$")
    return completions, golds


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def trl_latency(text: str, thread: bool, limit_s: float = 20.0) -> float | None:
    """Seconds TRL's reward takes on one completion, in a child process killed at limit_s (None = over the limit).
    With thread=True it runs in a worker thread, where TRL turns its signal-based timeouts off."""
    parent, child = mp.get_context("fork").Pipe()

    def run():
        def work():
            return trl_accuracy([[{"role": "assistant", "content": text}]], solution=["$2$"])
        if thread:
            t = threading.Thread(target=lambda: child.send(timed(work)[0]))
            t.start()
            t.join()
        else:
            child.send(timed(work)[0])

    proc = mp.get_context("fork").Process(target=run, daemon=True)
    proc.start()
    got = parent.poll(limit_s)
    seconds = parent.recv() if got else None
    proc.kill()
    return seconds


def main() -> None:
    completions, golds = batch()
    ours([completions[0]], solution=[golds[0]])  # start the verifier pool outside the timing
    t_ours, s_ours = timed(ours, completions, solution=golds)
    t_trl, s_trl = timed(trl_accuracy, completions, solution=golds)
    agree = sum((a or 0.0) == (b or 0.0) for a, b in zip(s_ours, s_trl, strict=True)) / len(completions)
    worst_ours = max(timed(ours, [[{"role": "assistant", "content": a}]], solution=["$2$"])[0] for a in ADVERSARIAL)
    limit = 20.0
    trl_main = [trl_latency(a, thread=False, limit_s=limit) for a in ADVERSARIAL]
    trl_thread = [trl_latency(a, thread=True, limit_s=limit) for a in ADVERSARIAL]
    def worst(xs):
        return f">{limit:.0f} (killed)" if None in xs else max(xs)
    result = {
        "batch": f"{len(completions)} completions (64 prompts x G=8)",
        "ours_completions_per_s": len(completions) / t_ours,
        "trl_completions_per_s": len(completions) / t_trl,
        "throughput_ratio": t_trl / t_ours,
        "score_agreement_with_trl": agree,
        "ours_worst_adversarial_s": worst_ours,
        "trl_worst_adversarial_main_thread_s": worst(trl_main),
        "trl_worst_adversarial_worker_thread_s": worst(trl_thread),
        "cpus": os.cpu_count(),
    }
    os.makedirs("docs", exist_ok=True)
    with open("docs/bench_rewards.json", "w") as f:
        json.dump(result, f, indent=2)
    for key, value in result.items():
        print(f"{key:40s} {value:.3f}" if isinstance(value, float) else f"{key:40s} {value}")


if __name__ == "__main__":
    main()
