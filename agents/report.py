"""Plain-text views of what an agent has learned."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def format_q_table(
    q_table: ArrayLike,
    action_names: Sequence[str] | None = None,
    state_name: str = "state",
    decimals: int = 6,
) -> str:
    """Return the Q-table as an aligned text table, one row per state.

    Args:
        q_table: an array of shape ``(n_states, n_actions)``.
        action_names: column headings; ``0, 1, ...`` when omitted.
        state_name: the heading of the first column.
        decimals: digits after the decimal point.

    Raises:
        ValueError: if the table is not two-dimensional or the names do not match
            its columns.
    """
    table = np.asarray(q_table, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"q_table must be 2-dimensional, got shape {table.shape}")
    names = [str(a) for a in range(table.shape[1])]
    if action_names is not None:
        names = [str(name) for name in action_names]
    if len(names) != table.shape[1]:
        raise ValueError(
            f"action_names must have {table.shape[1]} entries, got {len(names)}"
        )
    cells = [[f"{value:.{decimals}f}" for value in row] for row in table]
    width = max([len(name) for name in names] + [len(c) for row in cells for c in row])
    label_width = max(len(state_name), len(str(len(table) - 1)))
    lines = [state_name.rjust(label_width) + "".join(f"  {n:>{width}}" for n in names)]
    for state, row in enumerate(cells):
        lines.append(
            str(state).rjust(label_width) + "".join(f"  {c:>{width}}" for c in row)
        )
    return "\n".join(lines)
