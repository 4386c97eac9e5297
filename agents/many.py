"""Many independent tabular Q-learners, trained in lockstep on a vector env.

Agent ``k`` owns Q-table ``k`` and acts in sub-env ``k`` of the vector env; one array
operation acts for, or updates, all of them at once. Each agent follows the rules of
`QLearningAgent` (epsilon-greedy, uniform tie-breaking, the same update), so ``K``
agents here are, in distribution, ``K`` separate `QLearningAgent` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from numpy.typing import ArrayLike, NDArray

from agents._checks import check_count, check_flag, check_int
from agents.spaces import discrete_size

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def _check_rates(value: ArrayLike, name: str, n_agents: int, low_open: bool) -> Floats:
    """Return ``value`` as ``n_agents`` floats in (0, 1] or [0, 1], or raise."""
    interval = "(0, 1]" if low_open else "[0, 1]"
    allowed = f"a float in {interval} or an array of {n_agents} of them"
    rates = np.asarray(value)
    if rates.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {allowed}, got {value!r}")
    if rates.shape not in ((), (n_agents,)):
        raise ValueError(f"{name} must be {allowed}, got shape {rates.shape}")
    per_agent: Floats = np.full(n_agents, rates, dtype=np.float64)
    low_ok = per_agent > 0.0 if low_open else per_agent >= 0.0
    if not np.all(low_ok & (per_agent <= 1.0)):  # also rejects NaN
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return per_agent


@dataclass
class ManyHistory:
    """What each agent's episodes came to, one array entry per agent.

    Attributes:
        episodes: episodes each agent finished (terminated or truncated).
        last_returns: the undiscounted return of each agent's latest finished
            episode; NaN where none has finished.
        last_lengths: the length of that episode; 0 where none has finished.
        steps: steps taken by every agent.
    """

    episodes: Ints
    last_returns: Floats
    last_lengths: Ints
    steps: int


# Called with the indices of the agents whose episode just ended (their counts in
# ``history.episodes`` already include it) and the history; True stops training.
ManyCallback = Callable[[Ints, ManyHistory], bool | None]


class ManyQLearning:
    """``n_agents`` independent tabular Q-learners updated with array operations.

    Each hyperparameter is one float for every agent, or an array with one value per
    agent, to sweep a grid in a single run. All randomness comes from one generator
    seeded with ``seed``; agents draw independently of each other.

    Args:
        n_agents: number of agents (Q-tables).
        n_states: number of observations (rows of each Q-table).
        n_actions: number of actions (columns of each Q-table).
        learning_rate: step size of each update, in (0, 1].
        discount: discount factor, in [0, 1].
        epsilon: probability of a uniformly random action in ``act``, in [0, 1].
        seed: seed of the generator, or ``None`` for a fresh one.
        obs_start: the observation space's ``start``.
        action_start: the action space's ``start``.
    """

    def __init__(
        self,
        n_agents: int,
        n_states: int,
        n_actions: int,
        *,
        learning_rate: ArrayLike = 0.1,
        discount: ArrayLike = 0.9,
        epsilon: ArrayLike = 0.1,
        seed: int | None = None,
        obs_start: int = 0,
        action_start: int = 0,
    ) -> None:
        """Build ``n_agents`` zero Q-tables; see the class docstring."""
        self.n_agents = check_count(n_agents, "n_agents", 1)
        self.n_states = check_count(n_states, "n_states", 1)
        self.n_actions = check_count(n_actions, "n_actions", 1)
        self.learning_rate = _check_rates(
            learning_rate, "learning_rate", n_agents, True
        )
        self.discount = _check_rates(discount, "discount", n_agents, False)
        self.epsilon = _check_rates(epsilon, "epsilon", n_agents, False)
        if seed is not None:
            seed = check_count(seed, "seed", 0)
        self.obs_start = check_int(obs_start, "obs_start")
        self.action_start = check_int(action_start, "action_start")
        self.q_tables = np.zeros((n_agents, n_states, n_actions))
        self._rng = np.random.default_rng(seed)
        # Agent k's table starts at this index of the tables seen as one flat array.
        self._first_offset = np.arange(n_agents, dtype=np.int64) * n_states * n_actions
        # Factors that map a uniform below (above) epsilon to a uniform in [0, 1).
        epsilon = self.epsilon
        self._below_scale = np.divide(
            1.0, epsilon, where=epsilon > 0.0, out=np.ones(self.n_agents)
        )
        self._above_scale = np.divide(
            1.0, 1.0 - epsilon, where=epsilon < 1.0, out=np.ones(self.n_agents)
        )

    @property
    def q_tables(self) -> Floats:
        """The Q-values, shape ``(n_agents, n_states, n_actions)``; edit in place."""
        return self._q_tables

    @q_tables.setter
    def q_tables(self, values: ArrayLike) -> None:
        # A C-ordered float64 array, so that the flat views used on every step
        # write into it rather than into a copy.
        tables = np.array(values, dtype=np.float64, order="C")
        expected = (self.n_agents, self.n_states, self.n_actions)
        if tables.shape != expected:
            raise ValueError(f"q_tables must have shape {expected}, got {tables.shape}")
        if not np.all(np.isfinite(tables)):
            raise ValueError("q_tables must hold finite values, got NaN or infinity")
        self._q_tables = tables

    @classmethod
    def from_vector_env(
        cls, env: VectorEnv[Any, Any, Any], **kwargs: Any
    ) -> ManyQLearning:
        """Build one agent per sub-env of ``env``, sized for its single spaces.

        Args:
            env: a vector env with ``Discrete`` single observation and action spaces.
            **kwargs: the keyword hyperparameters of the constructor.

        Raises:
            TypeError: if ``env`` is not a vector env, or either single space is
                not ``Discrete``.
        """
        _check_vector(env)
        n_states, obs_start = discrete_size(
            env.single_observation_space, "single_observation_space"
        )
        n_actions, action_start = discrete_size(
            env.single_action_space, "single_action_space"
        )
        return cls(
            env.num_envs,
            n_states,
            n_actions,
            obs_start=obs_start,
            action_start=action_start,
            **kwargs,
        )

    def _per_agent(self, values: ArrayLike, name: str, kinds: str) -> NDArray[Any]:
        """Return ``values`` as an array of one entry per agent, of dtype ``kinds``."""
        array = np.asarray(values)
        what = {"iu": "an integer", "b": "a bool", "iuf": "a real"}[kinds]
        expected = f"{what} array of shape ({self.n_agents},)"
        if array.dtype.kind not in kinds:
            raise TypeError(f"{name} must be {expected}, got dtype {array.dtype}")
        if array.shape != (self.n_agents,):
            raise ValueError(f"{name} must be {expected}, got shape {array.shape}")
        return array

    def _offsets(self, obs: ArrayLike, name: str) -> Ints:
        """Return the flat index of ``Q[agent, obs[agent], 0]`` for every agent."""
        states = self._per_agent(obs, name, "iu")
        low, high = self.obs_start, self.obs_start + self.n_states - 1
        if states.min() < low or states.max() > high:
            raise ValueError(f"{name} must hold ints in [{low}, {high}], got {obs!r}")
        offsets = (states - self.obs_start) * self.n_actions
        offsets += self._first_offset
        return offsets

    def _columns(self, offsets: Ints) -> list[Floats]:
        # One array per action rather than an (agents, actions) block: reductions
        # across a short last axis are several times slower than elementwise ops.
        flat = self.q_tables.reshape(-1)
        return [flat.take(offsets + column) for column in range(self.n_actions)]

    def act(self, obs: ArrayLike, greedy: bool = False) -> Ints:
        """Return one action per agent: epsilon-greedy, or greedy if ``greedy``.

        Tied best actions are chosen among uniformly, as `QLearningAgent` does.
        """
        greedy = check_flag(greedy, "greedy")
        return self._act(self._offsets(obs, "obs"), greedy) + self.action_start

    def _act(self, offsets: Ints, greedy: bool) -> Ints:
        columns = self._columns(offsets)
        best = columns[0].copy()
        for values in columns[1:]:
            np.maximum(best, values, out=best)
        is_best = [values == best for values in columns]
        ties = is_best[0].astype(np.int64)
        for best_here in is_best[1:]:
            ties += best_here

        # One uniform per agent decides everything: below epsilon, u / epsilon is
        # a fresh uniform that picks the random action; above it, the rescaled
        # (u - epsilon) / (1 - epsilon) picks among the tied best actions.
        uniforms = self._rng.random(self.n_agents)
        explore = None
        choices = ties
        if not greedy:
            explore = uniforms < self.epsilon
            above = (uniforms - self.epsilon) * self._above_scale
            uniforms = np.where(explore, uniforms * self._below_scale, above)
            choices = np.where(explore, self.n_actions, ties)
        picks = (uniforms * choices).astype(np.int64)
        # Rounding can carry a uniform just below 1 up to 1.0.
        np.minimum(picks, choices - 1, out=picks)

        # The picks-th best action: count the best ones seen so far, column by column.
        seen = is_best[0].astype(np.int64)
        actions = np.zeros(self.n_agents, dtype=np.int64)
        for column in range(1, self.n_actions):
            hit = np.equal(seen, picks)
            hit &= is_best[column]
            actions += column * hit if column > 1 else hit
            seen += is_best[column]
        if explore is not None:
            actions = np.where(explore, picks, actions)
        return actions

    def update(
        self,
        obs: ArrayLike,
        actions: ArrayLike,
        rewards: ArrayLike,
        next_obs: ArrayLike,
        terminated: ArrayLike,
        learn: ArrayLike | None = None,
    ) -> Floats:
        """Apply one Q-learning step per agent and return the TD errors.

        As in `QLearningAgent.update`, the target is the reward alone where
        ``terminated`` and bootstraps from ``next_obs`` elsewhere, truncated steps
        included. Agents where ``learn`` is False are left as they are (their TD
        error is still returned).
        """
        columns = self._per_agent(actions, "actions", "iu") - self.action_start
        if columns.min() < 0 or columns.max() >= self.n_actions:
            raise ValueError(
                f"actions must hold ints in [{self.action_start}, "
                f"{self.action_start + self.n_actions - 1}], got {actions!r}"
            )
        offsets = self._offsets(obs, "obs")
        next_offsets = self._offsets(next_obs, "next_obs")
        rewards = self._per_agent(rewards, "rewards", "iuf")
        ended = self._per_agent(terminated, "terminated", "b")
        if learn is not None:
            learn = self._per_agent(learn, "learn", "b")
        return self._update(offsets, columns, rewards, next_offsets, ended, learn)

    def _update(
        self,
        offsets: Ints,
        columns: Ints,
        rewards: ArrayLike,
        next_offsets: Ints,
        terminated: NDArray[np.bool_],
        learn: ArrayLike | None,
    ) -> Floats:
        next_columns = self._columns(next_offsets)
        best_next = next_columns[0]
        for values in next_columns[1:]:
            np.maximum(best_next, values, out=best_next)
        # The same operations, in the same order, as `QLearningAgent.update`.
        bootstrap = np.multiply(self.discount, best_next, out=best_next)
        # Times 0 where terminated: reward + (+-0.0) is the reward, bit for bit.
        bootstrap *= np.logical_not(terminated)
        index = offsets + columns
        flat = self.q_tables.reshape(-1)
        values = flat.take(index)
        td_errors = np.add(rewards, bootstrap, dtype=np.float64)
        td_errors -= values
        steps = self.learning_rate * td_errors
        if learn is not None:
            steps *= np.asarray(learn, dtype=np.bool_)
        values += steps
        if not np.all(np.isfinite(values)):
            raise ValueError("update made a Q-value non-finite; rewards must be finite")
        flat[index] = values
        return td_errors


def train_many(
    agents: ManyQLearning,
    env: VectorEnv[Any, Any, Any],
    steps: int,
    *,
    seed: int | None = None,
    callback: ManyCallback | None = None,
) -> ManyHistory:
    """Train every agent on its own sub-env of ``env`` for ``steps`` steps.

    Args:
        agents: the agents, one per sub-env, trained in place.
        env: a vector env with next-step autoreset (Gymnasium's default) whose
            single spaces suit ``agents``.
        steps: steps each agent takes, an int >= 0.
        seed: passed to ``env.reset``.
        callback: called after every step in which some episodes ended, as
            ``callback(ended, history)`` with ``ended`` the indices of those agents,
            whose Q-tables then hold the values at the end of that episode;
            training stops early if it returns True.

    Returns:
        Each agent's finished episodes, its latest episode's return and length, and
        the steps taken.

    Raises:
        TypeError: if ``env`` is not a vector env with ``Discrete`` single spaces.
        ValueError: if ``env`` does not autoreset on the next step, its single
            spaces do not fit the agents' tables, or its number of sub-envs differs
            from the number of agents.
    """
    steps = check_count(steps, "steps", 0)
    _check_env(agents, env)
    history = ManyHistory(
        episodes=np.zeros(agents.n_agents, dtype=np.int64),
        last_returns=np.full(agents.n_agents, np.nan),
        last_lengths=np.zeros(agents.n_agents, dtype=np.int64),
        steps=steps,
    )
    returns = np.zeros(agents.n_agents)
    lengths = np.zeros(agents.n_agents, dtype=np.int64)
    obs, _ = env.reset(seed=seed)
    offsets = agents._offsets(obs, "obs")
    # The step after an episode ends only resets that sub-env: nothing to learn.
    learning = np.ones(agents.n_agents, dtype=np.bool_)
    ended = np.zeros(agents.n_agents, dtype=np.bool_)
    for step in range(steps):
        columns = agents._act(offsets, greedy=False)
        actions = columns + agents.action_start if agents.action_start else columns
        next_obs, rewards, terminated, truncated, _ = env.step(actions)
        next_offsets = agents._offsets(next_obs, "next_obs")
        agents._update(offsets, columns, rewards, next_offsets, terminated, learning)
        returns += rewards
        lengths += learning
        np.logical_or(terminated, truncated, out=ended)
        if ended.any():
            index = _finish(history, returns, lengths, ended)
            if callback is not None and callback(index, history):
                history.steps = step + 1
                break
        np.logical_not(ended, out=learning)
        offsets = next_offsets
    return history


def _check_vector(env: object) -> None:
    if not isinstance(env, VectorEnv):
        raise TypeError(
            f"env must be a gymnasium.vector.VectorEnv (e.g. from gym.make_vec), "
            f"got {env!r}"
        )


def _check_env(agents: ManyQLearning, env: VectorEnv[Any, Any, Any]) -> None:
    _check_vector(env)
    layout = (
        *discrete_size(env.single_observation_space, "single_observation_space"),
        *discrete_size(env.single_action_space, "single_action_space"),
    )
    mine = (agents.n_states, agents.obs_start, agents.n_actions, agents.action_start)
    if layout != mine:
        raise ValueError(
            f"the agents' tables fit Discrete({agents.n_states}, "
            f"start={agents.obs_start}) observations and Discrete("
            f"{agents.n_actions}, start={agents.action_start}) actions, but the env "
            f"has {env.single_observation_space} and {env.single_action_space}"
        )
    mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if mode != AutoresetMode.NEXT_STEP:
        raise ValueError(f"env must autoreset in NEXT_STEP mode, got {mode}")
    if env.num_envs != agents.n_agents:
        raise ValueError(
            f"env must have one sub-env per agent ({agents.n_agents}), "
            f"got num_envs={env.num_envs}"
        )


def _finish(
    history: ManyHistory, returns: Floats, lengths: Ints, ended: NDArray[np.bool_]
) -> Ints:
    """Record the episodes that ended; return the indices of their agents."""
    # Indices of the few agents whose episode ended beat passes over all of them.
    index = np.flatnonzero(ended)
    history.episodes[index] += 1
    history.last_returns[index] = returns[index]
    history.last_lengths[index] = lengths[index]
    returns[index] = 0.0
    lengths[index] = 0
    return index
