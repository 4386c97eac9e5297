"""The examples' entry points, run in-process on small budgets."""

from __future__ import annotations

import re

import pytest

EPISODE_LINE = re.compile(r"^Episode (\d+): total_steps = (\d+)$")


def test_train_corridor_prints_the_classic_run(load_example, capsys):
    assert load_example("train_corridor").main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    episodes = [EPISODE_LINE.match(line) for line in lines[:13]]
    assert [int(m.group(1)) for m in episodes] == list(range(1, 14))
    assert all(int(m.group(2)) >= 5 for m in episodes)
    assert lines[13] == ""
    assert lines[14].split() == ["cell", "left", "right"]
    rows = [line.split() for line in lines[15:]]
    assert [row[0] for row in rows] == ["0", "1", "2", "3", "4", "5"]
    assert rows[5][1:] == ["0.000000", "0.000000"]
    assert 0.0 < float(rows[4][2]) <= 1.0


def test_train_corridor_is_reproducible_with_a_seed(load_example, capsys):
    example = load_example("train_corridor")
    example.main(["--seed", "5", "--episodes", "4", "--length", "8"])
    first = capsys.readouterr().out
    example.main(["--seed", "5", "--episodes", "4", "--length", "8"])
    assert capsys.readouterr().out == first
    assert first.count("total_steps") == 4
    assert "\n   7  " in first


def test_train_corridor_renders_the_row(load_example, capsys, no_render_delay):
    load_example("train_corridor").main(["--render", "--episodes", "1"])
    out = capsys.readouterr().out
    assert out.startswith("\ro----T")
    assert "\r-----o\rEpisode 1: total_steps = " in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--length", "1"], "length must be an int >= 2, got 1"),
        (["--episodes", "-2"], "--episodes must be >= 0, got -2"),
        (["--seed", "-1"], "seed must be a non-negative int or None, got -1"),
    ],
)
def test_train_corridor_rejects_bad_options(load_example, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        load_example("train_corridor").main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_train_frozen_lake_learns_the_6_step_path(load_example, capsys):
    assert load_example("train_frozen_lake").main(["--episodes", "500"]) == 0
    out = capsys.readouterr().out
    assert "episodes=500 success_rate=" in out
    assert "greedy: success_rate=1.00 mean_steps=6.0" in out
    lake = out.splitlines()[-4:]
    assert [row[3] for row in lake[1:]] == ["H", "H", "G"]


def test_train_corridor_ctrl_c_ends_quietly(load_example, capsys, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    # Rendering pauses between frames: Ctrl-C lands there, after the first frame.
    monkeypatch.setattr("corridor_env.corridor.time.sleep", interrupt)
    assert load_example("train_corridor").main(["--render"]) == 130
    captured = capsys.readouterr()
    assert captured.out == "\ro----T\n"  # closing the env ended the row's line
    assert captured.err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--episodes", "-3"], "--episodes must be >= 0, got -3"),
    ],
)
def test_train_frozen_lake_rejects_bad_options(load_example, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        load_example("train_frozen_lake").main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
