"""Every bad input tried on the package, and the error it must give.

Each case names a misuse, the call that makes it, the exception type and the key words
of its message (what was given and what is allowed). Add a case whenever a new kind of
bad input is found.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import corridor_env
from agents import (
    ExponentialDecay,
    ManyQLearning,
    QLearningAgent,
    QWithin,
    VisitCount,
    evaluate,
    format_q_table,
    optimal_q_values,
    train,
    train_many,
    train_until_converged,
)
from corridor_env import CorridorEnv

NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[], Any]
    error: type[Exception]
    message: str


def make(**kwargs: Any) -> gym.Env:
    with warnings.catch_warnings():
        # gym.make warns of an unknown render mode before the env rejects it.
        warnings.simplefilter("ignore")
        return gym.make(corridor_env.ENV_ID, **kwargs)


def reset_env(**kwargs: Any) -> CorridorEnv:
    env = CorridorEnv(**kwargs)
    env.reset(seed=0)
    return env


def stepped(action: Any) -> Callable[[], Any]:
    return lambda: reset_env().step(action)


def made_and_stepped(action: Any) -> Callable[[], Any]:
    def call() -> Any:
        env = make()
        env.reset(seed=0)
        return env.step(action)

    return call


def agent() -> QLearningAgent:
    return QLearningAgent(6, 2, seed=0)


def env_with_spaces(observation_space: Any, action_space: Any) -> gym.Env:
    env = CorridorEnv()
    env.observation_space, env.action_space = observation_space, action_space
    return env


ACTION_WORDS = r"action must be .*0 \(left\) or 1 \(right\)"
OBS_WORDS = r"obs must be an int in \[0, 5\]"

ENV_ARGUMENTS = [
    Case("length=1", lambda: make(length=1), ValueError, r"length .* >= 2, got 1"),
    Case("length=0", lambda: make(length=0), ValueError, r"length .* >= 2, got 0"),
    Case("length=-3", lambda: make(length=-3), ValueError, r"length .*got -3"),
    Case("length=6.0", lambda: make(length=6.0), TypeError, r"length .*got 6\.0"),
    Case("length=nan", lambda: make(length=NAN), TypeError, r"length .*got nan"),
    Case("length='6'", lambda: make(length="6"), TypeError, r"length .*got '6'"),
    Case("length=True", lambda: make(length=True), TypeError, r"length .*got True"),
    Case("length=None", lambda: make(length=None), TypeError, r"length .*got None"),
    Case(
        "start=goal",
        lambda: make(start=5),
        ValueError,
        r"start .*\[0, 4\].*5 \(the goal",
    ),
    Case("start=-1", lambda: make(start=-1), ValueError, r"start .*\[0, 4\].*got -1"),
    Case("start=99", lambda: make(start=99), ValueError, r"start .*got 99"),
    Case("start=1.0", lambda: make(start=1.0), TypeError, r"start .*got 1\.0"),
    Case(
        "start='left'", lambda: make(start="left"), ValueError, r"'random', got 'left'"
    ),
    Case("start=None", lambda: make(start=None), TypeError, r"start .*got None"),
    Case("start=[1]", lambda: make(start=[1]), TypeError, r"start .*got \[1\]"),
    Case(
        "slip=-0.1", lambda: make(slip=-0.1), ValueError, r"slip .*\[0, 1\], got -0\.1"
    ),
    Case("slip=1.5", lambda: make(slip=1.5), ValueError, r"slip .*\[0, 1\], got 1\.5"),
    Case("slip=nan", lambda: make(slip=NAN), ValueError, r"slip .*\[0, 1\], got nan"),
    Case("slip=inf", lambda: make(slip=INF), ValueError, r"slip .*\[0, 1\], got inf"),
    Case("slip='0.1'", lambda: make(slip="0.1"), TypeError, r"slip .*got '0\.1'"),
    Case("slip=True", lambda: make(slip=True), TypeError, r"slip .*got True"),
    Case(
        "goal_reward=nan",
        lambda: make(goal_reward=NAN),
        ValueError,
        r"goal_reward .*finite.*nan",
    ),
    Case(
        "goal_reward=inf",
        lambda: make(goal_reward=INF),
        ValueError,
        r"goal_reward .*got inf",
    ),
    Case(
        "goal_reward=None",
        lambda: make(goal_reward=None),
        TypeError,
        r"goal_reward .*None",
    ),
    Case(
        "step_reward=-inf",
        lambda: make(step_reward=-INF),
        ValueError,
        r"step_reward .*-inf",
    ),
    Case(
        "step_reward='0'",
        lambda: make(step_reward="0"),
        TypeError,
        r"step_reward .*'0'",
    ),
    Case(
        "render_mode='rgb'",
        lambda: make(render_mode="rgb"),
        ValueError,
        r"render_mode .*'rgb'",
    ),
]

RESET_OPTIONS = [
    Case(
        "start=goal",
        lambda: reset_env().reset(options={"start": 5}),
        ValueError,
        r'options\["start"\] .*5 \(the goal\)',
    ),
    Case(
        "start=-1",
        lambda: reset_env().reset(options={"start": -1}),
        ValueError,
        r'options\["start"\] .*got -1',
    ),
    Case(
        "start='middle'",
        lambda: reset_env().reset(options={"start": "middle"}),
        ValueError,
        r"got 'middle'",
    ),
    Case(
        "start=None",
        lambda: reset_env().reset(options={"start": None}),
        TypeError,
        r'options\["start"\] .*None',
    ),
    Case(
        "start=2.5",
        lambda: reset_env().reset(options={"start": 2.5}),
        TypeError,
        r"got 2\.5",
    ),
    Case(
        "unknown key",
        lambda: reset_env().reset(options={"strat": 1}),
        ValueError,
        r"keys among \('start',\), got unknown \['strat'\]",
    ),
    Case(
        "not a dict",
        lambda: reset_env().reset(options=[("start", 1)]),
        TypeError,
        r"options must be a dict .*got \[\('start', 1\)\]",
    ),
]

ACTIONS = [
    Case("2", stepped(2), ValueError, ACTION_WORDS + r", got 2"),
    Case("-1", stepped(-1), ValueError, ACTION_WORDS + r", got -1"),
    Case(
        "np.int64(7)",
        stepped(np.int64(7)),
        ValueError,
        ACTION_WORDS + r", got np\.int64\(7\)",
    ),
    Case("1.0", stepped(1.0), TypeError, ACTION_WORDS + r"; got 1\.0 of type float"),
    Case("np.float32", stepped(np.float32(1)), TypeError, r"of type float32"),
    Case("'1'", stepped("1"), TypeError, r"got '1' of type str"),
    Case("None", stepped(None), TypeError, r"got None of type NoneType"),
    Case("True", stepped(True), TypeError, r"got True of type bool"),
    Case("np.bool_", stepped(np.bool_(True)), TypeError, r"of type bool"),
    Case("[1]", stepped([1]), TypeError, r"got \[1\] of type list"),
    Case("array (1,)", stepped(np.array([1])), ValueError, r"array of shape \(1,\)"),
    Case("array (2,)", stepped(np.array([0, 1])), ValueError, r"array of shape \(2,\)"),
    Case("0-d float array", stepped(np.array(1.0)), TypeError, r"of type ndarray"),
    Case("2 through make", made_and_stepped(2), ValueError, ACTION_WORDS + r", got 2"),
    Case("'1' through make", made_and_stepped("1"), TypeError, r"got '1' of type str"),
]

LIFECYCLE = [
    Case(
        "step before reset",
        lambda: CorridorEnv().step(1),
        gym.error.ResetNeeded,
        r"step\(\) before reset\(\)",
    ),
    Case(
        "render before reset",
        lambda: CorridorEnv(render_mode="ansi").render(),
        gym.error.ResetNeeded,
        r"render\(\) before reset\(\)",
    ),
    Case(
        "step before reset through make",
        lambda: make().step(1),
        gym.error.ResetNeeded,
        r"reset",
    ),
]

AGENT_ARGUMENTS = [
    Case(
        "learning_rate=0",
        lambda: QLearningAgent(6, 2, learning_rate=0),
        ValueError,
        r"learning_rate .*\(0, 1\], got 0",
    ),
    Case(
        "learning_rate=1.5",
        lambda: QLearningAgent(6, 2, learning_rate=1.5),
        ValueError,
        r"learning_rate .*got 1\.5",
    ),
    Case(
        "learning_rate=nan",
        lambda: QLearningAgent(6, 2, learning_rate=NAN),
        ValueError,
        r"learning_rate .*got nan",
    ),
    Case(
        "discount=-0.1",
        lambda: QLearningAgent(6, 2, discount=-0.1),
        ValueError,
        r"discount .*\[0, 1\], got -0\.1",
    ),
    Case(
        "discount=inf",
        lambda: QLearningAgent(6, 2, discount=INF),
        ValueError,
        r"discount .*got inf",
    ),
    Case(
        "epsilon=2",
        lambda: QLearningAgent(6, 2, epsilon=2),
        ValueError,
        r"epsilon .*\[0, 1\], got 2",
    ),
    Case(
        "epsilon='0.1'",
        lambda: QLearningAgent(6, 2, epsilon="0.1"),
        TypeError,
        r"epsilon .*got '0\.1'",
    ),
    Case(
        "epsilon=None",
        lambda: QLearningAgent(6, 2, epsilon=None),
        TypeError,
        r"epsilon .*got None",
    ),
    Case(
        "seed=-1",
        lambda: QLearningAgent(6, 2, seed=-1),
        ValueError,
        r"seed .*non-negative int or None, got -1",
    ),
    Case(
        "seed=1.5",
        lambda: QLearningAgent(6, 2, seed=1.5),
        TypeError,
        r"seed .*got 1\.5",
    ),
    Case(
        "n_states=0",
        lambda: QLearningAgent(0, 2),
        ValueError,
        r"n_states must be an int >= 1, got 0",
    ),
    Case(
        "n_actions=2.0",
        lambda: QLearningAgent(6, 2.0),
        ValueError,
        r"n_actions must be an int >= 1, got 2\.0",
    ),
    Case(
        "q_table wrong shape",
        lambda: setattr(agent(), "q_table", np.zeros((5, 2))),
        ValueError,
        r"q_table must have shape \(6, 2\), got \(5, 2\)",
    ),
    Case(
        "q_table with nan",
        lambda: setattr(agent(), "q_table", np.full((6, 2), NAN)),
        ValueError,
        r"q_table must hold finite values",
    ),
]

AGENT_SPACES = [
    Case(
        "Box observations",
        lambda: QLearningAgent.from_env(
            env_with_spaces(spaces.Box(0, 1, (2,)), spaces.Discrete(2))
        ),
        TypeError,
        r"Discrete observation_space, got Box",
    ),
    Case(
        "MultiDiscrete actions",
        lambda: QLearningAgent.from_env(
            env_with_spaces(spaces.Discrete(6), spaces.MultiDiscrete([2, 2]))
        ),
        TypeError,
        r"Discrete action_space, got MultiDiscrete",
    ),
    Case(
        "Box actions",
        lambda: QLearningAgent.from_env(
            env_with_spaces(spaces.Discrete(6), spaces.Box(-1, 1))
        ),
        TypeError,
        r"Discrete action_space, got Box",
    ),
    Case(
        "Tuple observations",
        lambda: QLearningAgent.from_env(
            env_with_spaces(spaces.Tuple([spaces.Discrete(2)]), spaces.Discrete(2))
        ),
        TypeError,
        r"observation_space, got Tuple",
    ),
]

AGENT_INPUTS = [
    Case("act obs=6", lambda: agent().act(6), ValueError, OBS_WORDS + r", got 6"),
    Case("act obs=-1", lambda: agent().act(-1), ValueError, OBS_WORDS + r", got -1"),
    Case(
        "act obs=2.0",
        lambda: agent().act(2.0),
        TypeError,
        OBS_WORDS + r", got 2\.0 of type float",
    ),
    Case(
        "act obs=None",
        lambda: agent().act(None),
        TypeError,
        r"got None of type NoneType",
    ),
    Case("act obs='3'", lambda: agent().act("3"), TypeError, r"got '3' of type str"),
    Case(
        "act obs=array (2,)",
        lambda: agent().act(np.array([1, 2])),
        ValueError,
        r"array of shape \(2,\)",
    ),
    Case(
        "update obs=7",
        lambda: agent().update(7, 1, 0.0, 0, False),
        ValueError,
        OBS_WORDS + r", got 7",
    ),
    Case(
        "update next_obs=6",
        lambda: agent().update(0, 1, 0.0, 6, False),
        ValueError,
        r"next_obs must be an int in \[0, 5\], got 6",
    ),
    Case(
        "update action=2",
        lambda: agent().update(0, 2, 0.0, 1, False),
        ValueError,
        r"action must be an int in \[0, 1\], got 2",
    ),
    Case(
        "update action=-1",
        lambda: agent().update(0, -1, 0.0, 1, False),
        ValueError,
        r"action must be an int in \[0, 1\], got -1",
    ),
    Case(
        "update action=0.5",
        lambda: agent().update(0, 0.5, 0.0, 1, False),
        TypeError,
        r"action must be .*got 0\.5 of type float",
    ),
    Case(
        "update reward=inf",
        lambda: agent().update(0, 1, INF, 1, True),
        ValueError,
        r"non-finite .*reward=inf",
    ),
    Case(
        "update reward=nan",
        lambda: agent().update(0, 1, NAN, 1, False),
        ValueError,
        r"non-finite .*reward=nan",
    ),
]

LOOPS = [
    Case(
        "train episodes=-1",
        lambda: train(agent(), CorridorEnv(), -1),
        ValueError,
        r"episodes must be an int >= 0, got -1",
    ),
    Case(
        "train episodes=2.5",
        lambda: train(agent(), CorridorEnv(), 2.5),
        TypeError,
        r"episodes must be an int >= 0, got 2\.5",
    ),
    Case(
        "evaluate max_steps=0",
        lambda: evaluate(agent(), CorridorEnv(), 1, max_steps=0),
        ValueError,
        r"max_steps must be an int >= 1, got 0",
    ),
    Case(
        "format_q_table 1-d",
        lambda: format_q_table(np.zeros(3)),
        ValueError,
        r"2-dimensional, got shape \(3,\)",
    ),
    Case(
        "format_q_table names",
        lambda: format_q_table(np.zeros((2, 2)), ["left"]),
        ValueError,
        r"action_names must have 2 entries, got 1",
    ),
]

MORE_AGENT_INPUTS = [
    Case(
        "update reward=None",
        lambda: agent().update(0, 1, None, 1, False),
        TypeError,
        r"reward must be a real number, got None",
    ),
    Case(
        "update reward='1'",
        lambda: agent().update(0, 1, "1", 1, False),
        TypeError,
        r"reward must be a real number, got '1' of type str",
    ),
    Case(
        "update overflow",
        lambda: agent_with(-1e308).update(0, 1, 1e308, 1, True),
        ValueError,
        r"would make Q\[0, 1\] non-finite",
    ),
    Case(
        "obs_start='x'",
        lambda: QLearningAgent(6, 2, obs_start="x"),
        TypeError,
        r"obs_start must be an int, got 'x'",
    ),
    Case(
        "action_start=1.7",
        lambda: QLearningAgent(6, 2, action_start=1.7),
        TypeError,
        r"action_start must be an int, got 1\.7",
    ),
    Case(
        "from_env(None)",
        lambda: QLearningAgent.from_env(None),
        TypeError,
        r"env must be a Gymnasium env .*got None",
    ),
    Case(
        "from_env(id string)",
        lambda: QLearningAgent.from_env("Corridor-v0"),
        TypeError,
        r"env must be a Gymnasium env .*got 'Corridor-v0'",
    ),
    Case(
        "train on a larger env",
        lambda: train(agent(), CorridorEnv(length=10), 1),
        ValueError,
        r"table fits Discrete\(6, start=0\) .*Discrete\(10\)",
    ),
    Case(
        "train seed=-1",
        lambda: train(agent(), CorridorEnv(), 1, seed=-1),
        ValueError,
        r"seed must be a non-negative int or None, got -1",
    ),
    Case(
        "evaluate seed='0'",
        lambda: evaluate(agent(), CorridorEnv(), 1, seed="0"),
        TypeError,
        r"seed must be .*got '0'",
    ),
]

SAVING = [
    Case(
        "save ''",
        lambda: agent().save(""),
        ValueError,
        r"cannot save to '': the path is empty",
    ),
    Case(
        "save to a folder",
        lambda: agent().save(_folder()),
        ValueError,
        r"cannot save to .*: it is a folder",
    ),
    Case(
        "save into a missing folder",
        lambda: agent().save(_folder() + "/missing/agent.npz"),
        ValueError,
        r"the folder .*missing' does not exist",
    ),
    Case(
        "save over a named pipe",
        lambda: agent().save(_fifo()),
        ValueError,
        r"cannot save to .*fifo': it exists and is not a regular file",
    ),
    Case(
        "save into a folder that refuses new files",
        lambda: agent().save("/proc/agent.npz"),
        ValueError,
        r"no file can be created in the folder '/proc'",
    ),
    Case(
        "save with an env it does not fit",
        lambda: agent().save(_folder() + "/agent.npz", gym.make("FrozenLake-v1")),
        ValueError,
        r"table fits Discrete\(6, start=0\)",
    ),
    Case(
        "save with an env id string",
        lambda: agent().save(_folder() + "/agent.npz", "Corridor-v0"),
        TypeError,
        r"env must be a Gymnasium env",
    ),
    Case(
        "length beyond the maximum",
        lambda: make(length=2**31),
        ValueError,
        r"length must be an int <= 2147483647, got 2147483648",
    ),
    Case(
        "length=10**30",
        lambda: make(length=10**30),
        ValueError,
        r"length must be an int <= 2147483647",
    ),
]

HUGE = 10**400  # an int too large for a float

OVERFLOWING_NUMBERS = [
    Case(
        "goal_reward=10**400",
        lambda: make(goal_reward=HUGE),
        ValueError,
        r"goal_reward must be a finite float, got 1000",
    ),
    Case(
        "slip=10**400",
        lambda: make(slip=HUGE),
        ValueError,
        r"slip .*\[0, 1\], got 1000",
    ),
    Case(
        "vector slip=10**400",
        lambda: gym.make_vec(corridor_env.ENV_ID, num_envs=2, slip=HUGE),
        ValueError,
        r"slip .*\[0, 1\]",
    ),
    Case(
        "discount=10**400",
        lambda: QLearningAgent(6, 2, discount=HUGE),
        ValueError,
        r"discount must be a float in \[0, 1\], got 1000",
    ),
    Case(
        "update reward=10**400",
        lambda: agent().update(0, 1, HUGE, 1, True),
        ValueError,
        r"would make Q\[0, 1\] non-finite",
    ),
    Case(
        "ExponentialDecay factor=10**400",
        lambda: ExponentialDecay(1.0, 0.0, HUGE),
        ValueError,
        r"factor must be a float in \[0, 1\]",
    ),
    Case(
        "VisitCount power=10**400",
        lambda: VisitCount(HUGE),
        ValueError,
        r"power must be a float in \(0\.5, 1\]",
    ),
    Case(
        "QWithin tol=10**400",
        lambda: QWithin(tol=HUGE),
        ValueError,
        r"tol must be a finite float > 0",
    ),
    Case(
        "QWithin tol=inf",
        lambda: QWithin(tol=INF),
        ValueError,
        r"tol must be a finite float > 0, got inf",
    ),
    Case(
        "optimal_q_values discount=10**400",
        lambda: optimal_q_values(CorridorEnv(), HUGE),
        ValueError,
        r"discount must be a float in \[0, 1\)",
    ),
]

VECTOR_RESET_OPTIONS = [
    Case(
        "unknown key",
        lambda: vector_env().reset(options={"strat": 2}),
        ValueError,
        r"keys among \('start',\), got unknown \['strat'\]",
    ),
    Case(
        "a list",
        lambda: vector_env().reset(options=[("start", 1)]),
        TypeError,
        r"options must be a dict",
    ),
    Case(
        "a string",
        lambda: vector_env().reset(options="start"),
        TypeError,
        r"options must be a dict .*got 'start'",
    ),
    Case(
        "start=goal",
        lambda: vector_env().reset(options={"start": 5}),
        ValueError,
        r'options\["start"\] .*5 \(the goal\)',
    ),
    Case(
        "numpy -1 is not 'no limit' for num_envs",
        lambda: gym.make_vec(corridor_env.ENV_ID, num_envs=np.int64(-1)),
        ValueError,
        r"num_envs must be an int >= 1",
    ),
]

FLAGS_AND_FILES = [
    Case(
        "update terminated='False'",
        lambda: agent().update(0, 1, 1.0, 1, "False"),
        TypeError,
        r"terminated must be a bool, got 'False' of type str",
    ),
    Case(
        "act greedy='yes'",
        lambda: agent().act(0, greedy="yes"),
        TypeError,
        r"greedy must be a bool, got 'yes' of type str",
    ),
    Case(
        "update terminated=None",
        lambda: agent().update(0, 1, 1.0, 1, None),
        TypeError,
        r"terminated must be a bool, got None",
    ),
    Case(
        "update terminated=nan",
        lambda: agent().update(0, 1, 1.0, 1, NAN),
        TypeError,
        r"terminated must be a bool, got nan of type float",
    ),
    Case(
        "update terminated=array of 2",
        lambda: agent().update(0, 1, 1.0, 1, np.array([True, False])),
        TypeError,
        r"terminated must be a bool, got array",
    ),
    Case(
        "q_table of complex numbers",
        lambda: setattr(agent(), "q_table", np.ones((6, 2), dtype=complex)),
        TypeError,
        r"q_table must be an array of real numbers, got dtype complex128",
    ),
    Case(
        "q_table of strings",
        lambda: setattr(agent(), "q_table", [["a", "b"]] * 6),
        TypeError,
        r"q_table must be an array of real numbers, got dtype <U1",
    ),
    Case(
        "load with an env id string",
        lambda: QLearningAgent.load(_saved(), "Corridor-v0"),
        TypeError,
        r"env must be a Gymnasium env .*got 'Corridor-v0'",
    ),
    Case(
        "save to a path ending with a separator",
        lambda: agent().save(_folder() + "/agent.npz/"),
        ValueError,
        r"cannot save to .*agent\.npz/': a path ending with a separator names a folder",
    ),
    Case(
        "criteria of strings",
        lambda: train_until_converged(agent(), CorridorEnv(), 1, criteria=["policy"]),
        TypeError,
        r"criteria must be QWithin, .* objects, got 'policy'",
    ),
    Case(
        "criteria a single object",
        lambda: train_until_converged(agent(), CorridorEnv(), 1, criteria=QWithin()),
        TypeError,
        r"criteria must be a list of .*got QWithin",
    ),
]

MANY_AGENTS = [
    Case(
        "from_vector_env on a single env",
        lambda: ManyQLearning.from_vector_env(make()),
        TypeError,
        r"env must be a gymnasium\.vector\.VectorEnv .*got <TimeLimit",
    ),
    Case(
        "act greedy='yes'",
        lambda: many().act([0, 0, 0], greedy="yes"),
        TypeError,
        r"greedy must be a bool, got 'yes' of type str",
    ),
    Case(
        "obs_start=1.7",
        lambda: ManyQLearning(3, 6, 2, obs_start=1.7),
        TypeError,
        r"obs_start must be an int, got 1\.7",
    ),
    Case(
        "action_start='3'",
        lambda: ManyQLearning(3, 6, 2, action_start="3"),
        TypeError,
        r"action_start must be an int, got '3'",
    ),
    Case(
        "update float actions",
        lambda: many().update([0, 0, 0], np.ones(3), [0.0] * 3, [1, 1, 1], [False] * 3),
        TypeError,
        r"actions must be an integer array of shape \(3,\), got dtype float64",
    ),
    Case(
        "update one action for all",
        lambda: many().update([0, 0, 0], 1, [0.0] * 3, [1, 1, 1], [False] * 3),
        ValueError,
        r"actions must be an integer array of shape \(3,\), got shape \(\)",
    ),
    Case(
        "update terminated='yes'",
        lambda: many().update([0, 0, 0], [1, 1, 1], [0.0] * 3, [1, 1, 1], "yes"),
        TypeError,
        r"terminated must be a bool array of shape \(3,\), got dtype <U3",
    ),
    Case(
        "update rewards of the wrong shape",
        lambda: many().update([0, 0, 0], [1, 1, 1], [0.0] * 2, [1, 1, 1], [True] * 3),
        ValueError,
        r"rewards must be a real array of shape \(3,\), got shape \(2,\)",
    ),
    Case(
        "train_many on tables of another size",
        lambda: train_many(
            ManyQLearning(4, 10, 2), gym.make_vec(corridor_env.ENV_ID, num_envs=4), 5
        ),
        ValueError,
        r"tables fit Discrete\(10, start=0\) .*Discrete\(6\)",
    ),
    Case(
        "train_many on a single env",
        lambda: train_many(many(), make(), 5),
        TypeError,
        r"env must be a gymnasium\.vector\.VectorEnv .*got <TimeLimit",
    ),
]


def vector_env() -> corridor_env.CorridorVectorEnv:
    return corridor_env.CorridorVectorEnv(num_envs=2)


def many() -> ManyQLearning:
    return ManyQLearning(3, 6, 2, seed=0)


def _saved() -> str:
    path = _folder() + "/agent.npz"
    agent().save(path)
    return path


def agent_with(value: float) -> QLearningAgent:
    learner = agent()
    learner.q_table[0, 1] = value
    return learner


def _folder() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="corridor-catalogue-")


def _fifo() -> str:
    import os

    path = _folder() + "/fifo"
    os.mkfifo(path)
    return path


CATALOGUE = {
    "env argument": ENV_ARGUMENTS,
    "reset option": RESET_OPTIONS,
    "action": ACTIONS,
    "lifecycle": LIFECYCLE,
    "agent argument": AGENT_ARGUMENTS,
    "agent space": AGENT_SPACES,
    "agent input": AGENT_INPUTS,
    "loop argument": LOOPS,
    "agent input, more": MORE_AGENT_INPUTS,
    "saving and limits": SAVING,
    "numbers too large for a float": OVERFLOWING_NUMBERS,
    "vector env": VECTOR_RESET_OPTIONS,
    "flags, tables and files": FLAGS_AND_FILES,
    "many agents": MANY_AGENTS,
}
ALL_CASES = [(group, case) for group, cases in CATALOGUE.items() for case in cases]


@pytest.mark.parametrize(
    ("group", "case"), ALL_CASES, ids=[f"{g}: {c.name}" for g, c in ALL_CASES]
)
def test_bad_input_gives_a_clear_error(group, case):
    with pytest.raises(case.error, match=case.message):
        case.call()


def test_catalogue_names_are_unique_within_each_group():
    for group, cases in CATALOGUE.items():
        names = [case.name for case in cases]
        assert len(names) == len(set(names)), group


GOOD_ACTIONS = [
    0,
    1,
    np.int8(1),
    np.uint64(1),
    np.int64(0),
    np.array(1),
    np.array(0, dtype=np.int32),
]


@pytest.mark.parametrize("action", GOOD_ACTIONS, ids=repr)
def test_integer_actions_of_every_kind_are_accepted(action):
    env = reset_env(start=2)
    assert env.step(action)[0] == 2 + (1 if int(action) else -1)


def test_closing_twice_and_using_after_close_work():
    env = make(render_mode="ansi")
    env.reset(seed=0)
    env.close()
    env.close()
    assert env.reset(seed=0)[0] == 0
    assert env.step(1)[0] == 1
    assert env.render() == "-o---T"


def test_a_refused_update_leaves_the_table_as_it_was():
    learner = agent_with(-1e308)
    before = learner.q_table.copy()
    with pytest.raises(ValueError, match="non-finite"):
        learner.update(0, 1, 1e308, 1, True)
    assert np.array_equal(learner.q_table, before)


def test_a_refused_update_under_visit_counts_is_not_a_visit():
    refused = QLearningAgent(6, 2, learning_rate=VisitCount(1.0), seed=0)
    with pytest.raises(ValueError, match="next_obs must be an int in"):
        refused.update(0, 1, 1.0, 99, False)
    assert refused.visit_counts[0, 1] == 0
    assert refused.learning_rate == 1.0

    refused.update(0, 1, 1.0, 1, True)
    assert refused.visit_counts[0, 1] == 1
    assert refused.q_table[0, 1] == 1.0  # a first visit's step of 1
