import os
import re
import signal
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest
from agent_files import rewrite_metadata

from agents import QLearningAgent
from agents.cli import (
    DEFAULT_ENV_ID,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    main,
)
from agents.persistence import read_metadata

SEED = 0


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def saved(tmp_path, capsys):
    path = tmp_path / "agent.npz"
    code, out, _ = run(capsys, "train", "--episodes", 60, "--save", path)
    assert code == EXIT_OK, out
    return path


def test_train_prints_summary_and_saves(capsys, tmp_path):
    path = tmp_path / "agent.npz"
    code, out, _ = run(
        capsys, "train", "--episodes", 60, "--seed", SEED, "--save", path
    )

    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == f"training env={DEFAULT_ENV_ID} episodes=60 seed=0"
    assert lines[1].startswith("episodes=60 mean_return=1.000 ")
    assert lines[2] == "greedy_return=1.0 greedy_length=5"
    assert lines[3] == f"saved={path}"
    meta = read_metadata(path)
    assert meta["env"] == {"id": DEFAULT_ENV_ID, "kwargs": {}}
    assert meta["rng"]["seed"] == SEED


def test_train_is_reproducible(capsys, tmp_path):
    paths = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for path in paths:
        run(capsys, "train", "--episodes", 30, "--seed", 4, "--save", path)
    tables = [QLearningAgent.load(path).q_table for path in paths]
    np.testing.assert_array_equal(*tables)


def test_train_passes_env_keywords_both_ways(capsys, tmp_path):
    path = tmp_path / "agent.npz"
    argv = ["train", "--env-kwargs", '{"length": 9, "slip": 0.5}']
    argv += ["--env-arg", "slip=0", "--env-arg", "start=random", "--save", path]
    code, out, _ = run(capsys, *argv, "--episodes", 5)

    assert code == EXIT_OK
    kwargs = read_metadata(path)["env"]["kwargs"]
    assert kwargs == {"length": 9, "slip": 0, "start": "random"}
    assert QLearningAgent.load(path).q_table.shape == (9, 2)


def test_train_until_policy_and_values_converge(capsys):
    argv = ["train", "--until", "policy", "--until", "q-star", "--tol", "0.01"]
    code, out, _ = run(capsys, *argv, "--episodes", 5000, "--patience", 5)

    assert code == EXIT_OK
    lines = out.splitlines()
    episodes = int(lines[1].split()[0].removeprefix("episodes="))
    assert 5 < episodes < 5000
    assert lines[2].startswith(f"converged at episode {episodes} (greedy policy")


def test_train_until_reports_a_budget_too_small(capsys):
    argv = ["train", "--until", "q-star", "--tol", "1e-6", "--episodes", 3]
    code, out, _ = run(capsys, *argv)

    assert code == EXIT_OK
    assert "did not converge within 3 episodes" in out


@pytest.mark.parametrize("option", ["--tol", "--patience"])
def test_train_refuses_a_stopping_option_without_until(capsys, option):
    code, out, err = run(capsys, "train", option, 5, "--episodes", 3)

    assert code == EXIT_USAGE
    assert f"{option} applies to --until, which was not given" in err
    assert out == ""


def test_train_until_refuses_patience_zero(capsys):
    code, _, err = run(capsys, "train", "--until", "policy", "--patience", 0)

    assert code == EXIT_USAGE
    assert "--patience must be >= 1, got 0" in err


def test_train_prints_a_warning_as_one_line(capsys):
    argv = ["train", "--env-arg", "slip=0.3", "--until", "q-star", "--episodes", 2]
    code, _, err = run(capsys, *argv)

    assert code == EXIT_OK
    assert err.startswith("corridor train: warning: the env's transitions are random")
    assert err.count("\n") == 1


def test_train_until_q_star_refuses_discount_one(capsys):
    code, _, err = run(capsys, "train", "--until", "q-star", "--discount", 1)
    assert code == EXIT_USAGE
    assert "needs the agent's discount < 1, got 1.0" in err


def test_train_works_on_frozen_lake(capsys, tmp_path):
    path = tmp_path / "lake.npz"
    argv = ["train", "--env", "FrozenLake-v1", "--env-arg", "is_slippery=false"]
    code, out, _ = run(capsys, *argv, "--episodes", 3000, "--save", path)

    assert code == EXIT_OK
    assert "greedy_return=1.0 greedy_length=6" in out
    code, out, _ = run(capsys, "eval", "--load", path, "--episodes", 2)
    assert code == EXIT_OK
    assert "mean_return=1.000 mean_length=6.0" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "NoSuchEnv-v0"], "cannot make env 'NoSuchEnv-v0'"),
        (["--env", "CartPole-v1"], "needs a Discrete observation_space"),
        (["--env-arg", "length=1"], "length must be an int >= 2, got 1"),
        (["--epsilon", "2"], r"epsilon must be a float in \[0, 1\], got 2.0"),
        (["--agent-arg", "colour=red"], "unexpected keyword argument 'colour'"),
        (["--episodes", "0"], "--episodes must be >= 1"),
        (["--env-arg", "render_mode=5"], "cannot make env .*AttributeError"),
        (
            ["--env", "FrozenLake-v1", "--env-arg", "map_name=9x9"],
            "cannot make env 'FrozenLake-v1' .*KeyError: '9x9'",
        ),
        (["--env-arg", "goal_reward=1" + "0" * 400], "goal_reward must be a finite"),
    ],
    ids=[
        "unknown-env",
        "box-space",
        "bad-env-value",
        "bad-epsilon",
        "bad-agent-arg",
        "no-episodes",
        "render-mode-not-a-string",
        "unknown-frozen-lake-map",
        "reward-too-large-for-a-float",
    ],
)
def test_train_bad_input_exits_2_with_message(capsys, argv, message):
    code, _, err = run(capsys, "train", *argv)
    assert code == EXIT_USAGE
    assert err.startswith("corridor train: error:")
    assert re.search(message, err), err


def test_parser_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--env-arg", "no-equals-sign"])
    assert exit_info.value.code == EXIT_USAGE
    assert "expected KEY=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "eval", "show"])
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: corridor {command}" in capsys.readouterr().out


def test_top_level_help_lists_exit_codes():
    assert "130 interrupted" in build_parser().format_help()


def test_eval_greedy_takes_the_optimal_path(capsys, saved):
    code, out, _ = run(capsys, "eval", "--load", saved, "--episodes", 3)

    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == "episode=1 return=1.0 length=5 truncated=False"
    assert lines[-1] == (
        f"env={DEFAULT_ENV_ID} episodes=3 mean_return=1.000 mean_length=5.0"
    )


def test_eval_renders_ansi_frames_then_each_episode_line(capsys, saved):
    code, out, _ = run(
        capsys, "eval", "--load", saved, "--episodes", 2, "--render", "ansi"
    )
    assert code == EXIT_OK
    frames = ["o----T", "-o---T", "--o--T", "---o-T", "----oT", "-----o"]
    episode = "episode={} return=1.0 length=5 truncated=False"
    lines = out.splitlines()
    assert lines[:7] == [*frames, episode.format(1)]
    assert lines[7:14] == [*frames, episode.format(2)]


def test_eval_refuses_a_mismatched_env(capsys, saved):
    code, _, err = run(capsys, "eval", "--load", saved, "--env-arg", "length=8")
    assert code == EXIT_USAGE
    assert "does not fit this env" in err


def test_eval_refuses_a_damaged_file(capsys, tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = run(capsys, "eval", "--load", path)
    assert code == EXIT_USAGE
    assert f"{path}: not a saved agent" in err


def test_eval_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "--load", tmp_path / "absent.npz")
    assert code == EXIT_USAGE
    assert "absent.npz" in err


def test_show_draws_policy_under_the_corridor(capsys, saved):
    code, out, _ = run(capsys, "show", "--load", saved)

    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == f"env={DEFAULT_ENV_ID} {{}}"
    assert lines[1].split() == ["state", "a=0", "a=1"]
    assert lines[-3:] == ["greedy policy:", "o----T", ">>>>>T"]


def test_save_into_a_missing_folder_exits_2(capsys, tmp_path):
    path = tmp_path / "missing-folder" / "agent.npz"
    code, _, err = run(capsys, "train", "--episodes", 2, "--save", path)
    assert code == EXIT_USAGE
    assert "missing-folder" in err


def test_save_failure_exits_1(capsys, tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    code, _, err = run(capsys, "train", "--episodes", 2, "--save", tmp_path / "a")
    assert code == EXIT_FAILURE
    path = tmp_path / "a"
    assert (
        err
        == f"corridor train: error: could not save the agent to '{path}': disk full\n"
    )


def _default_sigint() -> None:
    # A test runner started in the background may pass on an ignored Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("presses", [1, 3], ids=["once", "three times"])
def test_ctrl_c_during_train_saves_what_was_learned(tmp_path, presses):
    path = tmp_path / "agent.npz"
    argv = [sys.executable, "-m", "agents.cli", "train", "--episodes", "100000000"]
    argv += ["--env-arg", "length=20", "--save", str(path)]
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_default_sigint,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("training ")
        # Let some episodes finish so there is something to keep.
        time.sleep(1.0)
        for _ in range(presses):
            process.send_signal(signal.SIGINT)
            time.sleep(0.001)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()

    assert process.returncode == EXIT_INTERRUPTED
    assert f"saved what was learned so far to {path}" in err
    agent = QLearningAgent.load(path)
    assert agent.q_table.shape == (20, 2)
    assert agent.q_table[18, 1] > 0.0  # the step into the goal has been learned


def test_train_takes_schedules(capsys, tmp_path):
    path = tmp_path / "agent.npz"
    argv = ["train", "--epsilon", "linear:1,0.05,100", "--learning-rate", "visits:0.8"]
    code, out, _ = run(capsys, *argv, "--episodes", 150, "--save", path)

    assert code == EXIT_OK
    assert "greedy_return=1.0 greedy_length=5" in out
    hyperparameters = read_metadata(path)["hyperparameters"]
    assert hyperparameters["epsilon"] == {
        "schedule": "LinearDecay",
        "start": 1.0,
        "end": 0.05,
        "episodes": 100,
    }
    assert hyperparameters["learning_rate"] == {"schedule": "VisitCount", "power": 0.8}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--epsilon", "linear:1,0.05", "linear takes 3 numbers"),
        ("--learning-rate", "visits:0.3", r"power must be a float in \(0.5, 1\]"),
        ("--epsilon", "cosine:1,2", "expected a float, linear:"),
    ],
    ids=["too-few-numbers", "bad-power", "unknown-kind"],
)
def test_bad_schedules_exit_2(capsys, option, value, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", option, value])
    assert exit_info.value.code == EXIT_USAGE
    assert re.search(message, capsys.readouterr().err)


def test_cli_never_imports_the_corridor_package():
    code = "import sys, agents.cli; print('corridor_env' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_eval_of_a_file_without_env_needs_env_option(capsys, tmp_path):
    path = tmp_path / "bare.npz"
    QLearningAgent(6, 2, seed=SEED).save(path)
    code, _, err = run(capsys, "eval", "--load", path)
    assert code == EXIT_USAGE
    assert f"{path} records no env; name one with --env" in err

    code, out, _ = run(capsys, "eval", "--load", path, "--env", DEFAULT_ENV_ID)
    assert code == EXIT_OK
    assert out.splitlines()[-1].startswith(f"env={DEFAULT_ENV_ID} episodes=10 ")


def test_show_lists_greedy_actions_where_no_row_can_be_drawn(capsys, tmp_path):
    path = tmp_path / "lake.npz"
    argv = ["train", "--env", "FrozenLake-v1", "--env-arg", "is_slippery=false"]
    run(capsys, *argv, "--episodes", 3000, "--save", path)
    code, out, _ = run(capsys, "show", "--load", path)

    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[1].split() == ["state", "a=0", "a=1", "a=2", "a=3"]
    assert lines[-2] == "greedy policy:"
    assert len(lines[-1].split()) == 16


@pytest.mark.parametrize(
    ("save", "message"),
    [
        ("", "cannot save to '': the path is empty"),
        (".", "cannot save to '.': it is a folder"),
        ("no/such/folder/a.npz", "the folder 'no/such/folder' does not exist"),
    ],
    ids=["empty", "folder", "missing-folder"],
)
def test_unusable_save_path_exits_2_before_training(capsys, monkeypatch, save, message):
    def never(*args, **kwargs):
        raise AssertionError("trained despite an unusable --save path")

    monkeypatch.setattr("agents.cli.train", never)
    code, out, err = run(capsys, "train", "--episodes", 2, "--save", save)
    assert code == EXIT_USAGE
    assert out == ""
    assert err.startswith("corridor train: error: --save: ")
    assert message in err


def test_failed_save_after_ctrl_c_says_so(capsys, tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("agents.cli.train", interrupt)
    monkeypatch.setattr(os, "fsync", crash)
    path = tmp_path / "agent.npz"
    code, _, err = run(capsys, "train", "--episodes", 2, "--save", path)
    assert code == EXIT_FAILURE
    assert err.splitlines()[1:] == [
        "interrupted after 0 episodes",
        f"corridor train: error: could not save what was learned so far to "
        f"'{path}': disk full",
    ]
    assert not path.exists()


def test_non_finite_q_value_mid_run_exits_1(capsys):
    argv = ["train", "--env-arg", "step_reward=-1e308", "--episodes", 5]
    code, out, err = run(capsys, *argv)
    assert code == EXIT_FAILURE
    assert out.startswith("training ")
    assert err.startswith("corridor train: error: update would make Q[")
    assert "non-finite" in err


def test_eval_on_an_env_with_box_spaces_exits_2(capsys, saved):
    code, _, err = run(capsys, "eval", "--load", saved, "--env", "CartPole-v1")
    assert code == EXIT_USAGE
    assert err.startswith(f"corridor eval: error: {saved}: ")
    assert "needs a Discrete observation_space, got Box(" in err


@pytest.mark.filterwarnings("ignore:.*render_mode='ansi' that is not in")
@pytest.mark.parametrize("command", ["eval", "show"])
def test_file_recording_an_env_with_box_spaces_exits_2(capsys, tmp_path, command):
    class LooksDiscrete(gym.Wrapper):
        observation_space = gym.spaces.Discrete(6)
        action_space = gym.spaces.Discrete(2)

    path = tmp_path / "cartpole.npz"
    QLearningAgent(6, 2, seed=SEED).save(path, LooksDiscrete(gym.make("CartPole-v1")))
    assert read_metadata(path)["env"]["id"] == "CartPole-v1"
    code, _, err = run(capsys, command, "--load", path)
    assert code == EXIT_USAGE
    assert err.startswith(f"corridor {command}: error: {path}: ")
    assert "needs a Discrete observation_space, got Box(" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--seed", "-1"],
        ["eval", "--load", "agent.npz", "--seed", "-1"],
        ["eval", "--load", "agent.npz", "--seed", "one"],
        ["show", "--load", "agent.npz", "--seed", "-1"],
    ],
    ids=["train", "eval", "eval-not-int", "show-has-none"],
)
def test_negative_seed_is_a_usage_error(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert re.search(r"argument --seed: expected an int >= 0|unrecognized.*--seed", err)


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("seed=3", "--agent-arg seed: use --seed instead"),
        ("learning_rate=0.5", "--agent-arg learning_rate: use --learning-rate"),
        ("discount=0.5", "--agent-arg discount: use --discount"),
        ("epsilon=0.5", "--agent-arg epsilon: use --epsilon"),
        ("obs_start=1", "obs_start, action_start come from the env's spaces"),
        ("action_start=1", "--agent-arg action_start: .* come from the env's spaces"),
        ("n_states=9", "--agent-arg n_states: .* come from the env's spaces"),
    ],
)
def test_agent_arg_set_elsewhere_is_refused(capsys, arg, message):
    code, out, err = run(capsys, "train", "--agent-arg", arg, "--episodes", 2)
    assert code == EXIT_USAGE
    assert out == ""
    assert re.search(message, err), err


def test_show_into_a_closed_pipe_ends_quietly(saved):
    argv = [sys.executable, "-m", "agents.cli", "show", "--load", str(saved)]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # the reader is gone before anything is written
    _, err = process.communicate(timeout=30)

    assert process.returncode == EXIT_FAILURE
    assert err == ""


def test_human_rendering_ends_its_line_before_the_summary(capsys, no_render_delay):
    argv = ["train", "--env-arg", "render_mode=human", "--episodes", 1]
    code, out, _ = run(capsys, *argv, "--no-progress")
    assert code == EXIT_OK
    lines = out.split("\n")
    assert lines[0].startswith("training ")
    assert lines[1].startswith("\ro----T")
    assert lines[1].endswith("\r-----o")
    assert lines[2].startswith("episodes=1 mean_return=1.000 ")
    assert lines[3].startswith("greedy_return=1.0 greedy_length=")


def test_repeated_env_keyword_the_last_wins(capsys, tmp_path):
    path = tmp_path / "agent.npz"
    argv = ["train", "--env-arg", "length=10", "--env-arg", "length=3"]
    code, _, _ = run(capsys, *argv, "--episodes", 2, "--save", path)
    assert code == EXIT_OK
    assert read_metadata(path)["env"]["kwargs"] == {"length": 3}
    assert QLearningAgent.load(path).q_table.shape == (3, 2)


def test_a_table_too_large_for_memory_exits_2(capsys, monkeypatch):
    def too_large(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(QLearningAgent, "from_env", too_large)
    code, out, err = run(capsys, "train", "--env-arg", "length=2147483647")
    assert code == EXIT_USAGE
    assert out == ""
    assert "a Q-table for Discrete(2147483647) x Discrete(2) does not fit" in err


def test_show_with_standard_output_closed_does_not_fail(capsys, saved, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["show", "--load", str(saved)]) == EXIT_OK


def test_a_file_that_cannot_be_read_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "show", "--load", tmp_path)
    assert code == EXIT_USAGE
    assert f"cannot read '{tmp_path}': Is a directory" in err


def test_a_saved_env_record_without_an_id_exits_2(capsys, saved):
    rewrite_metadata(saved, env={"kwargs": {}})

    code, _, err = run(capsys, "show", "--load", saved)
    assert code == EXIT_USAGE
    assert "metadata's 'env' must be null or an object with a string 'id'" in err
