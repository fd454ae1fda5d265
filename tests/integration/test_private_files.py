"""The database, its WAL/SHM files and backups are the bot's user's alone (0600; folders 0700).

Every test runs with umask 0, under which anything created without care is world-writable.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.models import Role
from bot.storage.uow import Database
from tests.cli_support import run_bot_cli

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def cli(tmp_path: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bot_cli(tmp_path, *args, db=db, umask=0)


def test_the_cli_creates_a_private_data_folder_database_and_backup(tmp_path: Path) -> None:
    db = tmp_path / "data" / "oncall.db"
    roster = tmp_path / "supervisors.csv"
    roster.write_text("name,phone,telegram_id\n周主任,13900000001,\n", encoding="utf-8")
    done = cli(tmp_path, db, "import", "supervisors", str(roster))
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "data") == 0o700
    assert mode(db) == 0o600
    done = cli(tmp_path, db, "backup", str(tmp_path / "backups" / "copy.db"))
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "backups") == 0o700
    assert mode(tmp_path / "backups" / "copy.db") == 0o600
    # Nothing else the backup left beside it is readable by others either.
    for path in (tmp_path / "backups").iterdir():
        assert mode(path) == 0o600, path


async def test_the_wal_and_shm_of_a_database_in_use_are_private(
    tmp_path: Path, open_umask: None
) -> None:
    db = await Database.open(tmp_path / "store" / "oncall.db")
    try:
        async with db.tx() as tx:  # a write, so the WAL and the shared-memory file exist
            await tx.upsert_person("周主任", "13900000001", Role.SUPERVISOR, None, NOW)
        files = [
            tmp_path / "store" / name for name in ("oncall.db", "oncall.db-wal", "oncall.db-shm")
        ]
        assert all(path.exists() for path in files)
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
        assert mode(tmp_path / "store") == 0o700
        await db.backup(tmp_path / "copy.db")
        assert mode(tmp_path / "copy.db") == 0o600
    finally:
        await db.close()


async def test_an_existing_database_readable_by_others_is_tightened_on_open(
    tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "oncall.db"
    # Left by an older version: the database and its WAL/SHM world-readable, still in use.
    other = sqlite3.connect(path)
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("CREATE TABLE t (x)")
        other.execute("INSERT INTO t VALUES (1)")
        other.commit()
        companions = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        for file in companions:
            os.chmod(file, 0o644)
        db = await Database.open(path)
        await db.close()
        assert {f.name: mode(f) for f in companions} == {f.name: 0o600 for f in companions}
    finally:
        other.close()


async def test_a_folder_that_exists_already_is_left_as_the_operator_made_it(
    tmp_path: Path, open_umask: None
) -> None:
    shared = tmp_path / "srv"
    shared.mkdir(mode=0o755)
    db = await Database.open(shared / "oncall.db")
    await db.close()
    assert mode(shared) == 0o755 and mode(shared / "oncall.db") == 0o600
