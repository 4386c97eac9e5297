"""Episodes to convergence over many seeds: lockstep and sequential engines."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import corridor_env
from agents import (
    Constant,
    ConvergenceWarning,
    History,
    LinearDecay,
    PolicyOptimal,
    QChangeBelow,
    QLearningAgent,
    QWithin,
    SeedStudy,
    VisitCount,
    convergence_over_seeds,
    optimal_q_values,
    tabular_model,
)
from agents.convergence import _Tracker
from agents.many import ManyHistory, ManyQLearning
from agents.many_convergence import _ManyTracker, episodes_to_criteria

SEED = 0
RUNS = 200
# Fast-exploring settings, so that every run converges within a small budget.
FAST = {"learning_rate": 0.3, "epsilon": 0.5}


def corridor(**kwargs):
    return gym.make(corridor_env.ENV_ID, **kwargs)


# On a two-cell corridor with learning rate 1 and no exploration, the first episode
# ends with Q(0, right) = 1 and Q(0, left) = 0 (a left step bootstraps from zeros),
# and the greedy policy then goes right forever: nothing changes again. With
# Q*(0, left) = 0.9 * 1, max |Q - Q*| stays 0.9 and the greedy policy is optimal.
TWO_CELLS = {"learning_rate": 1.0, "epsilon": 0.0, "discount": 0.9}
TWO_CELL_CRITERIA = (
    QWithin(0.95),
    QWithin(0.85),
    PolicyOptimal(),
    PolicyOptimal(patience=3),
    QChangeBelow(0.5, patience=2),
)
TWO_CELL_EPISODES = [1, math.inf, 1, 3, 3]


@pytest.mark.parametrize("engine", ["lockstep", "sequential"])
def test_two_cells_give_the_hand_computed_episodes(engine):
    study = convergence_over_seeds(
        corridor(length=2),
        20,
        10,
        criteria=TWO_CELL_CRITERIA,
        engine=engine,
        **TWO_CELLS,
    )
    assert study.engine == engine
    for index, expected in enumerate(TWO_CELL_EPISODES):
        assert study.episodes_to[index].tolist() == [expected] * 20


@pytest.mark.parametrize("engine", ["lockstep", "sequential"])
def test_episodes_cut_by_max_steps_never_reach_the_goal(engine):
    # Five steps reach the goal of the default corridor; three never do, so the
    # table stays zero: it learns nothing, and a table standing still because it
    # has seen no reward has not converged.
    criteria = (QChangeBelow(1e-9, patience=2), PolicyOptimal(), QWithin())
    study = convergence_over_seeds(
        corridor(), 30, 8, criteria=criteria, max_steps=3, engine=engine
    )
    assert np.isinf(study.episodes_to[0]).all()
    assert np.isinf(study.episodes_to[1]).all()
    assert np.isinf(study.episodes_to[2]).all()


def test_one_episode_is_reported_as_not_converged():
    study = convergence_over_seeds(corridor(), 50, 1, criteria=[QWithin()], seed=SEED)
    assert study.engine == "lockstep"
    assert np.isinf(study.episodes_to[0]).all()
    assert study.format().splitlines()[1].split()[-4:] == ["0/50", ">1", ">1", ">1"]


def test_a_zero_budget_trains_nothing_and_meets_nothing():
    study = convergence_over_seeds(corridor(), 4, 0, criteria=[QChangeBelow(1.0, 1)])
    assert study.budget == 0
    assert np.isinf(study.episodes_to[0]).all()


def test_lockstep_judges_each_table_as_a_single_run_does():
    # Tables near Q*, some with tied best actions, fed episode by episode to one
    # lockstep tracker and to one single-run tracker per agent.
    n_agents, n_episodes = 40, 12
    model = tabular_model(corridor(length=4))
    q_star = optimal_q_values(model, 0.9)
    criteria = (
        QWithin(0.06),
        PolicyOptimal(patience=2),
        QChangeBelow(0.15, patience=2),
    )
    rng = np.random.default_rng(SEED)
    tables = q_star + rng.choice(
        [-0.1, 0.0, 0.0, 0.05], size=(n_episodes, n_agents, 4, 2)
    )
    ties = rng.random((n_episodes, n_agents, 4)) < 0.3
    tables[ties] = tables[ties].max(axis=-1, keepdims=True)
    many = ManyQLearning(n_agents, 4, 2, discount=0.9)
    lockstep = _ManyTracker(many, criteria, n_episodes, model, q_star)
    history = ManyHistory(
        np.zeros(n_agents, dtype=np.int64),
        np.zeros(n_agents),
        np.zeros(n_agents, dtype=np.int64),
        0,
    )
    everyone = np.arange(n_agents)
    for episode in range(n_episodes):
        many.q_tables = tables[episode]
        history.episodes += 1
        lockstep(everyone, history)
    for agent in range(n_agents):
        single = QLearningAgent(4, 2, discount=0.9)
        tracker = _Tracker(single, criteria, "all", False, None, model, q_star)
        for episode in range(n_episodes):
            single.q_table = tables[episode, agent]
            tracker(episode, History())
        expected = [math.inf if met is None else met for met in tracker.first_met]
        assert lockstep.first_met[:, agent].tolist() == expected


def test_lockstep_matches_sequential_runs_in_distribution():
    env = corridor()
    criteria = (QWithin(1e-3), PolicyOptimal(), QChangeBelow(1e-3, patience=5))
    studies = [
        convergence_over_seeds(
            env, RUNS, 300, criteria=criteria, seed=SEED, engine=engine, **FAST
        )
        for engine in ("lockstep", "sequential")
    ]
    for index in range(len(criteria)):
        mine, theirs = (study.episodes_to[index] for study in studies)
        assert np.isfinite(mine).all() and np.isfinite(theirs).all()
        spread = math.hypot(mine.std(), theirs.std()) / math.sqrt(2)
        # A quantile of 200 runs has a standard error of about 0.13 (median) to
        # 0.17 (p10, p90) standard deviations; 0.75 of one is over three standard
        # errors of the difference, and the seeds are fixed.
        gaps = np.subtract(studies[0].percentiles(index), studies[1].percentiles(index))
        assert np.all(np.abs(gaps) <= 0.75 * spread), (studies[0].labels[index], gaps)


def test_lockstep_reports_each_run_within_its_budget_and_patience():
    budget = 60
    criteria = (QWithin(1e-3), PolicyOptimal(patience=4), QChangeBelow(1e-3, 5))
    study = convergence_over_seeds(corridor(), 300, budget, criteria=criteria, **FAST)
    # The budget cuts some runs short of the values, not all of them.
    assert 0 < np.isinf(study.episodes_to[0]).sum() < 300
    for criterion, episodes in zip(criteria, study.episodes_to, strict=True):
        met = episodes[np.isfinite(episodes)]
        assert met.min() >= criterion.patience and met.max() <= budget
        assert np.array_equal(met, np.round(met))


def test_auto_picks_lockstep_for_constant_rates_on_a_registered_env():
    for rates in ({}, {"learning_rate": Constant(0.1), "epsilon": Constant(0.1)}):
        study = convergence_over_seeds(corridor(), 3, 1, **rates)
        assert study.engine == "lockstep"
        assert study.seeds == (SEED,)
        assert study.format().splitlines()[-1] == (
            "runs trained in lockstep on one vector env"
        )


@pytest.mark.parametrize(
    ("env", "rates"),
    [
        (corridor(), {"learning_rate": VisitCount(0.8)}),
        (corridor(), {"epsilon": LinearDecay(1.0, 0.1, 10)}),
        (corridor_env.CorridorEnv(), {}),
    ],
    ids=["visit-count", "schedule", "no-spec"],
)
def test_auto_falls_back_to_sequential_runs(env, rates):
    study = convergence_over_seeds(env, 3, 2, criteria=[QWithin()], seed=5, **rates)
    assert study.engine == "sequential"
    assert study.seeds == (5, 6, 7)
    assert study.format().splitlines()[-1] == "runs trained one after another"


def test_lockstep_refuses_what_it_cannot_train():
    with pytest.raises(ValueError, match="epsilon=LinearDecay.* not a constant"):
        convergence_over_seeds(
            corridor(), 2, 1, epsilon=LinearDecay(1.0, 0.1, 10), engine="lockstep"
        )
    with pytest.raises(ValueError, match="no spec"):
        convergence_over_seeds(corridor_env.CorridorEnv(), 2, 1, engine="lockstep")
    with pytest.raises(ValueError, match="engine must be 'auto', 'lockstep' or"):
        convergence_over_seeds(corridor(), 2, 1, engine="fast")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"episodes": -1}, ValueError, "episodes must be an int >= 0, got -1"),
        ({"episodes": 2.5}, TypeError, "episodes must be an int >= 0"),
        ({"max_steps": 0}, ValueError, "max_steps must be an int >= 1, got 0"),
        ({"epsilon": 1.5}, ValueError, r"epsilon must be a float in \[0, 1\]"),
        ({"criteria": []}, ValueError, "criteria must hold at least one"),
    ],
    ids=["negative-budget", "float-budget", "max-steps", "epsilon", "no-criteria"],
)
def test_lockstep_checks_arguments_as_sequential_runs_do(kwargs, error, match):
    arguments = {"episodes": 3, **kwargs}
    with pytest.raises(error, match=match):
        convergence_over_seeds(corridor(), 2, engine="lockstep", **arguments)


def test_lockstep_warns_as_single_runs_do_about_a_hopeless_target():
    with pytest.warns(ConvergenceWarning, match="transitions are random"):
        study = convergence_over_seeds(corridor(slip=0.2), 2, 1, criteria=[QWithin()])
    assert study.engine == "lockstep"


def test_lockstep_agents_must_share_one_discount():
    env = gym.make_vec(corridor_env.ENV_ID, num_envs=2)
    many = ManyQLearning.from_vector_env(env, discount=[0.9, 0.8])
    with pytest.raises(ValueError, match="share one discount"):
        episodes_to_criteria(
            many, env, 1, (QChangeBelow(),), model=None, q_star=None, episode_limit=9
        )


def test_envs_without_a_vector_form_run_in_lockstep_through_sync():
    lake = gym.make("FrozenLake-v1", is_slippery=False, render_mode="ansi")
    study = convergence_over_seeds(
        lake, 8, 40, criteria=[QChangeBelow(1e-9, 1)], epsilon=1.0
    )
    assert study.engine == "lockstep"
    # Until a walk first reaches the goal every reward is 0 and no Q-value moves,
    # which does not count; the episode that first moves one cannot count either.
    reached = study.episodes_to[0]
    assert np.all(reached >= 2)
    assert np.isfinite(reached).any()


def test_seed_study_counts_runs_from_its_results():
    study = SeedStudy(("a",), (np.array([1.0, np.inf, 3.0]),), 5, (0,), "lockstep")
    assert study.runs == 3
    assert study.percentiles(0) == (1.0, 3.0, math.inf)
    assert study.format().splitlines()[1].split() == ["a", "2/3", "1", "3", ">5"]
