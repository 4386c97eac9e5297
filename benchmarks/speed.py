"""Speed of Corridor-v0, its vector form and the agents, each against a reference.

Prints one table. Every figure is the median over repeats and is measured in the same
run as the reference it is compared with, so the ratios hold on any machine even
where the absolute figures do not. Other processes on the machine make the figures
noisy: run it on a quiet machine for numbers worth quoting.

    python benchmarks/speed.py            # the full run, about two minutes
    python benchmarks/speed.py --quick    # smaller budgets, under 20 seconds
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

import corridor_env
from agents import QLearningAgent, train
from agents.many import ManyQLearning, train_many

SEED = 0
LEARNING_RATE = 0.1
DISCOUNT = 0.9
EPSILON = 0.1
NOP_ID = "DoNothing-v0"
# A corridor too long for a random walk to finish: every timed call is a `step`, as
# for the do-nothing env, rather than a mix of steps and resets.
LONG = 10**9
VECTOR_SIZES = (1_000, 10_000, 100_000, 1_000_000)
MANY_SIZES = (1_000, 10_000, 100_000)
# SyncVectorEnv builds one Python env per corridor, so it is measured at this many
# at most; its env-steps per second hardly depend on the number of envs.
SYNC_MAX_ENVS = 1_000


@dataclass(frozen=True)
class Budget:
    """How much work each measurement does; ``--quick`` shrinks it."""

    repeats: int
    single_steps: int
    vector_env_steps: float
    train_episodes: int
    pandas_episodes: int


FULL = Budget(
    repeats=7,
    single_steps=200_000,
    vector_env_steps=4e7,
    train_episodes=4000,
    pandas_episodes=60,
)
QUICK = Budget(
    repeats=3,
    single_steps=100_000,
    vector_env_steps=1e7,
    train_episodes=500,
    pandas_episodes=10,
)


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, its reference and what is hoped for."""

    label: str
    value: float
    unit: str
    reference: str
    reference_value: float
    target: str

    @property
    def speed_ratio(self) -> float:
        """How many times the reference's speed this is: above 1 is faster."""
        if self.unit.startswith("us"):
            return self.reference_value / self.value
        return self.value / self.reference_value


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


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """Return the median wall time of ``work()`` over ``repeats`` runs, after one."""
    work()
    times = []
    for _ in range(repeats):
        gc.disable()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
        gc.enable()
    return statistics.median(times)


def single_env_us(env: gym.Env[Any, Any], budget: Budget) -> float:
    """Microseconds per ``step``, resetting whenever an episode ends."""
    rng = np.random.default_rng(SEED)
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    actions = rng.integers(n_actions, size=budget.single_steps).tolist()
    env.reset(seed=SEED)

    def work() -> None:
        step, reset = env.step, env.reset
        for action in actions:
            _, _, terminated, truncated, _ = step(action)
            if terminated or truncated:
                reset()

    return median_seconds(work, budget.repeats) / len(actions) * 1e6


def single_env_rows(budget: Budget) -> list[Row]:
    gym.register(
        NOP_ID,
        entry_point=DoNothingEnv,
        max_episode_steps=corridor_env.MAX_EPISODE_STEPS,
    )
    us = {
        "Corridor-v0 raw": single_env_us(corridor_env.CorridorEnv(LONG), budget),
        "Corridor-v0 gym.make": single_env_us(
            gym.make(corridor_env.ENV_ID, length=LONG), budget
        ),
        "do-nothing raw": single_env_us(DoNothingEnv(), budget),
        "do-nothing gym.make": single_env_us(gym.make(NOP_ID), budget),
        "FrozenLake-v1 raw": single_env_us(gym.make("FrozenLake-v1").unwrapped, budget),
        "FrozenLake-v1 gym.make": single_env_us(gym.make("FrozenLake-v1"), budget),
    }
    rows = []
    for way in ("raw", "gym.make"):
        mine = us[f"Corridor-v0 {way}"]
        for other, target in (("do-nothing", ">= 0.4x"), ("FrozenLake-v1", "")):
            reference = f"{other} {way}"
            rows.append(
                Row(
                    f"Corridor-v0 step, {way}",
                    mine,
                    "us/step",
                    reference,
                    us[reference],
                    target,
                )
            )
    return rows


def vector_rate(env: Any, steps: int, budget: Budget) -> float:
    """Env-steps per second of a vector env fed pre-drawn random actions."""
    rng = np.random.default_rng(SEED)
    pool = [rng.integers(2, size=env.num_envs) for _ in range(2)]
    env.reset(seed=SEED)

    def work() -> None:
        step = env.step
        for index in range(steps):
            step(pool[index & 1])

    seconds = median_seconds(work, budget.repeats)
    env.close()
    return env.num_envs * steps / seconds


def vector_rows(budget: Budget) -> list[Row]:
    sync_envs = min(SYNC_MAX_ENVS, max(VECTOR_SIZES))
    sync = gym.make_vec(
        corridor_env.ENV_ID, num_envs=sync_envs, vectorization_mode="sync"
    )
    sync_rate = vector_rate(
        sync, max(2, int(budget.vector_env_steps / 1e3 / sync_envs)), budget
    )
    sync_label = f"SyncVectorEnv, {sync_envs:.0e} envs"
    rows = []
    for n in VECTOR_SIZES:
        steps = max(5, int(budget.vector_env_steps / n))
        mine = vector_rate(gym.make_vec(corridor_env.ENV_ID, num_envs=n), steps, budget)
        cartpole = gym.make_vec(
            "CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point"
        )
        cartpole_rate = vector_rate(cartpole, max(2, steps // 10), budget)
        label = f"CorridorVectorEnv, {n:.0e} envs"
        target = ">= 5e8/s" if n >= 100_000 else ""
        rows.append(Row(label, mine, "env-steps/s", sync_label, sync_rate, target))
        rows.append(
            Row(
                label,
                mine,
                "env-steps/s",
                f"CartPole vector, {n:.0e}",
                cartpole_rate,
                "",
            )
        )
    return rows


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


def median_us_per_step(work: Callable[[], int], repeats: int) -> float:
    """Return the median over ``repeats`` of time / steps, ``work`` giving steps."""
    per_step = []
    for _ in range(repeats):
        gc.disable()
        started = time.perf_counter()
        steps = work()
        per_step.append((time.perf_counter() - started) / steps * 1e6)
        gc.enable()
    return statistics.median(per_step)


def q_learning_rows(budget: Budget) -> tuple[list[Row], float]:
    env = gym.make(corridor_env.ENV_ID)
    hyper = {"learning_rate": LEARNING_RATE, "discount": DISCOUNT, "epsilon": EPSILON}

    def ours() -> int:
        agent = QLearningAgent.from_env(env, seed=SEED, **hyper)
        return sum(train(agent, env, budget.train_episodes, seed=SEED).lengths)

    def tutorial() -> int:
        agent = PandasTutorialAgent(6, 2, np.random.default_rng(SEED))
        env.reset(seed=SEED)
        return sum(pandas_episode(agent, env) for _ in range(budget.pandas_episodes))

    ours_us = median_us_per_step(ours, budget.repeats)
    tutorial_us = median_us_per_step(tutorial, budget.repeats)
    row = Row(
        "QLearningAgent + agents.train, gym.make",
        ours_us,
        "us/step",
        "pandas tutorial, gym.make",
        tutorial_us,
        ">= 200x",
    )
    return [row, act_update_row(budget)], ours_us


def act_update_row(budget: Budget) -> Row:
    """Act and update alone, on pre-drawn transitions, without an env."""
    rng = np.random.default_rng(SEED)
    count = budget.single_steps // 10
    states = rng.integers(6, size=count + 1).tolist()
    rewards = rng.random(count).tolist()

    def ours() -> int:
        agent = QLearningAgent(6, 2, seed=SEED)
        act, update = agent.act, agent.update
        for index in range(count):
            action = act(states[index])
            update(states[index], action, rewards[index], states[index + 1], False)
        return count

    def tutorial() -> int:
        agent = PandasTutorialAgent(6, 2, np.random.default_rng(SEED))
        for index in range(count // 100):
            action = agent.act(states[index])
            agent.update(
                states[index], action, rewards[index], states[index + 1], False
            )
        return count // 100

    return Row(
        "QLearningAgent act + update",
        median_us_per_step(ours, budget.repeats),
        "us/step",
        "pandas tutorial act + update",
        median_us_per_step(tutorial, budget.repeats),
        "",
    )


def many_rows(budget: Budget, single_us: float) -> list[Row]:
    rows = []
    for n_agents in MANY_SIZES:
        steps = max(5, int(budget.vector_env_steps / 10 / n_agents))
        env = gym.make_vec(corridor_env.ENV_ID, num_envs=n_agents)

        def work(env: Any = env, n_agents: int = n_agents, steps: int = steps) -> None:
            agents = ManyQLearning(
                n_agents,
                6,
                2,
                seed=SEED,
                learning_rate=LEARNING_RATE,
                discount=DISCOUNT,
                epsilon=EPSILON,
            )
            train_many(agents, env, steps, seed=SEED)

        rate = n_agents * steps / median_seconds(work, budget.repeats)
        target = ">= 2e7/s" if n_agents == 10_000 else ""
        rows.append(
            Row(
                f"ManyQLearning, {n_agents:.0e} agents",
                rate,
                "agent-steps/s",
                "QLearningAgent + agents.train",
                1e6 / single_us,
                target,
            )
        )
    return rows


def format_table(rows: list[Row]) -> str:
    lines = [
        "| measurement | figure | reference | reference figure | speed vs reference "
        "| target |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.label} | {_number(row.value)} {row.unit} | {row.reference} | "
            f"{_number(row.reference_value)} | {row.speed_ratio:.3g}x | {row.target} |"
        )
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.3g}" if value < 1e4 else f"{value:.2e}"


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"gymnasium {gym.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small budgets (~20 s)")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    started = time.perf_counter()
    print(machine(), flush=True)
    rows = single_env_rows(budget)
    rows += vector_rows(budget)
    q_rows, single_us = q_learning_rows(budget)
    rows += q_rows
    rows += many_rows(budget, single_us)
    print(format_table(rows))
    print(f"medians of {budget.repeats} repeats; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
