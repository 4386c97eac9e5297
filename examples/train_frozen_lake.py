"""Train the same Q-learning agent, unchanged, on Gymnasium's FrozenLake-v1.

The agent knows nothing of the corridor: any env with discrete observations and
actions will do. On the 4x4 lake without slipping, the shortest path takes 6 steps.

    python examples/train_frozen_lake.py
    python examples/train_frozen_lake.py --episodes 5000 --slippery
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import gymnasium as gym
import numpy as np

from agents import History, QLearningAgent, evaluate, train

EPISODES = 2000
REPORT_EVERY = 250
SEED = 0
# FrozenLake's actions 0..3 are left, down, right, up.
ARROWS = "<v>^"


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--episodes", type=int, default=EPISODES, help="episodes (%(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=SEED, help="seeds env and agent (%(default)s)"
    )
    parser.add_argument("--slippery", action="store_true", help="make the ice slippery")
    return parser


def policy_map(agent: QLearningAgent, desc: np.ndarray) -> str:
    """Draw the greedy action of every open cell over the lake's map."""
    actions = agent.greedy_actions().reshape(desc.shape)
    rows = []
    for tiles, moves in zip(desc, actions, strict=True):
        cells = [
            ARROWS[move] if tile in b"SF" else tile.decode()
            for tile, move in zip(tiles, moves, strict=True)
        ]
        rows.append("".join(cells))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Train, report progress, then evaluate the greedy policy; return 0."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for option in ("episodes", "seed"):
        if getattr(args, option) < 0:
            parser.error(f"--{option} must be >= 0, got {getattr(args, option)}")
    env = gym.make("FrozenLake-v1", is_slippery=args.slippery)
    agent = QLearningAgent.from_env(env, seed=args.seed)

    def report(episode: int, history: History) -> None:
        if (episode + 1) % REPORT_EVERY == 0:
            recent = history.returns[-REPORT_EVERY:]
            print(f"episodes={episode + 1} success_rate={np.mean(recent):.2f}")

    train(agent, env, args.episodes, seed=args.seed, callback=report)
    result = evaluate(agent, env, 100, seed=args.seed)
    print(
        f"greedy: success_rate={np.mean(result.returns):.2f} "
        f"mean_steps={np.mean(result.lengths):.1f}"
    )
    lake: Any = env.unwrapped  # FrozenLakeEnv, whose map Gymnasium does not type
    print(policy_map(agent, lake.desc))
    env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
