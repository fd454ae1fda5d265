"""The export a supervisor sends to the county: three sheets (Requests, Events, Figures) in the
reader's language, real dates and numbers, neutralised text, CSV with a BOM, periods.

The fixture is a small hand-built history (tests below count by hand what each figure must be).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.config_files import load_catalog
from bot.domain.clock import to_text
from bot.domain.models import Enterprise, Role, Urgency
from bot.domain.periods import parse_period
from bot.export.spreadsheet import (
    COLUMNS,
    CSV_TIME,
    EVENT_COLUMNS,
    FIGURE_COLUMNS,
    Export,
    chunks,
    display_width,
    neutralise,
)
from bot.i18n import labels, translator
from bot.sample import SUPERVISOR, TROUT_OWNER
from bot.storage.uow import Database, rebuild_report_facts
from tests.cli_support import run_bot_cli
from tests.conftest import World
from tests.integration.flows import new_request, onboard

# The CLI takes "now" from the wall clock: every instant below is in the past, and request 2's
# deadline (2026-11-24) is over, request 4's (2099) is not.
HOSTILE_NOTE = '=HYPERLINK("http://evil.example","看")'


FAR = to_text(datetime(2099, 1, 1, tzinfo=UTC))


def due(when: str) -> str:
    return json.dumps({"due_at": when})


def at(day: int, hour: int = 2) -> str:
    """An instant of November 2026 (UTC) as the database stores it."""
    return to_text(datetime(2026, 11, day, hour, tzinfo=UTC))


async def seed(path: Path) -> None:
    """Five requests of two enterprises, two commissioners, three teams; request 1 reopened once.

    | # | category  | team    | holder | status     | accepted | resolved | overdue now |
    | 1 | financing | finance | 王专员 | closed     | yes      | yes      | no          |
    | 2 | financing | finance | 李专员 | accepted   | yes      | no       | yes         |
    | 3 | labor     | talent  | —      | dispatched | no       | no       | no          |
    | 4 | permits   | relief  | 王专员 | accepted   | yes      | no       | no (2099)   |
    | 5 | land      | relief  | —      | cancelled  | no       | no       | no          |
    Request 5 was submitted on 2026-11-10 (local), the others from 2026-11-20.
    """
    db = await Database.open(path)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        async with db.tx() as tx:
            owner = await tx.upsert_person("张老板", "13800000001", Role.OWNER, None, now)
            wang = await tx.upsert_person("王专员", "13900000012", Role.COMMISSIONER, None, now)
            li = await tx.upsert_person("李专员", "13900000011", Role.COMMISSIONER, None, now)
            trout = await tx.upsert_enterprise(
                Enterprise(
                    id=0, name="清溪冷水鱼养殖场", credit_code="91500230MA5UXR1T2H",
                    industry="水产养殖", chain="冷水鱼",
                )
            )  # fmt: skip
            herbs = await tx.upsert_enterprise(
                Enterprise(
                    id=0, name="武陵山中药材公司", credit_code="91500230MA5UXR2C3D",
                    industry="中药材", chain="中药材",
                )
            )  # fmt: skip
            plan = [
                (trout, "financing", 20), (herbs, "financing", 21), (trout, "labor", 22),
                (herbs, "permits", 23), (trout, "land", 10),
            ]  # fmt: skip
            for ent, category, day in plan:
                await tx.insert_request(
                    ent, owner, category, f"{category} 需要帮助", Urgency.NORMAL, (),
                    datetime.fromisoformat(at(day)),
                )  # fmt: skip
        sql = db.conn.execute
        await sql(
            "UPDATE requests SET status='closed', holder_id=?, dispatched_at=?, accepted_at=?, "
            "resolved_at=?, closed_at=?, due_at=?, outcome='solved', rating=5, "
            "resolution='已放贷' WHERE id=1",
            (wang, at(20, 3), at(20, 4), at(22), at(23), at(27)),
        )
        await sql(
            "UPDATE requests SET status='accepted', holder_id=?, urgency='urgent', "
            "dispatched_at=?, accepted_at=?, due_at=? WHERE id=2",
            (li, at(21, 3), at(21, 4), at(24)),
        )
        await sql("UPDATE requests SET status='dispatched', dispatched_at=? WHERE id=3", (at(22),))
        await sql(
            "UPDATE requests SET status='accepted', holder_id=?, accepted_at=?, "
            "due_at=? WHERE id=4",
            (wang, at(23, 5), to_text(datetime(2099, 1, 1, tzinfo=UTC))),
        )
        await sql("UPDATE requests SET status='cancelled', closed_at=? WHERE id=5", (at(11),))
        events: list[tuple[Any, ...]] = [
            (1, owner, "submitted", None, "submitted", "{}", at(20)),
            (1, wang, "accepted", "dispatched", "accepted", due(at(27)), at(20, 4)),
            (1, wang, "noted", None, None, json.dumps({"text": HOSTILE_NOTE}), at(21)),
            (1, wang, "resolved", "accepted", "resolved", '{"outcome": "solved"}', at(22)),
            (1, owner, "rated", None, None, '{"stars": 5}', at(22, 3)),
            (
                1,
                owner,
                "commented",
                None,
                None,
                json.dumps({"stars": 5, "comment": "先放贷"}),
                at(22, 4),
            ),
            (
                1,
                owner,
                "commented",
                None,
                None,
                json.dumps({"stars": 5, "comment": HOSTILE_NOTE}),
                at(22, 4),
            ),
            (1, owner, "reopened", "resolved", "reopened", "{}", at(22, 5)),
            (2, owner, "submitted", None, "submitted", "{}", at(21)),
            (2, li, "accepted", "dispatched", "accepted", due(at(24)), at(21, 4)),
            (3, owner, "submitted", None, "submitted", "{}", at(22)),
            (4, owner, "submitted", None, "submitted", "{}", at(23)),
            (4, wang, "accepted", "dispatched", "accepted", due(FAR), at(23, 5)),
            (5, owner, "submitted", None, "submitted", "{}", at(10)),
            (5, owner, "cancelled", "submitted", "cancelled", "{}", at(11)),
        ]
        await db.conn.executemany(
            "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            events,
        )
        # 王 serves on the finance team, 李 on the relief team (the Figures sheet's teams).
        await db.conn.executemany(
            "INSERT INTO team_members (person_id, team) VALUES (?, ?)",
            [(wang, "finance"), (li, "relief")],
        )
        await db.conn.commit()
        # The report facts, folded from the event log as the migration does.
        await rebuild_report_facts(db.conn)
    finally:
        await db.close()


def column(key: str) -> int:
    return [k for k, _label in COLUMNS].index(key)


def values(sheet: Worksheet) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def export(tmp_path: Path, *args: str, **env: str) -> Path:
    asyncio.run(seed(tmp_path / "oncall.db"))
    target = tmp_path / args[-1]
    done = run_bot_cli(tmp_path, "export", *args[:-1], str(target), **env)
    assert done.returncode == 0, done.stderr
    return target


def test_the_xlsx_has_three_sheets_with_chinese_headers_dates_numbers_and_safe_text(
    tmp_path: Path,
) -> None:
    book = load_workbook(export(tmp_path, "requests.xlsx"))
    _ = translator("zh")
    assert book.sheetnames == ["诉求", _("Events"), _("Figures")]
    sheet = book["诉求"]
    header = [c.value for c in sheet[1]]
    assert header == [_(label) if label != "#" else "#" for _k, label in COLUMNS]
    assert header[1] == "企业" and header[column("created_at")] == "提交时间"
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:W{5 + 1}"
    # Widths: CJK counts double (the enterprise names are 8 characters, 16 columns).
    assert sheet.column_dimensions["B"].width >= display_width("清溪冷水鱼养殖场") == 16
    rows = values(sheet)[1:]
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    first = rows[0]
    # Real dates, local time (Asia/Shanghai, UTC+8), tz-naive, with a date-time format.
    assert first[column("created_at")] == datetime(2026, 11, 20, 10, 0)
    assert first[column("closed_at")] == datetime(2026, 11, 23, 10, 0)
    assert first[column("due_at")] == datetime(2026, 11, 27, 10, 0)
    stamp = sheet.cell(row=2, column=column("accepted_at") + 1)
    assert stamp.is_date and "yyyy" in stamp.number_format and "hh:mm" in stamp.number_format
    assert rows[2][column("accepted_at")] is None  # not accepted: an empty cell
    # Numbers as numbers.
    assert first[column("rating")] == 5 and isinstance(first[column("rating")], int)
    assert [r[column("reopen_count")] for r in rows] == [1, 0, 0, 0, 0]
    catalog = load_catalog()
    assert first[column("team")] == labels.team_label(catalog, "finance", "zh")
    assert rows[2][column("team")] == labels.team_label(catalog, "talent", "zh")
    assert first[column("category")] == labels.category_label(catalog, "financing", "zh")
    assert first[column("industry")] == "水产养殖" and first[column("chain")] == "冷水鱼"
    assert first[column("credit_code")] == "91500230MA5UXR1T2H"
    assert first[column("holder")] == "王专员" and rows[2][column("holder")] is None
    assert first[column("outcome")] == _("Solved") and first[column("resolution")] == "已放贷"
    assert rows[1][column("urgency")] == labels.urgency_label(Urgency.URGENT, "zh")[2:] == "紧急"
    assert rows[4][column("status")] == _("cancelled")
    # The owner's last comment on their rating, as text that can never run as a formula.
    assert first[column("rating_comment")] == neutralise(HOSTILE_NOTE)
    assert rows[1][column("rating_comment")] is None

    events = values(book[_("Events")])
    assert events[0] == [_(label) if label != "#" else "#" for _k, label in EVENT_COLUMNS]
    assert [e[0] for e in events[1:]] == [1] * 8 + [2, 2, 3, 4, 4, 5, 5]
    # Every kind in words, the later lifecycle ones included.
    assert [e[2] for e in events[5:9]] == [
        _("rated"),
        _("rating comment"),
        _("rating comment"),
        _("reopened"),
    ]
    accepted = events[2]
    assert accepted[1] == datetime(2026, 11, 20, 12, 0)
    assert accepted[2:6] == [
        _("accepted"),
        "王专员",
        _("waiting for a commissioner"),
        _("in progress"),
    ]
    note = book[_("Events")].cell(row=4, column=7)
    assert note.data_type == "s" and note.value == neutralise(f"text: {HOSTILE_NOTE}")
    for line in book.worksheets:
        for row in line.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (line.title, cell.coordinate, cell.value)


def test_the_figures_sheet_counts_per_team_and_commissioner_by_hand(tmp_path: Path) -> None:
    book = load_workbook(export(tmp_path, "requests.xlsx"))
    _ = translator("zh")
    figures = values(book[_("Figures")])
    assert figures[0] == [_(label) for label in FIGURE_COLUMNS]
    catalog = load_catalog()

    def team(key: str) -> str:
        return labels.team_label(catalog, key, "zh")

    by_cut = {(line[0], line[1]): line[2:] for line in figures[1:]}
    # received, accepted, resolved, overdue at the period's end (now), as /stats attributes
    # them (README "Figures by cut"): to who resolved a request, else who holds it, and to
    # their team. 王 resolved #1 (reopened since: no deadline runs) and holds #4 (due 2099);
    # 李 holds #2, due on the 24th; nobody holds #3 (dispatched) and #5 (cancelled).
    assert by_cut == {
        (_("Team"), team("finance")): [2, 2, 1, 0],
        (_("Team"), team("relief")): [1, 1, 0, 1],
        (_("Team"), _("(none)")): [2, 0, 0, 0],
        (_("Commissioner"), "王专员"): [2, 2, 1, 0],
        (_("Commissioner"), "李专员"): [1, 1, 0, 1],
        (_("Commissioner"), _("(none)")): [2, 0, 0, 0],
    }


def test_english_headers_and_sheet_names_for_an_english_reader(tmp_path: Path) -> None:
    book = load_workbook(export(tmp_path, "requests.xlsx", ONCALL_DEFAULT_LANGUAGE="en"))
    assert book.sheetnames == ["Requests", "Events", "Figures"]
    header = [c.value for c in book["Requests"][1]]
    assert header[:9] == [
        "#", "Enterprise", "Credit code", "Industry", "Industry chain", "Contact", "Category",
        "Team", "Holder",
    ]  # fmt: skip
    assert "Reopened (times)" in header and "Rating comment" in header
    assert [c.value for c in book["Figures"][1]] == list(FIGURE_COLUMNS)
    assert book["Events"].cell(row=3, column=3).value == "accepted"


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), path  # a BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_writes_the_same_tables_as_three_files_with_a_bom(tmp_path: Path) -> None:
    target = export(tmp_path, "--format", "csv", "out.txt")
    requests = read_csv(target)
    events = read_csv(tmp_path / "out.events.csv")
    figures = read_csv(tmp_path / "out.figures.csv")
    run_bot_cli(tmp_path, "export", str(tmp_path / "same.xlsx"))
    book = load_workbook(tmp_path / "same.xlsx")

    def as_csv(value: Any) -> str:
        if value is None:
            return ""
        return value.strftime(CSV_TIME) if isinstance(value, datetime) else str(value)

    for sheet, table in zip(book.worksheets, (requests, events, figures), strict=True):
        assert table == [[as_csv(v) for v in row] for row in values(sheet)], sheet.title


def test_cli_from_to_picks_whole_local_days_and_format_follows_the_suffix(
    tmp_path: Path,
) -> None:
    target = export(tmp_path, "--from", "2026-11-15", "--to", "2026-11-22", "p.csv")
    rows = read_csv(target)
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]  # 5 is older, 4 was submitted on the 23rd
    assert [r[0] for r in read_csv(tmp_path / "p.events.csv")[1:]] == ["1"] * 8 + ["2", "2", "3"]
    # --format wins over the suffix; a later --to than --from is refused.
    done = run_bot_cli(tmp_path, "export", "--format", "xlsx", str(tmp_path / "x.csv"))
    assert done.returncode == 0 and (tmp_path / "x.csv").read_bytes().startswith(b"PK")
    bad = run_bot_cli(
        tmp_path, "export", "--from", "2026-11-22", "--to", "2026-11-15", str(tmp_path / "b.csv")
    )
    assert bad.returncode == 2 and "--to" in bad.stderr and not (tmp_path / "b.csv").exists()
    # Nothing is overwritten: an existing events file stops a CSV export before it writes.
    again = run_bot_cli(tmp_path, "export", str(tmp_path / "p.csv"))
    assert again.returncode == 2 and "already exists" in again.stderr


async def test_the_export_reads_requests_in_chunks_on_the_reader(tmp_path: Path) -> None:
    await seed(tmp_path / "oncall.db")
    db = await Database.open(tmp_path / "oncall.db")
    asked: list[int] = []
    try:
        async with db.read() as tx:
            # The reader connection is query-only: the export cannot write, nor wait for writers.
            assert tx.conn is db.reader

            class Counting:
                async def export_rows(self, *args: Any) -> list[dict[str, Any]]:
                    rows = await tx.export_rows(*args)
                    asked.append(len(rows))
                    return rows

                async def export_events(self, ids: Any) -> list[dict[str, Any]]:
                    return await tx.export_events(ids)

            job = Export(load_catalog(), "zh", db_tz(), datetime.now(UTC))
            seen = [[r["id"] for r in rows] async for rows, _events in chunks(Counting(), job, 2)]
    finally:
        await db.close()
    assert seen == [[1, 2], [3, 4], [5]] and asked == [2, 2, 1, 0]


def db_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_periods_are_local_days() -> None:
    today = date(2026, 11, 25)  # a Wednesday
    assert parse_period([], today) == (None, None)
    assert parse_period(["today"], today) == (today, today)
    assert parse_period(["yesterday"], today) == (date(2026, 11, 24), date(2026, 11, 24))
    assert parse_period(["week"], today) == (date(2026, 11, 23), today)
    assert parse_period(["Month"], today) == (date(2026, 11, 1), today)
    assert parse_period(["year"], today) == (date(2026, 1, 1), today)
    assert parse_period(["2026-10-01", "2026-10-31"], today) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    for bad in (["fortnight"], ["2026-10-31", "2026-10-01"], ["2026-10-01"], ["a", "b", "c"]):
        try:
            parse_period(bad, today)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_slash_export_with_a_period_for_supervisors_only(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, description="需要贷款三十万元用于扩建")
    await boss.command("export", "today")
    sent = await boss.wait_for_message(lambda m: m.kind == "document")
    assert "(1)" in (sent.caption or "") or "1 条" in (sent.caption or "")
    book = load_workbook(io.BytesIO(world.sim.files[(sent.document or {})["file_id"]].data))
    assert book.sheetnames == ["诉求", "事件记录", "统计"]
    assert book["诉求"].max_row == 2
    await boss.command("export", "yesterday")
    empty = await boss.wait_for_message(
        lambda m: m.kind == "document" and m.message_id != sent.message_id
    )
    data = world.sim.files[(empty.document or {})["file_id"]].data
    assert load_workbook(io.BytesIO(data))["诉求"].max_row == 1  # the header only
    # A period it cannot read gets an example, in the reader's language.
    await boss.command("export", "fortnight")
    usage = await boss.wait_for_message("/export month")
    assert "时间段" in usage.body
    # Not a supervisor: refused, and no file.
    await owner.command("export")
    refusal = await owner.wait_for_message(translator("zh")("This is not for you."))
    assert refusal.kind != "document"
    assert not [m for m in owner.messages() if m.kind == "document"]
    world.sim.assert_no_errors()
