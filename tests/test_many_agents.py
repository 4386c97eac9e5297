"""Many Q-learners in lockstep against separate QLearningAgents."""

from __future__ import annotations

import ast
import inspect

import gymnasium as gym
import numpy as np
import pytest

import agents.many
import corridor_env
from agents import QLearningAgent
from agents.many import ManyQLearning, train_many

SEED = 11
N_STATES, N_ACTIONS = 6, 2


def random_tables(n_agents: int, seed: int = SEED) -> np.ndarray:
    # Distinct random values: no ties, so greedy choices are deterministic.
    return np.random.default_rng(seed).random((n_agents, N_STATES, N_ACTIONS))


def test_update_matches_separate_agents_bit_for_bit():
    n_agents = 5
    rng = np.random.default_rng(SEED)
    rates = np.array([0.1, 0.5, 1.0, 0.3, 0.05])
    many = ManyQLearning(n_agents, N_STATES, N_ACTIONS, learning_rate=rates)
    many.q_tables[:] = random_tables(n_agents)
    singles = []
    for k in range(n_agents):
        single = QLearningAgent(N_STATES, N_ACTIONS, learning_rate=rates[k])
        single.q_table = many.q_tables[k]
        singles.append(single)
    for _ in range(30):
        obs, next_obs = rng.integers(N_STATES, size=(2, n_agents))
        actions = rng.integers(N_ACTIONS, size=n_agents)
        rewards = rng.normal(size=n_agents)
        terminated = rng.random(n_agents) < 0.3
        td = many.update(obs, actions, rewards, next_obs, terminated)
        for k, single in enumerate(singles):
            expected = single.update(
                int(obs[k]),
                int(actions[k]),
                float(rewards[k]),
                int(next_obs[k]),
                bool(terminated[k]),
            )
            assert td[k] == expected
    for k, single in enumerate(singles):
        np.testing.assert_array_equal(many.q_tables[k], single.q_table)


def test_update_leaves_agents_that_do_not_learn_unchanged():
    many = ManyQLearning(3, N_STATES, N_ACTIONS, learning_rate=0.5)
    ones = np.ones(3, dtype=np.int64)
    many.update(ones, ones, [1.0, 1.0, 1.0], ones, [True] * 3, [True, False, True])
    np.testing.assert_array_equal(many.q_tables[:, 1, 1], [0.5, 0.0, 0.5])


def test_greedy_act_without_ties_is_the_argmax():
    many = ManyQLearning(50, N_STATES, N_ACTIONS, epsilon=0.0, seed=SEED)
    many.q_tables[:] = random_tables(50)
    obs = np.random.default_rng(SEED).integers(N_STATES, size=50)
    expected = np.argmax(many.q_tables[np.arange(50), obs], axis=1)
    np.testing.assert_array_equal(many.act(obs), expected)
    np.testing.assert_array_equal(many.act(obs, greedy=True), expected)


def test_ties_are_broken_uniformly_among_the_best_actions_only():
    n_agents = 60_000
    many = ManyQLearning(n_agents, 1, 3, seed=SEED)
    many.q_tables[:, 0] = [1.0, 0.0, 1.0]
    actions = many.act(np.zeros(n_agents, dtype=np.int64), greedy=True)
    counts = np.bincount(actions, minlength=3) / n_agents
    # Standard error 0.002: 0.02 is ten of them, with a fixed seed.
    np.testing.assert_allclose(counts, [0.5, 0.0, 0.5], atol=0.02)


def test_exploration_picks_uniform_actions_at_rate_epsilon():
    n_agents = 60_000
    epsilon = 0.4
    many = ManyQLearning(n_agents, 1, 4, epsilon=epsilon, seed=SEED)
    many.q_tables[:, 0] = [0.0, 0.0, 1.0, 0.0]
    actions = many.act(np.zeros(n_agents, dtype=np.int64))
    counts = np.bincount(actions, minlength=4) / n_agents
    explored = epsilon / 4
    expected = [explored, explored, 1 - epsilon + explored, explored]
    np.testing.assert_allclose(counts, expected, atol=0.02)


def test_an_epsilon_grid_gives_each_agent_its_own_rate():
    epsilons = np.repeat([0.0, 1.0], 20_000)
    many = ManyQLearning(epsilons.size, 1, 2, epsilon=epsilons, seed=SEED)
    many.q_tables[:, 0] = [0.0, 1.0]
    actions = many.act(np.zeros(epsilons.size, dtype=np.int64))
    assert actions[:20_000].min() == 1
    assert abs(actions[20_000:].mean() - 0.5) < 0.02


def test_train_many_with_a_fixed_greedy_path_is_exact():
    env = gym.make_vec(corridor_env.ENV_ID, num_envs=4)
    many = ManyQLearning.from_vector_env(env, epsilon=0.0, seed=SEED)
    many.q_tables[:, :, 1] = 1e-3  # right is best everywhere: no ties, no draws
    history = train_many(many, env, 12, seed=SEED)
    # Steps 1-5 and 7-11 are two walks of 5 cells; steps 6 and 12 are resets.
    np.testing.assert_array_equal(history.episodes, [2, 2, 2, 2])
    np.testing.assert_array_equal(history.last_lengths, [5, 5, 5, 5])
    np.testing.assert_array_equal(history.last_returns, [1.0] * 4)
    assert history.steps == 12


def test_train_many_calls_back_with_the_agents_whose_episode_ended():
    env = gym.make_vec(corridor_env.ENV_ID, num_envs=3)
    many = ManyQLearning.from_vector_env(env, epsilon=0.0, seed=SEED)
    many.q_tables[:, :, 1] = 1e-3
    many.q_tables[2, :, 1] = -1e-3  # agent 2 walks left, into the time limit
    calls = []

    def callback(ended, history):
        calls.append((ended.tolist(), history.episodes.tolist()))
        return len(calls) == 2

    history = train_many(many, env, 10_000, seed=SEED, callback=callback)
    # Agents 0 and 1 reach the goal in 5 steps, then again 6 steps later.
    assert calls == [([0, 1], [1, 1, 0]), ([0, 1], [2, 2, 0])]
    assert history.steps == 11
    np.testing.assert_array_equal(history.last_lengths, [5, 5, 0])


def separate_agents_q(n_agents: int, steps: int) -> np.ndarray:
    """Q-tables of separate QLearningAgents, each run for ``steps`` calls.

    A reset takes one of the calls, as the step after an episode's end does in a
    vector env with next-step autoreset.
    """
    env = gym.make(corridor_env.ENV_ID)
    tables = []
    for seed in range(n_agents):
        agent = QLearningAgent.from_env(env, seed=seed)
        obs, _ = env.reset(seed=seed)
        ended = False
        for _ in range(steps):
            if ended:
                obs, _ = env.reset()
                ended = False
                continue
            action = agent.act(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            agent.update(obs, action, reward, next_obs, terminated)
            obs, ended = next_obs, terminated or truncated
        tables.append(agent.q_table)
    return np.array(tables)


def test_lockstep_training_matches_separate_agents_in_distribution():
    steps, n_separate, n_lockstep = 60, 1000, 20_000
    env = gym.make_vec(corridor_env.ENV_ID, num_envs=n_lockstep)
    many = ManyQLearning.from_vector_env(env, seed=SEED)
    train_many(many, env, steps, seed=SEED)
    # Every Q-value away from the goal: Q(s, left) is what exploration moves most.
    mine = many.q_tables[:, :-1]
    theirs = separate_agents_q(n_separate, steps)[:, :-1]
    difference = mine.mean(axis=0) - theirs.mean(axis=0)
    standard_error = np.hypot(
        mine.std(axis=0) / np.sqrt(n_lockstep), theirs.std(axis=0) / np.sqrt(n_separate)
    )
    # Five standard errors: a fixed-seed check that a real difference would fail.
    assert np.all(np.abs(difference) < 5 * standard_error)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be a float in \(0"),
        ({"discount": [0.5, 0.5]}, ValueError, "discount must be .* got shape"),
        ({"epsilon": "high"}, TypeError, "epsilon must be a float"),
        ({"epsilon": np.array([0.1, 0.2, 1.5])}, ValueError, "epsilon must be"),
    ],
    ids=["zero-rate", "grid-shape", "string", "out-of-range"],
)
def test_bad_hyperparameters_raise_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        ManyQLearning(3, N_STATES, N_ACTIONS, **kwargs)


def test_observations_outside_the_space_raise():
    many = ManyQLearning(2, N_STATES, N_ACTIONS)
    with pytest.raises(ValueError, match=r"obs must hold ints in \[0, 5\]"):
        many.act(np.array([0, 6]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        many.act(np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer array"):
        many.act(np.array([0.0, 1.0]))


def test_q_tables_are_checked_and_stay_writable_in_place():
    many = ManyQLearning(2, N_STATES, N_ACTIONS, learning_rate=1.0)
    many.q_tables = np.ones((N_ACTIONS, N_STATES, 2)).transpose(2, 1, 0)
    ones = np.ones(2, dtype=np.int64)
    many.update(ones, ones, [0.5, 0.5], ones, [True, True])
    np.testing.assert_array_equal(many.q_tables[:, 1, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"q_tables must have shape \(2, 6, 2\)"):
        many.q_tables = np.zeros((2, 6))
    with pytest.raises(ValueError, match="finite"):
        many.q_tables = np.full((2, 6, 2), np.nan)


def test_train_many_refuses_mismatched_or_same_step_envs():
    many = ManyQLearning(3, N_STATES, N_ACTIONS)
    with pytest.raises(ValueError, match="one sub-env per agent"):
        train_many(many, gym.make_vec(corridor_env.ENV_ID, num_envs=2), 1)
    same_step = gym.make_vec(
        corridor_env.ENV_ID,
        num_envs=3,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
    )
    with pytest.raises(ValueError, match="NEXT_STEP"):
        train_many(many, same_step, 1)


def test_many_does_not_import_the_env_package():
    modules = set()
    for node in ast.walk(ast.parse(inspect.getsource(agents.many))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert {"agents", "gymnasium", "numpy"} <= modules
    assert "corridor_env" not in modules
