"""examples/convergence.py, run in-process on a small budget."""

from __future__ import annotations

import re

import gymnasium as gym
import pytest

import corridor_env
from agents import PolicyOptimal, QLearningAgent, QWithin, train_until_converged

SMALL = ["--slip-episodes", "300"]


def test_example_prints_episodes_computed_in_the_run(load_example, capsys):
    assert load_example("convergence").main(SMALL) == 0
    out = capsys.readouterr().out
    env = gym.make(corridor_env.ENV_ID)
    agent = QLearningAgent.from_env(
        env, learning_rate=0.1, discount=0.9, epsilon=0.1, seed=0
    )
    result = train_until_converged(
        agent, env, 5000, criteria=(PolicyOptimal(), QWithin(1e-3)), seed=0
    )
    policy, values = (item.episode for item in result.criteria)
    assert policy is not None and values is not None
    assert re.search(rf"^greedy policy optimal at episode {policy} \(", out, re.M)
    assert f"\nmax |Q - Q*| < 0.001 at episode {values}\n" in out
    assert f"right {values - policy} episodes before the values" in out
    assert "  o----T\n  >>>>>·\n" in out


def test_example_is_identical_across_reruns(load_example, capsys):
    example = load_example("convergence")
    example.main([*SMALL, "--episodes", "300", "--seed", "2"])
    first = capsys.readouterr().out
    example.main([*SMALL, "--episodes", "300", "--seed", "2"])
    assert capsys.readouterr().out == first


def test_example_shows_the_slippery_case_and_its_warning(load_example, capsys):
    load_example("convergence").main(["--episodes", "20", *SMALL])
    out = capsys.readouterr().out
    part_two = out[out.index("2. slip=0.2") :]
    assert "warning: the env's transitions are random" in part_two
    assert "constant learning rate 0.1: did not converge within 300 episodes" in out
    assert "learning rate 1 / n(s, a) ** 0.8: " in part_two


def test_example_reports_an_unconverged_budget_plainly(load_example, capsys):
    load_example("convergence").main(["--episodes", "1", *SMALL])
    out = capsys.readouterr().out
    assert "max |Q - Q*| < 0.001 did not hold within 1 episode\n" in out
    assert "\ndid not converge within 1 episode\n" in out


def test_example_many_seeds_and_figure(load_example, capsys, tmp_path):
    pytest.importorskip("matplotlib", reason='needs the "plot" extra')
    figure = tmp_path / "convergence.png"
    argv = ["--episodes", "200", *SMALL, "--seeds", "3", "--plot", str(figure)]
    assert load_example("convergence").main(argv) == 0
    out = capsys.readouterr().out
    assert "3. episodes to each criterion over 3 seeds (budget 200):" in out
    assert re.search(r"^greedy policy optimal\s+3/3\s+\d+\s+\d+\s+\d+$", out, re.M)
    assert f"figure written to {figure}" in out
    assert figure.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--slip-episodes", "-5"], "--slip-episodes must be >= 0, got -5"),
    ],
)
def test_example_rejects_negative_options(load_example, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        load_example("convergence").main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_example_without_matplotlib_fails_before_running(
    load_example, capsys, monkeypatch, tmp_path
):
    example = load_example("convergence")
    found = example.importlib.util.find_spec
    monkeypatch.setattr(
        example.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "matplotlib" else found(name, *args),
    )
    with pytest.raises(SystemExit) as exit_info:
        example.main(["--plot", str(tmp_path / "figure.png")])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no experiment ran
    assert "--plot needs matplotlib: pip install corridor-rl[plot]" in captured.err
