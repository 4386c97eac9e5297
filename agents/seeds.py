"""Episodes to convergence over many independent seeds, as a distribution.

One run says little: how soon Q-learning converges depends on the luck of its
exploration. `convergence_over_seeds` trains ``runs`` independent agents and reports,
for each criterion, the median and the 10th and 90th percentiles of the episodes it
took. With constant hyperparameters it trains them all at once, as `ManyQLearning`
agents on a vector env; otherwise one after another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorEnv
from numpy.typing import NDArray

from agents._checks import check_count
from agents.convergence import _optimum, _warn_if_hopeless, train_until_converged
from agents.criteria import Criterion, PolicyOptimal, QWithin, check_criteria
from agents.exact import TabularModel
from agents.loops import DEFAULT_MAX_STEPS
from agents.many import ManyQLearning
from agents.many_convergence import episodes_to_criteria
from agents.q_learning import QLearningAgent
from agents.schedules import Constant, Epsilon, LearningRate

PERCENTILES = (10, 50, 90)

# How the runs were trained: all at once on one vector env, or one after another.
Engine = Literal["lockstep", "sequential"]

_ENGINE_LINES = {
    "lockstep": "runs trained in lockstep on one vector env",
    "sequential": "runs trained one after another",
}


@dataclass(frozen=True)
class SeedStudy:
    """Episodes to each criterion over independent runs.

    Attributes:
        labels: the criteria's labels, in order.
        episodes_to: one array per criterion, the episode at which each run first
            met it, ``inf`` where it did not within ``budget``.
        budget: the episodes allowed per run.
        seeds: ``"sequential"``: the seed of each run (agent and env);
            ``"lockstep"``: the one seed of the agents' shared generator and of the
            vector env, from which every run draws.
        engine: ``"lockstep"`` or ``"sequential"``, as `convergence_over_seeds`
            chose.
    """

    labels: tuple[str, ...]
    episodes_to: tuple[NDArray[np.float64], ...]
    budget: int
    seeds: tuple[int, ...]
    engine: Engine = "sequential"

    @property
    def runs(self) -> int:
        """The number of runs."""
        return len(self.episodes_to[0])

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
        """Return a table (criterion, runs met, p10, median, p90) and the engine."""
        width = max(len(label) for label in self.labels)
        header = f"{'criterion':<{width}}  {'met':>7}  {'p10':>7}  {'median':>7}"
        lines = [header + f"  {'p90':>7}"]
        for index, label in enumerate(self.labels):
            met = int(np.isfinite(self.episodes_to[index]).sum())
            cells = [_cell(value, self.budget) for value in self.percentiles(index)]
            row = f"{label:<{width}}  {f'{met}/{self.runs}':>7}"
            lines.append(row + "".join(f"  {cell:>7}" for cell in cells))
        lines.append(_ENGINE_LINES[self.engine])
        return "\n".join(lines)


def _cell(value: float, budget: int) -> str:
    return f">{budget}" if math.isinf(value) else str(int(value))


def _check_study(
    runs: object, criteria: Sequence[Criterion], engine: object
) -> tuple[Criterion, ...]:
    """Check the arguments both engines share; return the criteria as a tuple."""
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise ValueError(f"runs must be an int >= 1, got {runs!r}")
    if engine not in ("auto", "lockstep", "sequential"):
        raise ValueError(
            f"engine must be 'auto', 'lockstep' or 'sequential', got {engine!r}"
        )
    return check_criteria(criteria)


def _is_constant(value: object) -> bool:
    """Return whether a hyperparameter is a float, or a schedule that never changes."""
    if isinstance(value, Constant):
        return True
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def _lockstep_obstacle(
    env: gym.Env[Any, Any], learning_rate: LearningRate, epsilon: Epsilon
) -> str | None:
    """Return why the runs cannot train in lockstep, or None if they can."""
    if env.spec is None:
        return "the env has no spec to build a vector env from"
    for name, value in (("learning_rate", learning_rate), ("epsilon", epsilon)):
        if not _is_constant(value):
            return f"{name}={value!r} is not a constant float"
    return None


def _vector_env(
    env: gym.Env[Any, Any], runs: int, max_steps: int
) -> tuple[VectorEnv[Any, Any, Any], int]:
    """Return ``runs`` copies of ``env`` as a vector env, and its episode limit."""
    spec = env.spec
    assert spec is not None
    limit = min(spec.max_episode_steps or max_steps, max_steps)
    # The env's own vector form cannot apply wrappers added after `gym.make`.
    native = spec.vector_entry_point is not None and not spec.additional_wrappers
    kwargs: dict[str, Any] = {"max_episode_steps": limit}
    if "render_mode" in spec.kwargs:
        kwargs["render_mode"] = None
    vector_env = gym.make_vec(
        spec,
        num_envs=runs,
        vectorization_mode="vector_entry_point" if native else "sync",
        **kwargs,
    )
    return vector_env, limit


def _lockstep(
    env: gym.Env[Any, Any],
    runs: int,
    episodes: int,
    criteria: tuple[Criterion, ...],
    probe: QLearningAgent,
    max_steps: int,
    optimum: tuple[TabularModel | None, NDArray[np.float64] | None],
) -> NDArray[np.float64]:
    """Train the runs with ``probe``'s hyperparameters in lockstep; see the caller."""
    episodes = check_count(episodes, "episodes", 0)
    max_steps = check_count(max_steps, "max_steps", 1)
    model, q_star = optimum
    vector_env, limit = _vector_env(env, runs, max_steps)
    try:
        agents = ManyQLearning.from_vector_env(
            vector_env,
            learning_rate=probe.learning_rate,
            discount=probe.discount,
            epsilon=probe.epsilon,
            seed=probe.seed,
        )
        return episodes_to_criteria(
            agents,
            vector_env,
            episodes,
            criteria,
            model=model,
            q_star=q_star,
            episode_limit=limit,
            seed=probe.seed,
        )
    finally:
        vector_env.close()


def _sequential(
    env: gym.Env[Any, Any],
    seeds: tuple[int, ...],
    episodes: int,
    criteria: tuple[Criterion, ...],
    settings: dict[str, Any],
    max_steps: int,
) -> NDArray[np.float64]:
    reached = np.full((len(criteria), len(seeds)), np.inf)
    for run, run_seed in enumerate(seeds):
        agent = QLearningAgent.from_env(env, seed=run_seed, **settings)
        result = train_until_converged(
            agent,
            env,
            episodes,
            criteria=criteria,
            require="all",
            seed=run_seed,
            max_steps=max_steps,
        )
        for index, item in enumerate(result.criteria):
            if item.episode is not None:
                reached[index, run] = item.episode
    return reached


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
    engine: Engine | Literal["auto"] = "auto",
) -> SeedStudy:
    """Train ``runs`` independent agents on ``env``; collect episodes to each criterion.

    Each run stops once every criterion has held at the end of the same episode,
    or at ``episodes``, as `agents.train_until_converged` with ``require="all"``.

    Two engines give the same results in distribution:

    - ``"lockstep"``: the runs are `ManyQLearning` agents trained together on
      ``gym.make_vec(env.spec, num_envs=runs)`` (the env's native vector form when
      it is registered and no wrapper was added after ``gym.make``, else
      ``"sync"``), with the criteria judged per agent after each of its episodes.
      Needs ``env.spec`` and a constant learning rate and epsilon (a float or
      `Constant`). Every run draws from one generator seeded with ``seed``, and
      the vector env is reset with ``seed``. Much faster for many runs.
    - ``"sequential"``: one `QLearningAgent` after another on ``env`` itself; run
      ``r`` seeds its agent and the env with ``seed + r``. Takes any schedule,
      `VisitCount` included, and any env.

    ``"auto"`` (the default) picks ``"lockstep"`` where it applies, else
    ``"sequential"``; `SeedStudy.engine` says which ran.

    Args:
        env: the env; run in place by ``"sequential"``, copied from its spec by
            ``"lockstep"``.
        runs: number of independent runs, an int >= 1.
        episodes: the budget of each run, an int >= 0.
        criteria: as for `agents.train_until_converged`.
        learning_rate: the agents' learning rate or schedule.
        discount: the agents' discount factor.
        epsilon: the agents' exploration rate or schedule.
        seed: the first run's seed, or the lockstep generator's.
        max_steps: as for `agents.train`.
        engine: ``"auto"``, ``"lockstep"`` or ``"sequential"``.

    Raises:
        TypeError: if ``episodes`` or ``max_steps`` is not an int, or as
            `agents.train_until_converged` raises.
        ValueError: for a count out of range, a bad ``engine``, empty
            ``criteria``, ``engine="lockstep"`` where it does not apply, or as
            `agents.train_until_converged` raises.

    Warns:
        ConvergenceWarning: as `agents.train_until_converged` does.
    """
    chosen = _check_study(runs, criteria, engine)
    settings = {
        "learning_rate": learning_rate,
        "discount": discount,
        "epsilon": epsilon,
    }
    obstacle = _lockstep_obstacle(env, learning_rate, epsilon)
    if engine == "lockstep" and obstacle is not None:
        raise ValueError(
            f"engine='lockstep' needs a spec and constant rates: {obstacle}"
        )
    used: Engine = "sequential" if engine == "sequential" or obstacle else "lockstep"
    if used == "sequential":
        seeds = tuple(seed + run for run in range(runs))
        reached = _sequential(env, seeds, episodes, chosen, settings, max_steps)
    else:
        seeds = (seed,)
        probe = QLearningAgent.from_env(env, seed=seed, **settings)
        optimum = _optimum(env, probe.discount, chosen)
        # Here, so that the warning points at the caller's line.
        _warn_if_hopeless(probe, optimum[0], chosen)
        reached = _lockstep(env, runs, episodes, chosen, probe, max_steps, optimum)
    return SeedStudy(
        labels=tuple(criterion.label for criterion in chosen),
        episodes_to=tuple(reached),
        budget=int(episodes),
        seeds=seeds,
        engine=used,
    )
