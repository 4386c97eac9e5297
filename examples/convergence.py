"""What does it mean for Q-learning to converge? Run it on Corridor-v0 and see.

1. On the default corridor, the Q-table approaches the exact optimum ``Q*`` episode by
   episode, and the greedy policy is optimal long before the values are.
2. With slip, a constant learning rate keeps the values moving around ``Q*``, while
   per-visit step sizes ``1 / n(s, a) ** 0.8`` settle.

Every number printed is computed in this run; the same seed prints the same text.

    python examples/convergence.py
    python examples/convergence.py --seeds 20          # the spread over 20 seeds
    python examples/convergence.py --plot convergence.png   # needs corridor-rl[plot]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings

import gymnasium as gym
import numpy as np

import corridor_env
from agents import (
    ConvergenceResult,
    History,
    PolicyOptimal,
    QLearningAgent,
    QWithin,
    VisitCount,
    convergence_over_seeds,
    format_convergence_report,
    format_q_table,
    plot_convergence,
    train_until_converged,
)

SEED = 0
LEARNING_RATE = 0.1
DISCOUNT = 0.9
EPSILON = 0.1
EPISODES = 5000
Q_TOL = 1e-3
SLIP = 0.2
SLIP_EPISODES = 10_000
# With slip the targets are noisy: ask for a looser error, held for a long stretch.
SLIP_TOL = 1e-2
SLIP_PATIENCE = 1000
VISIT_POWER = 0.8
CHECKPOINTS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED, help="seed (%(default)s)")
    parser.add_argument(
        "--episodes", type=int, default=EPISODES, help="budget of part 1 (%(default)s)"
    )
    parser.add_argument(
        "--slip-episodes",
        type=int,
        default=SLIP_EPISODES,
        help="budget of each run of part 2 (%(default)s)",
    )
    parser.add_argument(
        "--seeds", type=int, default=0, help="also train this many seeds (%(default)s)"
    )
    parser.add_argument("--plot", metavar="PATH", help="write part 1 as a PNG figure")
    return parser


def make_agent(env: gym.Env[int, int], seed: int, **kwargs: object) -> QLearningAgent:
    """The reference agent with the classic hyperparameters, overridable."""
    settings: dict[str, object] = {
        "learning_rate": LEARNING_RATE,
        "discount": DISCOUNT,
        "epsilon": EPSILON,
    }
    settings.update(kwargs)
    return QLearningAgent.from_env(env, seed=seed, **settings)


def approach(env: gym.Env[int, int], seed: int, episodes: int) -> ConvergenceResult:
    """Part 1: train on the default corridor, printing Q(s, right) at checkpoints."""
    agent = make_agent(env, seed)
    snapshots: dict[int, np.ndarray] = {}

    def snapshot(episode: int, history: History) -> None:
        if episode + 1 in CHECKPOINTS:
            snapshots[episode + 1] = agent.q_table[:, 1].copy()

    criteria = (PolicyOptimal(), QWithin(Q_TOL))
    result = train_until_converged(
        agent, env, episodes, criteria=criteria, seed=seed, callback=snapshot
    )
    assert result.q_star is not None  # the corridor publishes its model
    print(format_q_table(result.q_star, ["left", "right"], state_name="Q*  cell"))
    print()
    print(
        f"{'episode':>7}  {'max|Q-Q*|':>9}  {'greedy':>7}  Q(s, right), s = 0, 1, ..."
    )
    history = result.history
    for episode, column in snapshots.items():
        optimal = "optimal" if history.policy_optimal[episode - 1] else "not yet"
        values = " ".join(f"{value:.4f}" for value in column)
        print(
            f"{episode:>7}  {history.q_errors[episode - 1]:>9.2e}  {optimal:>7}  "
            f"{values}"
        )
    print(
        f"{'Q*':>7}  {'':>9}  {'':>7}  "
        + " ".join(f"{value:.4f}" for value in result.q_star[:, 1])
    )
    return result


def _episodes(count: int) -> str:
    return f"{count} episode" if count == 1 else f"{count} episodes"


def tell_part_one(result: ConvergenceResult, row: str) -> None:
    """Print what part 1 showed, from the result itself."""
    policy, values = result.criteria
    print()
    if policy.episode is None:
        print(
            f"the greedy policy was not optimal within {_episodes(result.episodes_run)}"
        )
    else:
        error = result.history.q_errors[policy.episode - 1]
        print(
            f"greedy policy optimal at episode {policy.episode} "
            f"(max |Q - Q*| was then {error:.3g})"
        )
    if values.episode is None:
        print(
            f"max |Q - Q*| < {Q_TOL:g} did not hold within "
            f"{_episodes(result.episodes_run)}"
        )
    else:
        print(f"max |Q - Q*| < {Q_TOL:g} at episode {values.episode}")
    if policy.episode is not None and values.episode is not None:
        print(
            f"the policy was right {values.episode - policy.episode} episodes "
            f"before the values were"
        )
    print()
    print(format_convergence_report(result, row=row, arrows="<>"))


def slip_run(seed: int, episodes: int, learning_rate: object) -> ConvergenceResult:
    """Part 2: one run on the slippery corridor, to the full budget."""
    env = gym.make(corridor_env.ENV_ID, slip=SLIP)
    agent = make_agent(env, seed, learning_rate=learning_rate)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_until_converged(
            agent,
            env,
            episodes,
            criteria=(QWithin(SLIP_TOL, patience=SLIP_PATIENCE),),
            stop=False,
            seed=seed,
        )
    env.close()
    for warning in caught:
        print(f"  warning: {warning.message}")
    return result


def tell_part_two(name: str, result: ConvergenceResult) -> None:
    """Print how much the values still moved at the end of a slippery run."""
    history = result.history
    print(f"  {name}: {result.summary()}")
    if not history.q_errors:
        return
    tail = min(SLIP_PATIENCE, len(history))
    errors = history.q_errors[-tail:]
    changes = history.q_changes[-tail:]
    print(
        f"    last {tail} episodes: max |Q - Q*| between {min(errors):.2g} and "
        f"{max(errors):.2g}; largest Q change in one episode {max(changes):.2g}"
    )


def part_two(seed: int, episodes: int) -> None:
    """Slip with a constant learning rate, then with per-visit step sizes."""
    print()
    print(
        f"2. slip={SLIP}: does max |Q - Q*| < {SLIP_TOL:g} hold for "
        f"{SLIP_PATIENCE} episodes in a row?"
    )
    constant = slip_run(seed, episodes, LEARNING_RATE)
    tell_part_two(f"constant learning rate {LEARNING_RATE}", constant)
    visits = slip_run(seed, episodes, VisitCount(VISIT_POWER))
    tell_part_two(f"learning rate 1 / n(s, a) ** {VISIT_POWER}", visits)


def part_three(env: gym.Env[int, int], seed: int, runs: int, episodes: int) -> None:
    """The spread of episodes to each criterion over independent seeds."""
    print()
    seeds = "1 seed" if runs == 1 else f"{runs} seeds"
    print(f"3. episodes to each criterion over {seeds} (budget {episodes}):")
    study = convergence_over_seeds(
        env,
        runs,
        episodes,
        criteria=(PolicyOptimal(), QWithin(Q_TOL)),
        learning_rate=LEARNING_RATE,
        discount=DISCOUNT,
        epsilon=EPSILON,
        seed=seed,
    )
    print(study.format())


def main(argv: list[str] | None = None) -> int:
    """Run both parts, and the many-seeds table if asked; return 0."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for option in ("seed", "episodes", "slip_episodes", "seeds"):
        value = getattr(args, option)
        if value < 0:
            parser.error(f"--{option.replace('_', '-')} must be >= 0, got {value}")
    # Check before the experiments, which take a while, rather than after them.
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: pip install corridor-rl[plot]")
    env = gym.make(corridor_env.ENV_ID, render_mode="ansi")
    env.reset(seed=args.seed)
    row = str(env.render())

    print(
        f"1. Corridor-v0 {row}: learning rate {LEARNING_RATE}, discount "
        f"{DISCOUNT}, epsilon {EPSILON}, seed {args.seed}"
    )
    result = approach(env, args.seed, args.episodes)
    tell_part_one(result, row)

    part_two(args.seed, args.slip_episodes)
    if args.seeds > 0:
        part_three(env, args.seed, args.seeds, args.episodes)
    env.close()
    if args.plot:
        try:
            print(f"figure written to {plot_convergence(result, args.plot)}")
        except ImportError as err:
            parser.error(str(err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
