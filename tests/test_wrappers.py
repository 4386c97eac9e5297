import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import (
    FlattenObservation,
    RecordEpisodeStatistics,
    RecordVideo,
    TimeLimit,
)

ENV_ID = "corridor_env:Corridor-v0"
RIGHT, LEFT = 1, 0
SEED = 0


def test_record_episode_statistics_reports_return_and_length():
    env = RecordEpisodeStatistics(gym.make(ENV_ID))
    env.reset(seed=SEED)
    for _ in range(4):
        _, _, terminated, _, info = env.step(RIGHT)
        assert not terminated and "episode" not in info
    _, reward, terminated, _, info = env.step(RIGHT)

    assert terminated and reward == 1.0
    assert info["episode"]["r"] == 1.0
    assert info["episode"]["l"] == 5
    assert list(env.return_queue) == [1.0]
    assert list(env.length_queue) == [5]


def test_time_limit_truncates_a_stuck_policy():
    env = TimeLimit(gym.make(ENV_ID, max_episode_steps=None), max_episode_steps=7)
    env.reset(seed=SEED)
    flags = [env.step(LEFT)[2:4] for _ in range(7)]
    assert flags == [(False, False)] * 6 + [(False, True)]


def test_registered_time_limit_is_1000_steps():
    env = gym.make(ENV_ID)
    env.reset(seed=SEED)
    for _ in range(999):
        assert env.step(LEFT)[3] is False
    assert env.step(LEFT)[3] is True


def test_flatten_observation_one_hot_encodes_the_cell():
    env = FlattenObservation(gym.make(ENV_ID, length=4))
    obs, _ = env.reset(seed=SEED)

    assert env.observation_space == gym.spaces.Box(0, 1, (4,), np.int64)
    np.testing.assert_array_equal(obs, [1, 0, 0, 0])
    obs, *_ = env.step(RIGHT)
    np.testing.assert_array_equal(obs, [0, 1, 0, 0])
    assert env.observation_space.contains(obs)


def test_record_video_writes_an_mp4_through_rgb_array(tmp_path):
    pytest.importorskip("moviepy", reason='video needs the "video" extra (moviepy)')
    folder = tmp_path / "videos"
    env = RecordVideo(
        gym.make(ENV_ID, render_mode="rgb_array"),
        video_folder=str(folder),
        episode_trigger=lambda episode: True,
        disable_logger=True,
    )
    env.reset(seed=SEED)
    for _ in range(5):
        env.step(RIGHT)
    env.close()

    videos = sorted(path.name for path in folder.glob("*.mp4"))
    assert videos == ["rl-video-episode-0.mp4"]
    assert (folder / videos[0]).stat().st_size > 0


@pytest.mark.parametrize(
    "mode", ["sync", "async", None], ids=["sync", "async", "default"]
)
def test_make_vec_steps_every_copy_to_the_goal(mode):
    envs = gym.make_vec(ENV_ID, num_envs=3, vectorization_mode=mode, length=4)
    try:
        obs, _ = envs.reset(seed=SEED)
        np.testing.assert_array_equal(obs, [0, 0, 0])
        for expected in ([1, 1, 1], [2, 2, 2]):
            obs, rewards, terminated, _, _ = envs.step(np.full(3, RIGHT))
            np.testing.assert_array_equal(obs, expected)
            np.testing.assert_array_equal(rewards, [0.0, 0.0, 0.0])
        obs, rewards, terminated, truncated, _ = envs.step(
            np.array([RIGHT, LEFT, RIGHT])
        )
    finally:
        envs.close()

    np.testing.assert_array_equal(obs, [3, 1, 3])
    np.testing.assert_array_equal(rewards, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(terminated, [True, False, True])
    np.testing.assert_array_equal(truncated, [False, False, False])


def test_make_vec_async_spawned_workers_find_the_env_by_its_module():
    # Spawned workers import nothing of the parent's: the module-qualified id is
    # what registers the env there.
    envs = gym.make_vec(
        ENV_ID,
        num_envs=2,
        vectorization_mode="async",
        vector_kwargs={"context": "spawn"},
        wrappers=[RecordEpisodeStatistics],
    )
    try:
        envs.reset(seed=SEED)
        for _ in range(5):
            _, _, terminated, _, infos = envs.step(np.full(2, RIGHT))
    finally:
        envs.close()

    assert terminated.tolist() == [True, True]
    np.testing.assert_array_equal(infos["episode"]["l"], [5, 5])
    np.testing.assert_array_equal(infos["episode"]["r"], [1.0, 1.0])
    np.testing.assert_array_equal(infos["_episode"], [True, True])
