"""`oncall-bot check`: healthy exits 0; each kind of problem is reported and exits non-zero.

The database is a real SQLite file written through the storage layer, with the troubles put in
by SQL, as the running bot would have left them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot.check import EXIT_NO_DATABASE, EXIT_OK, EXIT_PROBLEM, run_check
from bot.domain.clock import to_text
from bot.domain.identity import UpdateRef
from bot.sample import HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, load_sample
from bot.storage.db import connect, migrate, migrations
from bot.storage.sqlite.tx import SqliteTx
from bot.storage.uow import Database
from tests.cli_support import run_bot_cli
from tests.i18n_support import zh

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")

Trouble = Callable[[aiosqlite.Connection], Awaitable[object]]


async def make_db(path: Path, trouble: Trouble | None = None) -> Path:
    db = await Database.open(path)
    try:
        await load_sample(db, NOW - timedelta(days=30), bind=True)
        if trouble is not None:
            await trouble(db.conn)
    finally:
        await db.close()
    return path


async def check(path: Path, lang: str = "en") -> tuple[int, str]:
    return await run_check(path, NOW, TZ, lang)


def cli(tmp_path: Path, db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot_cli(tmp_path, *args, db=db, **env)


async def person_id(conn: aiosqlite.Connection, phone: str) -> int:
    rows = list(await conn.execute_fetchall("SELECT id FROM people WHERE phone = ?", (phone,)))
    return int(rows[0][0])


async def outbox_row(
    conn: aiosqlite.Connection, phone: str, status: str, due: datetime, error: str | None = None
) -> None:
    await conn.execute(
        "INSERT INTO outbox (recipient_id, channel, address, kind, request_id, params, status, "
        "not_before, created_at, last_error) "
        "VALUES (?, 'telegram', ?, 'card', NULL, '{}', ?, ?, ?, ?)",
        (
            await person_id(conn, phone),
            "42",
            status,
            to_text(due),
            to_text(due - timedelta(minutes=1)),
            error,
        ),
    )


def problems(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[PROBLEM]")]


async def test_a_healthy_database_passes_every_check(tmp_path: Path) -> None:
    async def fine(conn: aiosqlite.Connection) -> None:
        # A message due a minute ago, one deferred to later, an unreachable owner (listed only),
        # an old failure, an old dead letter and an old restart: nothing needs the operator.
        await outbox_row(conn, TROUT_OWNER.phone, "pending", NOW - timedelta(minutes=1))
        await outbox_row(conn, TROUT_OWNER.phone, "pending", NOW + timedelta(minutes=30))
        await outbox_row(conn, HERB_OWNER.phone, "failed", NOW - timedelta(days=3), "Forbidden")
        await conn.execute(
            "UPDATE people SET unreachable_at = ? WHERE phone = ?",
            (to_text(NOW - timedelta(days=2)), HERB_OWNER.phone),
        )
        await conn.execute(
            "INSERT INTO dead_letters (channel, ref, seq, payload, reason, at) "
            "VALUES ('telegram', '7', 7, '{}', 'x', ?)",
            (to_text(NOW - timedelta(days=2)),),
        )
        await conn.execute(
            "INSERT INTO health (component, restarts, last_error, last_restart_at, heartbeat_at) "
            "VALUES ('poller', 2, 'database is locked', ?, ?)",
            (to_text(NOW - timedelta(hours=3)), to_text(NOW - timedelta(seconds=20))),
        )

    code, text = await check(await make_db(tmp_path / "oncall.db", fine))
    assert code == EXIT_OK, text
    assert problems(text) == []
    assert "All checks passed." in text
    assert "Integrity check: ok" in text
    assert f"Schema version {len(migrations())} (this program: {len(migrations())})" in text
    assert "Outbox: 2 waiting, 1 due now; the oldest due for 1 min" in text
    assert "Undeliverable messages: 0 in the last 24 hours, 1 in all" in text
    assert "刘经理 138****0002 (owner), since 2026-11-23 10:00" in text
    assert "poller: 2 restart(s), the last at 2026-11-25 07:00 after: database is locked" in text
    assert "13800000002" not in text


async def test_the_cli_check_of_a_healthy_database_exits_0_in_the_default_language(
    tmp_path: Path,
) -> None:
    db = await make_db(tmp_path / "oncall.db")
    done = cli(tmp_path, db, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"[{zh('OK')}]" in done.stdout and zh("All checks passed.") in done.stdout
    english = cli(tmp_path, db, "check", ONCALL_DEFAULT_LANGUAGE="en")
    assert english.returncode == 0 and "All checks passed." in english.stdout


def test_a_missing_database_is_reported_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "oncall.db"
    done = cli(tmp_path, db, "check", ONCALL_DEFAULT_LANGUAGE="en")
    assert done.returncode == EXIT_NO_DATABASE
    assert str(db) in done.stdout and "nothing was created" in done.stdout
    assert not db.exists() and not db.parent.exists()


async def test_a_file_that_is_not_a_database_fails_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "oncall.db"
    path.write_bytes(b"this is not an SQLite database, just text " * 200)
    os.chmod(path, 0o600)
    code, text = await check(path)
    assert code == EXIT_PROBLEM
    assert problems(text)[0].startswith("[PROBLEM] Integrity check failed")


async def test_a_damaged_database_fails_the_integrity_check(tmp_path: Path) -> None:
    path = await make_db(tmp_path / "oncall.db")
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page + 8 : 4 * page] = b"\xff" * (page - 8)  # a b-tree page's cells overwritten
    path.write_bytes(bytes(data))
    code, text = await check(path)
    assert code == EXIT_PROBLEM
    assert any("Integrity check failed" in line for line in problems(text)), text


@pytest.mark.parametrize("version", [2, 99])
async def test_a_schema_other_than_this_programs_is_a_problem(tmp_path: Path, version: int) -> None:
    async def other_schema(conn: aiosqlite.Connection) -> None:
        await conn.execute(f"PRAGMA user_version={version}")

    code, text = await check(await make_db(tmp_path / "oncall.db", other_schema))
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert f"Schema version {version} (this program: {len(migrations())})" in line
    assert ("older" if version == 2 else "newer") in line


async def test_a_message_due_for_more_than_15_minutes_is_a_problem(tmp_path: Path) -> None:
    async def backlog(conn: aiosqlite.Connection) -> None:
        await outbox_row(conn, TROUT_OWNER.phone, "pending", NOW - timedelta(minutes=16))
        await outbox_row(conn, TROUT_OWNER.phone, "pending", NOW - timedelta(minutes=2))

    code, text = await check(await make_db(tmp_path / "oncall.db", backlog))
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert "Outbox: 2 waiting, 2 due now; the oldest due for 16 min" in line


async def test_a_message_given_up_in_the_last_day_is_a_problem(tmp_path: Path) -> None:
    async def failed(conn: aiosqlite.Connection) -> None:
        blocked = "Forbidden: bot was blocked by the user"
        await outbox_row(conn, TROUT_OWNER.phone, "failed", NOW - timedelta(hours=2), blocked)
        await outbox_row(conn, HERB_OWNER.phone, "failed", NOW - timedelta(days=3), "Not found")

    code, text = await check(await make_db(tmp_path / "oncall.db", failed))
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert "Undeliverable messages: 1 in the last 24 hours, 2 in all" in line
    assert "2026-11-25 08:00 to 张老板 (card): Forbidden: bot was blocked by the user" in text
    assert "to 刘经理 (card): Not found" in text


async def test_an_unreachable_commissioner_or_supervisor_is_a_problem(tmp_path: Path) -> None:
    async def blocked(conn: aiosqlite.Connection) -> None:
        for phone in (LI.phone, SUPERVISOR.phone, TROUT_OWNER.phone):
            await conn.execute(
                "UPDATE people SET unreachable_at = ? WHERE phone = ?",
                (to_text(NOW - timedelta(hours=5)), phone),
            )

    code, text = await check(await make_db(tmp_path / "oncall.db", blocked))
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert "Unreachable people: 3; 2 of them commissioners or supervisors" in line
    assert f"{LI.name} 139****0011 (commissioner), since 2026-11-25 05:00" in text
    assert f"{SUPERVISOR.name} 139****0001 (supervisor)" in text
    assert f"{TROUT_OWNER.name} 138****0001 (owner)" in text
    assert LI.phone not in text


async def test_a_dead_letter_in_the_last_day_is_a_problem(tmp_path: Path) -> None:
    async def dead(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO dead_letters (channel, ref, seq, payload, reason, at) "
            "VALUES ('telegram', '812', 812, '{}', ?, ?)",
            ("unreadable update: KeyError 'chat' from 13800000001", to_text(NOW)),
        )

    code, text = await check(await make_db(tmp_path / "oncall.db", dead))
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert "Dead letters (updates set aside): 1 in the last 24 hours, 1 in all" in line
    assert "update 812: unreadable update: KeyError 'chat' from 138****0001" in text


async def test_dead_letters_of_two_channels_are_two_and_named_by_channel(tmp_path: Path) -> None:
    """Keyed by channel and reference (0017): a WeCom update with a Telegram update's number is
    its own dead letter, shown as channel:reference; a Telegram one by its update id."""

    async def dead(conn: aiosqlite.Connection) -> None:
        tx = SqliteTx(conn)
        await tx.add_dead_letter(UpdateRef("telegram", "812", 812), "{}", "handler failed", NOW)
        await tx.add_dead_letter(UpdateRef("wecom", "msg-812", 812), "{}", "handler failed", NOW)

    code, text = await check(await make_db(tmp_path / "oncall.db", dead))
    assert code == EXIT_PROBLEM
    assert "2 in the last 24 hours, 2 in all" in text
    assert "update 812: handler failed" in text
    assert "update wecom:msg-812: handler failed" in text


async def test_dead_letters_of_yesterdays_schema_move_to_the_keyed_table(tmp_path: Path) -> None:
    """Migration 0017 carries the Telegram dead letters over under their update ids."""
    path = tmp_path / "oncall.db"
    conn = await connect(path)
    try:
        assert await migrate(conn, upto=16) == 16
        await conn.execute(
            "INSERT INTO dead_letters (update_id, payload, reason, at) VALUES (?, '{}', ?, ?)",
            (812, "handler failed", to_text(NOW)),
        )
        await conn.commit()
        # `check` reads a database it has not migrated: yesterday's shape is listed too.
        _code, before = await check(path)
        assert "update 812: handler failed" in before
        assert await migrate(conn) == len(migrations())
        rows = list(
            await conn.execute_fetchall("SELECT channel, ref, seq, reason FROM dead_letters")
        )
        assert [tuple(r) for r in rows] == [("telegram", "812", 812, "handler failed")]
    finally:
        await conn.close()
    code, text = await check(path)
    assert code == EXIT_PROBLEM  # set aside within the last day
    assert "update 812: handler failed" in text


async def test_a_restart_in_the_last_hour_is_a_problem(tmp_path: Path) -> None:
    async def restarted(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO health (component, restarts, last_error, last_restart_at) "
            "VALUES ('sender', 1, 'OperationalError: database is locked', ?)",
            (to_text(NOW - timedelta(minutes=10)),),
        )

    code, text = await check(await make_db(tmp_path / "oncall.db", restarted))
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert "Watchdog: 1 component(s) restarted in the last hour" in line
    assert "sender: 1 restart(s), the last at 2026-11-25 09:50" in text


async def test_a_database_readable_by_others_is_a_problem(tmp_path: Path) -> None:
    path = await make_db(tmp_path / "oncall.db")
    os.chmod(path, 0o644)
    code, text = await check(path)
    assert code == EXIT_PROBLEM
    [line] = problems(text)
    assert "oncall.db (0644)" in line
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"  # check reports; it changes nothing
