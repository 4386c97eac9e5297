"""Invariants of the env and the agent under random configurations and inputs."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import corridor_env
from agents import QLearningAgent

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)
REWARDS = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def configurations(draw: st.DrawFn) -> dict:
    length = draw(st.integers(2, 20))
    return {
        "length": length,
        "start": draw(st.one_of(st.just("random"), st.integers(0, length - 2))),
        "slip": draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(0, 1))),
        "goal_reward": draw(REWARDS),
        "step_reward": draw(REWARDS),
        "max_episode_steps": draw(st.integers(1, 40)),
    }


ACTION_SEQUENCES = st.lists(st.integers(0, 1), max_size=120)
SEEDS = st.integers(0, 2**32 - 1)


def play(env: gym.Env, seed: int, actions: list[int]) -> list[tuple]:
    """Step through ``actions``, resetting after each episode end; record all."""
    obs, info = env.reset(seed=seed)
    record = [("reset", obs, info)]
    for action in actions:
        step = env.step(action)
        record.append((obs, action, *step))
        obs = step[0]
        if step[2] or step[3]:
            obs, info = env.reset()
            record.append(("reset", obs, info))
    return record


@PROPERTY_SETTINGS
@given(configurations(), SEEDS, ACTION_SEQUENCES)
def test_steps_respect_the_spaces_rewards_and_episode_ends(config, seed, actions):
    env = gym.make(corridor_env.ENV_ID, **config)
    core = env.unwrapped
    limit = config["max_episode_steps"]
    elapsed = 0
    for entry in play(env, seed, actions):
        if entry[0] == "reset":
            _, obs, info = entry
            assert env.observation_space.contains(obs) and type(obs) is int
            assert obs != core.goal
            if config["start"] != "random":
                assert obs == config["start"]
            elapsed = 0
            continue
        previous, action, obs, reward, terminated, truncated, info = entry
        elapsed += 1
        assert env.observation_space.contains(obs) and type(obs) is int
        assert abs(obs - previous) <= 1
        assert terminated == (obs == core.goal)
        assert reward == (
            config["goal_reward"] if terminated else config["step_reward"]
        )
        assert truncated == (elapsed == limit)
        assert info["steps"] == elapsed


@PROPERTY_SETTINGS
@given(configurations(), SEEDS, ACTION_SEQUENCES)
def test_every_step_is_an_outcome_of_the_transition_model(config, seed, actions):
    env = gym.make(corridor_env.ENV_ID, **config)
    model = env.unwrapped.P
    for entry in play(env, seed, actions):
        if entry[0] == "reset":
            continue
        previous, action, obs, reward, terminated, _, info = entry
        outcomes = {(s, r, t): p for p, s, r, t in model[previous][action]}
        assert outcomes[(obs, reward, terminated)] == info["prob"] > 0


@PROPERTY_SETTINGS
@given(configurations(), SEEDS, ACTION_SEQUENCES)
def test_same_seed_same_trajectory_and_rebuilt_envs_agree(config, seed, actions):
    env = gym.make(corridor_env.ENV_ID, **config)
    first = play(env, seed, actions)
    assert play(env, seed, actions) == first
    assert play(gym.make(env.spec), seed, actions) == first


@PROPERTY_SETTINGS
@given(configurations(), SEEDS, ACTION_SEQUENCES, st.integers(0, 120))
def test_a_pickled_env_continues_exactly_like_the_original(config, seed, actions, cut):
    env = gym.make(corridor_env.ENV_ID, **config)
    play(env, seed, actions[:cut])
    clone = pickle.loads(pickle.dumps(env))
    rest = actions[cut:]
    assert play_on(clone, rest) == play_on(env, rest)


def play_on(env: gym.Env, actions: list[int]) -> list[tuple]:
    """Like `play`, but continuing the current episode instead of reseeding."""
    record = []
    for action in actions:
        if env.unwrapped._position == env.unwrapped.goal:
            record.append(env.reset())
        step = env.step(action)
        record.append(step)
        if step[3]:
            record.append(env.reset())
    return record


@st.composite
def transitions(draw: st.DrawFn, n_states: int, n_actions: int) -> list[tuple]:
    transition = st.tuples(
        st.integers(0, n_states - 1),
        st.integers(0, n_actions - 1),
        REWARDS,
        st.integers(0, n_states - 1),
        st.booleans(),
    )
    return draw(st.lists(transition, max_size=200))


@PROPERTY_SETTINGS
@given(
    st.floats(0.01, 1.0),
    st.floats(0.0, 0.99),
    st.data(),
)
def test_q_values_stay_finite_and_within_the_reward_bound(rate, discount, data):
    agent = QLearningAgent(5, 3, learning_rate=rate, discount=discount, seed=0)
    bound = 100 / (1 - discount)
    for obs, action, reward, next_obs, terminated in data.draw(transitions(5, 3)):
        td_error = agent.update(obs, action, reward, next_obs, terminated)
        assert np.isfinite(td_error)
        assert agent.act(next_obs) in range(3)
    assert np.all(np.isfinite(agent.q_table))
    assert np.all(np.abs(agent.q_table) <= bound * (1 + 1e-12))


@st.composite
def deterministic_configurations(draw: st.DrawFn) -> dict:
    """Configurations in which no random number is drawn, so envs agree exactly."""
    config = draw(configurations())
    config["slip"] = draw(st.sampled_from([0.0, 1.0]))
    if config["start"] == "random":
        config["start"] = 0
    return config


@PROPERTY_SETTINGS
@given(
    deterministic_configurations(),
    st.integers(1, 6),
    SEEDS,
    st.lists(st.integers(0, 2**16 - 1), max_size=60),
)
def test_the_vector_env_agrees_with_single_envs(config, n_envs, seed, action_bits):
    native = gym.make_vec(corridor_env.ENV_ID, num_envs=n_envs, **config)
    reference = gym.make_vec(
        corridor_env.ENV_ID, num_envs=n_envs, vectorization_mode="sync", **config
    )
    assert isinstance(native.unwrapped, corridor_env.CorridorVectorEnv)
    assert np.array_equal(native.reset(seed=seed)[0], reference.reset(seed=seed)[0])
    for bits in action_bits:
        actions = np.array([(bits >> k) & 1 for k in range(n_envs)])
        got = native.step(actions)[:4]
        expected = reference.step(actions)[:4]
        for got_array, expected_array in zip(got, expected, strict=True):
            assert np.array_equal(got_array, expected_array)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(0.01, 1.0),
    discount=st.floats(0.0, 0.99),
    epsilon=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_a_saved_and_loaded_agent_acts_exactly_like_the_original(
    tmp_path_factory, rate, discount, epsilon, seed, data
):
    agent = QLearningAgent(
        5, 3, learning_rate=rate, discount=discount, epsilon=epsilon, seed=seed
    )
    for transition in data.draw(transitions(5, 3)):
        agent.update(*transition)
        agent.act(transition[3])
    path = tmp_path_factory.mktemp("saved") / "agent.npz"
    agent.save(path)
    loaded = QLearningAgent.load(path)
    assert np.array_equal(loaded.q_table, agent.q_table)
    observations = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=50))
    assert [loaded.act(obs) for obs in observations] == [
        agent.act(obs) for obs in observations
    ]
