"""Speed of Corridor-v0, its vector form and the agents, each against a reference.

Prints one table. Every figure is the median over repeats and is measured in the same
run as the reference it is compared with, so the ratios hold on any machine even
where the absolute figures do not. Other processes on the machine make the figures
noisy: run it on a quiet machine for numbers worth quoting.

    pip install -e ".[bench]"             # pandas, for the tutorial reference
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from references import (
    DISCOUNT,
    EPSILON,
    LEARNING_RATE,
    DoNothingEnv,
    DoNothingInfoEnv,
    PandasTutorialAgent,
    pandas_episode,
)

import corridor_env
from agents import QLearningAgent, train
from agents.many import ManyQLearning, train_many

SEED = 0
NOP_ID = "DoNothing-v0"
NOP_INFO_ID = "DoNothingInfo-v0"
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


def median_seconds(
    works: Mapping[str, Callable[[], object]], repeats: int
) -> dict[str, float]:
    """Return each work's median wall time over ``repeats`` runs, after one.

    The works take turns, so that a burst of load from other processes falls on a
    figure and its reference alike rather than on one of them.
    """
    for work in works.values():
        work()
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(repeats):
        for name, work in works.items():
            gc.disable()
            started = time.perf_counter()
            work()
            times[name].append(time.perf_counter() - started)
            gc.enable()
    return {name: statistics.median(runs) for name, runs in times.items()}


def stepping(env: gym.Env[Any, Any], steps: int) -> Callable[[], None]:
    """Return work that takes ``steps`` random steps, resetting at episode ends."""
    rng = np.random.default_rng(SEED)
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    actions = rng.integers(n_actions, size=steps).tolist()
    env.reset(seed=SEED)

    def work() -> None:
        step, reset = env.step, env.reset
        for action in actions:
            _, _, terminated, truncated, _ = step(action)
            if terminated or truncated:
                reset()

    return work


def register_do_nothing() -> None:
    """Register the do-nothing envs with Corridor-v0's time limit, for gym.make."""
    for env_id, env_class in ((NOP_ID, DoNothingEnv), (NOP_INFO_ID, DoNothingInfoEnv)):
        gym.register(
            env_id,
            entry_point=env_class,
            max_episode_steps=corridor_env.MAX_EPISODE_STEPS,
        )


def single_env_rows(budget: Budget) -> list[Row]:
    register_do_nothing()
    envs = {
        "Corridor-v0 raw": corridor_env.CorridorEnv(LONG),
        "Corridor-v0 gym.make": gym.make(corridor_env.ENV_ID, length=LONG),
        "do-nothing raw": DoNothingEnv(),
        "do-nothing gym.make": gym.make(NOP_ID),
        "do-nothing + info raw": DoNothingInfoEnv(),
        "do-nothing + info gym.make": gym.make(NOP_INFO_ID),
        "FrozenLake-v1 raw": gym.make("FrozenLake-v1").unwrapped,
        "FrozenLake-v1 gym.make": gym.make("FrozenLake-v1"),
    }
    steps = budget.single_steps
    works = {name: stepping(env, steps) for name, env in envs.items()}
    us = {
        name: seconds / steps * 1e6
        for name, seconds in median_seconds(works, budget.repeats).items()
    }
    rows = []
    for way in ("raw", "gym.make"):
        mine = us[f"Corridor-v0 {way}"]
        for other, target in (
            ("do-nothing", ">= 0.4x"),
            ("do-nothing + info", ">= 0.4x"),
            ("FrozenLake-v1", ""),
        ):
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


def vector_stepping(env: Any, steps: int) -> Callable[[], None]:
    """Return work that steps a vector env with pre-drawn random actions."""
    rng = np.random.default_rng(SEED)
    pool = [rng.integers(2, size=env.num_envs) for _ in range(2)]
    env.reset(seed=SEED)

    def work() -> None:
        step = env.step
        for index in range(steps):
            step(pool[index & 1])

    return work


def vector_rows(budget: Budget) -> list[Row]:
    sync_envs = SYNC_MAX_ENVS
    sync_label = f"SyncVectorEnv, {sync_envs:.0e} envs"
    sync = gym.make_vec(
        corridor_env.ENV_ID, num_envs=sync_envs, vectorization_mode="sync"
    )
    sync_steps = max(2, int(budget.vector_env_steps / 1e3 / sync_envs))
    rows = []
    sync_rate = float("nan")
    for n in VECTOR_SIZES:
        steps = {"mine": max(5, int(budget.vector_env_steps / n))}
        steps["cartpole"] = max(2, steps["mine"] // 10)
        envs = {
            "mine": gym.make_vec(corridor_env.ENV_ID, num_envs=n),
            "cartpole": gym.make_vec(
                "CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point"
            ),
        }
        if n == min(VECTOR_SIZES):
            envs["sync"], steps["sync"] = sync, sync_steps
        works = {name: vector_stepping(env, steps[name]) for name, env in envs.items()}
        rates = {
            name: envs[name].num_envs * steps[name] / seconds
            for name, seconds in median_seconds(works, budget.repeats).items()
        }
        sync_rate = rates.get("sync", sync_rate)
        label = f"CorridorVectorEnv, {n:.0e} envs"
        target = ">= 5e8/s" if n >= 100_000 else ""
        mine = rates["mine"]
        rows.append(Row(label, mine, "env-steps/s", sync_label, sync_rate, target))
        cartpole = f"CartPole vector, {n:.0e} envs"
        rows.append(Row(label, mine, "env-steps/s", cartpole, rates["cartpole"], ""))
    return rows


def median_us_per_step(
    works: dict[str, Callable[[], int]], repeats: int
) -> dict[str, float]:
    """Return each work's median microseconds per step; a work returns its steps.

    Every work is seeded, so it takes the same steps on every run.
    """
    steps = {name: work() for name, work in works.items()}
    seconds = median_seconds(works, repeats)
    return {name: seconds[name] / steps[name] * 1e6 for name in works}


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

    us = median_us_per_step({"ours": ours, "tutorial": tutorial}, budget.repeats)
    row = Row(
        "QLearningAgent + agents.train, gym.make",
        us["ours"],
        "us/step",
        "pandas tutorial, gym.make",
        us["tutorial"],
        ">= 200x",
    )
    return [row, act_update_row(budget)], us["ours"]


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

    us = median_us_per_step({"ours": ours, "tutorial": tutorial}, budget.repeats)
    return Row(
        "QLearningAgent act + update",
        us["ours"],
        "us/step",
        "pandas tutorial act + update",
        us["tutorial"],
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

        seconds = median_seconds({"many": work}, budget.repeats)["many"]
        rate = n_agents * steps / seconds
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
    try:
        import pandas  # noqa: F401
    except ImportError:
        parser.error(
            "the pandas tutorial reference needs pandas: pip install -e '.[bench]'"
        )
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
