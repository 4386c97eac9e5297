"""Show a `ConvergenceResult`: a terminal report and an optional PNG figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from agents.convergence import ConvergenceResult

# Eight heights of a one-line chart, lowest first.
LEVELS = "▁▂▃▄▅▆▇█"
# A state where every action is equally good (a terminal cell) has nothing to learn.
NOTHING_TO_CHOOSE = "·"
# A state whose best actions tie in the learned table: the agent picks at random.
TIED = "?"


def policy_row(result: ConvergenceResult, arrows: Sequence[str] | None = None) -> str:
    """Return the greedy action of every state as one character, in state order.

    Args:
        result: a training result.
        arrows: one character per action, e.g. ``"<>"``; digits when omitted.
    """
    table = result.q_table
    symbols = list(arrows) if arrows is not None else [str(a) for a in range(10)]
    if len(symbols) < table.shape[1]:
        raise ValueError(
            f"arrows must have {table.shape[1]} entries, got {len(symbols)}"
        )
    cells = []
    for state, row in enumerate(table):
        best = np.flatnonzero(row == row.max())
        if result.q_star is not None and np.ptp(result.q_star[state]) == 0.0:
            cells.append(NOTHING_TO_CHOOSE)
        elif len(best) > 1:
            cells.append(TIED)
        else:
            cells.append(symbols[int(best[0])])
    return "".join(cells)


def sparkline(values: Sequence[float], width: int = 60, log: bool = False) -> str:
    """Return ``values`` as a one-line chart of at most ``width`` characters.

    Episodes are grouped into ``width`` equal bins and each bin shows its mean;
    ``log`` plots ``log10`` of the values, for errors spanning decades.
    """
    data = np.asarray(values, dtype=np.float64)
    if log:
        data = np.log10(np.maximum(data, 1e-300))
    data = data[np.isfinite(data)]
    if data.size == 0:
        return ""
    bins = np.array_split(data, min(width, data.size))
    means = np.array([chunk.mean() for chunk in bins])
    low, high = means.min(), means.max()
    if high == low:
        return LEVELS[0] * len(means)
    scaled = (means - low) / (high - low) * (len(LEVELS) - 1)
    return "".join(LEVELS[int(round(level))] for level in scaled)


def _criteria_lines(result: ConvergenceResult) -> list[str]:
    width = max(len(r.criterion.label) for r in result.criteria)
    lines = []
    for item in result.criteria:
        when = "not met" if item.episode is None else f"episode {item.episode}"
        end = "holds at the end" if item.holds_at_end else "not holding at the end"
        lines.append(f"  {item.criterion.label:<{width}}  {when:<16} {end}")
    return lines


def _curve_lines(result: ConvergenceResult, width: int) -> list[str]:
    history = result.history
    curves: list[tuple[str, Sequence[float], bool]] = [
        ("steps", history.lengths, False),
        ("return", history.returns, False),
    ]
    if history.q_errors:
        curves.append(("|Q-Q*|", history.q_errors, True))
    lines = []
    for name, values, log in curves:
        span = f"{values[0]:.3g} -> {values[-1]:.3g}" if len(values) else ""
        scale = ", log scale" if log else ""
        lines.append(f"  {name:<7}{sparkline(values, width, log)}  ({span}{scale})")
    return lines


def format_convergence_report(
    result: ConvergenceResult,
    *,
    row: str | None = None,
    arrows: Sequence[str] | None = None,
    width: int = 60,
) -> str:
    """Return the end-of-training report as text.

    Args:
        result: a training result.
        row: a drawing of the states, one character each (the corridor's ``ansi``
            render), shown above the policy.
        arrows: one character per action for the policy line.
        width: the widest learning curve, in characters.
    """
    lines = [result.headline, *_criteria_lines(result)]
    final_error = result.final_q_error
    facts = f"  episodes run: {result.episodes_run} of {result.budget}"
    if final_error is not None:
        facts += f"; final max |Q - Q*| = {final_error:.3g}"
    if result.history.q_changes:
        facts += f"; last largest Q change = {result.history.q_changes[-1]:.3g}"
    lines += [facts, "greedy policy:"]
    if row is not None:
        lines.append("  " + row)
    lines.append("  " + policy_row(result, arrows))
    if result.episodes_run == 0:
        lines.append("learning curve: no episodes run")
    else:
        lines += ["learning curve, per episode:", *_curve_lines(result, width)]
    return "\n".join(lines)


def plot_convergence(result: ConvergenceResult, path: str | Path) -> Path:
    """Write a PNG: steps per episode, ``max |Q - Q*|`` on a log scale, and return.

    matplotlib is imported here, only when a figure is asked for.

    Raises:
        ImportError: if matplotlib is missing; the message names the extra to
            install.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            "plot_convergence needs matplotlib: pip install corridor-rl[plot]"
        ) from err
    history = result.history
    episodes = np.arange(1, len(history) + 1)
    panels: list[tuple[str, Sequence[float], bool]] = [
        ("steps", history.lengths, False)
    ]
    if history.q_errors:
        panels.append(("max |Q - Q*|", history.q_errors, True))
    panels.append(("return", history.returns, False))
    figure = Figure(figsize=(7, 2.2 * len(panels)), layout="constrained")
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for axis, (name, values, log) in zip(axes, panels, strict=True):
        axis.plot(episodes, _positive(values) if log else values, linewidth=0.8)
        axis.set_ylabel(name)
        if log:
            axis.set_yscale("log")
        if result.episode is not None:
            axis.axvline(result.episode, color="grey", linestyle="--", linewidth=0.8)
    axes[-1].set_xlabel("episode")
    axes[0].set_title(result.headline)
    target = Path(path)
    figure.savefig(target, format="png", dpi=100)
    return target


def _positive(values: Sequence[float]) -> NDArray[np.float64]:
    """Replace exact zeros, which a log axis cannot show, by the smallest float."""
    data = np.asarray(values, dtype=np.float64)
    return np.where(data > 0.0, data, math.ulp(0.0))
