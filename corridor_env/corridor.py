"""The corridor world as a single Gymnasium environment."""

from __future__ import annotations

import sys
import time
from enum import IntEnum
from functools import cached_property
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import logger, spaces
from gymnasium.error import ResetNeeded
from numpy.typing import NDArray

from corridor_env._checks import (
    RANDOM_START,
    check_action,
    check_length,
    check_probability,
    check_render_mode,
    check_reset_options,
    check_reward,
    check_start,
)
from corridor_env.rendering import ansi_row, rgb_row

DEFAULT_LENGTH = 6
DEFAULT_START = 0
DEFAULT_GOAL_REWARD = 1.0
DEFAULT_STEP_REWARD = 0.0

Transition = tuple[float, int, float, bool]

_LEFT = 0
_RIGHT = 1


class Action(IntEnum):
    """The two moves; their values are the env's actions."""

    LEFT = 0
    RIGHT = 1


class CorridorEnv(gym.Env[int, int]):
    """A corridor of cells with a treasure at the right end.

    ## Description
    The agent starts at the left of a one-dimensional corridor and walks left or right
    until it reaches the goal cell at the right end. With the defaults this is the
    classic "treasure on the right" world, drawn as ``-o---T``: 6 cells, start in cell
    0, goal in cell 5.

    ## Action Space
    ``Discrete(2)``: ``0`` (``Action.LEFT``) moves one cell left, ``1``
    (``Action.RIGHT``) one cell right. A move left in cell 0 stays in cell 0. With
    ``slip > 0`` a move goes the other way with probability ``slip``. Python ints,
    numpy integer scalars and 0-d integer arrays are accepted; anything else raises
    ``TypeError`` or ``ValueError`` naming the value.

    ## Observation Space
    ``Discrete(length)``: the agent's cell, ``0`` at the left wall and
    ``length - 1`` at the goal, returned as a Python ``int``.

    ## Starting State
    Cell ``start`` (default 0), or with ``start="random"`` a cell drawn uniformly from
    the non-goal cells ``0 .. length - 2``. ``reset(options={"start": k})`` overrides
    the start for one episode and takes the same values; other option keys raise
    ``ValueError``.

    ## Rewards
    ``goal_reward`` (default 1.0) for the step that enters the goal, ``step_reward``
    (default 0.0) for every other step. Rewards are Python floats.

    ## Episode End
    The episode terminates when the agent enters the goal. ``Corridor-v0`` is
    registered with ``max_episode_steps=MAX_EPISODE_STEPS`` so that ``gym.make`` adds a
    ``TimeLimit`` that ends episodes that never reach it with ``truncated=True``; the
    env itself never truncates. Once terminated, the goal is absorbing: a further
    ``step`` warns once, stays in the goal and pays 0.0, as the transition model ``P``
    says.

    ## Information
    ``reset`` and ``step`` return a fresh dict with the keys ``"steps"`` (steps taken
    since ``reset``), ``"slipped"`` (whether the last move went the other way) and
    ``"prob"`` (the probability of the transition just taken under ``P``; 1.0 at
    reset).

    ## Transition Model
    ``P[state][action]`` is a list of ``(probability, next_state, reward,
    terminated)`` tuples, Gymnasium's toy-text form. Outcomes of probability zero are
    left out.

    ## Rendering
    ``"ansi"`` returns the row as text, ``"human"`` redraws it in place on the
    terminal at ``metadata["render_fps"]`` frames per second, ``"rgb_array"`` returns
    a ``(32, 32 * length, 3)`` ``uint8`` image. The agent is drawn over the goal once
    it reaches it (``-----o``).

    ## Arguments
    - ``length``: number of cells, an int >= 2.
    - ``start``: the start cell, in ``[0, length - 2]``, or ``"random"``.
    - ``slip``: probability in [0, 1] that a move goes the other way.
    - ``goal_reward``: reward for entering the goal, a finite float.
    - ``step_reward``: reward for every other step, a finite float.
    - ``render_mode``: ``None``, ``"ansi"``, ``"human"`` or ``"rgb_array"``.

    ## Lifecycle
    ``step`` or ``render`` before the first ``reset`` raises
    ``gymnasium.error.ResetNeeded``. ``close`` ends the line drawn by ``"human"``
    rendering; closing twice is harmless and a closed env can be reset and used again.

    ## Version History
    - v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "human", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        length: int = DEFAULT_LENGTH,
        start: int | str = DEFAULT_START,
        slip: float = 0.0,
        goal_reward: float = DEFAULT_GOAL_REWARD,
        step_reward: float = DEFAULT_STEP_REWARD,
        render_mode: str | None = None,
    ) -> None:
        """Build a corridor; see the class docstring for the arguments."""
        self.length = check_length(length)
        self.start = check_start(start, self.length)
        self.slip = check_probability(slip, "slip")
        self.goal_reward = check_reward(goal_reward, "goal_reward")
        self.step_reward = check_reward(step_reward, "step_reward")
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.goal = self.length - 1
        # Discrete spaces are typed as numpy ints; this env hands out Python ints.
        self.observation_space = spaces.Discrete(self.length)  # type: ignore[assignment]
        self.action_space = spaces.Discrete(len(Action))  # type: ignore[assignment]

        self._position = -1  # -1 until the first reset
        self._steps = 0
        self._warned_after_end = False
        self._human_line_open = False

    @cached_property
    def P(self) -> dict[int, dict[int, list[Transition]]]:  # noqa: N802
        """The transition model: ``P[state][action]`` lists the possible outcomes."""
        model: dict[int, dict[int, list[Transition]]] = {}
        for state in range(self.length):
            model[state] = {}
            for action in Action:
                model[state][action.value] = self._outcomes(state, action)
        return model

    def _outcomes(self, state: int, action: Action) -> list[Transition]:
        if state == self.goal:
            return [(1.0, state, 0.0, True)]
        outcomes = []
        for probability, moves_right in (
            (1.0 - self.slip, action == Action.RIGHT),
            (self.slip, action == Action.LEFT),
        ):
            if probability > 0.0:
                cell = state + 1 if moves_right else max(state - 1, 0)
                reached = cell == self.goal
                reward = self.goal_reward if reached else self.step_reward
                outcomes.append((probability, cell, reward, reached))
        return outcomes

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start an episode; ``options={"start": k}`` overrides the start once."""
        super().reset(seed=seed)
        start = self.start
        if options is not None:
            check_reset_options(options)
            if "start" in options:
                start = check_start(options["start"], self.length, 'options["start"]')
        if start == RANDOM_START:
            start = int(self.np_random.integers(self.goal))
        self._position = int(start)
        self._steps = 0
        self._warned_after_end = False
        if self.render_mode == "human":
            self._draw_human()
        return self._position, {"steps": 0, "slipped": False, "prob": 1.0}

    def step(
        self, action: int
    ) -> tuple[int, SupportsFloat, bool, bool, dict[str, Any]]:
        """Move one cell; see the class docstring for rewards and episode end."""
        # The hot path does plain int and float work on locals: no numpy scalars.
        # Python's 0 and 1 are singletons, so two identity tests pass valid ints;
        # anything else (numpy ints, bools, bad values) takes the full check.
        if action is not _RIGHT and action is not _LEFT:
            action = check_action(action)
        position = self._position
        goal = self.goal
        if not 0 <= position < goal:
            if position < 0:
                raise ResetNeeded("Cannot call step() before reset().")
            return self._step_in_goal()

        slip = self.slip
        slipped = False
        prob = 1.0
        if slip > 0.0:
            slipped = self.np_random.random() < slip
            prob = slip if slipped else 1.0 - slip
        if action != slipped:
            position += 1
        elif position:
            position -= 1
        self._position = position
        steps = self._steps = self._steps + 1
        if self.render_mode is not None and self.render_mode == "human":
            self._draw_human()
        info = {"steps": steps, "slipped": slipped, "prob": prob}
        # Time limits come from the TimeLimit wrapper that registration adds.
        if position == goal:
            return position, self.goal_reward, True, False, info
        return position, self.step_reward, False, False, info

    def _step_in_goal(self) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if not self._warned_after_end:
            logger.warn(
                "step() called after the episode terminated; the goal is absorbing, "
                "so the agent stays there with reward 0.0. Call reset() to start a "
                "new episode."
            )
            self._warned_after_end = True
        self._steps += 1
        if self.render_mode == "human":
            self._draw_human()
        return (
            self._position,
            0.0,
            True,
            False,
            {
                "steps": self._steps,
                "slipped": False,
                "prob": 1.0,
            },
        )

    def render(self) -> str | NDArray[np.uint8] | None:
        """Draw the corridor in the mode chosen at construction."""
        if self.render_mode is None:
            logger.warn(
                "render() called without a render mode; pass render_mode='ansi', "
                "'human' or 'rgb_array' to gym.make or the constructor."
            )
            return None
        if self._position < 0:
            raise ResetNeeded("Cannot call render() before reset().")
        if self.render_mode == "ansi":
            return ansi_row(self.length, self._position)
        if self.render_mode == "rgb_array":
            return rgb_row(self.length, self._position)
        self._draw_human()
        return None

    def _draw_human(self) -> None:
        sys.stdout.write("\r" + ansi_row(self.length, self._position))
        sys.stdout.flush()
        self._human_line_open = True
        time.sleep(1.0 / self.metadata["render_fps"])

    def close(self) -> None:
        """End the terminal line drawn by ``"human"`` rendering, if any."""
        if self._human_line_open:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._human_line_open = False
