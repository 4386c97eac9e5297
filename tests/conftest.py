"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_render_delay(monkeypatch):
    """Make "human" rendering draw without pausing between frames."""
    monkeypatch.setattr("corridor_env.corridor.time.sleep", lambda seconds: None)


@pytest.fixture
def load_example():
    """Return a loader of ``examples/NAME.py`` as a module, without running it."""
    import importlib.util
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "examples"

    def load(name: str):
        path = examples / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"example_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
