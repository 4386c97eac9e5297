"""The reference Q-learning agent: its update, its choices and what it learns."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import corridor_env
from agents import QLearningAgent, evaluate, train

SEED = 11
SEEDS = [0, 1, 2]
DISCOUNT = 0.9


def corridor_q_star(length: int = 6, discount: float = DISCOUNT) -> np.ndarray:
    """Q* of a deterministic corridor with reward 1 at the goal and 0 elsewhere.

    Right from cell s reaches the goal in goal - s steps, so its value is the closed
    form discount ** (goal - 1 - s); left is then worth discount times the best value
    of the cell it lands in, found by value iteration.
    """
    goal = length - 1
    q_star = np.zeros((length, 2))
    q_star[:goal, 1] = discount ** (goal - 1 - np.arange(goal))
    for _ in range(10 * length):
        values = q_star.max(axis=1)
        values[goal] = 0.0
        for state in range(goal):
            q_star[state, 0] = discount * values[max(state - 1, 0)]
    return q_star


class ShiftedEnv(gym.Env):
    """Observations 5..7 and actions -1..0, to check that spaces' starts are honoured.

    Action 0 moves up a cell and action -1 stays; reaching 7 pays 1 and ends.
    """

    observation_space = spaces.Discrete(3, start=5)
    action_space = spaces.Discrete(2, start=-1)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.obs = 5
        return self.obs, {}

    def step(self, action):
        assert self.action_space.contains(action), action
        self.obs += int(action == 0)
        terminated = self.obs == 7
        return self.obs, float(terminated), terminated, False, {}


def test_q_table_starts_at_zero_with_the_env_shape():
    agent = QLearningAgent.from_env(gym.make(corridor_env.ENV_ID, length=9))
    assert agent.q_table.shape == (9, 2)
    assert agent.q_table.dtype == np.float64
    assert not agent.q_table.any()


def test_fresh_table_breaks_ties_uniformly():
    agent = QLearningAgent(6, 2, epsilon=0.0, seed=SEED)
    actions = [agent.act(0, greedy=True) for _ in range(4000)]
    assert all(type(action) is int for action in actions)
    # 2000 expected; 5 standard deviations is about 160.
    assert abs(sum(actions) - 2000) < 160


def test_greedy_picks_the_best_action_and_random_covers_all():
    agent = QLearningAgent(2, 3, epsilon=1.0, seed=SEED)
    agent.q_table[0] = [0.0, 2.0, 1.0]
    assert {agent.act(0, greedy=True) for _ in range(50)} == {1}
    assert {agent.act(0) for _ in range(300)} == {0, 1, 2}


def test_epsilon_is_the_share_of_random_actions():
    agent = QLearningAgent(1, 2, epsilon=0.2, seed=SEED)
    agent.q_table[0] = [0.0, 1.0]
    actions = [agent.act(0) for _ in range(10_000)]
    # A random action is the worse one half the time: 10% expected.
    assert abs(actions.count(0) / 10_000 - 0.1) < 0.015


def test_update_on_a_terminal_step_uses_the_reward_alone():
    agent = QLearningAgent(6, 2, learning_rate=0.1, discount=DISCOUNT)
    agent.q_table[5] = [7.0, 7.0]
    td_error = agent.update(4, 1, 1.0, 5, terminated=True)
    assert td_error == 1.0
    assert agent.q_table[4, 1] == pytest.approx(0.1)


def test_update_bootstraps_from_the_best_next_value():
    agent = QLearningAgent(6, 2, learning_rate=0.5, discount=DISCOUNT)
    agent.q_table[1] = [0.5, 2.0]
    agent.q_table[0, 1] = 0.2
    td_error = agent.update(0, 1, 0.0, 1, terminated=False)
    assert td_error == pytest.approx(0.9 * 2.0 - 0.2)
    assert agent.q_table[0, 1] == pytest.approx(0.2 + 0.5 * (1.8 - 0.2))


def test_truncated_step_still_bootstraps():
    env = gym.make(corridor_env.ENV_ID, max_episode_steps=1)
    agent = QLearningAgent.from_env(env, epsilon=0.0, seed=SEED)
    agent.q_table[:] = [[0.0, 1.0]] * 6
    history = train(agent, env, 1, seed=SEED)
    assert history.truncated == [True]
    # From 0, right lands in 1 (truncated): target 0 + 0.9 * 1.0, step 0.1 of the way.
    assert agent.q_table[0, 1] == pytest.approx(1.0 + 0.1 * (0.9 - 1.0))


def test_same_seeds_give_the_same_run_bit_for_bit():
    def run():
        env = gym.make(corridor_env.ENV_ID, slip=0.2, start="random")
        agent = QLearningAgent.from_env(env, seed=SEED)
        history = train(agent, env, 50, seed=SEED)
        return agent.q_table.copy(), history

    (q_one, history_one), (q_two, history_two) = run(), run()
    assert np.array_equal(q_one, q_two)
    assert history_one == history_two
    env = gym.make(corridor_env.ENV_ID, slip=0.2, start="random")
    other = QLearningAgent.from_env(env, seed=SEED + 1)
    assert train(other, env, 50, seed=SEED).lengths != history_one.lengths


@pytest.mark.parametrize("seed", SEEDS)
def test_default_corridor_converges_to_the_exact_optimum(seed):
    env = gym.make(corridor_env.ENV_ID)
    agent = QLearningAgent.from_env(
        env, learning_rate=0.1, discount=DISCOUNT, epsilon=0.1, seed=seed
    )
    train(agent, env, 3000, seed=seed)
    assert list(agent.greedy_actions()[:5]) == [1, 1, 1, 1, 1]
    assert np.max(np.abs(agent.q_table - corridor_q_star())) < 1e-3
    assert evaluate(agent, env, 3).lengths == [5, 5, 5]


@pytest.mark.parametrize("seed", SEEDS)
def test_learns_the_49_step_path_of_a_50_cell_corridor(seed):
    env = gym.make(corridor_env.ENV_ID, length=50)
    agent = QLearningAgent.from_env(env, seed=seed)
    history = train(agent, env, 400, seed=seed)
    assert history.returns[-1] == 1.0
    result = evaluate(agent, env, 1)
    assert (result.lengths, result.returns) == ([49], [1.0])


@pytest.mark.parametrize("seed", SEEDS)
def test_frozen_lake_reaches_the_goal_by_the_shortest_path(seed):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = QLearningAgent.from_env(env, seed=seed)
    train(agent, env, 1500, seed=seed)
    result = evaluate(agent, env, 5)
    assert result.returns == [1.0] * 5
    assert result.lengths == [6] * 5


@pytest.mark.parametrize("seed", SEEDS)
def test_cliff_walking_finds_the_13_step_path(seed):
    env = gym.make("CliffWalking-v1")
    agent = QLearningAgent.from_env(env, seed=seed)
    train(agent, env, 500, seed=seed)
    result = evaluate(agent, env, 2)
    assert result.lengths == [13, 13]
    assert result.returns == [-13.0, -13.0]


def test_spaces_with_a_start_are_indexed_from_it():
    env = ShiftedEnv()
    agent = QLearningAgent.from_env(env, epsilon=0.5, seed=SEED)
    assert agent.q_table.shape == (3, 2)
    assert {agent.act(5) for _ in range(100)} == {-1, 0}
    train(agent, env, 200, seed=SEED)
    assert list(agent.greedy_actions()[:2]) == [0, 0]
    assert evaluate(agent, env, 1).lengths == [2]
    with pytest.raises(ValueError, match=r"obs must be an int in \[5, 7\], got 4"):
        agent.act(4)


@pytest.mark.parametrize(
    ("observation_space", "action_space", "named"),
    [
        (spaces.Box(0, 1, (2,)), spaces.Discrete(2), r"observation_space, got Box"),
        (spaces.Discrete(4), spaces.MultiDiscrete([2, 2]), r"action_space.*MultiDisc"),
    ],
    ids=["box-observations", "multidiscrete-actions"],
)
def test_refuses_envs_without_discrete_spaces(observation_space, action_space, named):
    env = ShiftedEnv()
    env.observation_space, env.action_space = observation_space, action_space
    with pytest.raises(TypeError, match=rf"needs a Discrete {named}"):
        QLearningAgent.from_env(env)


def test_numpy_observations_and_actions_are_accepted():
    agent = QLearningAgent(6, 2, seed=SEED)
    assert agent.act(np.int64(3)) in (0, 1)
    agent.update(np.array(4), np.int32(1), 1.0, np.int64(5), np.bool_(True))
    assert agent.q_table[4, 1] == pytest.approx(0.1)


def test_train_history_and_early_stop():
    env = gym.make(corridor_env.ENV_ID)
    agent = QLearningAgent.from_env(env, seed=SEED)
    assert len(train(agent, env, 0)) == 0

    def stop_after_third(episode, history):
        return episode == 2

    history = train(agent, env, 100, seed=SEED, callback=stop_after_third)
    assert len(history) == 3
    assert history.returns == [1.0, 1.0, 1.0]
    assert all(length >= 5 for length in history.lengths)


def test_max_steps_cuts_episodes_of_envs_without_a_time_limit():
    env = corridor_env.CorridorEnv()
    agent = QLearningAgent.from_env(env, seed=SEED)
    agent.q_table[:, 0] = 1.0  # a policy that always walks into the wall
    result = evaluate(agent, env, 2, max_steps=25)
    assert (result.lengths, result.truncated) == ([25, 25], [True, True])
    with pytest.raises(ValueError, match=r"max_steps must be an int >= 1, got 0"):
        evaluate(agent, env, 1, max_steps=0)
    with pytest.raises(TypeError, match=r"episodes must be an int >= 0, got 2\.5"):
        train(agent, env, 2.5)
