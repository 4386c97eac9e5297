"""The references that `speed.py` times Corridor-v0 and the agents against.

Two envs whose ``step`` does nothing (one returns an empty info dict, one a dict
with the corridor's keys), and the classic tutorial's tabular Q-learning, which
stores its Q-table in a pandas ``DataFrame`` and reads and writes it with ``.loc``
on every step.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

import corridor_env

LEARNING_RATE = 0.1
DISCOUNT = 0.9
EPSILON = 0.1


class DoNothingEnv(gym.Env[int, int]):
    """The cheapest env with the corridor's spaces: ``step`` returns constants."""

    def __init__(self) -> None:
        """Give the env the corridor's spaces."""
        self.observation_space = gym.spaces.Discrete(
            corridor_env.corridor.DEFAULT_LENGTH
        )
        self.action_space = gym.spaces.Discrete(2)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start in cell 0."""
        super().reset(seed=seed)
        return 0, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Return constants and a fresh, empty info dict."""
        return 0, 0.0, False, False, {}


class DoNothingInfoEnv(DoNothingEnv):
    """The do-nothing env with the corridor's info contract: a fresh 3-key dict."""

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Return constants and a fresh info dict with the corridor's keys."""
        return 0, 0.0, False, False, {"steps": 1, "slipped": False, "prob": 1.0}


class PandasTutorialAgent:
    """Q-learning as the classic tutorial writes it: a pandas table read with .loc."""

    def __init__(self, n_states: int, n_actions: int, rng: np.random.Generator) -> None:
        """Build a zero table with one column per action."""
        import pandas as pd

        self.actions = list(range(n_actions))
        self.table = pd.DataFrame(np.zeros((n_states, n_actions)), columns=self.actions)
        self.rng = rng

    def act(self, state: int) -> int:
        """Return an epsilon-greedy action, ties going to the first best."""
        row = self.table.loc[state, :]
        # The tutorial explores at random while a row is still all zeros.
        if self.rng.uniform() < EPSILON or (row == 0).all():
            return int(self.rng.choice(self.actions))
        return int(row.idxmax())

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Apply one Q-learning step to the table."""
        predicted = self.table.loc[state, action]
        target = reward
        if not terminated:
            target = reward + DISCOUNT * self.table.loc[next_state, :].max()
        self.table.loc[state, action] += LEARNING_RATE * (target - predicted)


def pandas_episode(agent: PandasTutorialAgent, env: gym.Env[Any, Any]) -> int:
    obs, _ = env.reset()
    for steps in range(1, corridor_env.MAX_EPISODE_STEPS + 1):
        action = agent.act(obs)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        agent.update(obs, action, float(reward), next_obs, terminated)
        if terminated or truncated:
            return steps
        obs = next_obs
    return corridor_env.MAX_EPISODE_STEPS
