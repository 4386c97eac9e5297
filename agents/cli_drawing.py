"""What the ``corridor`` command draws: frames as they happen, policies as arrows."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agents.q_learning import QLearningAgent


class PrintFrames(gym.Wrapper[Any, Any, Any, Any]):
    """Print the env's ``ansi`` frame after every reset and step."""

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """Reset the env, then print its first frame."""
        result = self.env.reset(**kwargs)
        print(self.env.render())
        return result

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        """Step the env, then print the frame it shows."""
        result = self.env.step(action)
        print(self.env.render())
        return result


def policy_row(env: gym.Env[Any, Any], agent: QLearningAgent) -> str | None:
    """Draw the greedy policy as arrows under a one-line ``ansi`` frame, if any.

    Only envs that render as one character per state and publish a toy-text model
    ``P[state][action] -> [(prob, next_state, reward, terminated), ...]`` qualify;
    an arrow points to the greedy action's likeliest next state, and states where
    every action ends the episode keep their frame character.
    """
    model = getattr(env.unwrapped, "P", None)
    env.reset(seed=0)
    frame = env.render()
    if model is None or not isinstance(frame, str) or len(frame) != agent.n_states:
        return None
    arrows = []
    for index, action in enumerate(agent.greedy_actions()):
        state = index + agent.obs_start
        outcomes = model[state]
        if all(o[3] and o[1] == state for a in outcomes for o in outcomes[a]):
            arrows.append(frame[index])
            continue
        target = max(outcomes[int(action)], key=lambda outcome: outcome[0])[1]
        arrows.append(">" if target > state else "<" if target < state else ".")
    return f"{frame}\n{''.join(arrows)}"
