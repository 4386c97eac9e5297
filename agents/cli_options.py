"""Parsers of the ``corridor`` command's option values, and the names they accept.

Each parser raises ``argparse.ArgumentTypeError``, which argparse reports as a usage
error (exit code 2) naming the option.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from agents.criteria import Criterion, PolicyOptimal, QChangeBelow, QWithin
from agents.schedules import ExponentialDecay, LinearDecay, VisitCount


def key_value(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``; the value is read as JSON where it parses, else as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


# Schedules on the command line: "linear:START,END,EPISODES" and so on.
SCHEDULES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "linear": (LinearDecay, (float, float, int)),
    "exp": (ExponentialDecay, (float, float, float)),
    "visits": (VisitCount, (float,)),
}
SCHEDULE_HELP = (
    "a float, linear:START,END,EPISODES, exp:START,END,FACTOR or (learning rate "
    "only) visits:POWER"
)


# Stopping rules of `corridor train --until NAME`, built from --tol and --patience.
CRITERIA: dict[str, Callable[[float, int], Criterion]] = {
    "policy": lambda tol, patience: PolicyOptimal(patience=patience),
    "q-star": lambda tol, patience: QWithin(tol=tol, patience=patience),
    "q-stable": lambda tol, patience: QChangeBelow(tol=tol, patience=patience),
}


def rate(text: str) -> Any:
    """Parse a rate: a float or a schedule, as `SCHEDULE_HELP` describes."""
    kind, sep, raw = text.partition(":")
    try:
        if not sep:
            return float(text)
        cls, types = SCHEDULES[kind]
        parts = raw.split(",")
        if len(parts) != len(types):
            raise ValueError(f"{kind} takes {len(types)} numbers")
        return cls(*(convert(part) for convert, part in zip(types, parts, strict=True)))
    except (KeyError, TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(
            f"expected {SCHEDULE_HELP}; got {text!r} ({err})"
        ) from err


def json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object, such as env keywords."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def seed(text: str) -> int:
    """Parse a seed: an int >= 0, as Gymnasium and numpy accept."""
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {text!r}") from err
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value}")
    return value


# Agent keywords that have an option of their own, or that the env's spaces decide.
DEDICATED = {
    "seed": "--seed",
    "learning_rate": "--learning-rate",
    "discount": "--discount",
    "epsilon": "--epsilon",
}
FROM_SPACES = ("n_states", "n_actions", "obs_start", "action_start")


def check_agent_args(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Return ``--agent-arg`` pairs as keywords, refusing those set elsewhere.

    Raises:
        ValueError: naming the option to use instead, or saying
            the keyword comes from the env's spaces.
    """
    for key, _ in pairs:
        if key in DEDICATED:
            raise ValueError(f"--agent-arg {key}: use {DEDICATED[key]} instead")
        if key in FROM_SPACES:
            raise ValueError(
                f"--agent-arg {key}: {', '.join(FROM_SPACES)} come from the env's "
                f"spaces and cannot be set"
            )
    return dict(pairs)
