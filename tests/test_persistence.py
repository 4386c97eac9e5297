import io
import json
import os
import pickle
import zipfile

import gymnasium as gym
import numpy as np
import pytest
from agent_files import rewrite_metadata

from agents import LinearDecay, QLearningAgent, VisitCount, train
from agents.persistence import (
    FORMAT,
    AgentFileError,
    qualified_env_id,
    read_metadata,
)

ENV_ID = "corridor_env:Corridor-v0"
AGENT_SEED = 7
ENV_SEED = 3


@pytest.fixture
def env():
    environment = gym.make(ENV_ID, length=7)
    yield environment
    environment.close()


@pytest.fixture
def trained(env):
    agent = QLearningAgent.from_env(
        env, learning_rate=0.5, discount=0.8, epsilon=0.3, seed=AGENT_SEED
    )
    train(agent, env, 15, seed=ENV_SEED)
    return agent


def test_save_load_round_trip_keeps_table_and_hyperparameters(tmp_path, env, trained):
    path = tmp_path / "agent.npz"
    trained.save(path, env)
    loaded = QLearningAgent.load(path, env)

    np.testing.assert_array_equal(loaded.q_table, trained.q_table)
    assert loaded.q_table.dtype == np.float64
    assert (loaded.learning_rate, loaded.discount, loaded.epsilon) == (0.5, 0.8, 0.3)
    assert loaded.seed == AGENT_SEED
    assert (loaded.n_states, loaded.n_actions) == (7, 2)


def test_save_load_round_trip_continues_the_random_stream(tmp_path, env, trained):
    path = tmp_path / "agent.npz"
    trained.save(path)
    loaded = QLearningAgent.load(path)

    states = [0, 1, 2, 3] * 300
    assert [loaded.act(s) for s in states] == [trained.act(s) for s in states]


def test_metadata_is_readable_json_with_env_and_versions(tmp_path, env, trained):
    path = tmp_path / "agent.npz"
    trained.save(path, env)

    with zipfile.ZipFile(path) as archive:
        text = archive.read("metadata.json").decode()
    meta = json.loads(text)
    assert meta == read_metadata(path)
    assert meta["format"] == FORMAT
    assert meta["env"] == {"id": ENV_ID, "kwargs": {"length": 7}}
    hyperparameters = meta["hyperparameters"]
    assert hyperparameters["learning_rate"] == 0.5
    assert hyperparameters["discount"] == 0.8
    assert hyperparameters["epsilon"] == 0.3
    assert meta["rng"]["seed"] == AGENT_SEED
    assert meta["versions"]["gymnasium"] == gym.__version__
    assert meta["shape"] == {
        "n_states": 7,
        "n_actions": 2,
        "obs_start": 0,
        "action_start": 0,
    }


def test_save_without_env_records_none(tmp_path, trained):
    path = tmp_path / "agent.npz"
    trained.save(path)
    assert read_metadata(path)["env"] is None


def test_qualified_env_id_prefixes_the_registering_package():
    assert qualified_env_id(gym.make(ENV_ID).spec) == ENV_ID
    assert qualified_env_id(gym.spec("FrozenLake-v1")) == "FrozenLake-v1"


def test_load_refuses_an_env_of_another_shape(tmp_path, env, trained):
    path = tmp_path / "agent.npz"
    trained.save(path, env)
    other = gym.make(ENV_ID, length=9)
    with pytest.raises(AgentFileError, match=r"agent\.npz.*does not fit.*7 states"):
        QLearningAgent.load(path, other)


def test_load_refuses_a_truncated_file(tmp_path, env, trained):
    path = tmp_path / "agent.npz"
    trained.save(path, env)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AgentFileError, match=r"agent\.npz: not a saved agent"):
        QLearningAgent.load(path)


def test_load_refuses_a_damaged_member(tmp_path, env, trained):
    path = tmp_path / "agent.npz"
    trained.save(path, env)
    data = bytearray(path.read_bytes())
    offset = data.index(b"\x93NUMPY") + 200  # inside the first array's data
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(AgentFileError, match=r"agent\.npz: damaged"):
        QLearningAgent.load(path)


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"q_table": [[0.0, 0.0]]}))
    with pytest.raises(AgentFileError, match=r"evil\.npz.*nothing in it was executed"):
        QLearningAgent.load(path)


def test_load_refuses_an_object_array(tmp_path):
    path = tmp_path / "objects.npz"
    meta = {"format": FORMAT, "format_version": 1, "shape": {}}
    meta.update(hyperparameters={}, progress={}, rng={})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps(meta))
        with archive.open("q_table.npy", "w") as member:
            objects = np.array([{"x": 1}], dtype=object)
            np.lib.format.write_array(member, objects, allow_pickle=True)
    with pytest.raises(AgentFileError, match=r"objects\.npz: damaged.*q_table"):
        QLearningAgent.load(path)


def test_load_refuses_a_plain_npz(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, q_table=np.zeros((6, 2)))
    with pytest.raises(AgentFileError, match=r"plain\.npz.*no 'metadata\.json'"):
        QLearningAgent.load(path)


def test_load_refuses_a_single_npy_array(tmp_path):
    path = tmp_path / "table.npy"
    np.save(path, np.zeros((6, 2)))
    with pytest.raises(AgentFileError, match=r"table\.npy.*single array"):
        QLearningAgent.load(path)


def test_load_refuses_a_newer_format_version(tmp_path, trained):
    path = tmp_path / "agent.npz"
    trained.save(path)
    rewrite_metadata(path, format_version=99)
    with pytest.raises(AgentFileError, match=r"format_version .* got 99"):
        QLearningAgent.load(path)


def test_load_refuses_a_table_of_the_wrong_shape(tmp_path, trained):
    path = tmp_path / "agent.npz"
    trained.save(path)
    meta = read_metadata(path)
    rewrite_metadata(path, shape={**meta["shape"], "n_states": 8})
    with pytest.raises(
        AgentFileError,
        match=r"damaged: q_table has shape \(7, 2\), the metadata says \(8, 2\)",
    ):
        QLearningAgent.load(path)


def test_load_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        QLearningAgent.load(tmp_path / "absent.npz")


def test_save_failure_leaves_the_previous_file_intact(
    tmp_path, env, trained, monkeypatch
):
    path = tmp_path / "agent.npz"
    trained.save(path, env)
    before = path.read_bytes()
    trained.q_table += 1.0

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        trained.save(path, env)

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["agent.npz"]


def test_save_refuses_keywords_that_are_not_json(tmp_path, env, trained):
    env.unwrapped.spec.kwargs["length"] = object()
    with pytest.raises(TypeError, match="env keywords must be JSON"):
        trained.save(tmp_path / "agent.npz", env)
    assert not list(tmp_path.iterdir())


def test_schedules_and_their_progress_round_trip(tmp_path, env):
    agent = QLearningAgent.from_env(
        env,
        learning_rate=VisitCount(power=0.7),
        epsilon=LinearDecay(start=1.0, end=0.1, episodes=40),
        seed=AGENT_SEED,
    )
    train(agent, env, 12, seed=ENV_SEED)
    path = tmp_path / "agent.npz"
    agent.save(path, env)

    meta = read_metadata(path)
    assert meta["hyperparameters"]["learning_rate"] == {
        "schedule": "VisitCount",
        "power": 0.7,
    }
    assert meta["hyperparameters"]["epsilon"] == {
        "schedule": "LinearDecay",
        "start": 1.0,
        "end": 0.1,
        "episodes": 40,
    }
    assert meta["progress"]["episodes_started"] == 12
    loaded = QLearningAgent.load(path, env)
    assert loaded.epsilon_schedule == agent.epsilon_schedule
    assert loaded.epsilon == agent.epsilon
    np.testing.assert_array_equal(loaded.visit_counts, agent.visit_counts)
    assert int(agent.visit_counts.sum()) > 0

    train(agent, env, 5)
    train(loaded, env, 5)
    np.testing.assert_array_equal(loaded.q_table, agent.q_table)


def test_load_refuses_a_schedule_from_elsewhere(tmp_path, trained):
    path = tmp_path / "agent.npz"
    trained.save(path)
    meta = read_metadata(path)
    hyperparameters = {**meta["hyperparameters"], "epsilon": {"schedule": "Popen"}}
    rewrite_metadata(path, hyperparameters=hyperparameters)
    with pytest.raises(AgentFileError, match="schedule must name a class of agents"):
        QLearningAgent.load(path)


def test_load_refuses_a_rate_in_force_out_of_range(tmp_path, trained):
    path = tmp_path / "agent.npz"
    trained.save(path)
    progress = {**read_metadata(path)["progress"], "epsilon": 5.0}
    rewrite_metadata(path, progress=progress)
    with pytest.raises(AgentFileError, match=r"epsilon in force .* got 5\.0"):
        QLearningAgent.load(path)


def test_save_refuses_an_env_the_table_does_not_fit(tmp_path, trained):
    lake = gym.make("FrozenLake-v1")
    with pytest.raises(ValueError, match=r"table fits Discrete\(\d+, start=0\)"):
        trained.save(tmp_path / "agent.npz", lake)
    assert not list(tmp_path.iterdir())


def _rewrite_raw_metadata(path, text):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["metadata.json"] = text.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _replace_member(path, name, data):
    with zipfile.ZipFile(path) as archive:
        members = {entry: archive.read(entry) for entry in archive.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for entry, content in members.items():
            archive.writestr(entry, content)


def _npy_bytes(array, shape=None):
    header = {"descr": "<f8", "fortran_order": False, "shape": shape or array.shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + array.astype("<f8").tobytes()


def _patch_first_member(path, field, value):
    """Set a 2-byte field of the first member in the zip's central directory."""
    data = bytearray(path.read_bytes())
    offset = data.index(b"PK\x01\x02") + {"flags": 8, "method": 10}[field]
    data[offset : offset + 2] = value.to_bytes(2, "little")
    path.write_bytes(bytes(data))


def _with_metadata(field, value):
    def damage(path):
        meta = read_metadata(path)
        section, key = field.split(".", 1) if "." in field else (field, None)
        if key is None:
            meta[section] = value
        else:
            meta[section] = {**meta[section], key: value}
        rewrite_metadata(path, **{section: meta[section]})

    return damage


def _deeply_nested(path):
    meta = read_metadata(path)
    text = json.dumps(meta)
    _rewrite_raw_metadata(
        path, text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )


def _huge_rng_state(path):
    rng = read_metadata(path)["rng"]
    rng["state"]["state"]["state"] = 2**200
    rewrite_metadata(path, rng=rng)


DAMAGED_FILES = {
    "metadata nested 100,000 deep": (_deeply_nested, r"damaged: unreadable metadata"),
    "generator state of 2**200": (_huge_rng_state, r"cannot rebuild the agent"),
    "discount of 10**400": (
        _with_metadata("hyperparameters.discount", 10**400),
        r"cannot rebuild the agent: discount must be a float in \[0, 1\]",
    ),
    "n_states of 10**12": (
        _with_metadata("shape.n_states", 10**12),
        r"q_table has shape \(7, 2\), the metadata says \(1000000000000, 2\)",
    ),
    "learning rate in force 0.0": (
        _with_metadata("progress.learning_rate", 0.0),
        r"learning_rate in force must be a float in \(0, 1\], got 0\.0",
    ),
    "env record without an id": (
        _with_metadata("env", {"kwargs": {}}),
        r"metadata's 'env' must be null or an object with a string 'id'",
    ),
    "env keywords not an object": (
        _with_metadata("env", {"id": ENV_ID, "kwargs": [1]}),
        r"metadata's 'env' must be null",
    ),
    "uniforms outside [0, 1)": (
        lambda path: _replace_member(
            path, "rng_uniforms.npy", _npy_bytes(np.array([0.5, 7.0]))
        ),
        r"rng_uniforms must be a 1-d array of floats in \[0, 1\)",
    ),
    "uniforms with NaN": (
        lambda path: _replace_member(
            path, "rng_uniforms.npy", _npy_bytes(np.array([np.nan]))
        ),
        r"rng_uniforms must be a 1-d array of floats in \[0, 1\)",
    ),
    "array header claiming 1e11 rows": (
        lambda path: _replace_member(
            path, "q_table.npy", _npy_bytes(np.zeros((7, 2)), shape=(10**11, 2))
        ),
        r"'q_table\.npy' claims shape \(100000000000, 2\) .* but holds 112 bytes",
    ),
    "first member marked encrypted": (
        lambda path: _patch_first_member(path, "flags", 1),
        r"damaged: cannot read 'metadata\.json': .*encrypted",
    ),
    "first member of an unknown compression": (
        lambda path: _patch_first_member(path, "method", 99),
        r"damaged: cannot read 'metadata\.json'",
    ),
}


@pytest.mark.parametrize(
    ("damage", "message"), DAMAGED_FILES.values(), ids=DAMAGED_FILES.keys()
)
def test_load_refuses_a_damaged_file_with_a_clear_error(
    tmp_path, env, trained, damage, message
):
    path = tmp_path / "agent.npz"
    trained.save(path, env)
    damage(path)
    with pytest.raises(AgentFileError, match=r"agent\.npz: .*" + message):
        QLearningAgent.load(path)


def test_load_of_a_folder_raises_the_os_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        QLearningAgent.load(tmp_path)


def test_save_through_a_symbolic_link_replaces_the_file_it_points_to(
    tmp_path, env, trained
):
    target = tmp_path / "real.npz"
    QLearningAgent(7, 2).save(target)
    link = tmp_path / "link.npz"
    link.symlink_to(target)

    trained.save(link, env)

    assert link.is_symlink()
    np.testing.assert_array_equal(QLearningAgent.load(target).q_table, trained.q_table)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root may write any file, so nothing is read-only to it",
)
def test_save_refuses_to_replace_a_read_only_file(tmp_path, trained):
    path = tmp_path / "agent.npz"
    QLearningAgent(6, 2).save(path)
    path.chmod(0o444)

    with pytest.raises(ValueError, match=r"agent\.npz': the file is read-only"):
        trained.save(path)

    np.testing.assert_array_equal(QLearningAgent.load(path).q_table, np.zeros((6, 2)))


def test_save_refuses_a_device_and_leaves_it_a_device(trained):
    with pytest.raises(
        ValueError, match=r"'/dev/null': it exists and is not a regular"
    ):
        trained.save("/dev/null")

    assert not os.path.isfile("/dev/null")
