"""Checks that an env's spaces suit a tabular agent, and index conversion."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from gymnasium import spaces


def discrete_size(space: Any, name: str) -> tuple[int, int]:
    """Return ``(n, start)`` of a ``Discrete`` space, or raise naming the space.

    Args:
        space: the space to check.
        name: what the space is, e.g. ``"observation_space"``, for the message.

    Raises:
        TypeError: if ``space`` is not a ``gymnasium.spaces.Discrete``.
    """
    if not isinstance(space, spaces.Discrete):
        raise TypeError(
            f"a tabular agent needs a Discrete {name}, got {space!r}; wrap the env "
            f"to discretise it (or one-hot encode for a neural-network agent instead)"
        )
    return int(space.n), int(space.start)


def to_index(value: Any, size: int, start: int, name: str) -> int:
    """Return ``value - start`` for a value of a ``Discrete(size, start)`` space.

    Accepts Python ints, numpy integer scalars and 0-d integer arrays; anything else,
    and anything outside the space, raises naming the value and the valid range.
    Nothing is clamped, wrapped or read as a negative index.
    """
    valid = f"an int in [{start}, {start + size - 1}]"
    item = value
    if isinstance(item, np.ndarray):
        if item.shape != ():
            raise ValueError(
                f"{name} must be {valid}, got an array of shape {item.shape}: {value!r}"
            )
        item = item[()]
    if not isinstance(item, Integral) or isinstance(item, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be {valid}, got {value!r} of type {type(value).__name__}"
        )
    index = int(item) - start
    if not 0 <= index < size:
        raise ValueError(f"{name} must be {valid}, got {value!r}")
    return index


def table_layout(env: Any) -> tuple[int, int, int, int]:
    """Return ``(n_states, obs_start, n_actions, action_start)`` of ``env``.

    Raises:
        TypeError: if ``env`` has no spaces, or they are not ``Discrete``.
    """
    if not all(hasattr(env, name) for name in ("observation_space", "action_space")):
        raise TypeError(
            f"env must be a Gymnasium env with observation_space and action_space "
            f"(e.g. from gym.make), got {env!r}"
        )
    n_states, obs_start = discrete_size(env.observation_space, "observation_space")
    n_actions, action_start = discrete_size(env.action_space, "action_space")
    return n_states, obs_start, n_actions, action_start
