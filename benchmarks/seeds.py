"""Many-seed convergence statistics: lockstep runs against one run after another.

Both engines of `convergence_over_seeds` train on the default corridor until
``max |Q - Q*| < 1e-3``, with the same settings; the script prints the seconds each
took, the seconds per run, the ratio, and both tables, which should agree in
distribution. The sequential engine gets fewer runs by default, since it is slow;
compare the seconds per run.

    python benchmarks/seeds.py                       # 1000 lockstep, 100 sequential
    python benchmarks/seeds.py --sequential-runs 1000
"""

from __future__ import annotations

import argparse
import sys
import time

import gymnasium as gym

import corridor_env
from agents import QWithin, SeedStudy, convergence_over_seeds

BUDGET = 5000
SEED = 0
Q_TOL = 1e-3


def timed(engine: str, runs: int) -> tuple[float, SeedStudy]:
    """Return the seconds ``runs`` runs took with ``engine``, and their study."""
    env = gym.make(corridor_env.ENV_ID)
    started = time.perf_counter()
    study = convergence_over_seeds(
        env, runs, BUDGET, criteria=[QWithin(Q_TOL)], seed=SEED, engine=engine
    )
    return time.perf_counter() - started, study


def main(argv: list[str] | None = None) -> int:
    """Time both engines, print a table of seconds and the two studies."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="%(default)s")
    parser.add_argument("--sequential-runs", type=int, default=100, help="%(default)s")
    args = parser.parse_args(argv)
    results = {
        "lockstep": timed("lockstep", args.runs),
        "sequential": timed("sequential", args.sequential_runs),
    }
    print(f"{'engine':<10}  {'runs':>5}  {'seconds':>8}  {'ms per run':>10}")
    per_run = {}
    for engine, (seconds, study) in results.items():
        per_run[engine] = seconds / study.runs
        row = f"{engine:<10}  {study.runs:>5}  {seconds:>8.2f}"
        print(f"{row}  {1e3 * per_run[engine]:>10.2f}")
    print(
        f"lockstep is {per_run['sequential'] / per_run['lockstep']:.0f}x faster per run"
    )
    for engine, (_, study) in results.items():
        print(f"\n{engine}:\n{study.format()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
