"""Stable-Baselines3 on the corridor; skipped without the ``sb3`` extra."""

import re

import pytest

pytest.importorskip("stable_baselines3", reason='needs the "sb3" extra')

import gymnasium as gym  # noqa: E402
from stable_baselines3.common.env_checker import check_env  # noqa: E402

RESULT_LINE = re.compile(
    r"^algo=(\w+) seed=(\d+) timesteps=(\d+) greedy_length=(\d+) "
    r"greedy_return=([\d.]+) optimal=(True|False) seconds=[\d.]+$"
)


def test_sb3_check_env_passes():
    env = gym.make("corridor_env:Corridor-v0")
    check_env(env.unwrapped, warn=True)
    check_env(env, warn=True)


@pytest.mark.parametrize("algo", ["ppo", "dqn"])
def test_greedy_policy_takes_the_optimal_five_steps(load_example, capsys, algo):
    example = load_example("sb3_corridor")
    code = example.main(["--algo", algo, "--seeds", "1"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "check_env: corridor_env:Corridor-v0 passed"
    result = RESULT_LINE.match(lines[1])
    assert result is not None, lines[1]
    assert result.group(1, 2, 4, 5, 6) == (algo, "1", "5", "1.0", "True")
    assert lines[2] == "optimal=1/1"
    assert code == 0
