"""Training and evaluation loops over any env with the Gymnasium API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from tqdm.auto import tqdm

from agents._checks import check_count, check_seed
from agents.q_learning import QLearningAgent

# A safety net for envs without a time limit: an episode this long is cut short and
# reported as truncated, so that a policy that never terminates cannot hang a loop.
DEFAULT_MAX_STEPS = 100_000


@dataclass
class History:
    """What happened in each episode of a run, one list entry per episode.

    Attributes:
        returns: the undiscounted sum of rewards.
        lengths: the number of steps.
        truncated: whether the episode was cut short (by the env's time limit or by
            ``max_steps``) rather than terminated.
        epsilons: the exploration rate in force (training only).
        learning_rates: the learning rate in force; under a per-visit schedule, the
            largest step size applied in the episode (training only).
        q_changes: the largest change of any Q-value over the episode (filled when
            convergence is tracked, as by `agents.train_until_converged`).
        q_errors: ``max |Q - Q*|`` over the states where the agent acts, at the end
            of the episode (when convergence is tracked against a known optimum).
        policy_optimal: whether the greedy policy at the end of the episode is
            optimal (when convergence is tracked against a known optimum).
    """

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    truncated: list[bool] = field(default_factory=list)
    epsilons: list[float] = field(default_factory=list)
    learning_rates: list[float] = field(default_factory=list)
    q_changes: list[float] = field(default_factory=list)
    q_errors: list[float] = field(default_factory=list)
    policy_optimal: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        """Return the number of episodes recorded."""
        return len(self.returns)


# Called after each episode with its index and the history so far; True stops the run.
Callback = Callable[[int, History], bool | None]


def _run_episode(
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    seed: int | None,
    max_steps: int,
    learn: bool,
) -> tuple[float, int, bool]:
    obs, _ = env.reset(seed=seed)
    act, update, step = agent.act, agent.update, env.step
    greedy = not learn
    total = 0.0
    for steps in range(1, max_steps + 1):
        action = act(obs, greedy)
        next_obs, reward, terminated, truncated, _ = step(action)
        if learn:
            update(obs, action, reward, next_obs, terminated)
        # float() only when needed: rewards are usually floats already.
        total += reward if type(reward) is float else float(reward)
        if terminated or truncated:
            return total, steps, bool(truncated)
        obs = next_obs
    return total, max_steps, True


def _run(
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    episodes: int,
    seed: int | None,
    max_steps: int,
    learn: bool,
    progress: bool,
    callback: Callback | None,
) -> History:
    episodes = check_count(episodes, "episodes", 0)
    max_steps = check_count(max_steps, "max_steps", 1)
    seed = check_seed(seed)
    agent.check_spaces(env)
    history = History()
    bar = tqdm(
        total=episodes,
        disable=not progress or None,  # None: quiet unless writing to a terminal
        unit="episode",
        desc="train" if learn else "evaluate",
    )
    with bar:
        for episode in range(episodes):
            episode_seed = seed if episode == 0 else None
            if learn:
                agent.start_episode()
            total, steps, cut = _run_episode(agent, env, episode_seed, max_steps, learn)
            history.returns.append(total)
            history.lengths.append(steps)
            history.truncated.append(cut)
            if learn:
                history.epsilons.append(agent.epsilon)
                history.learning_rates.append(agent.episode_learning_rate)
            bar.update()
            if callback is not None and callback(episode, history):
                break
    return history


def train(
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    episodes: int,
    *,
    seed: int | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: bool = False,
    callback: Callback | None = None,
) -> History:
    """Train ``agent`` on ``env`` for ``episodes`` episodes.

    Each step takes an epsilon-greedy action and applies one Q-learning update.
    Before each episode the agent's schedules set its epsilon and learning rate.

    Args:
        agent: the agent to train, in place.
        env: any env with the Gymnasium API and spaces that suit ``agent``.
        episodes: number of episodes, an int >= 0.
        seed: passed to the first ``env.reset``, which seeds the env for the run.
            With the agent's own seed, the same seeds give the same run, bit for bit.
        max_steps: cut an episode after this many steps (reported as truncated),
            for envs that have no time limit of their own.
        progress: show a tqdm progress bar when writing to a terminal.
        callback: called after each episode as ``callback(episode, history)``,
            ``episode`` counting from 0; training stops early if it returns True.

    Returns:
        The per-episode returns, lengths, truncation flags, epsilons and learning
        rates.
    """
    return _run(agent, env, episodes, seed, max_steps, True, progress, callback)


def evaluate(
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    episodes: int,
    *,
    seed: int | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> History:
    """Run ``agent``'s greedy policy for ``episodes`` episodes, without learning.

    Args and Returns are as for `train`; ties between best actions are still broken
    at random, from the agent's generator.
    """
    return _run(agent, env, episodes, seed, max_steps, False, False, None)
