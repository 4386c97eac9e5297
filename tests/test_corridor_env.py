"""Dynamics, rendering, the transition model and argument checks of CorridorEnv."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

import corridor_env
from corridor_env import Action, CorridorEnv

SEED = 7
LEFT, RIGHT = Action.LEFT.value, Action.RIGHT.value


def walk(env: gym.Env, actions: list[int]) -> list[tuple]:
    return [env.step(action)[:4] for action in actions]


def test_defaults_are_the_classic_world():
    env = CorridorEnv()
    assert env.length == 6
    assert env.goal == 5
    assert env.observation_space == gym.spaces.Discrete(6)
    assert env.action_space == gym.spaces.Discrete(2)
    obs, info = env.reset(seed=SEED)
    assert obs == 0
    assert info == {"steps": 0, "slipped": False, "prob": 1.0}


def test_step_right_from_cell_4_enters_the_goal_with_reward_1():
    env = CorridorEnv()
    env.reset(seed=SEED)
    steps = walk(env, [RIGHT] * 5)
    assert steps == [
        (1, 0.0, False, False),
        (2, 0.0, False, False),
        (3, 0.0, False, False),
        (4, 0.0, False, False),
        (5, 1.0, True, False),
    ]


def test_step_returns_python_types_and_a_fresh_info():
    env = CorridorEnv()
    _, reset_info = env.reset(seed=SEED)
    obs, reward, terminated, truncated, info = env.step(np.int64(RIGHT))
    assert type(obs) is int
    assert type(reward) is float
    assert type(terminated) is bool
    assert type(truncated) is bool
    assert info == {"steps": 1, "slipped": False, "prob": 1.0}
    assert info is not reset_info
    assert env.step(RIGHT)[4] is not info


def test_left_at_the_wall_stays_in_cell_0():
    env = CorridorEnv()
    env.reset(seed=SEED)
    assert walk(env, [LEFT, LEFT]) == [(0, 0.0, False, False)] * 2


@pytest.mark.parametrize("length", [2, 3, 10, 50], ids=lambda n: f"length={n}")
def test_all_right_reaches_the_goal_in_length_minus_1_steps(length):
    env = CorridorEnv(length=length)
    env.reset(seed=SEED)
    steps = walk(env, [RIGHT] * (length - 1))
    assert [s[0] for s in steps] == list(range(1, length))
    assert [s[1] for s in steps] == [0.0] * (length - 2) + [1.0]
    assert [s[2] for s in steps] == [False] * (length - 2) + [True]


def test_custom_rewards_are_paid():
    env = CorridorEnv(length=3, goal_reward=10, step_reward=-0.5)
    env.reset(seed=SEED)
    assert walk(env, [LEFT, RIGHT, RIGHT]) == [
        (0, -0.5, False, False),
        (1, -0.5, False, False),
        (2, 10.0, True, False),
    ]


def test_step_after_terminated_warns_once_and_pays_nothing():
    env = CorridorEnv(length=2)
    env.reset(seed=SEED)
    assert env.step(RIGHT)[:3] == (1, 1.0, True)
    with pytest.warns(UserWarning, match="after the episode terminated"):
        assert env.step(RIGHT)[:4] == (1, 0.0, True, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert env.step(LEFT)[:4] == (1, 0.0, True, False)
    assert env.reset()[0] == 0
    assert env.step(RIGHT)[:3] == (1, 1.0, True)


def test_step_before_reset_raises_reset_needed():
    with pytest.raises(ResetNeeded, match="before reset"):
        CorridorEnv().step(RIGHT)


@pytest.mark.parametrize("start", [0, 2, 4])
def test_start_cell(start):
    env = CorridorEnv(start=start)
    assert env.reset(seed=SEED)[0] == start


def test_reset_option_overrides_the_start_for_one_episode():
    env = CorridorEnv(start=1)
    assert env.reset(seed=SEED, options={"start": 3})[0] == 3
    assert env.reset()[0] == 1
    assert env.reset(options={})[0] == 1


def test_random_start_covers_the_non_goal_cells_uniformly():
    env = CorridorEnv(start="random")
    env.reset(seed=SEED)
    starts = [env.reset()[0] for _ in range(5000)]
    counts = np.bincount(starts, minlength=6)
    assert counts[5] == 0
    # 1000 expected per cell; 5 standard deviations is about 140.
    assert np.all(np.abs(counts[:5] - 1000) < 150), counts


def test_random_start_through_reset_options():
    env = CorridorEnv()
    env.reset(seed=SEED)
    starts = {env.reset(options={"start": "random"})[0] for _ in range(200)}
    assert starts == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("slip", [0.1, 0.3, 0.5])
def test_slip_frequency_matches_the_probability(slip):
    env = CorridorEnv(length=50, start=25, slip=slip)
    env.reset(seed=SEED)
    n = 10_000
    slipped = 0
    for _ in range(n):
        env.reset()
        obs, _, _, _, info = env.step(RIGHT)
        slipped += info["slipped"]
        assert obs == (24 if info["slipped"] else 26)
        assert info["prob"] == (slip if info["slipped"] else 1.0 - slip)
    tolerance = 5 * np.sqrt(slip * (1 - slip) / n)
    assert abs(slipped / n - slip) < tolerance


def test_slip_1_always_goes_the_other_way():
    env = CorridorEnv(slip=1.0, start=2)
    env.reset(seed=SEED)
    assert walk(env, [RIGHT, LEFT, LEFT]) == [
        (1, 0.0, False, False),
        (2, 0.0, False, False),
        (3, 0.0, False, False),
    ]


def test_same_seed_gives_the_same_trajectory():
    def trajectory(seed):
        env = CorridorEnv(length=8, start="random", slip=0.3)
        obs = [env.reset(seed=seed)[0]]
        rng = np.random.default_rng(0)
        for action in rng.integers(2, size=200):
            obs.append(env.step(int(action))[0])
            if obs[-1] == env.goal:
                obs.append(env.reset()[0])
        return obs

    assert trajectory(SEED) == trajectory(SEED)
    assert trajectory(SEED) != trajectory(SEED + 1)


ANSI_FRAMES = ["o----T", "-o---T", "--o--T", "---o-T", "----oT", "-----o"]


def test_ansi_frames_follow_the_agent():
    env = CorridorEnv(render_mode="ansi")
    env.reset(seed=SEED)
    frames = [env.render()]
    for _ in range(5):
        env.step(RIGHT)
        frames.append(env.render())
    assert frames == ANSI_FRAMES


def test_ansi_frame_of_a_longer_corridor():
    env = CorridorEnv(length=9, start=3, render_mode="ansi")
    env.reset(seed=SEED)
    assert env.render() == "---o----T"


def test_rgb_array_is_an_image_of_the_row():
    env = CorridorEnv(length=6, render_mode="rgb_array")
    env.reset(seed=SEED)
    image = env.render()
    assert image.shape == (32, 192, 3)
    assert image.dtype == np.uint8
    centre = 16
    agent_pixel = tuple(image[centre, centre])
    empty_pixel = tuple(image[centre, 32 + centre])
    goal_pixel = tuple(image[centre, 5 * 32 + centre])
    assert len({agent_pixel, empty_pixel, goal_pixel}) == 3
    env.step(RIGHT)
    moved = env.render()
    assert tuple(moved[centre, centre]) == empty_pixel
    assert tuple(moved[centre, 32 + centre]) == agent_pixel


def test_human_render_redraws_the_row_in_place(capsys, no_render_delay):
    env = CorridorEnv(render_mode="human")
    env.reset(seed=SEED)
    env.step(RIGHT)
    env.close()
    env.close()
    assert capsys.readouterr().out == "\ro----T\r-o---T\n"


def test_render_without_a_mode_warns_and_returns_none():
    env = CorridorEnv()
    env.reset(seed=SEED)
    with pytest.warns(UserWarning, match="without a render mode"):
        assert env.render() is None


def test_render_before_reset_raises_reset_needed():
    with pytest.raises(ResetNeeded, match="before reset"):
        CorridorEnv(render_mode="ansi").render()


def test_transition_model_of_the_default_corridor():
    model = CorridorEnv().P
    assert model[0][LEFT] == [(1.0, 0, 0.0, False)]
    assert model[0][RIGHT] == [(1.0, 1, 0.0, False)]
    assert model[4][RIGHT] == [(1.0, 5, 1.0, True)]
    assert model[5][LEFT] == model[5][RIGHT] == [(1.0, 5, 0.0, True)]


def test_transition_model_with_slip():
    model = CorridorEnv(slip=0.25).P
    assert model[0][LEFT] == [(0.75, 0, 0.0, False), (0.25, 1, 0.0, False)]
    assert model[4][RIGHT] == [(0.75, 5, 1.0, True), (0.25, 3, 0.0, False)]
    for state in model:
        for outcomes in model[state].values():
            assert sum(prob for prob, *_ in outcomes) == pytest.approx(1.0)


CONFIGS = {
    "default": {},
    "slippery": {"slip": 0.2},
    "random-start": {"start": "random"},
    "long": {"length": 50, "step_reward": -0.01},
    "always-slips": {"slip": 1.0, "goal_reward": 5.0},
}


@pytest.mark.filterwarnings("ignore:.*after the episode terminated")
@pytest.mark.parametrize("kwargs", CONFIGS.values(), ids=CONFIGS.keys())
def test_step_agrees_with_the_transition_model(kwargs):
    env = CorridorEnv(**kwargs)
    env.reset(seed=SEED)
    for state in range(env.length):
        for action in (LEFT, RIGHT):
            outcomes = env.P[state][action]
            seen = {}
            for _ in range(200):
                env.reset(options={"start": 0})
                env._position = state  # place the agent, goal included
                obs, reward, terminated, _, info = env.step(action)
                seen[(obs, reward, terminated)] = info["prob"]
            expected = {(s, r, t): p for p, s, r, t in outcomes}
            assert seen == expected, (state, action)


@pytest.mark.parametrize("kwargs", CONFIGS.values(), ids=CONFIGS.keys())
def test_check_env_passes_without_warnings(kwargs, no_render_delay):
    for render_mode in (None, "ansi", "rgb_array"):
        env = gym.make(corridor_env.ENV_ID, render_mode=render_mode, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(env.unwrapped)


def test_env_pickles_mid_episode():
    env = gym.make(corridor_env.ENV_ID, slip=0.3, render_mode="ansi")
    env.reset(seed=SEED)
    env.step(RIGHT)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.render() == env.render()
    actions = [RIGHT, LEFT, RIGHT, RIGHT, RIGHT, RIGHT]
    assert walk(clone, actions) == walk(env, actions)
