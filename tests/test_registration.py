"""Registration of Corridor-v0, its time limit and its spec."""

from __future__ import annotations

import importlib
import json
import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import pytest

import corridor_env
from corridor_env import MAX_EPISODE_STEPS, CorridorEnv

SEED = 3


def run_fresh(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_module_qualified_id_works_in_a_process_that_never_imported_it():
    out = run_fresh(
        "import sys, gymnasium as gym\n"
        "assert 'corridor_env' not in sys.modules\n"
        "env = gym.make('corridor_env:Corridor-v0', length=4)\n"
        "print(type(env.unwrapped).__name__, env.reset(seed=0)[0], env.spec.id)"
    )
    assert out == "CorridorEnv 0 Corridor-v0"


def test_plain_id_works_after_import_and_reimport_is_silent():
    out = run_fresh(
        "import importlib, gymnasium as gym, corridor_env\n"
        "import corridor_env as again\n"
        "importlib.reload(corridor_env)\n"
        "print(gym.make('Corridor-v0').unwrapped.length)"
    )
    assert out == "6"


def test_reload_logs_no_override_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.reload(corridor_env)
    assert gym.spec(corridor_env.ENV_ID).entry_point == (
        "corridor_env.corridor:CorridorEnv"
    )


def test_make_wraps_with_the_documented_time_limit():
    env = gym.make(corridor_env.ENV_ID)
    assert env.spec.max_episode_steps == MAX_EPISODE_STEPS == 1000
    env.reset(seed=SEED)
    for step in range(1, MAX_EPISODE_STEPS + 1):
        obs, reward, terminated, truncated, _ = env.step(0)
        assert (obs, reward, terminated) == (0, 0.0, False)
        assert truncated == (step == MAX_EPISODE_STEPS)


def test_time_limit_can_be_overridden():
    env = gym.make(corridor_env.ENV_ID, max_episode_steps=3)
    env.reset(seed=SEED)
    assert [env.step(0)[3] for _ in range(3)] == [False, False, True]


def test_spec_records_keywords_and_rebuilds_the_same_env():
    env = gym.make(corridor_env.ENV_ID, length=9, slip=0.25, start="random")
    assert env.spec.kwargs == {"length": 9, "slip": 0.25, "start": "random"}
    rebuilt = gym.make(env.spec)
    assert isinstance(rebuilt.unwrapped, CorridorEnv)
    assert (rebuilt.unwrapped.length, rebuilt.unwrapped.slip) == (9, 0.25)
    assert pickle.loads(pickle.dumps(env.spec)) == env.spec
    assert json.loads(env.spec.to_json())["kwargs"]["length"] == 9


def test_step_before_reset_through_make_raises_reset_needed():
    env = gym.make(corridor_env.ENV_ID)
    with pytest.raises(gym.error.ResetNeeded):
        env.step(1)
