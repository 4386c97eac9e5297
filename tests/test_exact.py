"""Exact optimal values and policy values, against answers derived independently."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import corridor_env
from agents import (
    greedy_policy,
    greedy_policy_values,
    optimal_q_values,
    policy_values,
    tabular_model,
)

LEFT, RIGHT = 0, 1


def corridor_values_going_right(length, slip, goal_reward, step_reward, discount):
    """V of "always right" in the corridor, in closed form.

    Inside the corridor (1 <= s <= goal - 2) the policy's values satisfy
        V(s) = step_reward + discount * ((1 - slip) V(s + 1) + slip V(s - 1)),
    a linear recurrence whose solution is
        V(s) = step_reward / (1 - discount) + A r1 ** s + B r2 ** s,
    with r1, r2 the roots of (1 - slip) discount r**2 - r + slip discount = 0. The two
    ends fix A and B: next to the goal, a move right pays goal_reward and ends,
        V(goal - 1) = (1 - slip) goal_reward
                      + slip (step_reward + discount V(goal - 2));
    at the wall a slip left stays put,
        V(0) = step_reward + discount ((1 - slip) V(1) + slip V(0)).
    """
    goal = length - 1
    base = step_reward / (1 - discount)
    if slip == 0.0:
        steps = goal - np.arange(goal)
        # steps - 1 step rewards, then the goal reward.
        geometric = (1 - discount ** (steps - 1)) / (1 - discount)
        return np.append(
            step_reward * geometric + discount ** (steps - 1) * goal_reward, 0
        )
    root = np.sqrt(1 - 4 * slip * (1 - slip) * discount**2)
    r1, r2 = (
        (1 + root) / (2 * (1 - slip) * discount),
        (1 - root) / (2 * (1 - slip) * discount),
    )

    def value(s, a, b):
        return base + a * r1**s + b * r2**s

    # Each boundary equation is linear in (A, B): read off its coefficients.
    def residuals(a, b):
        end = (
            value(goal - 1, a, b)
            - (1 - slip) * goal_reward
            - slip * (step_reward + discount * value(goal - 2, a, b))
        )
        wall = (
            value(0, a, b)
            - step_reward
            - discount * ((1 - slip) * value(1, a, b) + slip * value(0, a, b))
        )
        return np.array([end, wall])

    offset = residuals(0.0, 0.0)
    matrix = np.column_stack(
        [residuals(1.0, 0.0) - offset, residuals(0.0, 1.0) - offset]
    )
    a, b = np.linalg.solve(matrix, -offset)
    return np.append(value(np.arange(goal), a, b), 0.0)


def corridor_q_star(length, slip, goal_reward, step_reward, discount):
    values = corridor_values_going_right(
        length, slip, goal_reward, step_reward, discount
    )
    goal = length - 1
    q_star = np.zeros((length, 2))
    for s in range(goal):
        for action, forward in ((RIGHT, 1 - slip), (LEFT, slip)):
            right = s + 1
            left = max(s - 1, 0)
            on_right = (
                goal_reward if right == goal else step_reward + discount * values[right]
            )
            on_left = step_reward + discount * values[left]
            q_star[s, action] = forward * on_right + (1 - forward) * on_left
    return q_star


CORRIDORS = [
    pytest.param(dict(), 0.9, id="defaults"),
    pytest.param(dict(length=9, step_reward=-0.1, goal_reward=2.0), 0.95, id="costly"),
    pytest.param(dict(slip=0.2), 0.9, id="slip"),
    pytest.param(
        dict(length=7, slip=0.3, step_reward=-0.5, goal_reward=5.0), 0.8, id="all"
    ),
]


@pytest.mark.parametrize(("kwargs", "discount"), CORRIDORS)
def test_optimal_q_values_match_the_corridor_closed_form(kwargs, discount):
    env = gym.make(corridor_env.ENV_ID, **kwargs)
    settings = dict(length=6, slip=0.0, goal_reward=1.0, step_reward=0.0) | kwargs
    expected = corridor_q_star(discount=discount, **settings)
    assert np.max(np.abs(optimal_q_values(env, discount) - expected)) < 1e-9


def test_default_corridor_right_column_is_discount_powers():
    q_star = optimal_q_values(gym.make(corridor_env.ENV_ID), 0.9)
    assert q_star[:5, RIGHT] == pytest.approx(0.9 ** (4 - np.arange(5)), abs=1e-10)


def test_optimal_q_values_meet_the_requested_tolerance():
    env = gym.make(corridor_env.ENV_ID, slip=0.2)
    loose = optimal_q_values(env, 0.9, tol=1e-3)
    exact = corridor_q_star(6, 0.2, 1.0, 0.0, 0.9)
    assert 0 < np.max(np.abs(loose - exact)) < 1e-3


def policy_iteration(env, discount):
    """Q* by policy iteration on the raw P: not the library's algorithm."""
    model = env.unwrapped.P
    n_states, n_actions = env.observation_space.n, env.action_space.n
    policy = np.zeros(n_states, dtype=int)
    while True:
        matrix = np.eye(n_states)
        rewards = np.zeros(n_states)
        for s in range(n_states):
            for p, nxt, r, done in model[s][policy[s]]:
                rewards[s] += p * r
                if not done:
                    matrix[s, nxt] -= discount * p
        values = np.linalg.solve(matrix, rewards)
        q = np.zeros((n_states, n_actions))
        for s in range(n_states):
            for a in range(n_actions):
                q[s, a] = sum(
                    p * (r + (0.0 if done else discount * values[nxt]))
                    for p, nxt, r, done in model[s][a]
                )
        better = np.argmax(q, axis=1)
        improves = (
            q[np.arange(n_states), better] > q[np.arange(n_states), policy] + 1e-12
        )
        if not improves.any():
            return q
        policy = np.where(improves, better, policy)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "discount"),
    [
        pytest.param("FrozenLake-v1", dict(is_slippery=False), 0.9, id="lake"),
        pytest.param("FrozenLake-v1", dict(is_slippery=True), 0.95, id="slippery-lake"),
        pytest.param("FrozenLake-v1", dict(map_name="8x8"), 0.99, id="lake-8x8"),
        pytest.param("CliffWalking-v1", dict(), 0.9, id="cliff"),
    ],
)
def test_optimal_q_values_match_policy_iteration_on_toy_text(env_id, kwargs, discount):
    env = gym.make(env_id, **kwargs)
    expected = policy_iteration(env, discount)
    assert np.max(np.abs(optimal_q_values(env, discount) - expected)) < 1e-8


def test_greedy_policy_of_q_star_has_value_v_star_on_the_lake():
    env = gym.make("FrozenLake-v1", is_slippery=True)
    q_star = optimal_q_values(env, 0.95)
    values = greedy_policy_values(env, q_star, 0.95)
    assert values == pytest.approx(q_star.max(axis=1), abs=1e-9)


def test_cliff_acting_states_leave_out_the_cliff_and_the_goal():
    acting = tabular_model(gym.make("CliffWalking-v1")).acting_states.reshape(4, 12)
    assert acting[:3].all()
    assert acting[3, 0]
    assert not acting[3, 1:].any()


def test_lake_acting_states_leave_out_holes_and_the_goal():
    acting = tabular_model(gym.make("FrozenLake-v1")).acting_states.reshape(4, 4)
    holes_and_goal = [(1, 1), (1, 3), (2, 3), (3, 0), (3, 3)]
    assert [tuple(cell) for cell in np.argwhere(~acting)] == holes_and_goal


@pytest.mark.parametrize(
    ("kwargs", "random"),
    [(dict(), False), (dict(slip=0.1), True), (dict(start="random"), False)],
    ids=["deterministic", "slip", "random-start"],
)
def test_model_says_whether_transitions_are_random(kwargs, random):
    env = gym.make(corridor_env.ENV_ID, **kwargs)
    assert tabular_model(env).random_transitions is random


def test_greedy_policy_splits_ties_evenly():
    policy = greedy_policy([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [3.0, 1.0, 0.0]])
    expected = [[1 / 3, 1 / 3, 1 / 3], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]
    assert policy == pytest.approx(np.array(expected))


def test_zero_table_is_judged_as_the_random_walk_it_acts_as():
    env = gym.make(corridor_env.ENV_ID, length=3)
    # Random walk on 3 cells, goal 2: V0 = 0.9 (V0 + V1) / 2, V1 = (1 + 0.9 V0) / 2.
    v0 = 0.45 * 0.5 / (1 - 0.45 - 0.45 * 0.45)
    v1 = 0.5 + 0.45 * v0
    values = greedy_policy_values(env, np.zeros((3, 2)), 0.9)
    assert values == pytest.approx([v0, v1, 0.0], abs=1e-12)


def test_policy_values_of_always_left_are_zero_without_step_rewards():
    env = gym.make(corridor_env.ENV_ID)
    values = policy_values(env, np.tile([1.0, 0.0], (6, 1)), 0.9)
    assert values == pytest.approx(np.zeros(6), abs=0)


def test_policy_values_refuses_a_bad_policy():
    env = gym.make(corridor_env.ENV_ID)
    with pytest.raises(ValueError, match=r"policy must have shape \(6, 2\)"):
        policy_values(env, np.ones((5, 2)) / 2, 0.9)
    with pytest.raises(ValueError, match="sum to 1"):
        policy_values(env, np.ones((6, 2)), 0.9)


class NoModelEnv(gym.Env):
    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)


def test_env_without_a_model_is_refused_by_name():
    with pytest.raises(TypeError, match="NoModelEnv without one"):
        optimal_q_values(NoModelEnv(), 0.9)


@pytest.mark.parametrize("discount", [1.0, -0.1, float("nan")], ids=str)
def test_discount_must_be_below_one(discount):
    with pytest.raises(ValueError, match=r"discount must be a float in \[0, 1\)"):
        optimal_q_values(gym.make(corridor_env.ENV_ID), discount)


def test_tol_must_be_positive():
    with pytest.raises(ValueError, match="tol must be a finite float > 0, got 0"):
        optimal_q_values(gym.make(corridor_env.ENV_ID), 0.9, tol=0)
