"""Checks of the counts and seeds that the agents, loops and trainers take."""

from __future__ import annotations

from numbers import Integral

import numpy as np


def check_count(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer >= ``minimum``.

    Raises:
        TypeError: if ``value`` is not an integer (bools are not).
        ValueError: if it is below ``minimum``.
    """
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_seed(seed: object) -> int | None:
    """Return ``seed`` as an ``int``, or None, after checking it is an int >= 0."""
    if seed is None:
        return None
    if not isinstance(seed, Integral) or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed must be a non-negative int or None, got {seed!r}")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    return int(seed)
