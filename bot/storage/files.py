"""Files the bot writes — the database, its WAL/SHM, backups, exports — are its user's alone.

They hold every enterprise's contacts and requests, so they are created mode 0600 (folders the
bot creates, 0700), whatever the umask, and an existing database readable by others is
tightened when it is opened.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# SQLite's companions of a database file; SQLite creates them with the database file's mode.
COMPANIONS = ("-wal", "-shm", "-journal")


def private_folder(folder: Path) -> None:
    """Creates the folder (and its parents) if missing; the folder itself mode 0700.

    A folder that already exists is the operator's choice and is left as it is.
    """
    try:
        folder.mkdir(parents=True, mode=FOLDER_MODE)
    except FileExistsError:
        return
    os.chmod(folder, FOLDER_MODE)


def create_private(path: Path) -> int:
    """Creates `path` (it must not exist yet) mode 0600 in a private folder; returns its fd."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # the umask can only have taken bits away; make it exact
    return fd


def tighten(path: Path) -> None:
    """Takes the group's and others' permissions off an existing file."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & ~0o077)


def secure_database(path: Path) -> None:
    """Before SQLite opens `path`: creates it empty and private, or tightens it and its WAL/SHM.

    SQLite accepts an empty file as a new database and gives the -wal and -shm files it creates
    the database file's mode, so a 0600 database keeps its companions 0600 too.
    """
    with contextlib.suppress(FileExistsError):
        os.close(create_private(path))
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in COMPANIONS)):
        tighten(candidate)
