"""Schedules of epsilon and the learning rate, alone and in the agent."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import corridor_env
from agents import (
    Constant,
    ExponentialDecay,
    LinearDecay,
    QLearningAgent,
    VisitCount,
    train,
)

SEED = 4


def test_constant_is_the_same_every_episode():
    schedule = Constant(0.3)
    assert [schedule(e) for e in (0, 1, 10**6)] == [0.3, 0.3, 0.3]


def test_linear_decay_reaches_end_and_stays():
    schedule = LinearDecay(start=1.0, end=0.1, episodes=10)
    values = [schedule(e) for e in (0, 5, 10, 11, 1000)]
    assert values == pytest.approx([1.0, 0.55, 0.1, 0.1, 0.1])


def test_exponential_decay_multiplies_then_floors():
    schedule = ExponentialDecay(start=0.8, end=0.05, factor=0.5)
    values = [schedule(e) for e in (0, 1, 2, 3, 4, 5, 10**5)]
    assert values == pytest.approx([0.8, 0.4, 0.2, 0.1, 0.05, 0.05, 0.05])


def test_visit_count_rate_is_one_over_n_to_the_power():
    assert VisitCount(1.0).rate(4) == 0.25
    assert VisitCount(0.8).rate(1) == 1.0
    assert VisitCount(0.8).rate(32) == pytest.approx(32**-0.8)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Constant(1.5), ValueError, r"value must be a float in \[0, 1\]"),
        (lambda: Constant("a"), TypeError, "value must be a float"),
        (lambda: LinearDecay(1.0, -0.1, 5), ValueError, "end must be"),
        (lambda: LinearDecay(1.0, 0.1, 0), ValueError, "episodes must be an int >= 1"),
        (lambda: ExponentialDecay(0.1, 0.5, 0.9), ValueError, r"end must be <= start"),
        (lambda: ExponentialDecay(1.0, 0.1, 0.0), ValueError, r"factor must be"),
        (lambda: VisitCount(0.5), ValueError, r"power must be a float in \(0.5, 1\]"),
        (lambda: VisitCount(float("nan")), ValueError, "power must be"),
        (lambda: VisitCount("1"), TypeError, "power must be"),
    ],
    ids=[
        "constant-range",
        "constant-type",
        "linear-end",
        "linear-episodes",
        "exp-floor",
        "exp-factor",
        "visit-half",
        "visit-nan",
        "visit-type",
    ],
)
def test_schedule_arguments_are_checked(build, error, match):
    with pytest.raises(error, match=match):
        build()


def corridor(**kwargs):
    return gym.make(corridor_env.ENV_ID, **kwargs)


def test_train_applies_the_epsilon_schedule_per_episode():
    env = corridor()
    schedule = LinearDecay(start=1.0, end=0.0, episodes=4)
    agent = QLearningAgent.from_env(env, epsilon=schedule, seed=SEED)
    history = train(agent, env, 6, seed=SEED)
    assert history.epsilons == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0])
    assert history.learning_rates == [0.1] * 6


def test_schedules_carry_on_when_training_resumes():
    env = corridor()
    agent = QLearningAgent.from_env(
        env, learning_rate=ExponentialDecay(0.8, 0.05, 0.5), seed=SEED
    )
    first = train(agent, env, 2, seed=SEED)
    second = train(agent, env, 2)
    assert first.learning_rates + second.learning_rates == [0.8, 0.4, 0.2, 0.1]
    assert agent.episodes_started == 4


def test_constant_floats_and_constant_schedules_give_the_same_run():
    runs = []
    for rate, epsilon in ((0.1, 0.2), (Constant(0.1), Constant(0.2))):
        env = corridor(slip=0.1)
        agent = QLearningAgent.from_env(
            env, learning_rate=rate, epsilon=epsilon, seed=SEED
        )
        runs.append((train(agent, env, 30, seed=SEED).lengths, agent.q_table))
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1])


def test_visit_count_first_update_replaces_the_value():
    agent = QLearningAgent(2, 2, learning_rate=VisitCount(0.8), seed=SEED)
    agent.q_table = [[5.0, 5.0], [0.0, 0.0]]
    agent.update(0, 1, 1.0, 1, terminated=True)
    assert agent.q_table[0, 1] == 1.0
    assert agent.visit_counts is not None
    assert agent.visit_counts.tolist() == [[0, 1], [0, 0]]


def test_visit_count_with_power_one_averages_the_targets():
    agent = QLearningAgent(1, 1, learning_rate=VisitCount(1.0), seed=SEED)
    for reward in (1.0, 0.0, 1.0, 0.0, 0.0):
        agent.update(0, 0, reward, 0, terminated=True)
    assert agent.q_table[0, 0] == pytest.approx(0.4, abs=1e-15)
    assert agent.learning_rate == 0.2


def test_visit_count_history_records_the_largest_step_of_each_episode():
    env = corridor(slip=0.2)
    agent = QLearningAgent.from_env(env, learning_rate=VisitCount(0.8), seed=SEED)
    snapshots = [agent.visit_counts.copy()]

    def snapshot(episode, history):
        snapshots.append(agent.visit_counts.copy())

    history = train(agent, env, 40, seed=SEED, callback=snapshot)
    # The largest step of an episode is that of the least visited pair it updated,
    # at its first update in the episode.
    expected = [
        float(np.max((before[after > before] + 1.0) ** -0.8))
        for before, after in zip(snapshots[:-1], snapshots[1:], strict=True)
    ]
    assert history.learning_rates == pytest.approx(expected, rel=1e-12)
    assert history.learning_rates[0] == 1.0
    assert min(history.learning_rates) < 1.0


def test_setting_a_float_replaces_the_schedule():
    agent = QLearningAgent(3, 2, epsilon=LinearDecay(1.0, 0.0, 10), seed=SEED)
    agent.epsilon = 0.05
    agent.start_episode()
    assert agent.epsilon == 0.05
    assert agent.epsilon_schedule == Constant(0.05)


def test_switching_from_visit_counts_back_to_a_float_restores_the_plain_update():
    agent = QLearningAgent(1, 1, learning_rate=VisitCount(1.0), seed=SEED)
    agent.learning_rate = 0.5
    agent.update(0, 0, 1.0, 0, terminated=True)
    agent.update(0, 0, 1.0, 0, terminated=True)
    assert agent.q_table[0, 0] == 0.75
    assert agent.visit_counts is not None
    assert agent.visit_counts.tolist() == [[0]]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(learning_rate=LinearDecay(0.5, 0.0, 10)), ValueError, "learning_rate"),
        (dict(learning_rate=ExponentialDecay(0.5, 0.0, 0.9)), ValueError, "stay in"),
        (dict(learning_rate=0.0), ValueError, r"learning_rate must be a float in \(0"),
        (dict(learning_rate="fast"), TypeError, "learning_rate must be a float"),
        (dict(epsilon=VisitCount()), TypeError, "epsilon must be a float or a"),
        (dict(epsilon=1.5), ValueError, r"epsilon must be a float in \[0, 1\]"),
    ],
    ids=["linear-to-zero", "exp-to-zero", "zero", "string", "visit-epsilon", "eps"],
)
def test_agent_refuses_schedules_it_cannot_use(kwargs, error, match):
    with pytest.raises(error, match=match):
        QLearningAgent(3, 2, **kwargs)
