"""Evaluation reports: the summary as a table, a markdown report and a bar chart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.metrics import METRICS, QUALITY

SYSTEMS = ("ours", "baseline")


# --- tables ------------------------------------------------------------------------------------


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def format_table(summary: Mapping[str, Any], *, markdown: bool = False) -> str:
    """The summary as a table: one row per system (ours, baseline), one column per metric."""
    systems = [name for name in SYSTEMS if name in summary]
    header = ["system"] + [m.label for m in METRICS]
    rows = [[name] + [_cell(summary[name].get(m.key)) for m in METRICS] for name in systems]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [header, *rows])


def beats_baseline(summary: Mapping[str, Any]) -> dict[str, bool]:
    """Per quality metric: is our row better than the baseline's (ties count as not better)?"""
    ours, peer = summary.get("ours", {}), summary.get("baseline")
    if not peer:
        return {}
    result = {}
    for m in QUALITY:
        a, b = ours.get(m.key), peer.get(m.key)
        if a is not None and b is not None:
            result[m.key] = a > b if m.higher_is_better else a < b
    return result


# --- report files ------------------------------------------------------------------------------


def write_chart(summary: Mapping[str, Any], path: Path) -> None:
    """A bar chart of the metrics, ours and baseline side by side: quality left, seconds right."""
    # The object-oriented API on an Agg canvas: no pyplot, no global backend switch, no display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    systems = [name for name in SYSTEMS if name in summary]
    fig = Figure(figsize=(13, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    quality_ax, time_ax = fig.subplots(1, 2, width_ratios=[3, 1])
    for ax, metrics, unit in (
        (quality_ax, [m for m in METRICS if not m.seconds], "share (↓ = lower is better)"),
        (time_ax, [m for m in METRICS if m.seconds], "seconds"),
    ):
        width = 0.8 / len(systems)
        for i, name in enumerate(systems):
            values = [summary[name].get(m.key) or 0.0 for m in metrics]
            xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(metrics))]
            bars = ax.bar(xs, values, width, label=name)
            ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
        ax.set_xticks(range(len(metrics)))
        ax.set_xticklabels(
            [m.label + ("" if m.higher_is_better or m.seconds else " ↓") for m in metrics],
            rotation=45, ha="right",
        )  # fmt: skip
        ax.set_ylabel(unit)
    quality_ax.set_ylim(0, 1.12)
    fig.legend(*quality_ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    fig.suptitle(f"{summary.get('questions', '')}: {summary.get('n', 0)} questions, "
                 f"{summary.get('date', '')}", fontsize=9)  # fmt: skip
    fig.savefig(path, dpi=120)


def write_report(summary: Mapping[str, Any], report_dir: Path) -> None:
    """report.md, summary.json and scores.png in report_dir."""
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_chart(summary, report_dir / "scores.png")
    models = summary.get("models", {})
    lines = [
        "# Evaluation report",
        "",
        f"- questions: `{summary.get('questions')}` ({summary.get('n')}: "
        f"{summary.get('n_answerable')} answerable, {summary.get('n_unanswerable')} unanswerable)",
        f"- date: {summary.get('date')}",
        f"- machine: {summary.get('machine')}",
        f"- models: LLM `{models.get('llm')}` ({models.get('threads')} threads), "
        f"embedder `{models.get('embedder')}`",
        "",
        format_table(summary, markdown=True),
        "",
        "![scores](scores.png)",
        "",
        "## Metrics",
        "",
    ]
    lines += [f"- **{m.label}** (`{m.key}`): {m.description}." for m in METRICS]
    wins = beats_baseline(summary)
    if wins:
        losses = [k for k, better in wins.items() if not better]
        lines += ["", "## Ours vs baseline", "",
                  "Ours is better on every quality metric." if not losses else
                  "Ours is not better on: " + ", ".join(losses) + "."]  # fmt: skip
    for name, kinds in summary.get("failures", {}).items():
        lines += ["", f"## Failures: {name}", ""]
        lines += [f"- {kind.replace('_', ' ')}: {', '.join(ids) or 'none'}"
                  for kind, ids in kinds.items()]  # fmt: skip
    (report_dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
