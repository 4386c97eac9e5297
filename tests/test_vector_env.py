"""The native vector env against SyncVectorEnv, the model `P` and its contract."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

import corridor_env
from corridor_env import CorridorEnv, CorridorVectorEnv

SEED = 7
N_ENVS = 8
N_STEPS = 60


def assert_same_step(mine, theirs):
    for name, got, expected in zip(
        ("obs", "reward", "terminated", "truncated"), mine[:4], theirs[:4], strict=True
    ):
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert sorted(mine[4]) == sorted(theirs[4])
    for key, expected in theirs[4].items():
        np.testing.assert_array_equal(mine[4][key], expected, err_msg=key)


DETERMINISTIC = {
    "defaults": {},
    "long": {"length": 9, "start": 3},
    "rewards": {"goal_reward": 0.1, "step_reward": -0.01},
    "short-limit": {"length": 12, "max_episode_steps": 7},
    "two-cells": {"length": 2},
    "always-slips": {"slip": 1.0, "length": 4},
}


@pytest.mark.parametrize("kwargs", DETERMINISTIC.values(), ids=DETERMINISTIC.keys())
def test_vector_env_matches_sync_vector_env_step_for_step(kwargs):
    mine = gym.make_vec(corridor_env.ENV_ID, num_envs=N_ENVS, **kwargs)
    theirs = gym.make_vec(
        corridor_env.ENV_ID, num_envs=N_ENVS, vectorization_mode="sync", **kwargs
    )
    assert isinstance(theirs, gym.vector.SyncVectorEnv)
    mine_reset, theirs_reset = mine.reset(seed=SEED), theirs.reset(seed=SEED)
    np.testing.assert_array_equal(mine_reset[0], theirs_reset[0])
    actions = np.random.default_rng(SEED).integers(2, size=(N_STEPS, N_ENVS))
    actions[: N_STEPS // 2, ::2] = 1  # half the envs reach the goal early on
    ended = 0
    for step_actions in actions:
        expected = theirs.step(step_actions)
        assert_same_step(mine.step(step_actions), expected)
        ended += int(np.sum(expected[2] | expected[3]))
    assert ended >= N_ENVS // 2


def test_make_vec_returns_the_native_vector_env_with_the_time_limit():
    env = gym.make_vec(corridor_env.ENV_ID, num_envs=3, length=8)
    assert isinstance(env, CorridorVectorEnv)
    assert env.max_episode_steps == corridor_env.MAX_EPISODE_STEPS
    assert env.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    assert env.spec.kwargs["length"] == 8
    single = CorridorEnv(length=8)
    assert env.single_observation_space == single.observation_space
    assert env.single_action_space == single.action_space
    assert env.observation_space == batch_space(single.observation_space, 3)
    assert env.action_space == batch_space(single.action_space, 3)
    obs, _ = env.reset(seed=SEED)
    assert obs.dtype == np.int64 and env.observation_space.contains(obs)


def test_step_returns_arrays_of_the_batched_spaces_and_dtypes():
    env = CorridorVectorEnv(4, slip=0.5, start="random", max_episode_steps=50)
    env.reset(seed=SEED)
    obs, rewards, terminated, truncated, info = env.step(np.array([0, 1, 0, 1]))
    assert obs.dtype == np.int64 and env.observation_space.contains(obs)
    assert rewards.dtype == np.float64 and rewards.shape == (4,)
    assert terminated.dtype == truncated.dtype == np.bool_
    assert info["steps"].dtype == np.int32 and info["prob"].dtype == np.float64
    unlimited = CorridorVectorEnv(4)
    unlimited.reset(seed=SEED)
    assert unlimited.step(np.ones(4, dtype=np.int8))[4]["steps"].dtype == np.int64


def test_the_same_seed_gives_the_same_slippery_run():
    runs = []
    for _ in range(2):
        env = CorridorVectorEnv(50, slip=0.3, start="random", max_episode_steps=9)
        observations = [env.reset(seed=SEED)[0].copy()]
        for _ in range(30):
            observations.append(env.step(np.ones(50, dtype=np.int8))[0].copy())
        runs.append(np.array(observations))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert len(np.unique(runs[0][-1])) > 1


def test_make_vec_with_the_module_qualified_id():
    env = gym.make_vec("corridor_env:Corridor-v0", num_envs=2, max_episode_steps=5)
    assert isinstance(env, CorridorVectorEnv)
    assert env.max_episode_steps == 5


@pytest.mark.parametrize("no_limit", [None, -1, np.int64(-1)], ids=repr)
def test_no_time_limit_takes_none_or_minus_one_of_any_int_type(no_limit):
    env = CorridorVectorEnv(2, max_episode_steps=no_limit)
    assert env.max_episode_steps is None


def exact_next_cell_distribution(length: int, slip: float) -> np.ndarray:
    """From a uniform random start, the cell after one move right, from `P`."""
    model = CorridorEnv(length=length, slip=slip).P
    starts = range(length - 1)
    distribution = np.zeros(length)
    for start in starts:
        for prob, cell, _, _ in model[start][corridor_env.Action.RIGHT]:
            distribution[cell] += prob / len(starts)
    return distribution


def test_random_start_and_slip_match_the_transition_model_in_distribution():
    length, slip, n_envs = 6, 0.3, 200_000
    env = CorridorVectorEnv(n_envs, length=length, start="random", slip=slip)
    starts, _ = env.reset(seed=SEED)
    start_freq = np.bincount(starts, minlength=length) / n_envs
    # Standard errors are about 0.001 here: 0.01 is ten of them, and the seed is fixed.
    np.testing.assert_allclose(start_freq[:-1], 1 / (length - 1), atol=0.01)
    assert start_freq[-1] == 0

    obs, _, _, _, info = env.step(np.ones(n_envs, dtype=np.int64))
    next_freq = np.bincount(obs, minlength=length) / n_envs
    expected = exact_next_cell_distribution(length, slip)
    np.testing.assert_allclose(next_freq, expected, atol=0.01)
    assert abs(info["slipped"].mean() - slip) < 0.01
    np.testing.assert_array_equal(
        info["prob"], np.where(info["slipped"], slip, 1 - slip)
    )


def test_slippery_episode_lengths_match_sync_vector_env_in_distribution():
    kwargs = {"length": 5, "slip": 0.2, "start": "random", "max_episode_steps": 40}
    means = []
    for mode, n_envs in (("vector_entry_point", 4000), ("sync", 200)):
        env = gym.make_vec(
            corridor_env.ENV_ID, num_envs=n_envs, vectorization_mode=mode, **kwargs
        )
        env.reset(seed=SEED)
        right = np.ones(n_envs, dtype=np.int64)
        lengths = []
        for _ in range(120):
            _, _, terminated, truncated, info = env.step(right)
            lengths.extend(info["steps"][terminated | truncated].tolist())
        means.append(np.mean(lengths))
    # Mean episode length is about 3.2 with standard error below 0.03 for the sync
    # run; 0.25 is a wide margin, and both seeds are fixed.
    assert abs(means[0] - means[1]) < 0.25


def test_the_step_after_an_episode_ends_resets_and_ignores_the_action():
    env = CorridorVectorEnv(2, length=3, start=1, step_reward=-1.0)
    env.reset(seed=SEED)
    obs, rewards, terminated, _, info = env.step(np.array([1, 0]))
    np.testing.assert_array_equal(obs, [2, 0])
    np.testing.assert_array_equal(rewards, [1.0, -1.0])
    np.testing.assert_array_equal(terminated, [True, False])
    obs, rewards, terminated, truncated, info = env.step(np.array([1, 1]))
    np.testing.assert_array_equal(obs, [1, 1])
    np.testing.assert_array_equal(rewards, [0.0, -1.0])
    np.testing.assert_array_equal(terminated | truncated, [False, False])
    np.testing.assert_array_equal(info["steps"], [0, 2])


def test_time_limit_truncates_then_autoresets():
    env = CorridorVectorEnv(1, length=4, max_episode_steps=3)
    env.reset(seed=SEED)
    left = np.zeros(1, dtype=np.int64)
    flags = [env.step(left)[3][0] for _ in range(5)]
    assert flags == [False, False, True, False, False]


@pytest.mark.parametrize("limit", [None, -1], ids=["none", "minus-one"])
def test_no_time_limit_never_truncates(limit):
    env = CorridorVectorEnv(1, max_episode_steps=limit)
    env.reset(seed=SEED)
    truncated = [env.step(np.zeros(1, dtype=np.int8))[3][0] for _ in range(3000)]
    assert not any(truncated)


def test_returned_arrays_survive_the_next_step():
    env = CorridorVectorEnv(3, length=10)
    env.reset(seed=SEED)
    first = env.step(np.ones(3, dtype=np.int64))
    second = env.step(np.ones(3, dtype=np.int64))
    np.testing.assert_array_equal(first[0], [1, 1, 1])
    np.testing.assert_array_equal(second[0], [2, 2, 2])
    assert not first[4]["_steps"].flags.writeable
    assert not first[4]["prob"].flags.writeable


def test_info_is_batched_with_masks():
    env = CorridorVectorEnv(4, slip=0.5)
    _, info = env.reset(seed=SEED)
    assert set(info) == {"steps", "_steps", "slipped", "_slipped", "prob", "_prob"}
    assert all(info[f"_{key}"].all() for key in ("steps", "slipped", "prob"))
    np.testing.assert_array_equal(info["prob"], np.ones(4))


def test_reset_start_option_applies_to_that_reset_only():
    env = CorridorVectorEnv(2, length=5, max_episode_steps=1)
    obs, _ = env.reset(seed=SEED, options={"start": 3})
    np.testing.assert_array_equal(obs, [3, 3])
    env.step(np.zeros(2, dtype=np.int64))
    obs = env.step(np.zeros(2, dtype=np.int64))[0]
    np.testing.assert_array_equal(obs, [0, 0])


@pytest.mark.parametrize(
    ("actions", "error", "match"),
    [
        (np.array([0.0, 1.0]), TypeError, "integer array.*float64"),
        (np.array([True, False]), TypeError, "integer array.*bool"),
        (np.array([0, 1, 1]), ValueError, r"shape \(2,\).*got shape \(3,\)"),
        (np.array([0, 2]), ValueError, "got 2 at index 1"),
        (np.array([-1, 0]), ValueError, "got -1 at index 0"),
    ],
    ids=["float", "bool", "shape", "two", "negative"],
)
def test_bad_actions_raise_naming_what_was_given(actions, error, match):
    env = CorridorVectorEnv(2)
    env.reset(seed=SEED)
    with pytest.raises(error, match=match):
        env.step(actions)


@pytest.mark.parametrize(
    "actions",
    [[1, 0], np.array([1, 0], dtype=np.uint8), np.array([1, 0], dtype=">i4")],
    ids=["list", "uint8", "big-endian"],
)
def test_integer_actions_of_any_kind_are_read_by_value(actions):
    env = CorridorVectorEnv(2)
    env.reset(seed=SEED)
    np.testing.assert_array_equal(env.step(actions)[0], [1, 0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_envs": 0}, ValueError, "num_envs must be an int >= 1, got 0"),
        ({"num_envs": 2.0}, TypeError, "num_envs must be an int"),
        ({"max_episode_steps": 0}, ValueError, "max_episode_steps must be an int"),
        ({"max_episode_steps": "9"}, TypeError, "max_episode_steps must be an int"),
        ({"length": 1}, ValueError, "length must be an int >= 2"),
        ({"slip": 2.0}, ValueError, "slip must be a float in"),
        ({"render_mode": "human"}, ValueError, "render_mode must be None or one of"),
    ],
    ids=[
        "zero-envs",
        "float-envs",
        "zero-limit",
        "text-limit",
        "length",
        "slip",
        "human",
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        CorridorVectorEnv(**kwargs)


def test_step_and_render_before_reset_raise():
    env = CorridorVectorEnv(2, render_mode="ansi")
    with pytest.raises(ResetNeeded):
        env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(ResetNeeded):
        env.render()


def test_render_returns_one_frame_per_corridor():
    env = CorridorVectorEnv(2, length=4, start=1, render_mode="ansi")
    env.reset(seed=SEED)
    env.step(np.array([0, 1]))
    assert env.render() == ("o--T", "--oT")
    images = CorridorVectorEnv(2, length=4, render_mode="rgb_array")
    images.reset(seed=SEED)
    frames = images.render()
    assert len(frames) == 2 and frames[0].shape == (32, 128, 3)
