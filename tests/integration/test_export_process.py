"""/export is built in a child process (bot/export/process.py): the same workbook as
`oncall-bot export`, one at a time, a clear answer when it fails, nothing left behind, no token
handed to the child, and a running child killed when the bot stops."""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.config_files import load_catalog
from bot.export.process import (
    ExportBusy,
    ExportFailed,
    ExportRunner,
    child_environment,
    job_from_json,
    job_json,
)
from bot.export.spreadsheet import Export
from bot.sample import SUPERVISOR, TROUT_OWNER
from tests.cli_support import run_bot_cli
from tests.conftest import World
from tests.i18n_support import zh, zh_pattern
from tests.integration.flows import new_request, onboard

BUSY = "⏳ An export is being prepared right now. Please ask again once it has arrived."
FAILED = (
    "⚠️ The export could not be prepared. Please try again later; if it fails again, "
    "tell the operator (the reason is in the bot's log)."
)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the runner's temporary folders go, to see that none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def sheets(data: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    return {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}


def job(when: datetime | None = None) -> Export:
    return Export(load_catalog(), "zh", ZoneInfo("Asia/Shanghai"), when or datetime.now(UTC))


def test_a_job_travels_to_the_child_unchanged() -> None:
    sent = Export(
        load_catalog(),
        "en",
        ZoneInfo("Asia/Shanghai"),
        datetime(2026, 11, 28, 3, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 29, tzinfo=UTC),
    )
    assert job_from_json(job_json(sent, "/data/oncall.db", "/tmp/x.xlsx")) == (
        sent,
        "/data/oncall.db",
        "/tmp/x.xlsx",
    )


def test_the_child_gets_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALL_TOKEN", "123456:SECRET")
    monkeypatch.setenv("ONCALL_TIMEZONE", "Asia/Shanghai")
    env = child_environment()
    assert "ONCALL_TOKEN" not in env and env["ONCALL_TIMEZONE"] == "Asia/Shanghai"


async def wait_for_child(runner: ExportRunner) -> asyncio.subprocess.Process:
    await asyncio.wait_for(runner.running.wait(), timeout=30)
    assert runner._child is not None
    return runner._child


async def test_slash_export_is_the_cli_workbook_built_in_a_child(
    world: World, private_tmp: Path
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, description="需要贷款三十万元用于扩建")
    await boss.command("export")
    sent = await boss.wait_for_message(lambda m: m.kind == "document")
    chat = sheets(world.sim.files[(sent.document or {})["file_id"]].data)
    done = run_bot_cli(world.db_path.parent, "export", str(private_tmp / "cli.xlsx"))
    assert done.returncode == 0, done.stderr
    cli = sheets((private_tmp / "cli.xlsx").read_bytes())
    # The same requests and events, cell by cell (the Figures differ only in "now").
    assert chat["诉求"] == cli["诉求"] and len(chat["诉求"]) == 2
    assert chat["事件记录"] == cli["事件记录"]
    assert [p.name for p in private_tmp.iterdir()] == ["cli.xlsx"]  # nothing left behind
    world.sim.assert_no_errors()


async def test_a_second_export_while_one_is_built_is_refused(world: World) -> None:
    runner = ExportRunner(str(world.db_path))
    first = asyncio.create_task(runner.xlsx(job()))
    await wait_for_child(runner)  # the first is being built
    with pytest.raises(ExportBusy):
        await runner.xlsx(job())
    data, count = await first
    assert data.startswith(b"PK") and count == 0
    # Once it is done, the next one runs.
    assert (await runner.xlsx(job()))[1] == 0


async def test_a_supervisor_asking_during_an_export_is_told_to_wait(world: World) -> None:
    boss = await onboard(world, SUPERVISOR)
    exports = world.runtime.exports
    assert exports is not None
    exports._busy = True  # an export is being built for someone
    await boss.command("export")
    await boss.wait_for_message(zh(BUSY))
    assert not [m for m in boss.messages() if m.kind == "document"]


async def test_a_failed_child_gets_a_clear_answer_and_leaves_nothing(
    world: World, private_tmp: Path
) -> None:
    boss = await onboard(world, SUPERVISOR)
    exports = world.runtime.exports
    assert exports is not None
    exports.db_path = str(world.db_path.parent / "missing.db")  # the child cannot open it
    await boss.command("export")
    await boss.wait_for_message(zh(FAILED))
    assert list(private_tmp.iterdir()) == []
    assert not (world.db_path.parent / "missing.db").exists()  # never created by the child


async def test_a_killed_child_fails_and_stopping_the_bot_kills_a_running_one(
    world: World, private_tmp: Path
) -> None:
    runner = ExportRunner(str(world.db_path))
    building = asyncio.create_task(runner.xlsx(job()))
    child = await wait_for_child(runner)
    child.kill()
    with pytest.raises(ExportFailed):
        await building
    building = asyncio.create_task(runner.xlsx(job()))
    child = await wait_for_child(runner)
    await runner.close()
    assert child.returncode is not None  # gone with the bot
    with pytest.raises(ExportFailed):
        await building
    assert list(private_tmp.iterdir()) == []


TOO_BIG = (
    "The spreadsheet of these {count} requests is {mb} MB, more than Telegram lets a bot send "
    "(50 MB). Ask for a shorter period (for example /export month), or ask the operator for "
    "the whole file (oncall-bot export)."
)


async def test_a_workbook_over_telegrams_upload_limit_gets_an_answer_not_a_failure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.handlers import oversight

    boss = await onboard(world, SUPERVISOR)
    monkeypatch.setattr(oversight, "UPLOAD_LIMIT", 1000)  # any real workbook is bigger
    await boss.command("export")
    told = zh_pattern(TOO_BIG, count=0)
    await boss.wait_for_message(lambda m: bool(told.search(m.text or "")))
    assert not [m for m in boss.messages() if m.kind == "document"]
    world.sim.assert_no_errors()
