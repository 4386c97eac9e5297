"""Saving a Q-learning agent to a file and loading it back, without pickle.

A saved agent is an ``.npz`` archive (a zip file) holding plain arrays and one JSON
member, readable with ``unzip -p agent.npz metadata.json``:

- ``q_table.npy``: the Q-values, ``float64`` of shape ``(n_states, n_actions)``;
- ``rng_uniforms.npy``: the agent's block of pre-drawn uniforms, so that a loaded
  agent continues the random stream exactly where the saved one stopped;
- ``visit_counts.npy``: ``int64`` updates per state-action pair, only when the
  learning rate follows `agents.schedules.VisitCount`;
- ``metadata.json``: the file format and version, the table's shape, the
  constructor's keyword hyperparameters (schedules as ``{"schedule": name, ...}``
  with their fields), the schedules' progress, the generator's seed and state, the
  env's id and keywords when known, and the versions that wrote the file.

Loading never unpickles and rebuilds schedules only from `agents.schedules`;
saving is atomic (see `agents.npz_archive`), so a crash mid-save leaves any previous
file intact.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import platform
from importlib import metadata as package_metadata
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

from agents import schedules
from agents.npz_archive import (
    AgentFileError,
    array,
    member,
    open_archive,
    write_atomically,
)
from agents.spaces import table_layout

if TYPE_CHECKING:
    from agents.q_learning import QLearningAgent

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "AgentFileError",
    "load_agent",
    "qualified_env_id",
    "read_metadata",
    "save_agent",
]

FORMAT = "corridor-rl/q-learning-agent"
FORMAT_VERSION = 1
PACKAGE = "corridor-rl"

_Q_TABLE = "q_table"
_UNIFORMS = "rng_uniforms"
_VISITS = "visit_counts"
_METADATA = "metadata.json"
# Constructor keywords that are not hyperparameters: the table's layout, saved under
# "shape" and checked against the env on load, and the seed, saved under "rng".
_LAYOUT_KEYWORDS = ("obs_start", "action_start", "seed")


def save_agent(
    agent: QLearningAgent, path: str | os.PathLike[str], env: gym.Env[Any, Any] | None
) -> None:
    """Write ``agent`` to ``path`` atomically; see the module docstring.

    Args:
        agent: the agent to save.
        path: the file to write, replaced if it exists. No suffix is added.
        env: the env the agent learned, whose id and keywords are recorded so that
            the command line can rebuild it; ``None`` records no env.

    Raises:
        TypeError: if a hyperparameter or env keyword cannot be written as JSON,
            or ``env`` has no Discrete spaces.
        ValueError: if ``env``'s spaces do not fit the agent's table, or ``path``
            cannot be written (an empty path, a folder, a missing folder).
        OSError: if the file cannot be written; any previous file is left as it was.
    """
    if env is not None:
        agent.check_spaces(env)
    text = json.dumps(_metadata(agent, env), indent=2, sort_keys=True)
    arrays: dict[str, np.ndarray] = {
        _Q_TABLE: agent.q_table,
        _UNIFORMS: np.asarray(agent._uniforms, dtype=np.float64),
    }
    if agent.visit_counts is not None:
        arrays[_VISITS] = agent.visit_counts
    write_atomically(path, {_METADATA: text}, arrays)


def _metadata(agent: QLearningAgent, env: gym.Env[Any, Any] | None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "agent": type(agent).__name__,
        "shape": {
            "n_states": agent.n_states,
            "n_actions": agent.n_actions,
            "obs_start": agent.obs_start,
            "action_start": agent.action_start,
        },
        "hyperparameters": _hyperparameters(agent),
        "progress": {
            "episodes_started": agent.episodes_started,
            "epsilon": agent.epsilon,
            "learning_rate": agent.learning_rate,
        },
        "rng": {
            "seed": agent.seed,
            "state": agent._rng.bit_generator.state,
            "next_uniform": agent._next_uniform,
        },
        "env": None if env is None else _env_record(env),
        "versions": {
            PACKAGE: _version(PACKAGE),
            "gymnasium": gym.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }


def _hyperparameters(agent: QLearningAgent) -> dict[str, Any]:
    """Read every keyword-only constructor argument back from the agent.

    A hyperparameter given as a schedule is read from ``<name>_schedule``, since the
    attribute of the plain name holds the value in force.
    """
    values = {}
    for name, parameter in inspect.signature(type(agent)).parameters.items():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if name in _LAYOUT_KEYWORDS:
            continue
        value = getattr(agent, f"{name}_schedule", getattr(agent, name))
        values[name] = _encode(value, f"hyperparameter {name!r}")
    return values


def _encode(value: Any, what: str) -> Any:
    if isinstance(value, schedules.Constant):
        return value.value
    from_schedules = type(value).__module__ == schedules.__name__
    if (
        from_schedules
        and dataclasses.is_dataclass(value)
        and not isinstance(value, type)
    ):
        return {"schedule": type(value).__name__, **dataclasses.asdict(value)}
    return _json_value(value, what)


def _decode(value: Any) -> Any:
    """Rebuild a schedule saved by `_encode`; only `agents.schedules` classes."""
    if not isinstance(value, dict) or "schedule" not in value:
        return value
    fields = dict(value)
    kind = fields.pop("schedule")
    cls = getattr(schedules, str(kind), None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(
            f"schedule must name a class of agents.schedules, got {kind!r}"
        )
    return cls(**fields)


def _env_record(env: gym.Env[Any, Any]) -> dict[str, Any] | None:
    spec = env.spec
    if spec is None:
        return None
    kwargs = {k: v for k, v in spec.kwargs.items() if k != "render_mode"}
    return {
        "id": qualified_env_id(spec),
        "kwargs": _json_value(kwargs, "env keywords"),
    }


def qualified_env_id(spec: gym.envs.registration.EnvSpec) -> str:
    """Return an id that ``gym.make`` resolves in a process that imported nothing.

    Ids registered outside Gymnasium get the top-level package of their entry point
    as a module prefix (``"corridor_env:Corridor-v0"``), which ``gym.make`` imports
    first. This assumes, as is the custom, that importing that package registers
    the id.
    """
    entry_point = spec.entry_point
    if ":" in spec.id or not isinstance(entry_point, str):
        return spec.id
    package = entry_point.split(":")[0].split(".")[0]
    return spec.id if package == "gymnasium" else f"{package}:{spec.id}"


def _json_value(value: Any, what: str) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{what} must be JSON numbers, strings, booleans, lists or dicts to be "
            f"saved, got {value!r}"
        ) from err
    return value


def _version(package: str) -> str | None:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return None


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the metadata of the agent saved at ``path``, checking its format.

    Raises:
        AgentFileError: if the file is not a readable saved agent.
        OSError: if the file cannot be opened, e.g. ``FileNotFoundError``.
    """
    with open_archive(path) as archive:
        return _checked_metadata(path, archive)


def load_agent(
    cls: type[QLearningAgent],
    path: str | os.PathLike[str],
    env: gym.Env[Any, Any] | None,
) -> QLearningAgent:
    """Rebuild the agent saved at ``path``; see `QLearningAgent.load`."""
    with open_archive(path) as archive:
        meta = _checked_metadata(path, archive)
        q_table = array(path, archive, _Q_TABLE, np.float64)
        uniforms = array(path, archive, _UNIFORMS, np.float64)
        visits = None
        if _VISITS in archive.files:
            visits = array(path, archive, _VISITS, np.int64)
    shape = meta["shape"]
    if env is not None:
        _check_env(path, shape, env)
    _check_arrays(path, shape, q_table, uniforms)
    try:
        agent = cls(
            shape["n_states"],
            shape["n_actions"],
            obs_start=shape["obs_start"],
            action_start=shape["action_start"],
            seed=meta["rng"]["seed"],
            **{k: _decode(v) for k, v in meta["hyperparameters"].items()},
        )
        agent.q_table = q_table
        _restore_progress(agent, meta["progress"], visits)
        _restore_rng(agent, meta["rng"], uniforms)
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise AgentFileError(f"{path}: cannot rebuild the agent: {err}") from err
    return agent


def _check_arrays(
    path: str | os.PathLike[str],
    shape: dict[str, Any],
    q_table: np.ndarray,
    uniforms: np.ndarray,
) -> None:
    """Check the arrays against the metadata before anything is built from them."""
    expected = (shape.get("n_states"), shape.get("n_actions"))
    if q_table.shape != expected:
        raise AgentFileError(
            f"{path}: damaged: q_table has shape {q_table.shape}, the metadata says "
            f"{expected}"
        )
    if uniforms.ndim != 1 or not np.all((uniforms >= 0.0) & (uniforms < 1.0)):
        raise AgentFileError(
            f"{path}: damaged: rng_uniforms must be a 1-d array of floats in [0, 1)"
        )


def _checked_metadata(path: str | os.PathLike[str], archive: Any) -> dict[str, Any]:
    raw = member(path, archive, _METADATA)
    try:
        meta = json.loads(bytes(raw).decode("utf-8"))
    except (TypeError, ValueError, RecursionError) as err:
        raise AgentFileError(f"{path}: damaged: unreadable metadata: {err}") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise AgentFileError(f"{path}: not a saved agent: format is not {FORMAT!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise AgentFileError(
            f"{path}: format_version must be an int in [1, {FORMAT_VERSION}], got "
            f"{version!r}; a newer corridor-rl wrote it"
        )
    for key in ("shape", "hyperparameters", "progress", "rng"):
        if not isinstance(meta.get(key), dict):
            raise AgentFileError(f"{path}: damaged: metadata has no {key!r} object")
    env = meta.get("env")
    if env is not None and not (
        isinstance(env, dict)
        and isinstance(env.get("id"), str)
        and isinstance(env.get("kwargs"), dict)
    ):
        raise AgentFileError(
            f"{path}: damaged: metadata's 'env' must be null or an object with a "
            f"string 'id' and a 'kwargs' object, got {env!r}"
        )
    return meta


def _check_env(
    path: str | os.PathLike[str], shape: dict[str, Any], env: gym.Env[Any, Any]
) -> None:
    saved = tuple(
        shape.get(key) for key in ("n_states", "obs_start", "n_actions", "action_start")
    )
    if saved != table_layout(env):
        n_states, obs_start, n_actions, action_start = saved
        raise AgentFileError(
            f"{path}: the saved agent does not fit this env: it has "
            f"{n_states} states from {obs_start} and {n_actions} actions from "
            f"{action_start}, the env has observation_space {env.observation_space} "
            f"and action_space {env.action_space}"
        )


def _restore_progress(
    agent: QLearningAgent, progress: dict[str, Any], visits: np.ndarray | None
) -> None:
    """Put the schedules back where they were: episode count, values, visits."""
    episodes = progress.get("episodes_started")
    if not isinstance(episodes, int) or episodes < 0:
        raise ValueError(f"episodes_started must be an int >= 0, got {episodes!r}")
    agent.episodes_started = episodes
    agent._epsilon = _rate_in_force(progress.get("epsilon"), "epsilon", False)
    agent._learning_rate = _rate_in_force(
        progress.get("learning_rate"), "learning_rate", True
    )
    if (visits is None) != (agent.visit_counts is None):
        raise ValueError("visit_counts must be saved exactly when VisitCount is used")
    if visits is not None and agent.visit_counts is not None:
        if visits.shape != agent.visit_counts.shape or np.any(visits < 0):
            raise ValueError(
                f"visit_counts must be >= 0 with shape {agent.visit_counts.shape}"
            )
        # Copied into the agent's own array: its update reads it through a view.
        agent.visit_counts[...] = visits


def _rate_in_force(value: Any, name: str, open_low: bool) -> float:
    """Check a saved rate as the constructor checks it: in (0, 1] or [0, 1]."""
    interval = "(0, 1]" if open_low else "[0, 1]"
    above_low = isinstance(value, float) and (value > 0.0 if open_low else value >= 0.0)
    if not above_low or value > 1.0:
        raise ValueError(
            f"{name} in force must be a float in {interval}, got {value!r}"
        )
    return float(value)


def _restore_rng(
    agent: QLearningAgent, rng: dict[str, Any], uniforms: np.ndarray
) -> None:
    next_uniform = rng.get("next_uniform")
    if uniforms.ndim != 1 or not (
        isinstance(next_uniform, int) and 0 <= next_uniform <= len(uniforms)
    ):
        raise ValueError(
            f"next_uniform must be an int in [0, {len(uniforms)}], got {next_uniform!r}"
        )
    agent._rng.bit_generator.state = rng["state"]
    agent._uniforms = uniforms.tolist()
    agent._next_uniform = next_uniform
