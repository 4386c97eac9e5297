"""Checks of the counts that the loops and trainers take."""

from __future__ import annotations

from numbers import Integral


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
