"""Tabular reinforcement-learning agents for any env with discrete spaces.

Nothing here knows a particular env: agents learn through ``reset``, ``step`` and the
spaces of the Gymnasium API.
"""

from agents.loops import History, evaluate, train
from agents.q_learning import QLearningAgent
from agents.report import format_q_table

__all__ = ["History", "QLearningAgent", "evaluate", "format_q_table", "train"]
