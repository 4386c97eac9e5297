"""Tabular reinforcement-learning agents for any env with discrete spaces.

Nothing here knows a particular env: agents learn through ``reset``, ``step`` and the
spaces of the Gymnasium API.
"""

from agents.convergence import (
    ConvergenceResult,
    ConvergenceWarning,
    CriterionResult,
    train_until_converged,
)
from agents.convergence_report import format_convergence_report, plot_convergence
from agents.criteria import PolicyOptimal, QChangeBelow, QWithin
from agents.exact import (
    TabularModel,
    greedy_policy,
    greedy_policy_values,
    optimal_q_values,
    policy_values,
    tabular_model,
)
from agents.loops import History, evaluate, train
from agents.many import ManyHistory, ManyQLearning, train_many
from agents.q_learning import QLearningAgent
from agents.report import format_q_table
from agents.schedules import Constant, ExponentialDecay, LinearDecay, VisitCount
from agents.seeds import SeedStudy, convergence_over_seeds

__all__ = [
    "Constant",
    "ConvergenceResult",
    "ConvergenceWarning",
    "CriterionResult",
    "ExponentialDecay",
    "History",
    "LinearDecay",
    "ManyHistory",
    "ManyQLearning",
    "PolicyOptimal",
    "QChangeBelow",
    "QLearningAgent",
    "QWithin",
    "SeedStudy",
    "TabularModel",
    "VisitCount",
    "convergence_over_seeds",
    "evaluate",
    "format_convergence_report",
    "format_q_table",
    "greedy_policy",
    "greedy_policy_values",
    "optimal_q_values",
    "plot_convergence",
    "policy_values",
    "tabular_model",
    "train",
    "train_many",
    "train_until_converged",
]
