"""Episodes to convergence over many independent seeds, as a distribution.

One run says little: how soon Q-learning converges depends on the luck of its
exploration. `convergence_over_seeds` trains ``runs`` independent agents and reports,
for each criterion, the median and the 10th and 90th percentiles of the episodes it
took.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from agents.convergence import train_until_converged
from agents.criteria import Criterion, PolicyOptimal, QWithin
from agents.loops import DEFAULT_MAX_STEPS
from agents.q_learning import QLearningAgent
from agents.schedules import Epsilon, LearningRate

PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class SeedStudy:
    """Episodes to each criterion over independent runs.

    Attributes:
        labels: the criteria's labels, in order.
        episodes_to: one array per criterion, the episode at which each run first
            met it, ``inf`` where it did not within ``budget``.
        budget: the episodes allowed per run.
        seeds: the seed of each run (agent and env).
    """

    labels: tuple[str, ...]
    episodes_to: tuple[NDArray[np.float64], ...]
    budget: int
    seeds: tuple[int, ...]

    def percentiles(self, index: int) -> tuple[float, ...]:
        """Return the 10th, 50th and 90th percentiles for criterion ``index``.

        Each is an episode some run actually took (no interpolation), or ``inf``
        when too few runs met the criterion to reach that percentile.
        """
        values = self.episodes_to[index]
        return tuple(
            float(np.percentile(values, q, method="inverted_cdf")) for q in PERCENTILES
        )

    def format(self) -> str:
        """Return a table: criterion, runs met, p10, median, p90."""
        width = max(len(label) for label in self.labels)
        header = f"{'criterion':<{width}}  {'met':>7}  {'p10':>7}  {'median':>7}"
        lines = [header + f"  {'p90':>7}"]
        for index, label in enumerate(self.labels):
            met = int(np.isfinite(self.episodes_to[index]).sum())
            cells = [_cell(value, self.budget) for value in self.percentiles(index)]
            row = f"{label:<{width}}  {f'{met}/{len(self.seeds)}':>7}"
            lines.append(row + "".join(f"  {cell:>7}" for cell in cells))
        return "\n".join(lines)


def _cell(value: float, budget: int) -> str:
    return f">{budget}" if math.isinf(value) else str(int(value))


def convergence_over_seeds(
    env: gym.Env[Any, Any],
    runs: int,
    episodes: int,
    *,
    criteria: Sequence[Criterion] = (QWithin(), PolicyOptimal()),
    learning_rate: LearningRate = 0.1,
    discount: float = 0.9,
    epsilon: Epsilon = 0.1,
    seed: int = 0,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> SeedStudy:
    """Train ``runs`` independent agents on ``env``; collect episodes to each criterion.

    Run ``r`` seeds both its agent and the env with ``seed + r``, and stops once
    every criterion has held (or at ``episodes``).

    Args:
        env: the env, reused by every run (each run reseeds it).
        runs: number of independent runs, an int >= 1.
        episodes: the budget of each run.
        criteria: as for `agents.train_until_converged`.
        learning_rate: the agents' learning rate or schedule.
        discount: the agents' discount factor.
        epsilon: the agents' exploration rate or schedule.
        seed: the first run's seed.
        max_steps: as for `agents.train`.
    """
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise ValueError(f"runs must be an int >= 1, got {runs!r}")
    chosen = tuple(criteria)
    seeds = tuple(seed + run for run in range(runs))
    reached = np.full((len(chosen), runs), np.inf)
    for run, run_seed in enumerate(seeds):
        agent = QLearningAgent.from_env(
            env,
            learning_rate=learning_rate,
            discount=discount,
            epsilon=epsilon,
            seed=run_seed,
        )
        result = train_until_converged(
            agent,
            env,
            episodes,
            criteria=chosen,
            require="all",
            seed=run_seed,
            max_steps=max_steps,
        )
        for index, item in enumerate(result.criteria):
            if item.episode is not None:
                reached[index, run] = item.episode
    return SeedStudy(
        labels=tuple(criterion.label for criterion in chosen),
        episodes_to=tuple(reached),
        budget=int(episodes),
        seeds=seeds,
    )
