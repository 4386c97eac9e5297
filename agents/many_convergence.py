"""Convergence criteria judged for many lockstep agents at once.

`episodes_to_criteria` trains `ManyQLearning` agents with `train_many` and, whenever
some of them finish an episode, judges every criterion for just those agents with
array operations. Each agent gets the record and the streaks that
`agents.train_until_converged` computes for a single agent after each of its
episodes, and stops counting once all criteria hold at once or its budget is spent,
as a single run with ``require="all"`` and ``stop=True`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from gymnasium.vector import VectorEnv
from numpy.typing import NDArray

from agents.convergence import POLICY_TOL
from agents.criteria import Criterion, PolicyOptimal, QWithin
from agents.exact import TabularModel, policy_values
from agents.many import ManyHistory, ManyQLearning, train_many

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Flags = NDArray[np.bool_]


class _Records(NamedTuple):
    """`agents.criteria.EpisodeRecord`'s fields, one array entry per agent."""

    q_change: Floats
    q_error: Floats
    policy_optimal: Flags
    policy_changed: Flags
    learned: Flags


def _advance(criterion: Criterion, streaks: Ints, records: _Records) -> Ints:
    """Apply ``criterion.advance`` to every agent's streak at once."""
    if isinstance(criterion, PolicyOptimal):
        restart = np.where(records.policy_changed, 1, streaks + 1)
        return np.where(records.policy_optimal, restart, 0)
    if isinstance(criterion, QWithin):
        holds = records.q_error < criterion.tol  # NaN (no model) never holds
    else:
        holds = (records.q_change < criterion.tol) & records.learned
    return np.where(holds, streaks + 1, 0)


def _largest(values: NDArray[Any]) -> NDArray[Any]:
    """Return the largest entry of each agent's block ``values[agent]``."""
    # Reduced across agents, entry by entry: numpy reduces a long axis several
    # times faster than many short ones.
    largest: NDArray[Any] = values.reshape(len(values), -1).T.max(axis=0)
    return largest


@dataclass
class _ManyTracker:
    """The `train_many` callback that keeps every agent's streaks and results."""

    agents: ManyQLearning
    criteria: tuple[Criterion, ...]
    budget: int
    model: TabularModel | None
    q_star: Floats | None
    previous: Floats = field(init=False)
    greedy: Flags = field(init=False)
    optimal: Flags = field(init=False)
    streaks: Ints = field(init=False)
    first_met: Floats = field(init=False)
    finished: Flags = field(init=False)
    learned: Flags = field(init=False)
    verdicts: dict[bytes, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tables = self.agents.q_tables
        n_agents, n_criteria = self.agents.n_agents, len(self.criteria)
        self.previous = tables.copy()
        # No greedy pattern is all False, so every agent's first one counts as new.
        self.greedy = np.zeros(tables.shape, dtype=np.bool_)
        self.optimal = np.zeros(n_agents, dtype=np.bool_)
        self.streaks = np.zeros((n_criteria, n_agents), dtype=np.int64)
        self.first_met = np.full((n_criteria, n_agents), np.inf)
        self.finished = np.full(n_agents, self.budget == 0)
        # A table that starts non-zero was trained before: it has learned already.
        self.learned = np.asarray(self.previous.reshape(n_agents, -1).any(axis=1))

    def __call__(self, ended: Ints, history: ManyHistory) -> bool:
        # Agents that already converged or spent their budget keep stepping with
        # the rest, but their results are final.
        index = ended[~self.finished[ended]]
        if index.size == 0:
            return False
        records = self._records(index)
        episodes = history.episodes[index]
        all_met = np.ones(index.size, dtype=np.bool_)
        for position, criterion in enumerate(self.criteria):
            streaks = _advance(criterion, self.streaks[position, index], records)
            self.streaks[position, index] = streaks
            met = streaks >= criterion.patience
            first = self.first_met[position, index]
            newly = met & np.isinf(first)
            self.first_met[position, index] = np.where(newly, episodes, first)
            all_met &= met
        self.finished[index] = all_met | (episodes >= self.budget)
        return bool(self.finished.all())

    def _records(self, index: Ints) -> _Records:
        """Return the agents' records; fields no criterion reads are left blank."""
        tables = self.agents.q_tables[index]
        change = _largest(np.abs(tables - self.previous[index]))
        self.previous[index] = tables
        self.learned[index] |= change > 0.0
        learned = self.learned[index]
        error = np.full(index.size, np.nan)
        optimal = changed = np.zeros(index.size, dtype=np.bool_)
        if self.model is None or self.q_star is None:
            return _Records(change, error, optimal, changed, learned)
        if any(isinstance(criterion, QWithin) for criterion in self.criteria):
            acting = self.model.acting_states
            error = _largest(np.abs(tables[:, acting] - self.q_star[acting]))
        if any(isinstance(criterion, PolicyOptimal) for criterion in self.criteria):
            optimal, changed = self._policies(index, tables)
        return _Records(change, error, optimal, changed, learned)

    def _policies(self, index: Ints, tables: Floats) -> tuple[Flags, Flags]:
        """Return whether each agent's greedy policy is optimal, and changed."""
        best = tables.transpose(2, 0, 1).max(axis=0)
        greedy = tables == best[:, :, np.newaxis]
        changed = _largest(greedy != self.greedy[index])
        if changed.any():
            moved = index[changed]
            self.greedy[moved] = greedy[changed]
            self.optimal[moved] = self._judge(greedy[changed])
        return self.optimal[index], changed

    def _judge(self, greedy: Flags) -> Flags:
        """Return whether each greedy pattern's policy is optimal.

        The same test as `train_until_converged`'s: tied best actions share the
        probability, and the policy's exact value must be within ``POLICY_TOL`` of
        ``V*`` wherever the agent acts.
        """
        assert self.model is not None and self.q_star is not None
        acting = self.model.acting_states
        optimal_values = self.q_star.max(axis=1)
        policies = greedy / greedy.sum(axis=2, keepdims=True)
        # A policy's value is at most the Q*-value of its actions: weight on an
        # action worse under Q* by more than the tolerance rules it out unsolved.
        loss_bound = optimal_values - np.sum(policies * self.q_star, axis=2)
        candidates = np.all(loss_bound[:, acting] <= POLICY_TOL, axis=1)
        verdicts = np.zeros(len(greedy), dtype=np.bool_)
        for row in np.flatnonzero(candidates):
            # Few distinct greedy patterns come near the optimum: solve each once.
            key = greedy[row].tobytes()
            if key not in self.verdicts:
                discount = float(self.agents.discount[0])
                values = policy_values(self.model, policies[row], discount)
                gap = (optimal_values - values)[acting]
                self.verdicts[key] = bool(np.all(gap <= POLICY_TOL))
            verdicts[row] = self.verdicts[key]
        return verdicts


def episodes_to_criteria(
    agents: ManyQLearning,
    env: VectorEnv[Any, Any, Any],
    episodes: int,
    criteria: tuple[Criterion, ...],
    *,
    model: TabularModel | None,
    q_star: Floats | None,
    episode_limit: int,
    seed: int | None = None,
) -> Floats:
    """Train ``agents`` on ``env``; return the episode at which each met each criterion.

    Args:
        agents: agents sharing one discount, one per sub-env of ``env``, trained in
            place.
        env: a vector env with next-step autoreset whose single spaces suit
            ``agents``.
        episodes: the budget of each agent, an int >= 0.
        criteria: the criteria to judge after each of an agent's episodes.
        model: the env's model, which `QWithin` and `PolicyOptimal` need.
        q_star: the optimal Q-values under ``model`` at the agents' discount.
        episode_limit: the most steps any episode of ``env`` can take; it bounds the
            steps needed to spend every agent's budget.
        seed: passed to ``env.reset``.

    Returns:
        Shape ``(len(criteria), n_agents)``: the episode (from 1) at whose end each
        agent first met each criterion, patience included, or ``inf`` where it did
        not within its episodes.

    Raises:
        ValueError: if the agents' discounts differ.
    """
    if np.any(agents.discount != agents.discount[0]):
        raise ValueError(
            f"agents must share one discount, against one Q*, got {agents.discount}"
        )
    tracker = _ManyTracker(agents, criteria, episodes, model, q_star)
    if episodes > 0:
        # Every episode but the first begins with the autoreset step.
        steps = episodes * (episode_limit + 1)
        train_many(agents, env, steps, seed=seed, callback=tracker)
    assert tracker.finished.all()
    return tracker.first_met
