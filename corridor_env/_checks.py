"""Validation of the corridor's arguments and of the actions it is given.

Every check raises ``TypeError`` for a value of the wrong type and ``ValueError`` for
a value out of range, naming the argument, what is allowed and what was received.
"""

from __future__ import annotations

import math
import operator
from numbers import Integral, Real
from typing import Any

import numpy as np

RANDOM_START = "random"
# Observations are handed out as int64 in the vector env, and a corridor this long
# is already far beyond what a table or a rendering can hold.
MAX_LENGTH = 2**31 - 1
N_ACTIONS = 2
RESET_OPTIONS = ("start",)


def _as_integer(value: object) -> int | None:
    """Return ``value`` as an ``int`` if it is an integer (bools are not), else None."""
    if isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)):
        return operator.index(value)
    return None


def check_length(length: object) -> int:
    """Return ``length`` as an ``int`` after checking it is in [2, MAX_LENGTH]."""
    cells = _as_integer(length)
    if cells is None:
        raise TypeError(f"length must be an int >= 2, got {length!r}")
    if cells < 2:
        raise ValueError(f"length must be an int >= 2, got {length!r}")
    if cells > MAX_LENGTH:
        raise ValueError(f"length must be an int <= {MAX_LENGTH}, got {length!r}")
    return cells


def check_start(start: object, length: int, name: str = "start") -> int | str:
    """Return a valid start: a non-goal cell as an ``int``, or ``"random"``."""
    allowed = f"a cell in [0, {length - 2}] or {RANDOM_START!r}"
    if isinstance(start, str):
        if start != RANDOM_START:
            raise ValueError(f"{name} must be {allowed}, got {start!r}")
        return start
    cell = _as_integer(start)
    if cell is None:
        raise TypeError(f"{name} must be {allowed}, got {start!r}")
    if not 0 <= cell <= length - 2:
        reason = " (the goal)" if cell == length - 1 else ""
        raise ValueError(f"{name} must be {allowed}, got {start!r}{reason}")
    return cell


def check_render_mode(render_mode: object, modes: list[str]) -> str | None:
    """Return ``render_mode`` after checking it is ``None`` or one of ``modes``."""
    if render_mode is not None and render_mode not in modes:
        raise ValueError(
            f"render_mode must be None or one of {modes}, got {render_mode!r}"
        )
    return render_mode


def check_reset_options(options: object) -> None:
    """Check that ``reset``'s options are a dict of known keys."""
    if not isinstance(options, dict):
        raise TypeError(
            f"options must be a dict with keys among {RESET_OPTIONS} or None, "
            f"got {options!r}"
        )
    unknown = sorted(str(key) for key in options if key not in RESET_OPTIONS)
    if unknown:
        raise ValueError(
            f"options may only have keys among {RESET_OPTIONS}, got unknown {unknown}"
        )


def _as_real(value: object) -> float | None:
    """Return a real number (bools are not) as a ``float``, else None.

    An integer too large for a float becomes an infinity of its sign, which the
    range checks then refuse with their own message.
    """
    if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


def check_probability(value: object, name: str) -> float:
    """Return ``value`` as a ``float`` after checking it lies in [0, 1]."""
    number = _as_real(value)
    if number is None:
        raise TypeError(f"{name} must be a float in [0, 1], got {value!r}")
    if not 0.0 <= number <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be a float in [0, 1], got {value!r}")
    return number


def check_reward(value: object, name: str) -> float:
    """Return ``value`` as a ``float`` after checking it is finite."""
    number = _as_real(value)
    if number is None:
        raise TypeError(f"{name} must be a finite float, got {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite float, got {value!r}")
    return number


def check_action(action: Any) -> int:
    """Return ``action`` as an ``int`` 0 or 1, or raise naming what was given.

    Accepts Python ints, numpy integer scalars and 0-d integer arrays. Nothing is
    clamped, wrapped or read as a negative index.
    """
    expected = "0 (left) or 1 (right)"
    value = action
    if isinstance(value, np.ndarray):
        if value.shape != ():
            raise ValueError(
                f"action must be a single int, {expected}; got an array of shape "
                f"{value.shape}: {action!r}"
            )
        value = value[()]
    index = _as_integer(value)
    if index is None:
        raise TypeError(
            f"action must be an int, {expected}; got {action!r} "
            f"of type {type(action).__name__}"
        )
    if not 0 <= index < N_ACTIONS:
        raise ValueError(f"action must be {expected}, got {action!r}")
    return index
