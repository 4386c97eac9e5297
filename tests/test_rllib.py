"""Ray RLlib PPO on a local cluster; skipped without the ``rllib`` extra."""

import re

import pytest

pytest.importorskip("ray.rllib", reason='needs the "rllib" extra')

pytestmark = pytest.mark.rllib

ITERATION_LINE = re.compile(
    r"^iteration=(\d+) episode_return_mean=([\d.]+) episode_len_mean=([\d.]+) "
    r"greedy_length=(\d+)$"
)


def test_ppo_runs_two_iterations_on_a_local_cluster(load_example, capsys):
    example = load_example("rllib_corridor")
    code = example.main(["--max-iterations", "2", "--env-runners", "2"])

    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    matches = [ITERATION_LINE.match(line) for line in lines[-3:-1]]
    assert all(matches), lines
    assert [int(m.group(1)) for m in matches] == [1, 2]
    # Every episode reaches the goal, and none faster than the optimal 5 steps.
    assert [float(m.group(2)) for m in matches] == [1.0, 1.0]
    assert all(float(m.group(3)) >= 5.0 for m in matches)
    assert all(5 <= int(m.group(4)) <= 24 for m in matches)
    last = lines[-1]
    assert last in ("not optimal after 2 iterations", "optimal after 2 iterations")
    assert code == (0 if last.startswith("optimal") else 1)
