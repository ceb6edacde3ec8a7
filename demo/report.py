"""report.json, report.md and PNG plots of the demo, mean ± std over seeds."""

from __future__ import annotations

import json
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"sft": "SFT warm start", "sft_more": "more SFT", "grpo": "GRPO", "dapo": "DAPO (dynamic sampling)"}
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
    best_rl = max(("grpo", "dapo"), key=lambda m: mean[m]["test_pass1_t001"])
    gain = mean[best_rl]["test_pass1_t001"] - mean["sft"]["test_pass1_t001"]
    report = {**{m: {c: round(v, 2) for c, v in cols.items()} for m, cols in mean.items()},
              "std": {m: {c: round(v, 2) for c, v in cols.items()} for m, cols in std.items()},
              "seeds": sorted(per_seed), "wall_time_s": round(wall_time_s, 1),
              "best_rl": best_rl, "best_rl_gain_points": round(gain, 2), "config": config,
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
    return "\n".join([
        "# Demo: RL with verifiable rewards on a tiny Qwen2-VL (CPU, offline)", "",
        f"Held-out pass@1 accuracy (%), {f'mean ± std over seeds {seeds}' if len(seeds) > 1 else f'seed {seeds[0]}'}; "
        f"wall time {report['wall_time_s']:.0f} s.", "",
        table, "",
        f"Best RL model: **{report['best_rl']}**, {report['best_rl_gain_points']:+.1f} points over the SFT warm start "
        "(test, t=0.01).", "",
        "The task: count the shapes (1-5). The warm start imitates a teacher that undercounts crowded pictures; "
        "more SFT on the same teacher keeps its bias, while GRPO and DAPO are scored by the verifier against the "
        "true count. OOD test: triangles, never seen in training, mixed in. See demo/task.py.", "",
        "![held-out accuracy](accuracy.png)", "", "![sampled accuracy](reward.png)", "",
        "![response length](response_length.png)", "", "![groups filtered](groups_filtered.png)", ""])


def _mean_curve(per_seed: dict, get) -> tuple[list, list]:
    """Average over seeds of per-step series (x values taken from the first seed)."""
    series = [get(r) for r in per_seed.values()]
    series = [s for s in series if s[0]]
    if not series:
        return [], []
    n = min(len(s[0]) for s in series)
    return series[0][0][:n], [statistics.fmean(s[1][i] for s in series) for i in range(n)]


def _log_series(key: str, model: str, transform=lambda v: v):
    def get(r):
        rows = [e for e in r["logs"][model] if key in e]
        return [e["step"] for e in rows], [transform(e[key]) for e in rows]
    return get


def _accuracy_series(model: str):
    def get(r):
        ckpts = sorted((e for tag, e in r["curves"][model].items() if tag.startswith("checkpoint-")),
                       key=lambda e: e["step"])
        xs = [0] + [e["step"] for e in ckpts]
        ys = [r["table"]["sft"]["test_pass1_t001"]] + [e["results"]["pass1_t001"]["test"]["accuracy"] for e in ckpts]
        return xs, ys
    return get


def _plots(out: str, per_seed: dict) -> None:
    sampled = {"grpo": "rewards/accuracy_reward/mean", "dapo": "dynamic_sampling/sampled_accuracy"}
    figures = {
        "accuracy.png": ("held-out test accuracy, t=0.01 (%)", {m: _accuracy_series(m) for m in ("grpo", "dapo")}),
        "reward.png": ("share of sampled completions correct",
                       {m: _log_series(sampled[m], m) for m in ("grpo", "dapo")}),
        "response_length.png": ("mean completion length (tokens)",
                                {m: _log_series("completions/mean_length", m) for m in ("grpo", "dapo")}),
        "groups_filtered.png": ("DAPO: share of groups filtered",
                                {"dapo": _log_series("dynamic_sampling/groups_filtered_frac", "dapo")}),
    }
    mean_sft = statistics.fmean(r["table"]["sft"]["test_pass1_t001"] for r in per_seed.values())
    mean_more = statistics.fmean(r["table"]["sft_more"]["test_pass1_t001"] for r in per_seed.values())
    for filename, (ylabel, curves) in figures.items():
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        for model, get in curves.items():
            xs, ys = _mean_curve(per_seed, get)
            ax.plot(xs, ys, marker="o" if filename == "accuracy.png" else None, markersize=4, label=LABELS[model])
        if filename == "accuracy.png":
            ax.axhline(mean_sft, color="gray", linestyle="--", linewidth=1, label=LABELS["sft"])
            ax.axhline(mean_more, color="black", linestyle=":", linewidth=1, label=LABELS["sft_more"])
        ax.set_xlabel("RL step")
        ax.set_ylabel(ylabel, fontsize=8)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, filename), dpi=100)
        plt.close(fig)
