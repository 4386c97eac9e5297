"""The ``corridor`` command: train, evaluate and inspect a tabular Q-learning agent.

    corridor train --episodes 200 --seed 0 --save agent.npz
    corridor eval --load agent.npz --render ansi
    corridor show --load agent.npz
    corridor train --env FrozenLake-v1 --env-arg is_slippery=false --episodes 2000

Any registered env with ``Discrete`` observation and action spaces works. The
default env is named by its module-qualified id, which makes Gymnasium import the
package that registers it, so this module never imports it itself.

Exit codes: 0 success; 1 failure during the run (e.g. the disk fills up while
saving, or training breaks down); 2 usage error or bad input (unknown env, bad
keyword, unusable save path, unreadable or mismatched agent file); 130 interrupted
with Ctrl-C (``train --save`` first saves what was learned so far, and further
presses do not cut that save short). Output cut short by a closed pipe (``corridor
show ... | head``) ends quietly with exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from agents.cli_drawing import PrintFrames, policy_row
from agents.cli_options import (
    CRITERIA,
    SCHEDULE_HELP,
    check_agent_args,
    json_object,
    key_value,
    rate,
    seed,
)
from agents.convergence import train_until_converged
from agents.criteria import Criterion
from agents.loops import History, evaluate, train
from agents.npz_archive import check_writable
from agents.persistence import AgentFileError, read_metadata
from agents.q_learning import QLearningAgent
from agents.report import format_q_table
from agents.spaces import discrete_size

DEFAULT_ENV_ID = "corridor_env:Corridor-v0"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
# Defaults of --tol and --patience, the options of the stopping rules.
DEFAULT_TOL = 1e-3
DEFAULT_PATIENCE = 20
# Episodes summarised in the closing key=value line of `train`.
SUMMARY_WINDOW = 100


class UsageError(Exception):
    """Bad input from the command line; reported with exit code 2."""


class RunError(Exception):
    """A failure once the run is under way; reported with exit code 1."""


def _add_env_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    where = f"default {default}" if default else "default: the one saved in the file"
    parser.add_argument("--env", default=default, help=f"registered env id ({where})")
    parser.add_argument(
        "--env-kwargs",
        type=json_object,
        default={},
        metavar="JSON",
        help="env keywords as a JSON object, e.g. '{\"length\": 10}'; --env-arg "
        "overrides its keys",
    )
    parser.add_argument(
        "--env-arg",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one env keyword (repeatable, the last of a key wins); VALUE is read "
        "as JSON, else as text",
    )


def _add_train(commands: Any) -> None:
    parser = commands.add_parser(
        "train", help="train an agent", description="Train a Q-learning agent."
    )
    _add_env_options(parser, DEFAULT_ENV_ID)
    parser.add_argument("--episodes", type=int, default=200, help="(%(default)s)")
    parser.add_argument("--seed", type=seed, default=0, help="env and agent seed")
    parser.add_argument(
        "--learning-rate", type=rate, default=0.1, help=f"{SCHEDULE_HELP} (0.1)"
    )
    parser.add_argument("--discount", type=float, default=0.9, help="(0.9)")
    parser.add_argument(
        "--epsilon", type=rate, default=0.1, help=f"{SCHEDULE_HELP} (0.1)"
    )
    parser.add_argument(
        "--agent-arg",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other keyword of QLearningAgent (repeatable); not one with an "
        "option of its own, nor one the env's spaces decide",
    )
    parser.add_argument(
        "--until",
        choices=sorted(CRITERIA),
        action="append",
        default=[],
        help="stop once this holds (repeatable: all must hold): policy = greedy "
        "policy optimal, q-star = max |Q - Q*| < --tol (both need the env's model "
        "P), q-stable = no Q change >= --tol (any env)",
    )
    parser.add_argument(
        "--tol", type=float, help=f"tolerance of --until ({DEFAULT_TOL})"
    )
    parser.add_argument(
        "--patience",
        type=int,
        help=f"episodes in a row, for --until ({DEFAULT_PATIENCE})",
    )
    parser.add_argument("--max-steps", type=int, default=100_000, help="per episode")
    parser.add_argument("--save", metavar="PATH", help="write the agent to PATH")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar on a terminal"
    )
    parser.set_defaults(run=_train)


def _add_eval(commands: Any) -> None:
    parser = commands.add_parser(
        "eval", help="run a saved agent greedily", description="Evaluate greedily."
    )
    parser.add_argument("--load", metavar="PATH", required=True, help="saved agent")
    _add_env_options(parser, None)
    parser.add_argument("--episodes", type=int, default=10, help="(%(default)s)")
    parser.add_argument("--seed", type=seed, default=0, help="env seed")
    parser.add_argument("--max-steps", type=int, default=100_000, help="per episode")
    parser.add_argument("--render", choices=["human", "ansi"], help="draw each step")
    parser.set_defaults(run=_eval)


def _add_show(commands: Any) -> None:
    parser = commands.add_parser(
        "show",
        help="print a saved agent's Q-table and policy",
        description="Print the Q-table and the greedy policy of a saved agent.",
    )
    parser.add_argument("--load", metavar="PATH", required=True, help="saved agent")
    _add_env_options(parser, None)
    parser.set_defaults(run=_show)


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line: one subcommand per job."""
    parser = argparse.ArgumentParser(
        prog="corridor",
        description=__doc__.split("\n\n")[0],
        epilog="Exit codes: 0 ok, 1 failure during the run, 2 usage or bad input "
        "(including an unusable save path), 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_train(commands)
    _add_eval(commands)
    _add_show(commands)
    return parser


def _env_spec(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """Return the env id and keywords: from the options, else from the saved file."""
    env_id, kwargs = args.env, {}
    if env_id is None:
        with _reading(args.load):
            saved = read_metadata(args.load).get("env")
        if not isinstance(saved, dict):
            raise UsageError(f"{args.load} records no env; name one with --env")
        env_id, kwargs = saved["id"], dict(saved["kwargs"])
    kwargs.update(args.env_kwargs)
    kwargs.update(dict(args.env_arg))
    return env_id, kwargs


def _make_env(
    env_id: str, kwargs: dict[str, Any], render_mode: str | None = None
) -> gym.Env[Any, Any]:
    if render_mode is not None:
        kwargs = {**kwargs, "render_mode": render_mode}
    try:
        return gym.make(env_id, **kwargs)
    except Exception as err:
        # The keywords are the user's, handed to any env's constructor, which may
        # refuse them with any exception (FrozenLake: KeyError for an unknown map).
        raise UsageError(
            f"cannot make env {env_id!r} with {kwargs}: {type(err).__name__}: {err}"
        ) from err


def _criteria(args: argparse.Namespace) -> list[Criterion]:
    if not args.until:
        for name in ("tol", "patience"):
            if getattr(args, name) is not None:
                raise UsageError(f"--{name} applies to --until, which was not given")
        return []
    tol = DEFAULT_TOL if args.tol is None else args.tol
    patience = DEFAULT_PATIENCE if args.patience is None else args.patience
    if patience < 1:
        raise UsageError(f"--patience must be >= 1, got {patience}")
    try:
        return [CRITERIA[name](tol, patience) for name in args.until]
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from err


def _build_agent(args: argparse.Namespace, env: gym.Env[Any, Any]) -> QLearningAgent:
    try:
        return QLearningAgent.from_env(
            env,
            learning_rate=args.learning_rate,
            discount=args.discount,
            epsilon=args.epsilon,
            seed=args.seed,
            **check_agent_args(args.agent_arg),
        )
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from err
    except MemoryError as err:
        raise UsageError(
            f"a Q-table for {env.observation_space} x {env.action_space} does not "
            f"fit in memory"
        ) from err


def _train(args: argparse.Namespace) -> int:
    for name in ("episodes", "max_steps"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1")
    if args.save is not None:
        try:
            check_writable(args.save)
        except ValueError as err:
            raise UsageError(f"--save: {err}") from err
    env = _make_env(args.env, {**args.env_kwargs, **dict(args.env_arg)})
    agent = _build_agent(args, env)
    criteria = _criteria(args)
    done: list[int] = []
    with _interrupted_once():
        print(f"training env={args.env} episodes={args.episodes} seed={args.seed}")
        _flush_stdout()
        try:
            history, verdict = _run_training(args, agent, env, criteria, done)
            greedy = evaluate(agent, env, 1, seed=args.seed, max_steps=args.max_steps)
        except KeyboardInterrupt:
            _save_interrupted(args, agent, env, done[0] if done else 0)
            return EXIT_INTERRUPTED
    # Closing first ends the line that "human" rendering leaves open.
    env.close()
    _report_training(history, verdict, greedy)
    if args.save is not None:
        _save(agent, args.save, env)
        print(f"saved={args.save}")
    return EXIT_OK


@contextlib.contextmanager
def _interrupted_once() -> Iterator[None]:
    """Turn the first Ctrl-C into `KeyboardInterrupt` and ignore any more.

    A second press then cannot cut short the save that the first one starts. A
    process that was started ignoring Ctrl-C (in the background) keeps ignoring it.
    """
    previous = signal.getsignal(signal.SIGINT)
    main_thread = threading.current_thread() is threading.main_thread()
    if previous is signal.SIG_IGN or not main_thread:  # only it may set handlers
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _save_interrupted(
    args: argparse.Namespace,
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    finished: int,
) -> None:
    """Say where training stopped and, with ``--save``, keep what it learned."""
    env.close()
    partly = " and part of the next" if agent.episodes_started > finished else ""
    print(f"\ninterrupted after {finished} episodes{partly}", file=sys.stderr)
    if args.save is not None:
        _save(agent, args.save, env, "what was learned so far")
        print(f"saved what was learned so far to {args.save}", file=sys.stderr)


def _save(
    agent: QLearningAgent, path: str, env: gym.Env[Any, Any], what: str = "the agent"
) -> None:
    """Save, turning a failure into a `RunError` that names ``path``."""
    try:
        agent.save(path, env)
    except (OSError, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise RunError(f"could not save {what} to {path!r}: {why}") from err


def _run_training(
    args: argparse.Namespace,
    agent: QLearningAgent,
    env: gym.Env[Any, Any],
    criteria: list[Criterion],
    done: list[int],
) -> tuple[History, str | None]:
    """Train; return the history and, with stopping rules, the verdict on them.

    ``done`` is kept holding the number of finished episodes, for an interrupt.
    """

    def count(episode: int, history: History) -> None:
        done[:] = [episode + 1]

    options: dict[str, Any] = {
        "seed": args.seed,
        "max_steps": args.max_steps,
        "progress": not args.no_progress,
        "callback": count,
    }
    try:
        if not criteria:
            return train(agent, env, args.episodes, **options), None
        result = train_until_converged(
            agent, env, args.episodes, criteria=criteria, **options
        )
    except (TypeError, ValueError) as err:
        if agent.episodes_started:  # raised mid-run: a fault, not bad input
            raise RunError(str(err)) from err
        raise UsageError(str(err)) from err
    return result.history, result.summary()


def _report_training(history: History, verdict: str | None, greedy: History) -> None:
    recent = slice(-SUMMARY_WINDOW, None)
    print(
        f"episodes={len(history)} "
        f"mean_return={np.mean(history.returns[recent]):.3f} "
        f"mean_length={np.mean(history.lengths[recent]):.1f} "
        f"(last {min(SUMMARY_WINDOW, len(history))})"
    )
    if verdict is not None:
        print(verdict)
    print(f"greedy_return={greedy.returns[0]} greedy_length={greedy.lengths[0]}")


@contextlib.contextmanager
def _reading(path: str) -> Iterator[None]:
    """Report a saved agent that cannot be opened as bad input (exit code 2)."""
    try:
        yield
    except OSError as err:
        raise UsageError(f"cannot read {path!r}: {err.strerror or err}") from err


def _load_agent(path: str, env: gym.Env[Any, Any]) -> QLearningAgent:
    try:
        with _reading(path):
            return QLearningAgent.load(path, env)
    except TypeError as err:  # the env's spaces do not suit a table
        raise UsageError(f"{path}: {err}") from err


def _eval(args: argparse.Namespace) -> int:
    if args.episodes < 1 or args.max_steps < 1:
        raise UsageError("--episodes and --max-steps must be >= 1")
    env_id, kwargs = _env_spec(args)
    env = _make_env(env_id, kwargs, args.render)
    agent = _load_agent(args.load, env)
    if args.render == "ansi":
        env = PrintFrames(env)
    history = History()
    for episode in range(args.episodes):
        # One episode a call, so that each line follows its episode's frames; the
        # seed goes to the first reset only, as in a single call.
        seed = args.seed if episode == 0 else None
        one = evaluate(agent, env, 1, seed=seed, max_steps=args.max_steps)
        history.returns += one.returns
        history.lengths += one.lengths
        print(
            f"episode={episode + 1} return={one.returns[0]} "
            f"length={one.lengths[0]} truncated={one.truncated[0]}"
        )
    env.close()
    print(
        f"env={env_id} episodes={len(history)} "
        f"mean_return={np.mean(history.returns):.3f} "
        f"mean_length={np.mean(history.lengths):.1f}"
    )
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    env_id, kwargs = _env_spec(args)
    env = _make_env(env_id, kwargs, "ansi")
    agent = _load_agent(args.load, env)
    n_actions, action_start = discrete_size(env.action_space, "action_space")
    names = [f"a={action}" for action in range(action_start, action_start + n_actions)]
    print(f"env={env_id} {json.dumps(kwargs, sort_keys=True)}")
    print(format_q_table(agent.q_table, names))
    drawing = policy_row(env, agent)
    print("greedy policy:")
    if drawing is not None:
        print(drawing)
    else:
        print(" ".join(str(action) for action in agent.greedy_actions()))
    env.close()
    return EXIT_OK


def _flush_stdout() -> None:
    # Python sets sys.stdout to None when the process starts with it closed.
    if sys.stdout is not None:
        sys.stdout.flush()


def _warning_printer(command: str) -> Callable[..., None]:
    """Return a `warnings.showwarning` that prints one line, without source lines."""

    def show(message: Warning | str, category: type[Warning], *args: Any) -> None:
        print(f"corridor {command}: warning: {message}", file=sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``corridor`` command and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(args.command)
            code: int = args.run(args)
        _flush_stdout()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and send what is still
        # buffered to devnull so that flushing at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except (UsageError, AgentFileError) as err:
        print(f"corridor {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except RunError as err:
        print(f"corridor {args.command}: error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as err:
        print(f"corridor {args.command}: error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"\ncorridor {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
