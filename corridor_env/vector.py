"""The corridor world as a native vector environment: all corridors in one array."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from gymnasium import logger, spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from corridor_env._checks import (
    N_ACTIONS,
    RANDOM_START,
    check_length,
    check_probability,
    check_render_mode,
    check_reset_options,
    check_reward,
    check_start,
)
from corridor_env.corridor import (
    DEFAULT_GOAL_REWARD,
    DEFAULT_LENGTH,
    DEFAULT_START,
    DEFAULT_STEP_REWARD,
)
from corridor_env.rendering import ansi_row, rgb_row

# `gym.make` reads this value of `max_episode_steps` as "no time limit".
NO_LIMIT = -1

# The unsigned dtype of each integer size, to read actions without their sign.
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}

Observations = NDArray[np.int64]
Info = dict[str, Any]


def _smallest_int(upper: int) -> np.dtype[Any]:
    """Return the smallest signed integer dtype that holds ``-1 .. upper``."""
    for dtype in (np.int8, np.int16, np.int32):
        if upper <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _check_count(value: object, name: str) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int >= 1, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _check_limit(value: object) -> int | None:
    if value is None:
        return None
    allowed = f"an int >= 1, or None or {NO_LIMIT} for no time limit"
    if not isinstance(value, Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"max_episode_steps must be {allowed}, got {value!r}")
    if int(value) == NO_LIMIT:
        return None
    if int(value) < 1:
        raise ValueError(f"max_episode_steps must be {allowed}, got {value!r}")
    return int(value)


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    """Return ``array`` made read-only, so that it can be handed out every step."""
    array.flags.writeable = False
    return array


class _Batch:
    """The arrays that one call of ``step`` fills in and returns."""

    def __init__(self, n: int, slip: float, steps_dtype: np.dtype[Any]) -> None:
        self.observations = np.zeros(n, dtype=np.int64)
        self.rewards = np.zeros(n, dtype=np.float64)
        self.terminated = np.zeros(n, dtype=np.bool_)
        self.truncated = np.zeros(n, dtype=np.bool_)
        self.steps = np.zeros(n, dtype=steps_dtype)
        # The info arrays about slips are only needed when moves can slip.
        size = n if slip > 0.0 else 0
        self.slipped = np.zeros(size, dtype=np.bool_)
        self.prob = np.zeros(size, dtype=np.float64)


class CorridorVectorEnv(VectorEnv[Observations, NDArray[np.integer[Any]], Any]):
    """``num_envs`` independent corridors stepped together with numpy array operations.

    ``gym.make_vec("Corridor-v0", num_envs=n)`` returns this class. Each corridor
    behaves as ``gym.make("Corridor-v0")`` does (see `CorridorEnv` for the world),
    and the batch behaves as Gymnasium's ``SyncVectorEnv`` over such envs, only much
    faster.

    ## Spaces
    ``single_observation_space`` is ``Discrete(length)`` and ``single_action_space``
    ``Discrete(2)``, the single env's; ``observation_space`` and ``action_space`` are
    their batches, ``MultiDiscrete`` of shape ``(num_envs,)``. Observations are
    ``int64`` arrays. ``step`` takes an integer array of shape ``(num_envs,)``
    holding 0 (left) or 1 (right); small dtypes such as ``int8`` are the fastest.

    ## Episode End and Autoreset
    A corridor terminates when it enters its goal and is truncated once its episode
    reaches ``max_episode_steps`` steps. Autoreset is ``AutoresetMode.NEXT_STEP``,
    declared in ``metadata["autoreset_mode"]``: the step after a corridor's episode
    ends ignores its action and returns its reset observation, reward 0.0 and both
    flags ``False``. A learner should skip that transition.

    ## Rewards
    ``float64``: ``goal_reward`` for entering the goal, ``step_reward`` for every
    other step, 0.0 on an autoreset step.

    ## Information
    Batched the way ``SyncVectorEnv`` batches the single env's info: ``"steps"``
    (``int32``, or ``int64`` without a time limit), ``"slipped"`` (``bool``) and
    ``"prob"`` (``float64``), each with its all-``True`` mask ``"_steps"``,
    ``"_slipped"``, ``"_prob"``.

    ## Returned Arrays Are Reused
    Allocating fresh arrays every step would cost more than the step itself, so
    ``step`` writes into two sets of arrays taken in turn: what one step returns
    stays intact through the next step and is overwritten by the one after. The
    ``obs`` and ``next_obs`` of a transition therefore never share memory; copy
    (``np.copy``) whatever you keep longer, such as a list of past observations.
    Arrays that cannot change (the info masks, and ``"slipped"`` and ``"prob"``
    when ``slip`` is 0) are shared and read-only. ``reset`` returns fresh arrays.

    ## Arguments
    ``num_envs`` (an int >= 1) and ``max_episode_steps`` (an int >= 1; ``None`` or
    -1, the default, for no limit; ``gym.make_vec`` passes the registered 1000)
    besides the single env's ``length``, ``start``, ``slip``, ``goal_reward``,
    ``step_reward`` and ``render_mode`` (``None``, ``"ansi"`` or ``"rgb_array"``;
    ``render`` returns one frame per corridor). ``reset(options={"start": k})``
    starts every corridor in cell ``k`` for that reset; autoresets use ``start``.

    ## Randomness
    All draws come from one generator, seeded by ``reset(seed=...)``. Batches match
    ``SyncVectorEnv`` in distribution, not draw for draw. With ``slip=0`` and a
    fixed ``start``, nothing is drawn at all.
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 4,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        length: int = DEFAULT_LENGTH,
        start: int | str = DEFAULT_START,
        slip: float = 0.0,
        goal_reward: float = DEFAULT_GOAL_REWARD,
        step_reward: float = DEFAULT_STEP_REWARD,
        render_mode: str | None = None,
        max_episode_steps: int | None = NO_LIMIT,
    ) -> None:
        """Build ``num_envs`` corridors; see the class docstring for the arguments."""
        self.num_envs = _check_count(num_envs, "num_envs")
        self.length = check_length(length)
        self.start = check_start(start, self.length)
        self.slip = check_probability(slip, "slip")
        self.goal_reward = check_reward(goal_reward, "goal_reward")
        self.step_reward = check_reward(step_reward, "step_reward")
        self.max_episode_steps = _check_limit(max_episode_steps)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.goal = self.length - 1

        self.single_observation_space = spaces.Discrete(self.length)
        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._allocate()

    def _allocate(self) -> None:
        n = self.num_envs
        # Small dtypes make every pass over the batch cheaper; outputs are widened.
        self._position = np.zeros(n, dtype=_smallest_int(self.length))
        self._moves = np.zeros(n, dtype=self._position.dtype)
        self._sign_bits = 8 * self._position.itemsize - 1
        self._steps = np.zeros(n, dtype=_smallest_int(self.max_episode_steps or 2**62))
        self._done = np.zeros(n, dtype=np.bool_)
        self._keep = np.zeros(n, dtype=np.bool_)
        self._started = False
        self._everywhere = _frozen(np.ones(n, dtype=np.bool_))
        self._never_slipped = _frozen(np.zeros(n, dtype=np.bool_))
        self._certain = _frozen(np.ones(n, dtype=np.float64))
        # Fresh arrays every step would cost more than the step itself: large
        # allocations fault in new pages each time. Two sets taken in turn keep the
        # arrays of one step intact through the next, so `obs` and `next_obs` of a
        # transition never share memory.
        self._batches = (self._new_batch(), self._new_batch())
        self._turn = 0

    def _new_batch(self) -> _Batch:
        # "steps" is reported at least as int32, wide enough for any episode length
        # a time limit allows, and half the memory traffic of int64.
        steps_dtype = np.promote_types(self._steps.dtype, np.int32)
        return _Batch(self.num_envs, self.slip, steps_dtype)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observations, Info]:
        """Start every corridor's episode; ``options={"start": k}`` as for one env."""
        super().reset(seed=seed)
        start = self.start
        if options is not None:
            check_reset_options(options)
            if "start" in options:
                start = check_start(options["start"], self.length, 'options["start"]')
        if start == RANDOM_START:
            self._position[:] = self.np_random.integers(self.goal, size=self.num_envs)
        else:
            self._position.fill(start)
        self._steps.fill(0)
        self._done.fill(False)
        self._started = True
        batch = self._new_batch()
        np.copyto(batch.observations, self._position)
        if self.slip > 0.0:
            batch.prob.fill(1.0)
        return batch.observations, self._info(batch)

    def step(
        self, actions: NDArray[np.integer[Any]]
    ) -> tuple[
        Observations, NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_], Info
    ]:
        """Move every corridor one cell; see the class docstring for autoreset."""
        if not self._started:
            raise ResetNeeded("Cannot call step() before reset().")
        batch = self._next_batch()
        self._move(self._check_actions(actions), batch)
        np.add(self._steps, 1, out=self._steps)
        restarting = self._done if self._done.any() else None
        if restarting is not None:
            self._restart(restarting)

        np.equal(self._position, self.goal, out=batch.terminated)
        if self.max_episode_steps is not None:
            np.greater_equal(self._steps, self.max_episode_steps, out=batch.truncated)
        self._rewards(batch, restarting)
        if self.slip > 0.0:
            self._slip_info(batch, restarting)
        np.logical_or(batch.terminated, batch.truncated, out=self._done)
        np.copyto(batch.observations, self._position)
        info = self._info(batch)
        return (
            batch.observations,
            batch.rewards,
            batch.terminated,
            batch.truncated,
            info,
        )

    def _move(self, actions: NDArray[np.integer[Any]], batch: _Batch) -> None:
        moves = self._moves
        np.copyto(moves, actions, casting="unsafe")
        if self.slip > 0.0:
            self._slip(batch.slipped)
            np.bitwise_xor(moves, batch.slipped, out=moves, casting="unsafe")

        # position += 2 * move - 1, then a move left from cell 0 (now -1) is undone
        # by subtracting the sign bit; all in place, without branches or temporaries.
        position = self._position
        np.add(moves, moves, out=moves)
        np.subtract(moves, 1, out=moves)
        np.add(position, moves, out=position)
        np.right_shift(position, self._sign_bits, out=moves)
        np.subtract(position, moves, out=position)

    def _next_batch(self) -> _Batch:
        self._turn ^= 1
        return self._batches[self._turn]

    def _check_actions(self, given: Any) -> NDArray[np.integer[Any]]:
        actions: NDArray[Any] = np.asarray(given)
        if actions.dtype.kind not in "iu":
            raise TypeError(self._bad_actions(f"dtype {actions.dtype}"))
        if actions.shape != (self.num_envs,):
            raise ValueError(self._bad_actions(f"shape {actions.shape}"))
        if not actions.dtype.isnative:
            actions = actions.astype(actions.dtype.newbyteorder("="))
        # Read as unsigned, a negative action is huge: one pass checks both bounds.
        if actions.view(_UNSIGNED[actions.itemsize]).max() >= N_ACTIONS:
            bad = int(np.flatnonzero((actions < 0) | (actions >= N_ACTIONS))[0])
            raise ValueError(self._bad_actions(f"{actions[bad].item()} at index {bad}"))
        return actions

    def _bad_actions(self, got: str) -> str:
        return (
            f"actions must be an integer array of shape ({self.num_envs},) holding "
            f"0 (left) or 1 (right), got {got}"
        )

    def _slip(self, slipped: NDArray[np.bool_]) -> None:
        if self.slip == 1.0:
            slipped.fill(True)
        else:
            np.less(self.np_random.random(self.num_envs), self.slip, out=slipped)

    def _restart(self, restarting: NDArray[np.bool_]) -> None:
        # Multiplying by a 0/1 mask beats a masked copy: the mask is scattered, and
        # branchy masked writes cost several times a plain pass.
        keep = np.logical_not(restarting, out=self._keep)
        np.multiply(self._steps, keep, out=self._steps)
        np.multiply(self._position, keep, out=self._position)
        if self.start == RANDOM_START:
            index = np.flatnonzero(restarting)
            self._position[index] = self.np_random.integers(self.goal, size=index.size)
        elif self.start != 0:
            np.add(self._position, restarting * self.start, out=self._position)

    def _rewards(self, batch: _Batch, restarting: NDArray[np.bool_] | None) -> None:
        # Writing the reward chosen by each flag, rather than computing
        # step_reward + terminated * (goal_reward - step_reward), keeps it exact.
        if self.step_reward == 0.0 and self.goal_reward == 1.0:
            np.copyto(batch.rewards, batch.terminated)
            return
        batch.rewards.fill(self.step_reward)
        np.copyto(batch.rewards, self.goal_reward, where=batch.terminated)
        if restarting is not None and self.step_reward != 0.0:
            np.copyto(batch.rewards, 0.0, where=restarting)

    def _slip_info(self, batch: _Batch, restarting: NDArray[np.bool_] | None) -> None:
        # An autoreset step reports the reset's info: no slip, probability 1.
        if restarting is not None:
            np.greater(batch.slipped, restarting, out=batch.slipped)
        batch.prob.fill(1.0 - self.slip)
        np.copyto(batch.prob, self.slip, where=batch.slipped)
        if restarting is not None:
            np.copyto(batch.prob, 1.0, where=restarting)

    def _info(self, batch: _Batch) -> Info:
        np.copyto(batch.steps, self._steps)
        everywhere = self._everywhere
        slip = self.slip > 0.0
        return {
            "steps": batch.steps,
            "_steps": everywhere,
            "slipped": batch.slipped if slip else self._never_slipped,
            "_slipped": everywhere,
            "prob": batch.prob if slip else self._certain,
            "_prob": everywhere,
        }

    def render(self) -> tuple[Any, ...] | None:
        """Return one frame per corridor in the mode chosen at construction."""
        if self.render_mode is None:
            logger.warn(
                "render() called without a render mode; pass render_mode='ansi' or "
                "'rgb_array' to gym.make_vec or the constructor."
            )
            return None
        if not self._started:
            raise ResetNeeded("Cannot call render() before reset().")
        draw = ansi_row if self.render_mode == "ansi" else rgb_row
        return tuple(draw(self.length, cell) for cell in self._position.tolist())
