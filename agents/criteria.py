"""Convergence criteria: what must hold after an episode, and for how long.

Each criterion turns one episode's `EpisodeRecord` into a streak, the number of
episodes in a row it has held; it is met once the streak reaches its ``patience``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

from agents._checks import real_value


def _check_patience(patience: object) -> None:
    if not isinstance(patience, Integral) or isinstance(patience, bool) or patience < 1:
        raise ValueError(f"patience must be an int >= 1, got {patience!r}")


def _check_tol(tol: object) -> None:
    number = real_value(tol)
    if number is None or not 0.0 < number < math.inf:
        raise ValueError(f"tol must be a finite float > 0, got {tol!r}")


@dataclass(frozen=True)
class EpisodeRecord:
    """What the criteria look at after one episode.

    Attributes:
        q_change: the largest change of any Q-value over the episode.
        q_error: ``max |Q - Q*|`` where the agent acts; NaN without a model.
        policy_optimal: whether the greedy policy is optimal (False without a model).
        policy_changed: whether any greedy choice differs from the last episode's.
        learned: whether any Q-value has moved from its start yet.
    """

    q_change: float
    q_error: float
    policy_optimal: bool
    policy_changed: bool
    learned: bool


@dataclass(frozen=True)
class QWithin:
    """``max |Q - Q*| < tol`` at the end of ``patience`` episodes in a row."""

    tol: float = 1e-3
    patience: int = 1
    needs_optimum = True

    def __post_init__(self) -> None:
        """Check the arguments."""
        _check_tol(self.tol)
        _check_patience(self.patience)

    @property
    def label(self) -> str:
        """A short description for reports."""
        return f"max |Q - Q*| < {self.tol:g}" + _for(self.patience)

    def advance(self, streak: int, record: EpisodeRecord) -> int:
        """Return the number of episodes in a row the condition has held."""
        return streak + 1 if record.q_error < self.tol else 0


@dataclass(frozen=True)
class PolicyOptimal:
    """The greedy policy is optimal and unchanged for ``patience`` episodes."""

    patience: int = 1
    needs_optimum = True

    def __post_init__(self) -> None:
        """Check the arguments."""
        _check_patience(self.patience)

    @property
    def label(self) -> str:
        """A short description for reports."""
        if self.patience == 1:
            return "greedy policy optimal"
        return f"greedy policy optimal, unchanged for {self.patience} episodes"

    def advance(self, streak: int, record: EpisodeRecord) -> int:
        """Return the number of episodes in a row the condition has held."""
        if not record.policy_optimal:
            return 0
        return 1 if record.policy_changed else streak + 1


@dataclass(frozen=True)
class QChangeBelow:
    """Every Q-value moved by less than ``tol`` in each of ``patience`` episodes.

    Episodes before the first Q-value moves do not count: a table that has seen no
    reward yet is standing still, not converged.
    """

    tol: float = 1e-6
    patience: int = 100
    needs_optimum = False

    def __post_init__(self) -> None:
        """Check the arguments."""
        _check_tol(self.tol)
        _check_patience(self.patience)

    @property
    def label(self) -> str:
        """A short description for reports."""
        return f"largest Q change < {self.tol:g}" + _for(self.patience)

    def advance(self, streak: int, record: EpisodeRecord) -> int:
        """Return the number of episodes in a row the condition has held."""
        return streak + 1 if record.learned and record.q_change < self.tol else 0


def _for(patience: int) -> str:
    return "" if patience == 1 else f" for {patience} episodes"


Criterion = QWithin | PolicyOptimal | QChangeBelow


def check_criteria(criteria: object) -> tuple[Criterion, ...]:
    """Return ``criteria`` as a tuple after checking it holds one or more criteria.

    Raises:
        TypeError: if ``criteria`` is not a sequence of `QWithin`, `PolicyOptimal`
            and `QChangeBelow` objects; the message names the first stranger.
        ValueError: if it is empty.
    """
    if isinstance(criteria, (str, bytes)) or not isinstance(criteria, Sequence):
        raise TypeError(
            f"criteria must be a list of QWithin, PolicyOptimal or QChangeBelow "
            f"objects, got {criteria!r}"
        )
    chosen = tuple(criteria)
    if not chosen:
        raise ValueError("criteria must hold at least one criterion, got none")
    for criterion in chosen:
        if not isinstance(criterion, (QWithin, PolicyOptimal, QChangeBelow)):
            raise TypeError(
                f"criteria must be QWithin, PolicyOptimal or QChangeBelow objects, "
                f"got {criterion!r}"
            )
    return chosen
