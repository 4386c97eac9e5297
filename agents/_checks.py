"""Checks of the numbers, counts and seeds that the agents, loops and trainers take."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def real_value(value: object) -> float | None:
    """Return a real number (bools are not) as a ``float``, or None for anything else.

    An integer too large for a float comes back as an infinity of its sign, so that
    the caller's range check refuses it with its own message.
    """
    if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


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


def check_int(value: object, name: str) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer (bools are not).

    Raises:
        TypeError: naming ``name``, for anything else, a float with an integer value
            included: nothing is rounded or truncated.
    """
    if not isinstance(value, Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


def check_flag(value: object, name: str) -> bool:
    """Return ``value`` as a ``bool`` after checking it is a Python or numpy bool.

    Raises:
        TypeError: naming ``name``, for anything else: a string such as ``"False"``
            would otherwise count as true.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(
        f"{name} must be a bool, got {value!r} of type {type(value).__name__}"
    )
