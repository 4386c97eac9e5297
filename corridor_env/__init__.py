"""The corridor world for Gymnasium.

Importing this package registers ``Corridor-v0``, so that ``gym.make("Corridor-v0")``
works afterwards; ``gym.make("corridor_env:Corridor-v0")`` imports it by itself.
"""

from __future__ import annotations

import gymnasium as gym

from corridor_env.corridor import Action, CorridorEnv
from corridor_env.vector import CorridorVectorEnv

__all__ = [
    "ENV_ID",
    "MAX_EPISODE_STEPS",
    "Action",
    "CorridorEnv",
    "CorridorVectorEnv",
]

ENV_ID = "Corridor-v0"

# A random walk crosses the default corridor in about 30 steps, so 1000 ends only
# policies that are stuck; it also leaves a random walk on a 50-cell corridor a fair
# chance to find the goal (about 2,450 steps on average), which is what lets a fresh
# Q-table learn there at all.
MAX_EPISODE_STEPS = 1000

# A reload or a second import must not register twice: Gymnasium warns on overrides.
if ENV_ID not in gym.registry:
    gym.register(
        id=ENV_ID,
        entry_point="corridor_env.corridor:CorridorEnv",
        vector_entry_point="corridor_env.vector:CorridorVectorEnv",
        max_episode_steps=MAX_EPISODE_STEPS,
        reward_threshold=1.0,
    )
