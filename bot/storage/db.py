"""Opening the SQLite file (WAL, foreign keys, busy timeout) and applying numbered migrations."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.storage.files import secure_database

BUSY_MS = 30000  # how long a statement waits for another connection's write lock
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# A migration that rebuilds a table others refer to says so; it runs with foreign keys off
# (SQLite's documented way to change a table's shape) and is checked before it commits.
FOREIGN_KEYS_OFF = "-- pragma: foreign_keys=off"


def migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise RuntimeError(f"migration {name} is out of sequence (expected {expected:04d})")
    return found


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Opens the database, creating its folder, in autocommit mode (transactions are explicit).

    The file (and the folder, when created here) is private to the bot's user: see files.py.
    """
    if str(path) != ":memory:":
        secure_database(Path(path))
    # check_same_thread=False: short statements also run on the event loop's thread, never at
    # the same time as aiosqlite's thread (storage/sqlite/base.py, Lane).
    conn = await aiosqlite.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, upto: int | None = None) -> int:
    """Applies the migrations newer than the database's user_version (up to version `upto`,
    when given: tests build yesterday's databases); returns the new version."""
    current = await schema_version(conn)
    available = migrations()
    if current > len(available):
        raise RuntimeError(
            f"database schema version {current} is newer than this program ({len(available)})"
        )
    for version, name, sql in available[current:upto]:
        keys_off = FOREIGN_KEYS_OFF in sql
        if keys_off:
            # Only outside a transaction does this pragma take effect.
            await conn.execute("PRAGMA foreign_keys=OFF")
        # One transaction per migration, version bump included, so a crash leaves no half schema.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_sql(sql):
                await conn.execute(statement)
            if keys_off:
                async with conn.execute("PRAGMA foreign_key_check") as cur:
                    broken = list(await cur.fetchall())
                if broken:
                    raise RuntimeError(f"migration {name} breaks foreign keys: {broken[:5]}")
            await conn.execute(f"PRAGMA user_version={version}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        finally:
            if keys_off:
                await conn.execute("PRAGMA foreign_keys=ON")
    return await schema_version(conn)


def split_sql(script: str) -> list[str]:
    """Splits a migration into statements, keeping CREATE TRIGGER … END blocks whole."""
    statements: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        stripped = line.strip()
        if stripped.startswith("--") and not buf:
            continue
        buf.append(line)
        text = "\n".join(buf).strip()
        in_trigger = text.upper().startswith("CREATE TRIGGER")
        if stripped.endswith(";") and (not in_trigger or stripped.upper().endswith("END;")):
            statements.append(text)
            buf = []
    if "\n".join(buf).strip():
        statements.append("\n".join(buf).strip())
    return statements
