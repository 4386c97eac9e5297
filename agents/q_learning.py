"""The reference tabular Q-learning agent."""

from __future__ import annotations

import contextlib
import math
import os
from numbers import Integral, Real
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from agents._checks import check_flag, check_int, check_seed, real_value
from agents.schedules import (
    EpisodeSchedule,
    Epsilon,
    LearningRate,
    VisitCount,
    as_schedule,
)
from agents.spaces import table_layout, to_index

# Uniform draws are taken from the generator in blocks: one numpy call per block
# instead of one per action keeps `act` cheap, and the stream stays a pure function
# of the seed.
_UNIFORM_BLOCK = 4096


def _check_rate(value: object, name: str, low_open: bool) -> float:
    interval = "(0, 1]" if low_open else "[0, 1]"
    number = real_value(value)
    if number is None:
        raise TypeError(f"{name} must be a float in {interval}, got {value!r}")
    in_range = (number > 0.0 if low_open else number >= 0.0) and number <= 1.0
    if not in_range:  # also rejects NaN
        raise ValueError(f"{name} must be a float in {interval}, got {value!r}")
    return number


def _learning_rate_schedule(value: object) -> EpisodeSchedule | VisitCount:
    if isinstance(value, VisitCount):
        return value
    if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
        value = _check_rate(value, "learning_rate", True)
    schedule = as_schedule(value, "learning_rate")
    if schedule.bounds[1] <= 0.0:
        raise ValueError(
            f"learning_rate must stay in (0, 1] in every episode, got {schedule!r}"
        )
    return schedule


def _reward_value(reward: object) -> float:
    """Return a non-float reward as a float, or raise naming it."""
    number = real_value(reward)
    if number is None:
        raise TypeError(
            f"reward must be a real number, got {reward!r} of type "
            f"{type(reward).__name__}"
        )
    return number


class QLearningAgent:
    """Tabular Q-learning with epsilon-greedy exploration.

    The agent knows nothing of any particular env: it needs ``Discrete`` observation
    and action spaces, and learns from the transitions it is given. Q-values start at
    zero. Greedy choices break ties uniformly at random, so a fresh table does not
    always pick action 0. All randomness comes from one numpy generator seeded with
    ``seed``: the same seed and the same transitions give the same actions, bit for
    bit.

    ``epsilon`` and ``learning_rate`` take a float or a schedule from
    `agents.schedules`, read once per episode by `start_episode` (which `train` calls),
    so a constant rate costs nothing extra per step. ``learning_rate`` also takes
    `VisitCount`, a step size of ``1 / n(s, a) ** power`` per update.

    Spaces with a non-zero ``start`` are handled: row ``obs - obs_start`` of the
    table holds ``obs``, and column ``k`` holds action ``k + action_start``.

    Args:
        n_states: number of observations (rows of the Q-table).
        n_actions: number of actions (columns of the Q-table).
        learning_rate: step size of each update, in (0, 1], or a schedule of it.
        discount: discount factor, in [0, 1].
        epsilon: probability of a uniformly random action in ``act``, in [0, 1], or
            a schedule of it.
        seed: seed of the agent's random generator, or ``None`` for a fresh one.
        obs_start: the observation space's ``start``.
        action_start: the action space's ``start``.

    Attributes:
        epsilon_schedule: the schedule behind ``epsilon``.
        learning_rate_schedule: the schedule behind ``learning_rate``, or
            `VisitCount`.
        visit_counts: the number of per-visit updates of each state-action pair,
            shaped like ``q_table``; ``None`` until `VisitCount` is first used.
        episodes_started: how many episodes `start_episode` has begun; schedules
            read their value at this count.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        learning_rate: LearningRate = 0.1,
        discount: float = 0.9,
        epsilon: Epsilon = 0.1,
        seed: int | None = None,
        obs_start: int = 0,
        action_start: int = 0,
    ) -> None:
        """Build an agent with a zero Q-table; see the class docstring."""
        for name, size in (("n_states", n_states), ("n_actions", n_actions)):
            if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
                raise ValueError(f"{name} must be an int >= 1, got {size!r}")
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)
        self.q_table = np.zeros((self.n_states, self.n_actions), dtype=np.float64)
        self.episodes_started = 0
        self._largest_step = 0.0
        self.visit_counts: NDArray[np.int64] | None = None
        self._visits_view: memoryview | None = None
        self.learning_rate = learning_rate
        self.discount = _check_rate(discount, "discount", False)
        self.epsilon = epsilon
        self.seed = check_seed(seed)
        self.obs_start = check_int(obs_start, "obs_start")
        self.action_start = check_int(action_start, "action_start")
        self._rng = np.random.default_rng(self.seed)
        self._uniforms: list[float] = []
        self._next_uniform = 0

    @classmethod
    def from_env(cls, env: gym.Env[Any, Any], **kwargs: Any) -> QLearningAgent:
        """Build an agent sized for ``env``'s spaces.

        Args:
            env: any env (wrapped or not) with ``Discrete`` observation and action
                spaces.
            **kwargs: the keyword hyperparameters of the constructor.

        Raises:
            TypeError: if either space is not ``Discrete``; the message names it.
        """
        n_states, obs_start, n_actions, action_start = table_layout(env)
        return cls(
            n_states,
            n_actions,
            obs_start=obs_start,
            action_start=action_start,
            **kwargs,
        )

    def check_spaces(self, env: Any) -> None:
        """Raise ``ValueError`` unless ``env``'s spaces are the ones this table fits.

        Raises:
            TypeError: if ``env`` has no Discrete observation and action spaces.
            ValueError: if their sizes or starts differ from the agent's.
        """
        layout = table_layout(env)
        mine = (self.n_states, self.obs_start, self.n_actions, self.action_start)
        if layout != mine:
            raise ValueError(
                f"the agent's table fits Discrete({self.n_states}, "
                f"start={self.obs_start}) observations and Discrete("
                f"{self.n_actions}, start={self.action_start}) actions, but the env "
                f"has {env.observation_space} and {env.action_space}"
            )

    @property
    def epsilon(self) -> float:
        """The exploration rate in force; set a float or a schedule to change it."""
        return self._epsilon

    @epsilon.setter
    def epsilon(self, value: Epsilon) -> None:
        if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
            value = _check_rate(value, "epsilon", False)
        self.epsilon_schedule = as_schedule(value, "epsilon")
        self._epsilon = self.epsilon_schedule(self.episodes_started)

    @property
    def learning_rate(self) -> float:
        """The step size in force; set a float, a schedule or `VisitCount`.

        Under `VisitCount` this is the step size of the latest update.
        """
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        schedule = _learning_rate_schedule(value)
        self.learning_rate_schedule = schedule
        if isinstance(schedule, VisitCount):
            self._learning_rate = 1.0
            if self.visit_counts is None:
                counts = np.zeros(self._q_table.shape, dtype=np.int64)
                self.visit_counts = counts
                self._visits_view = counts.data.cast("B").cast("q")
            # Chosen here, once, so that constant rates pay nothing for counting.
            self.update = self._update_by_visits  # type: ignore[method-assign]
            return
        self._learning_rate = schedule(self.episodes_started)
        # `del` rather than `self.__dict__`, which would make every attribute
        # lookup on the hot path slower.
        with contextlib.suppress(AttributeError):
            del self.update

    @property
    def episode_learning_rate(self) -> float:
        """The largest step size applied in the current episode.

        Under `VisitCount`, the largest per-visit step so far (0.0 before the first
        update); otherwise the scheduled rate in force.
        """
        if isinstance(self.learning_rate_schedule, VisitCount):
            return self._largest_step
        return self._learning_rate

    def start_episode(self) -> None:
        """Set epsilon and the learning rate of the next episode from their schedules.

        Schedules count the agent's episodes, so training resumed in a second call
        to `train` carries on where the first stopped.
        """
        episode = self.episodes_started
        self._epsilon = self.epsilon_schedule(episode)
        if not isinstance(self.learning_rate_schedule, VisitCount):
            self._learning_rate = self.learning_rate_schedule(episode)
        self._largest_step = 0.0
        self.episodes_started = episode + 1

    @property
    def q_table(self) -> NDArray[np.float64]:
        """The Q-values, shape ``(n_states, n_actions)``; edits in place are seen."""
        return self._q_table

    @q_table.setter
    def q_table(self, values: Any) -> None:
        given = np.asarray(values)
        if given.dtype.kind not in "iuf":
            raise TypeError(
                f"q_table must be an array of real numbers, got dtype {given.dtype}"
            )
        table = np.array(given, dtype=np.float64, order="C")
        expected = (self.n_states, self.n_actions)
        if table.shape != expected:
            raise ValueError(f"q_table must have shape {expected}, got {table.shape}")
        if not np.all(np.isfinite(table)):
            raise ValueError("q_table must hold finite values, got NaN or infinity")
        self._q_table = table
        # A flat view of the same memory: indexing it yields Python floats with
        # no numpy scalar overhead, and writes land in `q_table`.
        self._q = table.data.cast("B").cast("d")

    def _uniform(self) -> float:
        index = self._next_uniform
        if index == len(self._uniforms):
            self._uniforms = self._rng.random(_UNIFORM_BLOCK).tolist()
            index = 0
        self._next_uniform = index + 1
        return self._uniforms[index]

    def _state(self, obs: Any, name: str) -> int:
        index = obs - self.obs_start if type(obs) is int else -1
        if 0 <= index < self.n_states:
            return index
        return to_index(obs, self.n_states, self.obs_start, name)

    def act(self, obs: Any, greedy: bool = False) -> int:
        """Return an action for ``obs``: epsilon-greedy, or greedy if ``greedy``.

        Tied best actions are chosen among uniformly.
        """
        # `_state` and `_uniform` are inlined: this runs once per env step.
        state = obs - self.obs_start if type(obs) is int else -1
        if not 0 <= state < self.n_states:
            state = to_index(obs, self.n_states, self.obs_start, "obs")
        if greedy is not False and greedy is not True:
            greedy = check_flag(greedy, "greedy")
        if not greedy:
            index = self._next_uniform
            uniforms = self._uniforms
            if index == len(uniforms):
                uniforms = self._uniforms = self._rng.random(_UNIFORM_BLOCK).tolist()
                index = 0
            self._next_uniform = index + 1
            if uniforms[index] < self._epsilon:
                return int(self._uniform() * self.n_actions) + self.action_start
        n_actions = self.n_actions
        q = self._q
        base = state * n_actions
        if n_actions == 2:
            # The common case, without building a list: a tie draws as below.
            left = q[base]
            right = q[base + 1]
            if left != right:
                return (right > left) + self.action_start
            return int(self._uniform() * 2) + self.action_start
        values = q[base : base + n_actions].tolist()
        best = max(values)
        if values.count(best) == 1:
            return values.index(best) + self.action_start
        ties = [action for action, value in enumerate(values) if value == best]
        return ties[int(self._uniform() * len(ties))] + self.action_start

    def greedy_actions(self) -> NDArray[np.int64]:
        """Return every state's best action (the lowest one where several tie)."""
        actions: NDArray[np.int64] = np.argmax(self._q_table, axis=1)
        return actions + self.action_start

    def update(
        self,
        obs: Any,
        action: Any,
        reward: SupportsFloat,
        next_obs: Any,
        terminated: bool,
    ) -> float:
        """Apply one Q-learning step and return the TD error.

        The target is ``reward`` alone when ``terminated``; otherwise it bootstraps
        from ``next_obs``, truncated steps included, since a time limit does not
        make the next state worthless.
        """
        if terminated is not True and terminated is not False:
            terminated = check_flag(terminated, "terminated")
        n_actions = self.n_actions
        column = action - self.action_start if type(action) is int else -1
        if not 0 <= column < n_actions:
            column = to_index(action, n_actions, self.action_start, "action")
        state = obs - self.obs_start if type(obs) is int else -1
        if not 0 <= state < self.n_states:
            state = to_index(obs, self.n_states, self.obs_start, "obs")
        index = state * n_actions + column
        q = self._q
        target = reward if type(reward) is float else _reward_value(reward)
        if not terminated:
            following = next_obs - self.obs_start if type(next_obs) is int else -1
            if not 0 <= following < self.n_states:
                following = to_index(
                    next_obs, self.n_states, self.obs_start, "next_obs"
                )
            base = following * n_actions
            if n_actions == 2:
                # What max() returns for two values: the first, unless the second
                # is larger.
                left = q[base]
                right = q[base + 1]
                target += self.discount * (right if right > left else left)
            else:
                target += self.discount * max(q[base : base + n_actions])
        td_error = target - q[index]
        value = q[index] + self._learning_rate * td_error
        if not math.isfinite(value):
            # Refused before writing, so the table stays finite.
            raise ValueError(
                f"update would make Q[{obs}, {action}] non-finite (reward={reward!r},"
                f" target={target!r}); rewards must be finite and Q-values must "
                f"stay within the float range"
            )
        q[index] = value
        return td_error

    def save(
        self, path: str | os.PathLike[str], env: gym.Env[Any, Any] | None = None
    ) -> None:
        """Write the agent to ``path`` atomically, as ``agents.persistence`` describes.

        ``env``, when given, has its id and keywords recorded beside the Q-table.
        """
        from agents.persistence import save_agent

        save_agent(self, path, env)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], env: gym.Env[Any, Any] | None = None
    ) -> QLearningAgent:
        """Load an agent written by `save`; nothing in the file is unpickled.

        Args:
            path: the saved file.
            env: when given, the file's table must fit its spaces.

        Raises:
            agents.persistence.AgentFileError: (a ``ValueError``) if the file is
                damaged, not a saved agent, or does not fit ``env``; the message
                names the file and the problem.
            OSError: if the file cannot be opened, e.g. ``FileNotFoundError``.
            TypeError: if ``env`` has no ``Discrete`` spaces.
        """
        from agents.persistence import load_agent

        return load_agent(cls, path, env)

    def _update_by_visits(
        self,
        obs: Any,
        action: Any,
        reward: SupportsFloat,
        next_obs: Any,
        terminated: bool,
    ) -> float:
        column = to_index(action, self.n_actions, self.action_start, "action")
        index = self._state(obs, "obs") * self.n_actions + column
        visits = self._visits_view
        assert visits is not None  # set with the VisitCount schedule
        schedule = self.learning_rate_schedule
        assert isinstance(schedule, VisitCount)
        before = self._learning_rate, self._largest_step
        visits[index] += 1
        self._learning_rate = schedule.rate(visits[index])
        self._largest_step = max(self._largest_step, self._learning_rate)
        try:
            return QLearningAgent.update(
                self, obs, action, reward, next_obs, terminated
            )
        except BaseException:
            # A refused update is not a visit: the next one must get this step size.
            visits[index] -= 1
            self._learning_rate, self._largest_step = before
            raise
