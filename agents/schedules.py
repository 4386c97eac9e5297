"""Schedules for the exploration rate and the learning rate.

A schedule maps the agent's episode count (from 0) to the value in force for that
episode: `Constant`, `LinearDecay` and `ExponentialDecay`. `VisitCount` is different:
it sets the learning rate of each update from the number of times that state-action
pair has been updated, ``1 / n(s, a) ** power``, and so only suits the learning rate.

Why it matters: with random transitions, Q-learning's targets are noisy, and a step
size that stays above zero keeps the Q-values moving around ``Q*`` forever. The step
sizes must shrink, but not too fast: their sum must diverge while the sum of their
squares stays finite (the Robbins-Monro conditions), which ``1 / n(s, a) ** power``
satisfies for ``power`` in (0.5, 1] and no per-episode schedule does for every pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from agents._checks import real_value


def _check_unit(value: object, name: str) -> float:
    number = real_value(value)
    if number is None:
        raise TypeError(f"{name} must be a float in [0, 1], got {value!r}")
    if not 0.0 <= number <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be a float in [0, 1], got {value!r}")
    return number


def _check_episodes(value: object) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or int(value) < 1:
        raise ValueError(f"episodes must be an int >= 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Constant:
    """The same value in every episode.

    Args:
        value: the value, in [0, 1].
    """

    value: float

    def __post_init__(self) -> None:
        """Check the value."""
        object.__setattr__(self, "value", _check_unit(self.value, "value"))

    def __call__(self, episode: int) -> float:
        """Return the value in force in ``episode`` (counted from 0)."""
        return self.value

    @property
    def bounds(self) -> tuple[float, float]:
        """The largest and smallest values the schedule takes."""
        return self.value, self.value


@dataclass(frozen=True)
class LinearDecay:
    """A straight line from ``start`` to ``end`` over ``episodes``, then ``end``.

    Args:
        start: the value in episode 0, in [0, 1].
        end: the value from episode ``episodes`` on, in [0, 1].
        episodes: how many episodes the decay takes, an int >= 1.
    """

    start: float
    end: float
    episodes: int

    def __post_init__(self) -> None:
        """Check the arguments."""
        object.__setattr__(self, "start", _check_unit(self.start, "start"))
        object.__setattr__(self, "end", _check_unit(self.end, "end"))
        object.__setattr__(self, "episodes", _check_episodes(self.episodes))

    def __call__(self, episode: int) -> float:
        """Return the value in force in ``episode`` (counted from 0)."""
        fraction = min(episode / self.episodes, 1.0)
        return self.start + (self.end - self.start) * fraction

    @property
    def bounds(self) -> tuple[float, float]:
        """The largest and smallest values the schedule takes."""
        return max(self.start, self.end), min(self.start, self.end)


@dataclass(frozen=True)
class ExponentialDecay:
    """``start * factor ** episode``, never below ``end``.

    Args:
        start: the value in episode 0, in [0, 1].
        end: the floor, in [0, ``start``].
        factor: the ratio between consecutive episodes, in (0, 1].
    """

    start: float
    end: float
    factor: float

    def __post_init__(self) -> None:
        """Check the arguments."""
        start = _check_unit(self.start, "start")
        end = _check_unit(self.end, "end")
        factor = _check_unit(self.factor, "factor")
        if end > start:
            raise ValueError(f"end must be <= start ({start}), got {self.end!r}")
        if factor == 0.0:
            raise ValueError(f"factor must be a float in (0, 1], got {self.factor!r}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "factor", factor)

    def __call__(self, episode: int) -> float:
        """Return the value in force in ``episode`` (counted from 0)."""
        # Past about 1e4 halvings the power underflows to 0.0, which is what we want.
        return max(self.end, self.start * self.factor**episode)

    @property
    def bounds(self) -> tuple[float, float]:
        """The largest and smallest values the schedule takes."""
        return self.start, self.end


@dataclass(frozen=True)
class VisitCount:
    """A learning rate of ``1 / n(s, a) ** power`` for the ``n``-th update of a pair.

    The first update of each pair uses a step of 1, so it replaces the initial value.
    With ``power=1`` each Q-value is the plain average of its targets.

    Args:
        power: the exponent, in (0.5, 1]: the range in which the step sizes meet the
            Robbins-Monro conditions, which is what makes Q-learning converge with
            random transitions.
    """

    power: float = 0.8

    def __post_init__(self) -> None:
        """Check the exponent."""
        power = real_value(self.power)
        if power is None:
            raise TypeError(f"power must be a float in (0.5, 1], got {self.power!r}")
        if not 0.5 < power <= 1.0:  # also rejects NaN
            raise ValueError(f"power must be a float in (0.5, 1], got {self.power!r}")
        object.__setattr__(self, "power", power)

    def rate(self, visits: int) -> float:
        """Return the step size of the ``visits``-th update of a pair (from 1)."""
        return float(visits**-self.power)


EpisodeSchedule = Constant | LinearDecay | ExponentialDecay
"""A schedule of one value per episode."""

LearningRate = float | EpisodeSchedule | VisitCount
"""What ``learning_rate`` accepts: a float, an episode schedule or `VisitCount`."""

Epsilon = float | EpisodeSchedule
"""What ``epsilon`` accepts: a float or an episode schedule."""


def as_schedule(value: object, name: str) -> EpisodeSchedule:
    """Return ``value`` as an episode schedule; a plain number becomes `Constant`.

    Raises:
        TypeError: if ``value`` is neither a number nor an episode schedule; the
            message names ``name``.
    """
    if isinstance(value, (Constant, LinearDecay, ExponentialDecay)):
        return value
    if real_value(value) is not None:
        return Constant(value)  # type: ignore[arg-type]
    raise TypeError(
        f"{name} must be a float or a Constant, LinearDecay or ExponentialDecay "
        f"schedule, got {value!r}"
    )
