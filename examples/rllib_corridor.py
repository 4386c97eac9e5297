"""Train Ray RLlib's PPO on Corridor-v0 with several env runners on a Ray cluster.

Each iteration prints the mean return and episode length of the sampled episodes and
the length of the greedy path from cell 0; training stops once that path takes the
optimal 5 steps and sampled episodes average within ``--length-slack`` of it. A
random walk nearly always reaches the goal, so a return of 1.0 alone proves nothing.

RLlib has no default encoder for ``Discrete`` observations: its
``FlattenObservations`` connector one-hot encodes them inside every env runner.
Env runners build the env from its module-qualified id, which imports
``corridor_env`` in the worker. Workers' output is kept off the terminal; an error
inside one can reach the driver as a bare ``IndexError``, so read its log under
``/tmp/ray/session_latest/logs`` or pass ``--worker-logs``.

    pip install -e ".[rllib]"      # install torch==2.13.0 (CPU) first to avoid CUDA
    python examples/rllib_corridor.py                       # a local cluster
    python examples/rllib_corridor.py --address auto        # an existing one
    python examples/rllib_corridor.py --env-runners 4 --max-iterations 50
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import gymnasium as gym
import numpy as np

try:
    import ray
    import torch
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.connectors.env_to_module import FlattenObservations
    from ray.rllib.core.columns import Columns
except ImportError as err:  # pragma: no cover - depends on the extra
    raise SystemExit(
        'this example needs Ray RLlib and torch: pip install -e ".[rllib]"'
    ) from err

ENV_ID = "corridor_env:Corridor-v0"
LENGTH = 6  # the default corridor: cells 0..5, goal in cell 5
OPTIMAL_LENGTH = LENGTH - 1
ENV_RUNNERS = 2
MAX_ITERATIONS = 30
LENGTH_SLACK = 0.25
SEED = 0
# Small batches: the corridor is tiny, and a short iteration shows progress often.
TRAIN_BATCH = 512
MINIBATCH = 128


def build_config(env_runners: int, seed: int) -> PPOConfig:
    """PPO on the corridor, one-hot observations, ``env_runners`` sampling workers."""

    # Built inside each env runner; defined here so that it is pickled by value.
    def one_hot(env: Any = None, spaces: Any = None, device: Any = None) -> Any:
        return FlattenObservations()

    return (
        PPOConfig()
        .environment(ENV_ID, env_config={"length": LENGTH})
        .env_runners(
            num_env_runners=env_runners,
            num_envs_per_env_runner=1,
            env_to_module_connector=one_hot,
        )
        .training(
            train_batch_size_per_learner=TRAIN_BATCH,
            minibatch_size=MINIBATCH,
            num_epochs=10,
            lr=1e-3,
            gamma=0.9,
        )
        .debugging(seed=seed)
    )


def greedy_path_length(algo: Any, limit: int = 4 * LENGTH) -> int:
    """Return the steps the greedy policy takes from cell 0 to the goal (<= limit)."""
    module = algo.get_module()
    env = gym.make(ENV_ID, length=LENGTH, max_episode_steps=limit)
    obs, _ = env.reset(seed=0)
    steps, done = 0, False
    while not done:  # the time limit ends a policy that never gets there
        one_hot = torch.zeros((1, LENGTH), dtype=torch.float32)
        one_hot[0, obs] = 1.0
        with torch.no_grad():
            output = module.forward_inference({Columns.OBS: one_hot})
        action = int(output[Columns.ACTION_DIST_INPUTS].argmax(dim=-1)[0])
        obs, _, terminated, truncated, _ = env.step(action)
        steps += 1
        done = terminated or truncated
    env.close()
    return steps


def train(args: argparse.Namespace) -> bool:
    """Run PPO until the stopping rule holds or ``max_iterations``; return success."""
    algo = build_config(args.env_runners, args.seed).build_algo()
    try:
        for iteration in range(1, args.max_iterations + 1):
            metrics = algo.train()["env_runners"]
            mean_return = metrics.get("episode_return_mean", float("nan"))
            mean_length = metrics.get("episode_len_mean", float("nan"))
            greedy = greedy_path_length(algo)
            print(
                f"iteration={iteration} episode_return_mean={mean_return:.3f} "
                f"episode_len_mean={mean_length:.2f} greedy_length={greedy}",
                flush=True,
            )
            near = np.isfinite(mean_length) and mean_length <= (
                OPTIMAL_LENGTH + args.length_slack
            )
            if greedy == OPTIMAL_LENGTH and near:
                print(f"optimal after {iteration} iterations")
                return True
        print(f"not optimal after {args.max_iterations} iterations")
        return False
    finally:
        algo.stop()


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--address", help="an existing Ray cluster, e.g. 'auto' (default: local)"
    )
    parser.add_argument(
        "--env-runners", type=int, default=ENV_RUNNERS, help="(%(default)s)"
    )
    parser.add_argument(
        "--max-iterations", type=int, default=MAX_ITERATIONS, help="(%(default)s)"
    )
    parser.add_argument(
        "--length-slack",
        type=float,
        default=LENGTH_SLACK,
        help="allowed excess of the mean sampled length (%(default)s)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="(%(default)s)")
    parser.add_argument(
        "--worker-logs", action="store_true", help="show the workers' output"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Train on a local or existing cluster; return 0 once the stopping rule holds.

    With ``--max-iterations`` too small to get there, the return is 1.
    """
    args = build_parser().parse_args(argv)
    started_here = not ray.is_initialized()
    if started_here:
        # "local" starts a fresh cluster even where RAY_ADDRESS or a previous
        # `ray start` points at another one.
        ray.init(
            address=args.address or "local",
            include_dashboard=False,
            log_to_driver=args.worker_logs,
        )
    try:
        return 0 if train(args) else 1
    finally:
        if started_here:
            ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
