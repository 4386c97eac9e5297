"""Atomic writing and pickle-free reading of ``.npz`` archives.

An ``.npz`` file is a zip archive of ``.npy`` arrays; other members (a JSON text,
say) are allowed, and ``numpy.load`` returns them as bytes. Writing goes to a
temporary file in the target's folder, which is flushed, synced and renamed over
the target, so a crash mid-write leaves any previous file intact. Reading uses
``numpy.load(..., allow_pickle=False)``: nothing in a file is ever executed.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

PathLike = str | os.PathLike[str]


# The first four bytes of a zip file (of an empty one, its end record) and of a
# single .npy array.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUM"
# What reading a damaged zip member or .npy header can raise: zipfile raises
# RuntimeError for an encrypted member and NotImplementedError for an unknown
# compression method.
_READ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
)


class AgentFileError(ValueError):
    """A saved agent that cannot be loaded; the message names the file and why."""


def check_writable(path: PathLike) -> Path:
    """Return ``path`` as a `Path` after checking a file can be written there.

    Meant to be called before long work whose result is to be saved, so that a bad
    path fails at once rather than after the work. A symbolic link is followed: the
    returned path is the file it points to, which a save then replaces.

    Raises:
        ValueError: if ``path`` is empty or a folder (or ends with a separator, as
            a folder's name may), names something other than a regular file (a
            device or a pipe, which renaming would replace), names a read-only
            file, or its folder is missing or refuses new files; the message names
            the path.
    """
    text = os.fspath(path)
    target = Path(os.path.realpath(text)) if os.path.islink(text) else Path(text)
    folder = target.parent
    problem = None
    if not text:
        problem = "the path is empty"
    elif target.is_dir():
        problem = "it is a folder"
    elif text.endswith(("/", os.sep)):
        problem = "a path ending with a separator names a folder"
    elif target.exists() and not target.is_file():
        problem = "it exists and is not a regular file"
    elif target.is_file() and not os.access(target, os.W_OK):
        problem = "the file is read-only"
    elif not folder.is_dir():
        problem = f"the folder {str(folder)!r} does not exist"
    else:
        problem = _folder_refuses_files(folder)
    if problem is not None:
        raise ValueError(f"cannot save to {text!r}: {problem}")
    return target


def _folder_refuses_files(folder: Path) -> str | None:
    """Say why no file can be created in ``folder``, or return ``None``."""
    # Creating one is the only sure test: permission bits say nothing of read-only
    # mounts or pseudo file systems such as /proc.
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as err:
        return f"no file can be created in the folder {str(folder)!r}: {err.strerror}"


def write_atomically(
    path: PathLike, texts: dict[str, str], arrays: dict[str, np.ndarray]
) -> None:
    """Write ``texts`` (by member name) and ``arrays`` (as ``NAME.npy``) to ``path``.

    The file gets the mode of the file it replaces, or else the usual mode for a
    new file under the process's umask.

    Raises:
        ValueError: as `check_writable` says.
        OSError: if the file cannot be written; any previous file is left as it
            was, and the temporary file is removed.
    """
    target = check_writable(path)
    mode = _mode_for(target)
    handle, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        os.chmod(temp_name, mode)
        with os.fdopen(handle, "wb") as file:
            _write_members(file, texts, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _sync_folder(target.parent)


def _mode_for(target: Path) -> int:
    """Return the permission bits the written file should have."""
    with contextlib.suppress(OSError):
        return target.stat().st_mode & 0o777
    # The umask can only be read by setting it; set it straight back.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _write_members(
    file: BinaryIO, texts: dict[str, str], arrays: dict[str, np.ndarray]
) -> None:
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        for name, text in texts.items():
            archive.writestr(name, text)
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk; Windows cannot
    # open a folder for this, and there the rename is as durable as it gets.
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def open_archive(path: PathLike) -> Any:
    """Open ``path`` as an ``.npz`` archive (a context manager), never unpickling.

    Only a zip file is handed to numpy: anything else is refused from its first
    bytes, so a single ``.npy`` array is never read whole and a pickle never reaches
    a loader.

    Raises:
        AgentFileError: if it is not a readable ``.npz`` archive.
        OSError: if the file cannot be opened (``FileNotFoundError`` if there is
            none, ``PermissionError``, ``IsADirectoryError``).
    """
    with open(path, "rb") as file:
        magic = file.read(4)
    if magic == _NPY_MAGIC:
        raise AgentFileError(f"{path}: not a saved agent: it holds a single array")
    if magic not in _ZIP_MAGIC:
        raise AgentFileError(
            f"{path}: not a saved agent: not an .npz archive, and nothing in it was "
            f"executed"
        )
    try:
        return np.load(path, allow_pickle=False)
    except _READ_ERRORS as err:
        raise AgentFileError(
            f"{path}: not a saved agent (expected an .npz archive): {err}"
        ) from err


def member(path: PathLike, archive: Any, name: str) -> Any:
    """Return member ``name`` of an open archive: an array, or bytes for text.

    An array's header is checked against the member's size first, so that a
    header claiming a huge shape is refused before any memory is allocated for it.
    """
    if name not in archive.files:
        raise AgentFileError(f"{path}: damaged or not a saved agent: no {name!r}")
    try:
        _check_array_size(path, archive.zip, f"{name}.npy")
        return archive[name]
    except _READ_ERRORS as err:
        raise AgentFileError(f"{path}: damaged: cannot read {name!r}: {err}") from err


def _check_array_size(path: PathLike, archive: zipfile.ZipFile, entry: str) -> None:
    if entry not in archive.namelist():
        return  # a text member
    fmt = np.lib.format
    with archive.open(entry) as file:
        version = fmt.read_magic(file)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(file)
        else:
            shape, _, dtype = fmt.read_array_header_2_0(file)
        header_size = file.tell()
    if dtype.hasobject:
        return  # numpy refuses it without reading the data: allow_pickle=False
    claimed = math.prod(shape) * dtype.itemsize
    held = archive.getinfo(entry).file_size - header_size
    if claimed != held:
        raise AgentFileError(
            f"{path}: damaged: {entry!r} claims shape {shape} of {dtype} "
            f"({claimed} bytes) but holds {held} bytes"
        )


def array(
    path: PathLike, archive: Any, name: str, dtype: type[np.generic]
) -> np.ndarray:
    """Return array ``name`` of an open archive, checking it has ``dtype``."""
    value = member(path, archive, name)
    if not isinstance(value, np.ndarray) or value.dtype != dtype:
        raise AgentFileError(
            f"{path}: damaged: {name!r} must be a {np.dtype(dtype).name} array, got "
            f"{getattr(value, 'dtype', type(value).__name__)}"
        )
    return value
