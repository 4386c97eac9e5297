"""Train the reference Q-learning agent on Corridor-v0: the classic experiment.

13 episodes, learning rate 0.1, discount 0.9 and 10% random actions on the default
corridor ``-o---T``. Prints each episode's step count, then the learned Q-table.

    python examples/train_corridor.py              # the classic run
    python examples/train_corridor.py --render     # watch it, in the terminal
    python examples/train_corridor.py --length 20 --episodes 100 --seed 3
"""

from __future__ import annotations

import argparse
import sys

import gymnasium as gym

import corridor_env
from agents import History, QLearningAgent, format_q_table, train

EPISODES = 13
LEARNING_RATE = 0.1
DISCOUNT = 0.9
EPSILON = 0.1
SEED = 0
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--episodes", type=int, default=EPISODES, help="episodes (%(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=SEED, help="seeds env and agent (%(default)s)"
    )
    parser.add_argument(
        "--length", type=int, default=6, help="cells in the corridor (%(default)s)"
    )
    parser.add_argument(
        "--render", action="store_true", help="animate the corridor in the terminal"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the experiment, print the episodes and the Q-table; return 0.

    Ctrl-C stops it quietly and returns 130.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.episodes < 0:
        parser.error(f"--episodes must be >= 0, got {args.episodes}")
    render_mode = "human" if args.render else None
    try:
        env = gym.make(corridor_env.ENV_ID, length=args.length, render_mode=render_mode)
        agent = QLearningAgent.from_env(
            env,
            learning_rate=LEARNING_RATE,
            discount=DISCOUNT,
            epsilon=EPSILON,
            seed=args.seed,
        )
    except (TypeError, ValueError) as err:
        parser.error(str(err))

    # Rendering leaves the row on the line: "\r" and padding write over it.
    prefix, width = ("\r", args.length) if args.render else ("", 0)

    def report(episode: int, history: History) -> None:
        line = f"Episode {episode + 1}: total_steps = {history.lengths[-1]}"
        print(prefix + line.ljust(width))

    try:
        train(agent, env, args.episodes, seed=args.seed, callback=report)
    except KeyboardInterrupt:
        env.close()  # ends the row that rendering leaves on the line
        return EXIT_INTERRUPTED
    env.close()
    print()
    print(format_q_table(agent.q_table, ["left", "right"], state_name="cell"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
