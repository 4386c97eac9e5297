"""Memory over a long run: at least 1e7 env steps of Q-learning on Corridor-v0.

Training runs in chunks; after each chunk the script prints the process's resident
memory. A leak in the env, its wrappers or the agent would show as growth from chunk
to chunk. Each chunk's `History` is dropped, since a history keeps one record per
episode by design.

    python benchmarks/memory.py               # 1e7 steps
    python benchmarks/memory.py --steps 1e6   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import gymnasium as gym

import corridor_env
from agents import QLearningAgent, train

CHUNKS = 10
SEED = 0


def resident_mib() -> float:
    """Return the current resident set size in MiB (Linux), from /proc."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> int:
    """Run the chunks, print a table and say whether memory stayed flat."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=float, default=1e7, help="%(default)g")
    args = parser.parse_args(argv)
    env = gym.make(corridor_env.ENV_ID, length=50)
    agent = QLearningAgent.from_env(env, seed=SEED)
    train(agent, env, 200, seed=SEED)  # learn the path first: episodes of 49 steps
    per_chunk = int(args.steps / CHUNKS)
    print(f"{'chunk':>5}  {'env steps':>11}  {'RSS MiB':>8}  {'seconds':>7}")
    total, readings = 0, []
    for chunk in range(1, CHUNKS + 1):
        started = time.perf_counter()
        done = 0
        while done < per_chunk:
            done += sum(train(agent, env, 1000).lengths)
        total += done
        readings.append(resident_mib())
        seconds = time.perf_counter() - started
        print(f"{chunk:>5}  {total:>11,}  {readings[-1]:>8.1f}  {seconds:>7.1f}")
    growth = readings[-1] - readings[0]
    print(f"growth after the first chunk: {growth:+.1f} MiB over {total:,} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
