"""Train until Q-learning converges, by criteria that say in what sense it did.

Three criteria, to choose and combine:

- `QWithin`: ``max |Q - Q*|`` below ``tol``, with ``Q*`` computed exactly from the
  env's model (see `agents.exact`). The strongest claim, and the slowest to hold.
- `PolicyOptimal`: the greedy policy's exact value equals ``V*`` in every state where
  the agent acts, and the greedy choices stayed the same for ``patience`` episodes.
  It usually holds long before the values converge.
- `QChangeBelow`: no Q-value moved by ``tol`` or more in ``patience`` episodes in a
  row. Needs no model, so it suits any env, but small changes are not proof of
  convergence: a rarely explored action can still be far from its optimum.

The result names the episode at which each criterion first held, or says plainly that
it did not within the budget.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from agents.criteria import (
    Criterion,
    EpisodeRecord,
    PolicyOptimal,
    QWithin,
    check_criteria,
)
from agents.exact import TabularModel, optimal_q_values, policy_values
from agents.exact import tabular_model as read_model
from agents.loops import DEFAULT_MAX_STEPS, Callback, History, train
from agents.q_learning import QLearningAgent
from agents.schedules import VisitCount

# V* comes from value iteration to 1e-10, V of the greedy policy from a linear
# solve; a gap above this is a real loss, not rounding.
POLICY_TOL = 1e-8


class ConvergenceWarning(UserWarning):
    """Training is set up in a way that cannot meet the requested criterion."""


Require = Literal["all", "any"]


@dataclass(frozen=True)
class CriterionResult:
    """When one criterion held.

    Attributes:
        criterion: the criterion.
        episode: the first episode (counted from 1) at whose end it held, patience
            included, or ``None`` if it never did in the episodes run.
        holds_at_end: whether it held at the end of the last episode run.
    """

    criterion: Criterion
    episode: int | None
    holds_at_end: bool


@dataclass(frozen=True)
class ConvergenceResult:
    """The outcome of `train_until_converged`.

    Attributes:
        converged: whether the criteria, combined by ``require``, held at the end of
            some episode. False means not converged within the episodes run.
        episode: the first episode (from 1) at which they did, else ``None``.
        criteria: when each criterion held.
        require: ``"all"`` (every criterion at once) or ``"any"``.
        budget: the episodes allowed.
        history: the per-episode record, tracking fields included.
        q_table: a copy of the Q-table at the end.
        q_star: the optimal Q-values, when the env has a model.
        acting_states: where errors are measured, when the env has a model.
    """

    converged: bool
    episode: int | None
    criteria: tuple[CriterionResult, ...]
    require: Require
    budget: int
    history: History
    q_table: NDArray[np.float64]
    q_star: NDArray[np.float64] | None = None
    acting_states: NDArray[np.bool_] | None = None

    @property
    def episodes_run(self) -> int:
        """How many episodes were trained."""
        return len(self.history)

    @property
    def final_q_error(self) -> float | None:
        """``max |Q - Q*|`` at the end, or ``None`` without a model."""
        return self.history.q_errors[-1] if self.history.q_errors else None

    @property
    def headline(self) -> str:
        """``converged at episode N`` or ``did not converge within N episodes``."""
        if self.converged:
            return f"converged at episode {self.episode}"
        plural = "" if self.episodes_run == 1 else "s"
        return f"did not converge within {self.episodes_run} episode{plural}"

    def summary(self) -> str:
        """One line: the headline, then when each criterion held."""
        parts = []
        for result in self.criteria:
            when = "not met" if result.episode is None else f"episode {result.episode}"
            parts.append(f"{result.criterion.label}: {when}")
        return f"{self.headline} ({'; '.join(parts)})"


@dataclass
class _Tracker:
    """The per-episode callback that records tracking fields and checks criteria."""

    agent: QLearningAgent
    criteria: tuple[Criterion, ...]
    require: Require
    stop: bool
    callback: Callback | None
    model: TabularModel | None
    q_star: NDArray[np.float64] | None
    previous: NDArray[np.float64] = field(init=False)
    greedy: NDArray[np.bool_] | None = None
    optimal: bool = False
    streaks: list[int] = field(init=False)
    first_met: list[int | None] = field(init=False)
    combined: int | None = None
    learned: bool = False

    def __post_init__(self) -> None:
        self.previous = self.agent.q_table.copy()
        # A table that starts non-zero was trained before: it has learned already.
        self.learned = bool(np.any(self.previous))
        self.streaks = [0] * len(self.criteria)
        self.first_met = [None] * len(self.criteria)

    def __call__(self, episode: int, history: History) -> bool:
        record = self._record()
        history.q_changes.append(record.q_change)
        if self.q_star is not None:
            history.q_errors.append(record.q_error)
            history.policy_optimal.append(record.policy_optimal)
        met = []
        for index, criterion in enumerate(self.criteria):
            self.streaks[index] = criterion.advance(self.streaks[index], record)
            met.append(self.streaks[index] >= criterion.patience)
            if met[-1] and self.first_met[index] is None:
                self.first_met[index] = episode + 1
        done = all(met) if self.require == "all" else any(met)
        if done and self.combined is None:
            self.combined = episode + 1
        wants_stop = self.callback is not None and bool(self.callback(episode, history))
        return wants_stop or (done and self.stop)

    def _record(self) -> EpisodeRecord:
        table = self.agent.q_table
        change = float(np.max(np.abs(table - self.previous)))
        self.previous = table.copy()
        self.learned = self.learned or change > 0.0
        if self.q_star is None or self.model is None:
            return EpisodeRecord(change, float("nan"), False, False, self.learned)
        acting = self.model.acting_states
        error = float(np.max(np.abs(table - self.q_star)[acting]))
        greedy = table == table.max(axis=1, keepdims=True)
        changed = self.greedy is None or not np.array_equal(greedy, self.greedy)
        if changed:
            self.greedy = greedy
            self.optimal = self._is_optimal(greedy / greedy.sum(axis=1, keepdims=True))
        return EpisodeRecord(change, error, self.optimal, changed, self.learned)

    def _is_optimal(self, policy: NDArray[np.float64]) -> bool:
        assert self.model is not None and self.q_star is not None
        acting = self.model.acting_states
        optimal_values = self.q_star.max(axis=1)
        # Q of any policy is at most Q*, so weight on an action that is worse under
        # Q* costs at least this much: such a policy is rejected without a solve.
        loss_bound = optimal_values - np.sum(policy * self.q_star, axis=1)
        if np.any(loss_bound[acting] > POLICY_TOL):
            return False
        values = policy_values(self.model, policy, self.agent.discount)
        return bool(np.all((optimal_values - values)[acting] <= POLICY_TOL))


def _optimum(
    env: gym.Env[Any, Any], discount: float, criteria: tuple[Criterion, ...]
) -> tuple[TabularModel | None, NDArray[np.float64] | None]:
    needed = [c.label for c in criteria if c.needs_optimum]
    try:
        model = read_model(env)
    except TypeError as err:
        if needed:
            raise TypeError(
                f"criteria {needed} need Q*, but {err}; use QChangeBelow instead"
            ) from err
        return None, None
    if discount >= 1.0:
        if needed:
            raise ValueError(
                f"criteria {needed} need Q*, which needs the agent's discount < 1, "
                f"got {discount}"
            )
        return None, None
    return model, optimal_q_values(model, discount)


def _warn_if_hopeless(
    agent: QLearningAgent, model: TabularModel | None, criteria: tuple[Criterion, ...]
) -> None:
    wants_q = any(isinstance(criterion, QWithin) for criterion in criteria)
    per_visit = isinstance(agent.learning_rate_schedule, VisitCount)
    if wants_q and model is not None and model.random_transitions and not per_visit:
        warnings.warn(
            f"the env's transitions are random and the learning rate "
            f"{agent.learning_rate_schedule!r} does not shrink per visit, so Q-values "
            f"keep moving around Q* and QWithin may never hold; use "
            f"learning_rate=VisitCount(power) for Q-values that converge",
            ConvergenceWarning,
            stacklevel=3,
        )


def train_until_converged(
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    episodes: int,
    *,
    criteria: Sequence[Criterion] = (QWithin(), PolicyOptimal()),
    require: Require = "all",
    stop: bool = True,
    seed: int | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: bool = False,
    callback: Callback | None = None,
) -> ConvergenceResult:
    """Train ``agent`` on ``env`` for up to ``episodes``, tracking convergence.

    Besides what `agents.train` records, the history gets each episode's largest Q
    change and, when the env exposes a toy-text model ``P`` and the discount is
    below 1, ``max |Q - Q*|`` and whether the greedy policy is optimal. This costs
    some numpy work per episode and nothing per step.

    Args:
        agent: the agent to train, in place.
        env: any env with ``Discrete`` spaces; `QWithin` and `PolicyOptimal` need
            its model ``env.unwrapped.P``.
        episodes: the budget, an int >= 0.
        criteria: the criteria to check after every episode.
        require: ``"all"``: converged when every criterion holds at once;
            ``"any"``: when one does.
        stop: stop training as soon as converged.
        seed: as for `agents.train`.
        max_steps: as for `agents.train`.
        progress: as for `agents.train`.
        callback: as for `agents.train`, called after the tracking.

    Returns:
        Which criterion held at which episode, or that none did.

    Raises:
        TypeError: if a criterion needs ``Q*`` and the env has no model.
        ValueError: if ``criteria`` is empty, ``require`` is not ``"all"`` or
            ``"any"``, or a criterion needs ``Q*`` and the discount is 1.

    Warns:
        ConvergenceWarning: if `QWithin` is asked for on an env with random
            transitions while the learning rate does not shrink per visit.
    """
    chosen = check_criteria(criteria)
    if require not in ("all", "any"):
        raise ValueError(f"require must be 'all' or 'any', got {require!r}")
    model, q_star = _optimum(env, agent.discount, chosen)
    _warn_if_hopeless(agent, model, chosen)
    tracker = _Tracker(agent, chosen, require, stop, callback, model, q_star)
    history = train(
        agent,
        env,
        episodes,
        seed=seed,
        max_steps=max_steps,
        progress=progress,
        callback=tracker,
    )
    results = tuple(
        CriterionResult(criterion, first, streak >= criterion.patience)
        for criterion, first, streak in zip(
            chosen, tracker.first_met, tracker.streaks, strict=True
        )
    )
    return ConvergenceResult(
        converged=tracker.combined is not None,
        episode=tracker.combined,
        criteria=results,
        require=require,
        budget=int(episodes),
        history=history,
        q_table=agent.q_table.copy(),
        q_star=q_star,
        acting_states=None if model is None else model.acting_states,
    )
