"""Drawing the corridor as text and as an RGB image."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

EMPTY_CHAR = "-"
AGENT_CHAR = "o"
GOAL_CHAR = "T"

CELL_PIXELS = 32
BORDER_PIXELS = 2
EMPTY_RGB = (230, 230, 230)
GOAL_RGB = (240, 190, 40)
AGENT_RGB = (40, 90, 200)
BORDER_RGB = (90, 90, 90)


def ansi_row(length: int, position: int) -> str:
    """Return the corridor as one line of text, e.g. ``-o---T``.

    The agent is drawn over whatever is in its cell, so an agent that has reached the
    goal shows as ``-----o``.
    """
    cells = [EMPTY_CHAR] * (length - 1) + [GOAL_CHAR]
    cells[position] = AGENT_CHAR
    return "".join(cells)


def _agent_mask() -> NDArray[np.bool_]:
    """Return a disc filling most of one cell, as a boolean mask."""
    centre = (CELL_PIXELS - 1) / 2
    rows, cols = np.ogrid[:CELL_PIXELS, :CELL_PIXELS]
    radius = CELL_PIXELS * 0.35
    return (rows - centre) ** 2 + (cols - centre) ** 2 <= radius**2


_AGENT_MASK = _agent_mask()


def rgb_row(length: int, position: int) -> NDArray[np.uint8]:
    """Return the corridor as an ``(32, 32 * length, 3)`` ``uint8`` image.

    Cells are light grey squares with a dark border, the goal is gold and the agent is
    a blue disc, drawn over the goal when it has reached it.
    """
    image = np.empty((CELL_PIXELS, CELL_PIXELS * length, 3), dtype=np.uint8)
    image[:] = EMPTY_RGB
    goal_left = CELL_PIXELS * (length - 1)
    image[:, goal_left:] = GOAL_RGB
    for left in range(0, CELL_PIXELS * length, CELL_PIXELS):
        image[:, left : left + BORDER_PIXELS] = BORDER_RGB
    image[:BORDER_PIXELS] = BORDER_RGB
    image[-BORDER_PIXELS:] = BORDER_RGB
    image[:, -BORDER_PIXELS:] = BORDER_RGB
    agent_left = CELL_PIXELS * position
    cell = image[:, agent_left : agent_left + CELL_PIXELS]
    cell[_AGENT_MASK] = AGENT_RGB
    return image
