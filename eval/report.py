"""Summary (markdown + JSON) and PNG plots of evaluation results, for one run or mean ± std over several."""

from __future__ import annotations

import json
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def summarize(results: dict) -> dict:
    """Per setting and split: base accuracy, each checkpoint's, and the mean / max / last over checkpoints."""
    summary = {}
    ckpts = sorted((e for t, e in results.items() if t != "base"), key=lambda e: e["step"])
    for setting, splits in (results.get("base") or (ckpts[0] if ckpts else {"results": {}}))["results"].items():
        for split in splits:
            accs = [e["results"][setting][split]["accuracy"] for e in ckpts if split in e["results"].get(setting, {})]
            base = results.get("base", {}).get("results", {}).get(setting, {}).get(split, {}).get("accuracy")
            summary[f"{split}_{setting}"] = {"base": base, "checkpoints": accs,
                                             "mean": statistics.fmean(accs) if accs else None,
                                             "max": max(accs) if accs else None, "last": accs[-1] if accs else None}
    return summary


def across_runs(summaries: list[dict]) -> dict:
    """mean ± std over runs (seeds) of each run's last, max and mean checkpoint accuracy."""
    out = {}
    for key in summaries[0]:
        out[key] = {}
        for stat in ("last", "max", "mean", "base"):
            values = [s[key][stat] for s in summaries if s.get(key, {}).get(stat) is not None]
            if values:
                out[key][stat] = {"mean": statistics.fmean(values),
                                  "std": statistics.stdev(values) if len(values) > 1 else 0.0}
    return out


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.1f}"


def write_report(out: str, runs: dict[str, dict]) -> dict:
    """runs: name -> results.json content. Writes summary.md, summary.json and plots under `out`."""
    summaries = {name: summarize(res) for name, res in runs.items()}
    doc = {"runs": summaries}
    lines = ["# Evaluation", ""]
    for name, summary in summaries.items():
        lines += [f"## {name}", "", "| split / setting | base | last | max | mean over checkpoints |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {k} | {_fmt(v['base'])} | {_fmt(v['last'])} | {_fmt(v['max'])} | {_fmt(v['mean'])} |"
                  for k, v in summary.items()]
        lines.append("")
    if len(runs) > 1:
        doc["across_runs"] = agg = across_runs(list(summaries.values()))
        lines += [f"## mean ± std over {len(runs)} runs", "", "| split / setting | last | max | mean |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| {k} | " + " | ".join(
            f"{v[s]['mean']:.1f} ± {v[s]['std']:.1f}" if s in v else "–" for s in ("last", "max", "mean")) + " |"
                  for k, v in agg.items()]
        lines.append("")
    lines += ["![accuracy](accuracy.png)", "", "![response length](response_length.png)", "",
              "![reflection](reflection.png)", ""]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(doc, f, indent=1)
    _plots(out, runs)
    return doc


def _series(results: dict, metric) -> dict[str, tuple[list, list]]:
    ckpts = sorted((e for t, e in results.items() if t != "base"), key=lambda e: e["step"])
    series = {}
    for e in ckpts:
        for setting, splits in e["results"].items():
            for split, m in splits.items():
                xs, ys = series.setdefault(f"{split}/{setting}", ([], []))
                xs.append(e["epoch"] or e["step"])
                ys.append(metric(m))
    return series


def _plots(out: str, runs: dict[str, dict]) -> None:
    for filename, metric, label in (
        ("accuracy.png", lambda m: m["accuracy"], "accuracy (%)"),
        ("response_length.png", lambda m: m["mean_response_chars"], "mean response length (characters)"),
        ("reflection.png", lambda m: 100 * m["reflection"]["reflection_ratio"], "reflection ratio (%)"),
    ):
        fig, ax = plt.subplots(figsize=(7, 4))
        for run, results in runs.items():
            for key, (xs, ys) in _series(results, metric).items():
                line, = ax.plot(xs, ys, marker="o", label=f"{run} {key}" if len(runs) > 1 else key)
                split, setting = key.split("/")
                base = results.get("base", {}).get("results", {}).get(setting, {}).get(split)
                if base is not None:
                    ax.axhline(metric(base), color=line.get_color(), linestyle="--", linewidth=1)
        ax.set_xlabel("epoch (dashed: base model)")
        ax.set_ylabel(label)
        if ax.lines:
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, filename), dpi=100)
        plt.close(fig)
