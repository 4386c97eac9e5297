"""Editing saved agent files, for tests of what loading refuses."""

from __future__ import annotations

import json
import zipfile

from agents.persistence import read_metadata


def rewrite_metadata(path, **changes):
    """Replace top-level keys of the ``metadata.json`` in the saved agent ``path``."""
    meta = read_metadata(path)
    meta.update(changes)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["metadata.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
