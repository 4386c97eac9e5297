"""Exact answers for envs that publish their model: ``Q*`` and a policy's value.

Gymnasium's toy-text envs (FrozenLake, CliffWalking, Taxi) and any env written the
same way expose ``env.unwrapped.P[state][action]``, a list of ``(probability,
next_state, reward, terminated)`` tuples. From it, value iteration gives the optimal
Q-values and a linear solve gives the exact value of any fixed policy, so a learned
table can be measured against the truth instead of against rollouts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import ArrayLike, NDArray

from agents._checks import real_value
from agents.spaces import discrete_size

# Value iteration contracts by ``discount`` per sweep; this many sweeps reach any
# tolerance above 1e-15 for discounts up to about 0.9997, and stop a hopeless run.
MAX_SWEEPS = 100_000


@dataclass(frozen=True)
class TabularModel:
    """An env's transition model as arrays, indexed from 0 like the agent's table.

    Attributes:
        transitions: shape ``(n_states, n_actions, n_states)``, the probability of
            each next state when the episode goes on; terminating outcomes are left
            out, since nothing follows them.
        rewards: shape ``(n_states, n_actions)``, the expected immediate reward.
        acting_states: shape ``(n_states,)``, the states in which the agent can ever
            act: those reachable from a start state without the episode ending.
            Other states (a goal entered only by terminating, CliffWalking's cliff)
            keep their initial Q-values forever, so errors are measured elsewhere.
        random_transitions: whether some action has more than one possible outcome.
    """

    transitions: NDArray[np.float64]
    rewards: NDArray[np.float64]
    acting_states: NDArray[np.bool_]
    random_transitions: bool


def tabular_model(env: gym.Env[Any, Any]) -> TabularModel:
    """Read ``env.unwrapped.P`` into a `TabularModel`.

    Start states come from ``env.unwrapped.initial_state_distrib`` where the env
    has it (the toy-text envs do); otherwise every state counts as a possible start.

    Raises:
        TypeError: if the env has no toy-text model ``P`` or its spaces are not
            ``Discrete``.
    """
    n_states, obs_start = discrete_size(env.observation_space, "observation_space")
    n_actions, action_start = discrete_size(env.action_space, "action_space")
    model = getattr(env.unwrapped, "P", None)
    if not isinstance(model, Mapping):
        raise TypeError(
            f"env must expose a toy-text transition model env.unwrapped.P "
            f"(P[state][action] -> [(prob, next_state, reward, terminated)]), "
            f"got {type(env.unwrapped).__name__} without one"
        )
    transitions = np.zeros((n_states, n_actions, n_states))
    rewards = np.zeros((n_states, n_actions))
    successors: list[set[int]] = [set() for _ in range(n_states)]
    random_transitions = False
    for state in range(n_states):
        for action in range(n_actions):
            outcomes = model[state + obs_start][action + action_start]
            row, reward, random = _read_outcomes(outcomes, obs_start, n_states)
            transitions[state, action] = row
            rewards[state, action] = reward
            random_transitions |= random
            successors[state].update(int(s) for s in np.flatnonzero(row))
    starts = getattr(env.unwrapped, "initial_state_distrib", np.ones(n_states))
    acting = _reachable(np.flatnonzero(np.asarray(starts) > 0), successors, n_states)
    return TabularModel(transitions, rewards, acting, bool(random_transitions))


def _read_outcomes(
    outcomes: Sequence[tuple[float, int, float, bool]], obs_start: int, n_states: int
) -> tuple[NDArray[np.float64], float, bool]:
    """Return one action's next-state probabilities, expected reward and randomness."""
    next_states = np.zeros(n_states)
    expected_reward = 0.0
    distinct = set()
    for probability, next_obs, reward, terminated in outcomes:
        if probability <= 0.0:
            continue
        distinct.add((int(next_obs), float(reward), bool(terminated)))
        expected_reward += probability * float(reward)
        if not terminated:
            next_states[int(next_obs) - obs_start] += probability
    return next_states, expected_reward, len(distinct) > 1


def _reachable(
    starts: NDArray[np.intp], successors: list[set[int]], n_states: int
) -> NDArray[np.bool_]:
    reached = np.zeros(n_states, dtype=bool)
    frontier = [int(state) for state in starts]
    reached[frontier] = True
    while frontier:
        state = frontier.pop()
        for following in successors[state]:
            if not reached[following]:
                reached[following] = True
                frontier.append(following)
    return reached


def _check_discount(discount: object) -> float:
    number = real_value(discount)
    if number is None:
        raise TypeError(f"discount must be a float in [0, 1), got {discount!r}")
    if not 0.0 <= number < 1.0:  # also rejects NaN
        raise ValueError(
            f"discount must be a float in [0, 1) for exact values (with 1 they may "
            f"be infinite), got {discount!r}"
        )
    return number


def _as_model(env: gym.Env[Any, Any] | TabularModel) -> TabularModel:
    return env if isinstance(env, TabularModel) else tabular_model(env)


def optimal_q_values(
    env: gym.Env[Any, Any] | TabularModel, discount: float, tol: float = 1e-10
) -> NDArray[np.float64]:
    """Return ``Q*`` by value iteration, within ``tol`` of the exact values.

    Sweeps stop once ``discount / (1 - discount)`` times the last sweep's largest
    change is below ``tol``, which bounds the distance to the fixed point.

    Args:
        env: an env exposing the toy-text model ``P`` (wrapped or not), or its
            `TabularModel`.
        discount: the discount factor, in [0, 1).
        tol: the largest error allowed in any entry, a float > 0.

    Returns:
        An array of shape ``(n_states, n_actions)``, indexed like the agent's table.

    Raises:
        TypeError: if the env has no model ``P``.
        ValueError: if ``discount`` or ``tol`` is out of range.
        RuntimeError: if ``MAX_SWEEPS`` sweeps do not reach ``tol``.
    """
    discount = _check_discount(discount)
    tolerance = real_value(tol)
    if tolerance is None or not 0.0 < tolerance < math.inf:
        raise ValueError(f"tol must be a finite float > 0, got {tol!r}")
    model = _as_model(env)
    q_values = model.rewards.copy()
    for _ in range(MAX_SWEEPS):
        updated: NDArray[np.float64] = (
            model.rewards + discount * model.transitions @ q_values.max(axis=1)
        )
        change = float(np.max(np.abs(updated - q_values)))
        q_values = updated
        if discount * change <= tolerance * (1.0 - discount):
            return q_values
    raise RuntimeError(
        f"value iteration did not reach tol={tol} within {MAX_SWEEPS} sweeps at "
        f"discount={discount}; use a larger tol or a smaller discount"
    )


def policy_values(
    env: gym.Env[Any, Any] | TabularModel, policy: ArrayLike, discount: float
) -> NDArray[np.float64]:
    """Return the exact value of every state under a fixed, possibly random, policy.

    Args:
        env: an env exposing the toy-text model ``P``, or its `TabularModel`.
        policy: shape ``(n_states, n_actions)``, each row the probabilities of the
            actions in that state.
        discount: the discount factor, in [0, 1).

    Raises:
        ValueError: if ``policy`` has the wrong shape or rows that are not
            probabilities, or ``discount`` is out of range.
    """
    discount = _check_discount(discount)
    model = _as_model(env)
    probabilities = np.asarray(policy, dtype=np.float64)
    if probabilities.shape != model.rewards.shape:
        raise ValueError(
            f"policy must have shape {model.rewards.shape}, got {probabilities.shape}"
        )
    if np.any(probabilities < 0) or not np.allclose(probabilities.sum(axis=1), 1.0):
        raise ValueError("policy rows must be probabilities that sum to 1")
    next_states = np.einsum("sa,sat->st", probabilities, model.transitions)
    rewards = np.einsum("sa,sa->s", probabilities, model.rewards)
    system = np.eye(len(rewards)) - discount * next_states
    values: NDArray[np.float64] = np.linalg.solve(system, rewards)
    return values


def greedy_policy(q_table: ArrayLike) -> NDArray[np.float64]:
    """Return the greedy policy of ``q_table`` as action probabilities.

    Tied best actions share the probability equally, as `QLearningAgent.act` breaks
    ties uniformly at random: a table with ties is judged by what it would do.
    """
    table = np.asarray(q_table, dtype=np.float64)
    best = table == table.max(axis=1, keepdims=True)
    result: NDArray[np.float64] = best / best.sum(axis=1, keepdims=True)
    return result


def greedy_policy_values(
    env: gym.Env[Any, Any] | TabularModel, q_table: ArrayLike, discount: float
) -> NDArray[np.float64]:
    """Return the exact value of every state under ``q_table``'s greedy policy.

    Ties are broken uniformly at random, as the agent does (see `greedy_policy`).
    """
    return policy_values(env, greedy_policy(q_table), discount)
