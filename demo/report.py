"""report.json, report.md and PNG plots of the demo, mean ± std over seeds."""

from __future__ import annotations

import json
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"sft": "SFT warm start", "sft_more": "more SFT", "grpo": "GRPO", "dapo": "DAPO (dynamic sampling)",
          "reinforcepp": "Reinforce++ (MAYE)", "ppo": "PPO (critic)"}
RL = ("grpo", "dapo", "reinforcepp", "ppo")
HEADLINE = "test_pass1_t001"
COLUMNS = {"test_pass1_t001": "test, t=0.01", "test_pass1_t06": "test, t=0.6",
           "test_ood_pass1_t001": "OOD test, t=0.01", "test_ood_pass1_t06": "OOD test, t=0.6"}


def aggregate(per_seed: dict[int, dict]) -> tuple[dict, dict]:
    """{model: {column: mean}} and {model: {column: std}} over seeds."""
    tables = [r["table"] for r in per_seed.values()]
    mean = {m: {c: statistics.fmean(t[m][c] for t in tables) for c in tables[0][m]} for m in tables[0]}
    std = {m: {c: statistics.stdev(t[m][c] for t in tables) if len(tables) > 1 else 0.0 for c in tables[0][m]}
           for m in tables[0]}
    return mean, std


def write(out: str, per_seed: dict[int, dict], wall_time_s: float, config: dict) -> dict:
    mean, std = aggregate(per_seed)
    rl = [m for m in RL if m in mean]
    best_rl = max(rl, key=lambda m: mean[m][HEADLINE])
    gain = mean[best_rl][HEADLINE] - mean["sft"][HEADLINE]
    # the bar: each seed's best RL model against that seed's own warm start
    seed_gains = {str(s): round(max(r["table"][m][HEADLINE] for m in rl) - r["table"]["sft"][HEADLINE], 2)
                  for s, r in per_seed.items()}
    completions = {m: round(statistics.fmean(max(r["completions"][m].values()) for r in per_seed.values()))
                   for m in rl}
    report = {**{m: {c: round(v, 2) for c, v in cols.items()} for m, cols in mean.items()},
              "std": {m: {c: round(v, 2) for c, v in cols.items()} for m, cols in std.items()},
              "seeds": sorted(per_seed), "wall_time_s": round(wall_time_s, 1),
              "best_rl": best_rl, "best_rl_gain_points": round(gain, 2), "best_rl_gain_per_seed": seed_gains,
              "completions_generated": completions, "config": config,
              "per_seed": {str(s): r["table"] for s, r in per_seed.items()}}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    _plots(out, per_seed)
    table = markdown_table(mean, std, len(per_seed))
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(_markdown(table, report))
    return report


def markdown_table(mean: dict, std: dict, n_seeds: int) -> str:
    cols = [c for c in COLUMNS if c in mean["sft"]]
    lines = ["| model | " + " | ".join(COLUMNS[c] for c in cols) + " |", "| --- |" + " ---: |" * len(cols)]
    for m in mean:
        cells = [f"{mean[m][c]:.1f}" + (f" ± {std[m][c]:.1f}" if n_seeds > 1 else "") for c in cols]
        lines.append(f"| {LABELS.get(m, m)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _markdown(table: str, report: dict) -> str:
    seeds = report["seeds"]
    generated = [f"| {LABELS[m]} | {n:,} |" for m, n in report["completions_generated"].items()]
    per_seed = ", ".join(f"seed {s}: {g:+.1f}" for s, g in report["best_rl_gain_per_seed"].items())
    return "\n".join([
        "# Demo: RL with verifiable rewards on a tiny Qwen2-VL (CPU, offline)", "",
        f"Held-out pass@1 accuracy (%), {f'mean ± std over seeds {seeds}' if len(seeds) > 1 else f'seed {seeds[0]}'}; "
        f"wall time {report['wall_time_s']:.0f} s.", "",
        table, "",
        f"Best RL model: **{LABELS[report['best_rl']]}**, {report['best_rl_gain_points']:+.1f} points over the SFT "
        f"warm start (test, t=0.01). Each seed's best RL model over its own warm start: {per_seed}.", "",
        "Completions each RL run generated (mean over seeds). DAPO's dynamic sampling draws more than it trains on, "
        "so compare it per completion as well as per step:", "",
        "| RL run | completions generated |", "| --- | ---: |", *generated, "",
        "The task: count the shapes (1-5). The warm start imitates a teacher that undercounts crowded pictures; "
        "more SFT on the same teacher keeps its bias, while the RL runs are scored by the verifier against the "
        "true count. OOD test: triangles, never seen in training, mixed in. See demo/task.py.", "",
        "![held-out accuracy per step](accuracy.png)", "",
        "![held-out accuracy per completion generated](accuracy_vs_completions.png)", "",
        "![sampled accuracy](reward.png)", "", "![response length](response_length.png)", "",
        "![groups filtered](groups_filtered.png)", ""])


def _mean_curve(per_seed: dict, get) -> tuple[list, list]:
    """Average over seeds of per-step series (x values averaged too: completions differ by seed for DAPO)."""
    series = [get(r) for r in per_seed.values()]
    series = [s for s in series if s[0]]
    if not series:
        return [], []
    n = min(len(s[0]) for s in series)
    return ([statistics.fmean(s[0][i] for s in series) for i in range(n)],
            [statistics.fmean(s[1][i] for s in series) for i in range(n)])


def _log_series(key: str, model: str, transform=lambda v: v):
    def get(r):
        rows = [e for e in r["logs"][model] if e.get(key) is not None]  # None: nothing of that kind this step
        return [e["step"] for e in rows], [transform(e[key]) for e in rows]
    return get


def _accuracy_series(model: str, per_completion: bool = False):
    def get(r):
        ckpts = sorted((e for tag, e in r["curves"][model].items() if tag.startswith("checkpoint-")),
                       key=lambda e: e["step"])
        steps = [0] + [e["step"] for e in ckpts]
        xs = [r["completions"][model].get(step, 0) for step in steps] if per_completion else steps
        ys = [r["table"]["sft"][HEADLINE]] + [e["results"]["pass1_t001"]["test"]["accuracy"] for e in ckpts]
        return xs, ys
    return get


def _plots(out: str, per_seed: dict) -> None:
    rl = [m for m in RL if m in next(iter(per_seed.values()))["logs"]]
    sampled = {m: "rewards/accuracy_reward/mean" for m in rl} | {"dapo": "dynamic_sampling/sampled_accuracy"}
    figures = {
        "accuracy.png": ("RL step", "held-out test accuracy, t=0.01 (%)", {m: _accuracy_series(m) for m in rl}),
        "accuracy_vs_completions.png": ("completions generated", "held-out test accuracy, t=0.01 (%)",
                                        {m: _accuracy_series(m, per_completion=True) for m in rl}),
        "reward.png": ("RL step", "share of sampled completions correct",
                       {m: _log_series(sampled[m], m) for m in rl}),
        "response_length.png": ("RL step", "mean completion length (tokens)",
                                {m: _log_series("completions/mean_length", m) for m in rl}),
        "groups_filtered.png": ("RL step", "DAPO: share of groups filtered",
                                {m: _log_series("dynamic_sampling/groups_filtered_frac", m) for m in rl
                                 if m == "dapo"}),
    }
    mean_sft = statistics.fmean(r["table"]["sft"][HEADLINE] for r in per_seed.values())
    mean_more = statistics.fmean(r["table"]["sft_more"][HEADLINE] for r in per_seed.values())
    for filename, (xlabel, ylabel, curves) in figures.items():
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        for model, get in curves.items():
            xs, ys = _mean_curve(per_seed, get)
            ax.plot(xs, ys, marker="o" if filename.startswith("accuracy") else None, markersize=4,
                    label=LABELS[model])
        if filename.startswith("accuracy"):
            ax.axhline(mean_sft, color="gray", linestyle="--", linewidth=1, label=LABELS["sft"])
            ax.axhline(mean_more, color="black", linestyle=":", linewidth=1, label=LABELS["sft_more"])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, filename), dpi=100)
        plt.close(fig)
