"""Tracking convergence: the criteria, the result, the warning and the report."""

from __future__ import annotations

import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest

import corridor_env
from agents import (
    ConvergenceWarning,
    PolicyOptimal,
    QChangeBelow,
    QLearningAgent,
    QWithin,
    VisitCount,
    convergence_over_seeds,
    format_convergence_report,
    greedy_policy_values,
    optimal_q_values,
    plot_convergence,
    tabular_model,
    train,
    train_until_converged,
)
from agents.convergence_report import sparkline

SEED = 3
DISCOUNT = 0.9


def corridor(**kwargs):
    return gym.make(corridor_env.ENV_ID, **kwargs)


def agent_for(env, **kwargs):
    return QLearningAgent.from_env(env, discount=DISCOUNT, seed=SEED, **kwargs)


def first_streak_end(flags, patience):
    """The episode (from 1) ending the first run of `patience` True flags."""
    streak = 0
    for episode, flag in enumerate(flags, start=1):
        streak = streak + 1 if flag else 0
        if streak == patience:
            return episode
    return None


def test_tracking_records_q_error_against_q_star_each_episode():
    env = corridor()
    agent = agent_for(env)
    tables = []
    result = train_until_converged(
        agent,
        env,
        30,
        criteria=[QWithin(1e-9)],
        seed=SEED,
        callback=lambda episode, history: tables.append(agent.q_table.copy()),
    )
    q_star = optimal_q_values(env, DISCOUNT)
    errors = [float(np.max(np.abs(table - q_star))) for table in tables]
    changes = [
        float(np.max(np.abs(b - a)))
        for a, b in zip(tables[:-1], tables[1:], strict=True)
    ]
    assert result.history.q_errors == errors
    assert result.history.q_changes[1:] == changes
    assert result.history.q_changes[0] == float(np.max(np.abs(tables[0])))
    assert len(result.history.policy_optimal) == 30


def test_q_within_holds_first_where_the_error_drops_below_tol():
    env = corridor()
    result = train_until_converged(
        agent_for(env), env, 3000, criteria=[QWithin(1e-3)], seed=SEED
    )
    errors = result.history.q_errors
    assert result.converged
    assert result.episode == first_streak_end([e < 1e-3 for e in errors], 1)
    assert result.episodes_run == result.episode
    assert errors[-1] < 1e-3 <= errors[-2]


def test_q_within_patience_needs_consecutive_episodes():
    env = corridor()
    result = train_until_converged(
        agent_for(env), env, 3000, criteria=[QWithin(0.05, patience=20)], seed=SEED
    )
    flags = [e < 0.05 for e in result.history.q_errors]
    assert result.episode == first_streak_end(flags, 20)
    assert all(flags[-20:])


def test_policy_optimal_matches_the_exact_policy_value():
    env = corridor(length=5)
    agent = agent_for(env)
    optimal = []

    def judge(episode, history):
        # Optimal when every tied-best action is the optimal one: right, in 0..3.
        table = agent.q_table[:4]
        optimal.append(bool(np.all(table[:, 1] > table[:, 0])))

    result = train_until_converged(
        agent,
        env,
        200,
        criteria=[PolicyOptimal()],
        stop=False,
        seed=SEED,
        callback=judge,
    )
    assert result.history.policy_optimal == optimal
    assert result.criteria[0].episode == optimal.index(True) + 1


def test_policy_optimal_patience_needs_an_unchanged_policy():
    env = corridor()
    result = train_until_converged(
        agent_for(env), env, 500, criteria=[PolicyOptimal(patience=10)], seed=SEED
    )
    flags = result.history.policy_optimal
    assert result.converged
    assert result.episode == first_streak_end(flags, 10)
    assert result.episode >= 10


def test_policy_optimal_on_frozen_lake_is_checked_where_the_agent_acts():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = agent_for(env, epsilon=0.5)
    result = train_until_converged(
        agent, env, 2000, criteria=[PolicyOptimal(patience=5)], seed=SEED
    )
    assert result.converged
    q_star = optimal_q_values(env, DISCOUNT)
    acting = result.acting_states
    greedy = result.q_table[acting].argmax(axis=1)
    assert np.all(q_star[acting, greedy] == q_star[acting].max(axis=1))


def test_policy_optimal_agrees_with_a_full_policy_evaluation_on_the_slippery_lake():
    env = gym.make("FrozenLake-v1", is_slippery=True)
    agent = agent_for(env, learning_rate=0.5, epsilon=0.5)
    model = tabular_model(env)
    v_star = optimal_q_values(env, DISCOUNT).max(axis=1)
    judged = []

    def judge(episode, history):
        values = greedy_policy_values(model, agent.q_table, DISCOUNT)
        judged.append(bool(np.all((v_star - values)[model.acting_states] <= 1e-8)))

    result = train_until_converged(
        agent,
        env,
        1000,
        criteria=[PolicyOptimal()],
        stop=False,
        seed=SEED,
        callback=judge,
    )
    assert result.history.policy_optimal == judged
    assert any(judged) and not all(judged)


class CountingEnv(gym.Env):
    """No model: one step pays 1 and ends."""

    observation_space = gym.spaces.Discrete(1)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, 1.0, True, False, {}


def test_q_change_below_works_without_a_model():
    env = CountingEnv()
    agent = QLearningAgent.from_env(env, learning_rate=0.5, seed=SEED)
    result = train_until_converged(
        agent, env, 500, criteria=[QChangeBelow(1e-3, patience=5)], seed=SEED
    )
    changes = result.history.q_changes
    assert result.converged
    assert result.episode == first_streak_end([c < 1e-3 for c in changes], 5)
    assert result.history.q_errors == []
    assert result.q_star is None
    assert result.final_q_error is None


def test_require_any_stops_at_the_first_criterion_to_hold():
    env = corridor()
    criteria = [QWithin(1e-3), PolicyOptimal()]
    every = train_until_converged(agent_for(env), env, 3000, criteria=criteria)
    anyone = train_until_converged(
        agent_for(env), env, 3000, criteria=criteria, require="any"
    )
    policy_episode = every.criteria[1].episode
    assert anyone.episode == policy_episode
    assert anyone.episodes_run == policy_episode
    assert anyone.criteria[0].episode is None
    assert every.episode == every.criteria[0].episode > policy_episode


def test_one_episode_is_reported_as_not_converged():
    env = corridor()
    result = train_until_converged(agent_for(env), env, 1, seed=SEED)
    assert not result.converged
    assert result.episode is None
    assert [item.episode for item in result.criteria] == [None, None]
    assert result.summary() == (
        "did not converge within 1 episode (max |Q - Q*| < 0.001: not met; "
        "greedy policy optimal: not met)"
    )
    report = format_convergence_report(result, row="o----T", arrows="<>")
    assert report.startswith("did not converge within 1 episode")
    assert "converged at" not in report


def test_training_that_stops_before_convergence_is_not_converged():
    env = corridor()
    result = train_until_converged(
        agent_for(env),
        env,
        1000,
        seed=SEED,
        callback=lambda episode, history: episode == 9,
    )
    assert result.episodes_run == 10
    assert not result.converged
    assert result.summary().startswith("did not converge within 10 episodes")


def test_constant_rate_on_random_transitions_warns_when_q_convergence_is_asked():
    env = corridor(slip=0.2)
    with pytest.warns(ConvergenceWarning, match="transitions are random"):
        train_until_converged(agent_for(env), env, 2, criteria=[QWithin()])


@pytest.mark.parametrize(
    ("kwargs", "learning_rate", "criteria"),
    [
        (dict(slip=0.2), VisitCount(), [QWithin()]),
        (dict(), 0.1, [QWithin()]),
        (dict(slip=0.2), 0.1, [PolicyOptimal()]),
    ],
    ids=["per-visit", "deterministic", "policy-only"],
)
def test_no_warning_when_convergence_is_possible(kwargs, learning_rate, criteria):
    env = corridor(**kwargs)
    agent = agent_for(env, learning_rate=learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_until_converged(agent, env, 2, criteria=criteria)


def test_model_criteria_without_a_model_are_refused():
    env = CountingEnv()
    with pytest.raises(TypeError, match="need Q\\*.*use QChangeBelow"):
        train_until_converged(QLearningAgent.from_env(env), env, 1)


def test_model_criteria_need_a_discount_below_one():
    env = corridor()
    agent = QLearningAgent.from_env(env, discount=1.0)
    with pytest.raises(ValueError, match="discount < 1, got 1.0"):
        train_until_converged(agent, env, 1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda env, a: train_until_converged(a, env, 1, criteria=[]), "at least one"),
        (lambda env, a: train_until_converged(a, env, 1, require="most"), "require"),
        (lambda env, a: QWithin(0.0), "tol must be a finite float > 0"),
        (lambda env, a: PolicyOptimal(0), "patience must be an int >= 1"),
        (lambda env, a: QChangeBelow(1e-3, patience=1.5), "patience"),
    ],
    ids=["empty", "require", "tol", "patience", "float-patience"],
)
def test_bad_arguments_are_refused(call, match):
    env = corridor()
    with pytest.raises(ValueError, match=match):
        call(env, agent_for(env))


def test_train_until_converged_continues_the_same_run_as_train():
    tracked_env, plain_env = corridor(slip=0.1), corridor(slip=0.1)
    tracked, plain = agent_for(tracked_env), agent_for(plain_env)
    result = train_until_converged(
        tracked, tracked_env, 50, criteria=[PolicyOptimal()], stop=False, seed=SEED
    )
    history = train(plain, plain_env, 50, seed=SEED)
    assert result.history.lengths == history.lengths
    assert np.array_equal(tracked.q_table, plain.q_table)


def test_report_draws_the_policy_under_the_row_and_the_curves():
    env = corridor()
    result = train_until_converged(agent_for(env), env, 3000, seed=SEED)
    lines = format_convergence_report(result, row="o----T", arrows="<>").splitlines()
    assert lines[0] == f"converged at episode {result.episode}"
    assert lines[1].split() == ["max", "|Q", "-", "Q*|", "<", "0.001", "episode"] + [
        str(result.episode),
        "holds",
        "at",
        "the",
        "end",
    ]
    policy_at = lines.index("greedy policy:")
    assert lines[policy_at + 1 : policy_at + 3] == ["  o----T", "  >>>>>·"]
    curves = lines[policy_at + 4 :]
    assert [line.split()[0] for line in curves] == ["steps", "return", "|Q-Q*|"]
    assert curves[2].endswith(f"-> {result.final_q_error:.3g}, log scale)")


def test_sparkline_bins_and_scales():
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([1.0, 10.0, 100.0], log=True) == "▁▅█"
    assert sparkline(list(range(100)), width=10) == "▁▂▃▃▄▅▆▆▇█"
    assert sparkline([2.0, 2.0]) == "▁▁"


def test_figure_is_written_as_png(tmp_path):
    pytest.importorskip("matplotlib", reason='needs the "plot" extra')
    env = corridor()
    result = train_until_converged(agent_for(env), env, 50, seed=SEED)
    path = plot_convergence(result, tmp_path / "convergence.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figure_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    env = corridor()
    result = train_until_converged(agent_for(env), env, 1, seed=SEED)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install corridor-rl\[plot\]"):
        plot_convergence(result, tmp_path / "figure.png")


def test_many_seeds_reports_percentiles_of_each_run():
    env = corridor()
    study = convergence_over_seeds(
        env,
        5,
        1500,
        criteria=[PolicyOptimal(), QWithin(0.05)],
        seed=SEED,
        engine="sequential",
    )
    expected = []
    for seed in range(SEED, SEED + 5):
        agent = QLearningAgent.from_env(env, seed=seed)
        result = train_until_converged(
            agent, env, 1500, criteria=[PolicyOptimal(), QWithin(0.05)], seed=seed
        )
        expected.append([item.episode for item in result.criteria])
    assert study.seeds == (3, 4, 5, 6, 7)
    for index in range(2):
        episodes = sorted(run[index] for run in expected)
        assert study.episodes_to[index].tolist() == [run[index] for run in expected]
        assert study.percentiles(index) == (episodes[0], episodes[2], episodes[4])


def test_many_seeds_marks_runs_that_did_not_converge():
    env = corridor()
    study = convergence_over_seeds(env, 3, 1, criteria=[QWithin()], seed=SEED)
    assert np.isinf(study.episodes_to[0]).all()
    assert study.format().splitlines()[1].split() == [
        "max",
        "|Q",
        "-",
        "Q*|",
        "<",
        "0.001",
        "0/3",
        ">1",
        ">1",
        ">1",
    ]


def test_zero_episodes_is_not_converged_and_the_report_says_so():
    env = corridor()
    result = train_until_converged(agent_for(env), env, 0, seed=SEED)
    assert not result.converged
    assert result.final_q_error is None
    report = format_convergence_report(result).splitlines()
    assert report[0] == "did not converge within 0 episodes"
    assert report[-2:] == ["  ?????·", "learning curve: no episodes run"]
