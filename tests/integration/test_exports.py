"""Exports are safe: every text cell is text, never a formula; the files are the bot's user's.

`oncall-bot export` (xlsx and CSV) and /export share one writer (bot/export/spreadsheet.py);
a value beginning with = + - @ tab or CR gets OWASP's leading apostrophe.
"""

from __future__ import annotations

import asyncio
import csv
import io
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.models import Enterprise, Role, Urgency
from bot.export.spreadsheet import COLUMNS, neutralise
from bot.sample import SUPERVISOR, TROUT_OWNER
from bot.storage.uow import Database
from tests.cli_support import run_bot_cli
from tests.conftest import World
from tests.integration.flows import new_request, onboard

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
# Each begins with what Excel, LibreOffice or Sheets would take for a formula.
HOSTILE_DESCRIPTIONS = (
    "=1+1 资金缺口三十万",
    "+86 13800000001 请回电",
    "-2+3 饲料款",
    "@SUM(1,2) 用工",
    "\t=HYPERLINK(1) 证照",
    "\r=cmd|' /C calc'!A0",
    "#N/A 不是错误值",
)
ENTERPRISE = '=HYPERLINK("http://evil.example","清溪")'
CONTACT = "@冒名联系人"
HOLDER = "-李专员"
RESOLUTION = "+已办结=SUM(A1:A9)"
CREDIT_CODE = "=91500230MA5UXR1T2K"


def column(key: str) -> int:
    """The 1-based column of a field in every export."""
    return [k for k, _label in COLUMNS].index(key) + 1


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` with umask 0, so only the bot's own care keeps files private."""
    return run_bot_cli(tmp_path, *args, umask=0, **env)


async def seed(path: Path) -> None:
    """An enterprise, its contact and a holder with hostile names; one request per description."""
    db = await Database.open(path)
    try:
        async with db.tx() as tx:
            owner = await tx.upsert_person(CONTACT, "13800000001", Role.OWNER, None, NOW)
            holder = await tx.upsert_person(HOLDER, "13900000011", Role.COMMISSIONER, None, NOW)
            ent = await tx.upsert_enterprise(
                Enterprise(id=0, name=ENTERPRISE, credit_code=CREDIT_CODE, contact_name=CONTACT)
            )
            for description in HOSTILE_DESCRIPTIONS:
                await tx.insert_request(
                    ent, owner, "financing", description, Urgency.NORMAL, (), NOW
                )
        await db.conn.execute(
            "UPDATE requests SET holder_id = ?, resolution = ?", (holder, RESOLUTION)
        )
    finally:
        await db.close()


def check_text_cells(sheet: Worksheet, rows: int) -> None:
    for row in range(2, rows + 2):
        expected = {
            "enterprise": "'" + ENTERPRISE,
            "credit_code": "'" + CREDIT_CODE,
            "owner": "'" + CONTACT,
            "holder": "'" + HOLDER,
            "resolution": "'" + RESOLUTION,
            # XML reads a carriage return back as a line feed; the apostrophe stays first.
            "description": neutralise(HOSTILE_DESCRIPTIONS[row - 2]).replace("\r", "\n"),
        }
        for key, value in expected.items():
            cell = sheet.cell(row=row, column=column(key))
            assert cell.data_type == "s", (key, cell.value, cell.data_type)
            assert cell.value == value, (key, cell.value)


def test_neutralise_follows_owasp() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("需要贷款 -30万") == "需要贷款 -30万"
    assert neutralise("#N/A") == "#N/A"
    assert neutralise("bell\x07=1") == "bell=1"  # control characters Excel refuses are dropped
    assert neutralise("\x07=1") == "'=1"


def test_every_hostile_text_cell_of_the_xlsx_export_is_a_string(tmp_path: Path) -> None:
    asyncio.run(seed(tmp_path / "oncall.db"))
    done = cli(tmp_path, "export", str(tmp_path / "out" / "requests.xlsx"))
    assert done.returncode == 0, done.stderr
    book = load_workbook(tmp_path / "out" / "requests.xlsx")
    sheet = book.active
    assert sheet is not None
    assert sheet.max_row == len(HOSTILE_DESCRIPTIONS) + 1
    check_text_cells(sheet, len(HOSTILE_DESCRIPTIONS))
    for line in sheet.iter_rows():
        for cell in line:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert cell.data_type == "s", (cell.coordinate, cell.value)
    # The file and the folder the export created are the bot's user's alone (umask was 0).
    assert stat.S_IMODE((tmp_path / "out" / "requests.xlsx").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700


def test_the_csv_export_neutralises_the_same_cells_and_quotes_every_field(
    tmp_path: Path,
) -> None:
    asyncio.run(seed(tmp_path / "oncall.db"))
    done = cli(
        tmp_path, "export", "--format", "csv", str(tmp_path / "r.txt"), ONCALL_DEFAULT_LANGUAGE="en"
    )
    assert done.returncode == 0, done.stderr
    raw = (tmp_path / "r.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][0] == "#" and rows[0][column("description") - 1] == "Description"
    assert len(rows) == len(HOSTILE_DESCRIPTIONS) + 1
    for number, row in enumerate(rows[1:]):
        assert row[column("enterprise") - 1] == "'" + ENTERPRISE
        assert row[column("credit_code") - 1] == "'" + CREDIT_CODE
        assert row[column("owner") - 1] == "'" + CONTACT
        assert row[column("holder") - 1] == "'" + HOLDER
        assert row[column("resolution") - 1] == "'" + RESOLUTION
        assert row[column("description") - 1] == neutralise(HOSTILE_DESCRIPTIONS[number])
        assert not any(field.startswith(("=", "+", "-", "@", "\t", "\r")) for field in row)
    assert text.splitlines()[1].startswith('"1",')  # every field quoted (OWASP)
    assert stat.S_IMODE((tmp_path / "r.txt").stat().st_mode) == 0o600
    # The suffix picks the format when --format is not given.
    done = cli(tmp_path, "export", str(tmp_path / "again.csv"))
    assert done.returncode == 0 and (tmp_path / "again.csv").read_bytes().startswith(b"\xef")


@pytest.mark.parametrize(
    ("created", "inside"),
    [
        ("2026-11-23T15:59:00", False),  # 23:59 on the 23rd in Asia/Shanghai
        ("2026-11-23T16:00:00", True),  # 00:00 on the 24th
        ("2026-11-25T15:59:00", True),  # 23:59 on the 25th
        ("2026-11-25T16:00:00", False),  # 00:00 on the 26th
    ],
)
def test_export_from_to_takes_whole_local_days(tmp_path: Path, created: str, inside: bool) -> None:
    when = datetime.fromisoformat(created).replace(tzinfo=UTC)

    async def one_request() -> None:
        db = await Database.open(tmp_path / "oncall.db")
        try:
            async with db.tx() as tx:
                owner = await tx.upsert_person("张老板", "13800000001", Role.OWNER, None, when)
                ent = await tx.upsert_enterprise(
                    Enterprise(id=0, name="清溪冷水鱼养殖场", credit_code="91500230MA5UXR1T2K")
                )
                await tx.insert_request(
                    ent, owner, "financing", "需要贷款", Urgency.NORMAL, (), when
                )
        finally:
            await db.close()

    asyncio.run(one_request())
    done = cli(
        tmp_path, "export", "--from", "2026-11-24", "--to", "2026-11-25", str(tmp_path / "o.csv")
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "o.csv").read_text("utf-8-sig"))))
    assert len(rows) == (2 if inside else 1)
    bad = cli(tmp_path, "export", "--from", "24.11.2026", str(tmp_path / "p.csv"))
    assert bad.returncode == 2 and "--from" in bad.stderr and not (tmp_path / "p.csv").exists()


async def test_slash_export_sends_the_same_safe_spreadsheet(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    boss = await onboard(world, SUPERVISOR)
    hostile = '=HYPERLINK("http://evil.example","点我查看")'
    await new_request(owner, description=hostile)
    await boss.command("export")
    sent = await boss.wait_for_message(lambda m: m.kind == "document")
    file_id = (sent.document or {})["file_id"]
    book = load_workbook(io.BytesIO(world.sim.files[file_id].data))
    sheet = book.active
    assert sheet is not None
    cell = sheet.cell(row=2, column=column("description"))
    assert cell.data_type == "s" and cell.value == "'" + hostile
    world.sim.assert_no_errors()
