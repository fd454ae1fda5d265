"""Tests for the roster import: validation, all-or-nothing writes, counts, sync and dry runs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli_texts import KINDS, PROBLEMS, error_line, import_summary, problem_text
from bot.domain.clock import FakeClock
from bot.domain.identity import Address
from bot.domain.models import Enterprise, Event, Person, Role
from bot.domain.roster import (
    ENTERPRISE_NAME_MAX,
    LABEL_MAX,
    PERSON_NAME_MAX,
    credit_code_check,
)
from bot.i18n import translator
from bot.roster_files import read_roster
from bot.services.importer import (
    ImportReport,
    Problem,
    RosterKind,
    RowError,
    SourceFormat,
    import_roster,
)
from bot.storage.uow import Database
from tests.i18n_support import en
from tests.roster_support import ROSTERS, TROUT, VARIANTS, snapshot, write_roster

TEAMS = frozenset(
    {
        "party_guidance",
        "mass_org",
        "finance",
        "tax",
        "legal",
        "mentors",
        "promotion",
        "relief",
        "policy",
        "talent",
    }
)
CLOCK = FakeClock(datetime(2025, 3, 3, 1, 30, tzinfo=UTC))

COMMISSIONERS = """name,phone,teams,telegram_id
陈明,13800000001,finance;tax,1001
刘芳,13800000002,legal,
王强,13800000003,,
"""
ENTERPRISES = """name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone
石柱冷水鱼养殖有限公司,91500240MA0000001K,水产,冷水鱼,黄伟,13900000001,13800000001
黄连中药材股份公司,91500240MA0000002N,中药材,黄连,周丽,023-73331234,
山城酒厂,91500240MA0000003R,酒类,白酒,黄伟,13900000001,13800000002
"""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated SQLite file."""
    database = await Database.open(tmp_path / "oncall.db")
    yield database
    await database.close()


def csv_file(tmp_path: Path, text: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    """Writes a roster file exactly as given (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def code(i: int) -> str:
    """The i-th test enterprise's credit code (1 to 9), its check character right."""
    head = f"91500240MA000000{i}"
    check = credit_code_check(head)
    assert check is not None
    return head + check


async def run(
    db: Database, kind: RosterKind, path: Path, *, sync: bool = False, dry_run: bool = False
) -> ImportReport:
    """Reads the file as the CLI does, imports with the ten teams and the test clock."""
    table = read_roster(path)
    return await import_roster(db, CLOCK, kind, table, TEAMS, sync=sync, dry_run=dry_run)


async def person(db: Database, phone: str) -> Person | None:
    """The person with this (normalised) phone, if any."""
    async with db.tx() as tx:
        return await tx.person_by_phone(phone)


async def enterprise(db: Database, code: str) -> Enterprise | None:
    """The enterprise with this credit code, active or not."""
    async with db.tx() as tx:
        return await tx.enterprise_by_code(code)


async def events(db: Database) -> list[Event]:
    """The whole audit log."""
    async with db.tx() as tx:
        return await tx.events()


async def load_commissioners(db: Database, tmp_path: Path) -> None:
    """Imports the three sample commissioners, as enterprises need them."""
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, COMMISSIONERS, "c.csv"))
    assert report.written, import_summary(report, "en")


def lines(report: ImportReport) -> list[int]:
    """The line numbers the errors name."""
    return [e.line for e in report.errors]


def reason(report: ImportReport, line: int) -> str:
    """All reasons given for one line, joined (as the CLI words them in English)."""
    return " | ".join(problem_text(e, "en") for e in report.errors if e.line == line)


def found(report: ImportReport, line: int, problem: Problem, **params: str | int) -> bool:
    """Whether the import reported `problem` on `line` with (at least) these parameters:
    what was found, not how the catalog words it (test_every_problem_has_a_text… covers that)."""
    return any(
        e.line == line
        and e.problem is problem
        and all(e.params.get(k) == v for k, v in params.items())
        for e in report.errors
    )


# ---- clean imports ------------------------------------------------------------------------


async def test_commissioners_clean_import(db: Database, tmp_path: Path) -> None:
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, COMMISSIONERS))

    assert (report.created, report.updated, report.unchanged, report.deactivated) == (3, 0, 0, 0)
    assert report.errors == ()
    assert report.written and not report.dry_run
    chen = await person(db, "13800000001")
    assert chen is not None
    assert chen.name == "陈明"
    assert chen.roles == {Role.COMMISSIONER}
    assert chen.teams == {"finance", "tax"}
    assert chen.address == Address("telegram", "1001")
    wang = await person(db, "13800000003")
    assert wang is not None and wang.teams == frozenset() and wang.address is None


async def test_supervisors_clean_import(db: Database, tmp_path: Path) -> None:
    text = "name,phone,telegram_id\n督导甲,13700000001,2001\n督导乙,13700000002,\n"
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, text))

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    first = await person(db, "13700000001")
    assert first is not None
    assert first.roles == {Role.SUPERVISOR}
    assert first.address == Address("telegram", "2001")
    async with db.tx() as tx:
        assert [p.phone for p in await tx.people_with_role(Role.SUPERVISOR)] == [
            "13700000001",
            "13700000002",
        ]


async def test_enterprises_clean_import(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES))

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    chen = await person(db, "13800000001")
    liu = await person(db, "13800000002")
    assert chen is not None and liu is not None
    async with db.tx() as tx:
        huang = await tx.enterprises_of_contact("13900000001")
        zhou = await tx.enterprises_of_contact("02373331234")  # a landline, normalised
    assert [e.name for e in huang] == ["石柱冷水鱼养殖有限公司", "山城酒厂"]
    assert [e.commissioner_id for e in huang] == [chen.id, liu.id]
    assert huang[0].industry == "水产" and huang[0].chain == "冷水鱼"
    assert len(zhou) == 1 and zhou[0].commissioner_id is None  # requests go to the team
    owner = await person(db, "13900000001")
    assert owner is not None and owner.name == "黄伟" and owner.roles == {Role.OWNER}


async def test_event_appended_with_counts(db: Database, tmp_path: Path) -> None:
    await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, COMMISSIONERS, "team-2025.csv"))

    [event] = await events(db)
    assert event.kind == "roster_imported"
    assert event.request_id is None and event.actor_id is None
    assert event.at == CLOCK.now()
    assert event.payload["kind"] == "commissioners"
    assert event.payload["file"] == "team-2025.csv"
    assert (event.payload["created"], event.payload["updated"]) == (3, 0)
    assert event.payload["deactivated"] == 0


# ---- tolerated input ----------------------------------------------------------------------


async def test_bom_crlf_blank_lines_and_column_order_tolerated(
    db: Database, tmp_path: Path
) -> None:
    text = "\ufeff Phone ,telegram_id,NAME,teams\r\n\r\n13800000001,,陈明,finance\r\n,,,\r\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))

    assert report.errors == ()
    assert report.created == 1
    chen = await person(db, "13800000001")
    assert chen is not None and chen.name == "陈明"


@pytest.mark.parametrize(
    "raw",
    ["+86 138 0013 8000", "86-138-0013-8000", "138 0013 8000", "（+86）１３８００１３８０００"],
)
async def test_phone_normalised(db: Database, tmp_path: Path, raw: str) -> None:
    text = f'name,phone,telegram_id\n督导,"{raw}",\n'
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, text))

    assert report.errors == ()
    found = await person(db, "13800138000")
    assert found is not None and found.roles == {Role.SUPERVISOR}


async def test_teams_separators_and_case_tolerated(db: Database, tmp_path: Path) -> None:
    text = "name,phone,teams,telegram_id\n陈明,13800000001, Finance ；tax; ,\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))

    assert report.errors == ()
    chen = await person(db, "13800000001")
    assert chen is not None and chen.teams == {"finance", "tax"}


async def test_credit_code_lower_case_accepted(db: Database, tmp_path: Path) -> None:
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        "某公司,91500240ma0000009c,,,,,\n"
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert report.errors == ()
    assert await enterprise(db, "91500240MA0000009C") is not None


async def test_quoted_multiline_cell_keeps_physical_line_numbers(
    db: Database, tmp_path: Path
) -> None:
    text = 'name,phone,telegram_id\n"两行\n的名字",13700000001,\n\n坏号码,123,\n'
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, text))

    assert lines(report) == [5]


# ---- counting and idempotence -----------------------------------------------------------


async def test_reimport_is_idempotent(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    path = csv_file(tmp_path, ENTERPRISES)
    await run(db, RosterKind.ENTERPRISES, path)
    before = [await person(db, p) for p in ("13800000001", "13900000001", "02373331234")]
    before_e = [await enterprise(db, code(i)) for i in (1, 2, 3)]

    again_c = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, COMMISSIONERS, "c.csv"))
    again_e = await run(db, RosterKind.ENTERPRISES, path)

    assert (again_c.created, again_c.updated, again_c.unchanged) == (0, 0, 3)
    assert (again_e.created, again_e.updated, again_e.unchanged) == (0, 0, 3)
    assert [await person(db, p) for p in ("13800000001", "13900000001", "02373331234")] == before
    assert [await enterprise(db, code(i)) for i in (1, 2, 3)] == before_e


async def test_changes_are_counted_as_updates(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    changed = COMMISSIONERS.replace("陈明,13800000001,finance;tax", "陈明,13800000001,finance")
    changed = changed.replace("刘芳,13800000002,legal,", "刘芳芳,13800000002,legal,")
    changed = changed.replace("王强,13800000003,,", "王强,13800000003,,3003")
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, changed))

    assert (report.created, report.updated, report.unchanged) == (0, 3, 0)
    chen = await person(db, "13800000001")
    liu = await person(db, "13800000002")
    wang = await person(db, "13800000003")
    assert chen is not None and chen.teams == {"finance"}
    assert liu is not None and liu.name == "刘芳芳"
    assert wang is not None and wang.address == Address("telegram", "3003")


async def test_enterprise_change_counted_as_update(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES))
    moved = ENTERPRISES.replace("周丽,023-73331234,", "周丽,023-73331234,13800000003")
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, moved, "moved.csv"))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    wang = await person(db, "13800000003")
    moved_enterprise = await enterprise(db, "91500240MA0000002N")
    assert wang is not None and moved_enterprise is not None
    assert moved_enterprise.commissioner_id == wang.id


async def test_owner_becoming_commissioner_counts_as_created(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES))
    text = "name,phone,teams,telegram_id\n黄伟,13900000001,mentors,\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text, "more.csv"))

    assert report.created == 1
    huang = await person(db, "13900000001")
    assert huang is not None and huang.roles == {Role.OWNER, Role.COMMISSIONER}


# ---- all or nothing ---------------------------------------------------------------------


async def test_every_bad_row_reported_and_nothing_written(db: Database, tmp_path: Path) -> None:
    text = (
        "name,phone,teams,telegram_id\n"  # 1
        "陈明,13800000001,finance;tax,1001\n"  # 2 good
        "李四,12ab,finance,\n"  # 3 bad phone
        "王五,13800000005,fiance,\n"  # 4 unknown team
        ",13800000006,legal,\n"  # 5 no name
        "赵六,13800000001,legal,\n"  # 6 duplicate phone
        "钱七,13800000007,legal,abc\n"  # 7 bad telegram id
        "孙八,13800000008,legal,1001\n"  # 8 duplicate telegram id
        "周九,13800000009,legal;policy,\n"  # 9 good
        "吴十,13800000010,legal\n"  # 10 a cell short
    )
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))

    assert lines(report) == [3, 4, 5, 6, 7, 8, 10]
    assert found(report, 3, Problem.BAD_MOBILE, column="phone", value="12ab")
    assert found(report, 4, Problem.UNKNOWN_TEAM, team="fiance", match="finance")
    assert found(report, 5, Problem.REQUIRED, column="name")
    assert found(report, 6, Problem.DUPLICATE, column="phone", value="13800000001", other=2)
    assert found(report, 7, Problem.BAD_ID, column="telegram_id", value="abc")
    assert found(report, 8, Problem.DUPLICATE, column="telegram_id", value=1001, other=2)
    assert found(report, 10, Problem.CELL_COUNT, got=3, want=4)
    assert not report.written
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    # Not even the good rows went in, and no import was logged.
    assert await person(db, "13800000001") is None
    assert await person(db, "13800000009") is None
    assert await events(db) == []


async def test_bad_rows_leave_existing_data_untouched(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    text = "name,phone,teams,telegram_id\n新名字,13800000001,legal,\n坏,1380000,legal,\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text), sync=True)

    assert lines(report) == [3]
    chen = await person(db, "13800000001")
    liu = await person(db, "13800000002")
    assert chen is not None and chen.name == "陈明" and chen.teams == {"finance", "tax"}
    assert liu is not None and liu.has(Role.COMMISSIONER)  # sync did not run either
    assert len(await events(db)) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("name,phone,telegram_id", "missing column(s): teams"),
        ("name,phone,teams,telegram_id,email", "unknown column(s): email"),
        ("name,phone,teams,phone,telegram_id", "duplicate column(s): phone"),
        ("name,mobile,teams,telegram_id", "unknown column(s): mobile"),
    ],
)
async def test_header_must_have_exactly_the_columns(
    db: Database, tmp_path: Path, header: str, expected: str
) -> None:
    text = f"{header}\n陈明,13800000001,finance,\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))

    assert report.errors and lines(report) == [1] * len(report.errors)
    assert expected in reason(report, 1)
    assert await person(db, "13800000001") is None


async def test_missing_and_unknown_columns_both_named(db: Database, tmp_path: Path) -> None:
    text = "name,mobile,teams\n陈明,13800000001,finance\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))

    expected = "name, phone, teams, telegram_id"
    assert found(report, 1, Problem.UNKNOWN_COLUMNS, names="mobile", expected=expected)
    assert found(report, 1, Problem.MISSING_COLUMNS, names="phone, telegram_id")


async def test_empty_file(db: Database, tmp_path: Path) -> None:
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, "\ufeff\n\n"))

    assert lines(report) == [1]
    assert report.errors[0].problem is Problem.EMPTY_FILE


async def test_missing_file_is_an_error_not_a_crash(db: Database, tmp_path: Path) -> None:
    report = await run(db, RosterKind.SUPERVISORS, tmp_path / "nope.csv")

    assert lines(report) == [0]
    assert report.errors[0].problem is Problem.UNREADABLE


async def test_enterprise_rows_validated(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"  # 1
        "甲公司,91500240MA0000001K,,,张,13900000001,\n"  # 2 good
        "乙公司,91500240MA0000000I,,,,,\n"  # 3 I is not in the charset
        "丙公司,91500240MA0000001K,,,,,\n"  # 4 duplicate code
        "丁公司,91500240MA0000004W,,,,13900000004,\n"  # 5 phone without a name
        "戊公司,91500240MA00000050,,,李,123,\n"  # 6 too short for any phone
        "己公司,91500240MA00000063,,,王,13900000001,\n"  # 7 same contact, other name
        ",91500240MA00000076,,,,,\n"  # 8 no name
        "庚公司,,,,,,\n"  # 9 no code
        "辛公司,91500240MA0000009C,,,赵,023-7333123,\n"  # 10 good: 7-digit landline
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert lines(report) == [3, 4, 5, 6, 7, 8, 9]
    assert found(report, 3, Problem.BAD_CREDIT_CODE, value="91500240MA0000000I")
    assert found(report, 4, Problem.DUPLICATE, column="credit_code", value="91500240MA0000001K")
    assert found(report, 5, Problem.CONTACT_NAME_NEEDED)
    assert found(report, 6, Problem.BAD_PHONE, column="contact_phone", value="123")
    assert found(report, 7, Problem.CONTACT_TWO_NAMES, other_name="张", other=2, name="王")
    assert found(report, 8, Problem.REQUIRED, column="name")
    assert found(report, 9, Problem.REQUIRED, column="credit_code")
    assert await enterprise(db, "91500240MA0000001K") is None
    assert await person(db, "13900000001") is None


async def test_enterprise_needs_an_existing_active_commissioner(
    db: Database, tmp_path: Path
) -> None:
    await load_commissioners(db, tmp_path)
    supervisors = "name,phone,telegram_id\n督导,13700000001,\n"
    await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, supervisors, "s.csv"))
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        "甲公司,91500240MA0000001K,,,张,13900000001,13800000001\n"  # 2 good
        "乙公司,91500240MA0000002N,,,,,13899999999\n"  # 3 nobody
        "丙公司,91500240MA0000003R,,,,,13700000001\n"  # 4 a supervisor
        "丁公司,91500240MA0000000O,,,,,13899999999\n"  # 5 two problems
        "戊公司,91500240MA00000050,,,,,+86 138 0000 0002\n"  # 6 good, normalised
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert lines(report) == [3, 4, 5, 5]
    assert found(report, 3, Problem.NO_COMMISSIONER, phone="13899999999")
    assert found(report, 4, Problem.NO_COMMISSIONER, phone="13700000001")
    assert found(report, 5, Problem.BAD_CREDIT_CODE, value="91500240MA0000000O")
    assert found(report, 5, Problem.NO_COMMISSIONER, phone="13899999999")
    assert await enterprise(db, "91500240MA0000001K") is None
    assert len(await events(db)) == 2  # the two roster imports above, nothing more


async def test_commissioner_phone_must_be_a_mobile(db: Database, tmp_path: Path) -> None:
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        "甲公司,91500240MA0000001K,,,,,023-73331234\n"
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert found(report, 2, Problem.BAD_MOBILE, column="commissioner_phone", value="023-73331234")


async def test_letters_in_a_phone_are_refused(db: Database, tmp_path: Path) -> None:
    text = "name,phone,telegram_id\n督导,138a0013b8000,\n"
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, text))

    assert lines(report) == [2]


# ---- sync and dry run -------------------------------------------------------------------


async def test_sync_deactivates_people_no_longer_listed(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    fewer = "\n".join(COMMISSIONERS.splitlines()[:3]) + "\n"  # 王强 dropped

    plain = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, fewer, "fewer.csv"))
    assert plain.deactivated == 0
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, fewer), sync=True)

    assert (report.unchanged, report.deactivated) == (2, 1)
    wang = await person(db, "13800000003")
    assert wang is not None  # still there, just no longer a commissioner
    assert Role.COMMISSIONER not in wang.roles
    async with db.tx() as tx:
        phones = [p.phone for p in await tx.people_with_role(Role.COMMISSIONER)]
    assert phones == ["13800000001", "13800000002"]
    assert (await events(db))[-1].payload["deactivated"] == 1

    back = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, COMMISSIONERS), sync=True)
    assert (back.created, back.unchanged, back.deactivated) == (1, 2, 0)


async def test_sync_leaves_other_roles_alone(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    text = "name,phone,telegram_id\n督导,13700000001,\n"
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, text), sync=True)

    assert report.deactivated == 0
    chen = await person(db, "13800000001")
    assert chen is not None and chen.has(Role.COMMISSIONER)


async def test_sync_deactivates_enterprises_and_their_contacts(
    db: Database, tmp_path: Path
) -> None:
    await load_commissioners(db, tmp_path)
    await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES))
    fewer = "\n".join(ENTERPRISES.splitlines()[:2]) + "\n"  # only the trout farm

    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, fewer, "e2.csv"), sync=True)

    assert (report.unchanged, report.deactivated, report.contacts_deactivated) == (1, 2, 1)
    distillery = await enterprise(db, "91500240MA0000003R")
    assert distillery is not None and not distillery.active  # kept, only deactivated
    zhou = await person(db, "02373331234")
    assert zhou is not None and Role.OWNER not in zhou.roles
    async with db.tx() as tx:
        assert [e.name for e in await tx.enterprises_of_contact("13900000001")] == [
            "石柱冷水鱼养殖有限公司"
        ]
    huang = await person(db, "13900000001")
    assert huang is not None and huang.has(Role.OWNER)  # still the trout farm's contact

    again = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES), sync=True)
    assert (again.created, again.updated, again.unchanged) == (0, 2, 1)  # reactivated
    distillery = await enterprise(db, "91500240MA0000003R")
    assert distillery is not None and distillery.active


async def test_sync_refuses_a_roster_with_no_rows(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    text = "name,phone,teams,telegram_id\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text), sync=True)

    assert lines(report) == [0]
    assert report.errors[0].problem is Problem.SYNC_EMPTY
    assert problem_text(report.errors[0], "en") == en(
        PROBLEMS[Problem.SYNC_EMPTY], kind=en(KINDS[RosterKind.COMMISSIONERS])
    )
    chen = await person(db, "13800000001")
    assert chen is not None and chen.has(Role.COMMISSIONER)
    # Without sync an empty roster is harmless and simply changes nothing.
    plain = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))
    assert plain.written and plain.created == 0


async def test_dry_run_counts_but_writes_nothing(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    text = "name,phone,teams,telegram_id\n陈明,13800000001,finance,\n新人,13800000009,legal,\n"

    report = await run(
        db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text), sync=True, dry_run=True
    )

    assert (report.created, report.updated, report.unchanged, report.deactivated) == (1, 1, 0, 2)
    assert report.dry_run and not report.written and report.errors == ()
    assert await person(db, "13800000009") is None
    chen = await person(db, "13800000001")
    assert chen is not None and chen.teams == {"finance", "tax"}
    liu = await person(db, "13800000002")
    assert liu is not None and liu.has(Role.COMMISSIONER)
    assert len(await events(db)) == 1  # only the real import before


async def test_dry_run_with_errors_reports_them(db: Database, tmp_path: Path) -> None:
    text = "name,phone,telegram_id\n督导,123,\n"
    report = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, text), dry_run=True)

    assert lines(report) == [2]
    assert report.dry_run and not report.written


# ---- the summary --------------------------------------------------------------------------


def test_summary_in_both_languages() -> None:
    report = ImportReport(
        kind=RosterKind.ENTERPRISES,
        created=2,
        updated=1,
        unchanged=5,
        deactivated=3,
        errors=(),
        dry_run=True,
        written=False,
    )

    assert import_summary(report, "en").splitlines() == [
        "Roster import: enterprises",
        "Created: 2",
        "Updated: 1",
        "Unchanged: 5",
        "Deactivated: 3",
        "Dry run: nothing was written",
    ]
    _ = translator("zh")
    zh = import_summary(report, "zh").splitlines()
    assert zh[0] == _("Roster import: {kind}").format(kind=_(KINDS[RosterKind.ENTERPRISES]))
    assert zh[0] != "Roster import: enterprises"  # the Chinese catalog, not the msgid
    assert _("Created: {n}").format(n=2) in zh and _("Deactivated: {n}").format(n=3) in zh
    assert zh[-1] == _("Dry run: nothing was written")


async def test_summary_lists_errors_by_line(db: Database, tmp_path: Path) -> None:
    text = "name,phone,teams,telegram_id\n陈明,13800000001,fiance,\n"
    report = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, text))

    english = import_summary(report, "en").splitlines()
    assert english[1] == en("Read as: CSV, UTF-8")
    assert english[2] == en("{n} error(s); nothing was written", n=1)
    unknown = en(
        PROBLEMS[Problem.UNKNOWN_TEAM],
        team="fiance",
        known=", ".join(sorted(TEAMS)),
        hint=en("; did you mean '{match}'?", match="finance"),
    )
    assert english[3] == en("line {line}: {reason}", line=2, reason=unknown)
    _ = translator("zh")
    zh = import_summary(report, "zh").splitlines()
    assert zh[1] == _("Read as: CSV, UTF-8")
    assert zh[2] == _("{n} error(s); nothing was written").format(n=1)
    reason = _("unknown team '{team}' (known: {known}){hint}").format(
        team="fiance",
        known=", ".join(sorted(TEAMS)),
        hint=_("; did you mean '{match}'?").format(match="finance"),
    )
    assert zh[3] == _("line {line}: {reason}").format(line=2, reason=reason)
    assert zh[3] != english[3]


def test_file_level_error_has_no_line_prefix() -> None:
    error = RowError(0, Problem.UNREADABLE, {"error": "No such file or directory"})
    unreadable = en(PROBLEMS[Problem.UNREADABLE], error="No such file or directory")
    assert error_line(error, "en") == unreadable  # the file as a whole: no "line 0: "
    required = en(PROBLEMS[Problem.REQUIRED], column="name")
    assert error_line(RowError(4, Problem.REQUIRED, {"column": "name"}), "en") == (
        en("line {line}: {reason}", line=4, reason=required)
    )


def test_every_problem_has_a_text_in_both_languages() -> None:
    for problem in Problem:
        # Each field its text asks for, filled with its own name.
        params: dict[str, str | int] = {f: f for f in re.findall(r"\{(\w+)\}", PROBLEMS[problem])}
        params.pop("hint", None)  # made from "match"
        if problem is Problem.UNKNOWN_TEAM:
            params["match"] = "finance"
        if problem is Problem.SYNC_EMPTY:
            params["kind"] = RosterKind.SUPERVISORS.value
        error = RowError(1, problem, params)
        en, zh = problem_text(error, "en"), problem_text(error, "zh")
        assert en and zh != en, problem


# ---- rosters as the center keeps them ---------------------------------------------------


async def import_all(db: Database, folder: Path, variant: str) -> list[ImportReport]:
    """The four sample rosters written in `variant` and imported in order."""
    reports = []
    for kind in ROSTERS:
        report = await run(db, RosterKind(kind), write_roster(folder, kind, variant))
        assert report.written, import_summary(report, "en")
        reports.append(report)
    return reports


async def test_gbk_bom_utf8_and_xlsx_rosters_import_to_the_same_database(tmp_path: Path) -> None:
    snapshots = {}
    for variant in VARIANTS:
        folder = tmp_path / variant
        folder.mkdir()
        database = await Database.open(folder / "oncall.db")
        try:
            reports = await import_all(database, folder, variant)
        finally:
            await database.close()
        expected = {
            "utf-8": SourceFormat.UTF8,
            "utf-8-sig": SourceFormat.UTF8_BOM,
            "gbk": SourceFormat.GB18030,
            "xlsx": SourceFormat.XLSX,
        }[variant]
        assert [r.source for r in reports] == [expected] * 4
        assert [(r.created, r.updated, r.unchanged) for r in reports] == [
            (3, 0, 0),
            (3, 0, 0),
            (2, 0, 0),
            (2, 0, 0),
        ]
        snapshots[variant] = snapshot(folder / "oncall.db")

    reference = snapshots["utf-8"]
    people = {(row[1], row[2]) for row in reference["people"]}  # (name, phone)
    assert {("刘芳", "13800000002"), ("王强", "13800000003"), ("周丽", "02373331234")} <= people
    assert len(reference["enterprises"]) == 3
    assert sorted(reference["committee_chains"]) == [(8, "冷水鱼"), (8, "黄连"), (9, "白酒")]
    for variant in VARIANTS[1:]:
        assert snapshots[variant] == reference, variant


async def test_xlsx_numbers_come_back_as_their_digits(db: Database, tmp_path: Path) -> None:
    await import_all(db, tmp_path, "xlsx")

    chen = await person(db, "13800000001")  # typed as a number into Excel
    assert chen is not None and chen.name == "陈明"
    assert chen.addresses == (Address("telegram", "1001"),)
    trout = await enterprise(db, TROUT)
    assert trout is not None and trout.contact_phone == "13900000001"


async def test_summary_says_what_the_file_was_read_as(db: Database, tmp_path: Path) -> None:
    gbk = await run(db, RosterKind.SUPERVISORS, write_roster(tmp_path / "g", "supervisors", "gbk"))
    xlsx = await run(
        db, RosterKind.SUPERVISORS, write_roster(tmp_path / "x", "supervisors", "xlsx")
    )

    assert import_summary(gbk, "en").splitlines()[1] == "Read as: CSV, GB18030/GBK"
    assert import_summary(xlsx, "en").splitlines()[1] == "Read as: Excel workbook, sheet '名册'"
    _ = translator("zh")
    assert import_summary(gbk, "zh").splitlines()[1] == _("Read as: CSV, GB18030/GBK")
    assert _("Read as: CSV, GB18030/GBK") != "Read as: CSV, GB18030/GBK"


async def test_credit_code_with_a_wrong_check_character_is_refused_with_its_line(
    db: Database, tmp_path: Path
) -> None:
    wrong = code(2)[:-1] + ("0" if code(2)[-1] != "0" else "1")
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        f"甲公司,{code(1)},,,,,\n"
        f"乙公司,{wrong.lower()},,,,,\n"
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert lines(report) == [3]
    assert report.errors[0].problem is Problem.BAD_CHECK_CHARACTER
    check = en(PROBLEMS[Problem.BAD_CHECK_CHARACTER], value=wrong, got=wrong[-1], want=code(2)[-1])
    assert error_line(report.errors[0], "en") == en("line {line}: {reason}", line=3, reason=check)
    assert "3" in error_line(report.errors[0], "zh") and code(2)[-1] in problem_text(
        report.errors[0], "zh"
    )
    assert await enterprise(db, code(1)) is None  # all or nothing


async def test_landline_contact_is_imported_with_a_warning(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES))

    assert report.written and report.errors == ()
    assert [(w.line, w.problem) for w in report.warnings] == [(3, Problem.CONTACT_NOT_MOBILE)]
    summary = import_summary(report, "en").splitlines()
    warning = en(
        PROBLEMS[Problem.CONTACT_NOT_MOBILE],
        value="023-73331234",
        name="周丽",
        enterprise="黄连中药材股份公司",
    )
    assert summary[-2:] == [
        en("{n} warning(s):", n=1),
        en("line {line}: {reason}", line=3, reason=warning),
    ]
    _ = translator("zh")
    assert import_summary(report, "zh").splitlines()[-2] == _("{n} warning(s):").format(n=1)
    zhou = await person(db, "02373331234")
    assert zhou is not None and zhou.has(Role.OWNER)  # imported all the same


async def test_warnings_are_shown_beside_errors(db: Database, tmp_path: Path) -> None:
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        f"甲公司,{code(1)},,,张,023-73331234,\n"
        f",{code(2)},,,,,\n"
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert lines(report) == [3] and [w.line for w in report.warnings] == [2]
    assert "1 warning(s):" in import_summary(report, "en").splitlines()


async def test_a_phone_of_someone_else_is_refused_across_rosters(
    db: Database, tmp_path: Path
) -> None:
    await load_commissioners(db, tmp_path)
    await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, ENTERPRISES, "e.csv"))
    # 黄伟 (13900000001) is an enterprise's contact; 陈明 (13800000001) a commissioner.
    commissioners = "name,phone,teams,telegram_id\n赵六,13900000001,legal,\n"
    supervisors = "name,phone,telegram_id\n督导,13700000001,\n钱七,13800000001,\n"
    contacts = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        f"某公司,{code(5)},,,孙八,138 0000 0002,\n"
    )

    c = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, commissioners, "c2.csv"))
    s = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, supervisors, "s.csv"))
    e = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, contacts, "e2.csv"))

    assert lines(c) == [2] and lines(s) == [3] and lines(e) == [2]
    other = en(
        PROBLEMS[Problem.OTHER_PERSON],
        column="phone",
        phone="13900000001",
        other_name="黄伟",
        roles=en("owner"),
        name="赵六",
    )
    assert error_line(c.errors[0], "en") == en("line {line}: {reason}", line=2, reason=other)
    assert found(s, 3, Problem.OTHER_PERSON, column="phone", phone="13800000001")
    assert found(s, 3, Problem.OTHER_PERSON, other_name="陈明", roles="commissioner")
    assert found(e, 2, Problem.OTHER_PERSON, column="contact_phone", phone="13800000002")
    assert found(e, 2, Problem.OTHER_PERSON, other_name="刘芳", roles="commissioner")
    _ = translator("zh")
    assert _("owner") in problem_text(c.errors[0], "zh")
    # Nothing renamed, no role added, no supervisor written either.
    huang = await person(db, "13900000001")
    assert huang is not None and huang.name == "黄伟" and huang.roles == {Role.OWNER}
    assert await person(db, "13700000001") is None
    assert await enterprise(db, code(5)) is None


async def test_the_same_person_may_be_in_two_rosters(db: Database, tmp_path: Path) -> None:
    await load_commissioners(db, tmp_path)
    # 陈明, a commissioner, is also an enterprise's contact: same name, same phone.
    text = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        f"某公司,{code(5)},,,陈明,+86 13800000001,\n"
    )
    report = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, text))

    assert report.errors == () and report.written
    chen = await person(db, "13800000001")
    assert chen is not None and chen.roles == {Role.COMMISSIONER, Role.OWNER}
    # Someone who no longer holds any role may be listed under a new name (a reused number).
    await run(
        db,
        RosterKind.COMMISSIONERS,
        csv_file(tmp_path, "name,phone,teams,telegram_id\n陈明,13800000001,,\n", "c2.csv"),
        sync=True,
    )
    gone = "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
    await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, gone, "e2.csv"))
    liu = await person(db, "13800000002")
    assert liu is not None and liu.roles == frozenset()
    again = "name,phone,telegram_id\n新督导,13800000002,\n"
    reused = await run(db, RosterKind.SUPERVISORS, csv_file(tmp_path, again, "s.csv"))
    assert reused.errors == ()


async def test_names_too_long_for_a_message_are_refused_with_the_line(
    db: Database, tmp_path: Path
) -> None:
    people = (
        "name,phone,teams,telegram_id\n"
        f"{'陈' * PERSON_NAME_MAX},13800000001,,\n"  # 2 just fits
        f"{'刘' * (PERSON_NAME_MAX + 1)},13800000002,,\n"  # 3
    )
    enterprises = (
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        f"{'甲' * ENTERPRISE_NAME_MAX},{code(1)},{'农' * LABEL_MAX},,张,13900000001,\n"  # 2
        f"{'乙' * (ENTERPRISE_NAME_MAX + 1)},{code(2)},,,,,\n"  # 3
        f"丙公司,{code(3)},,{'链' * (LABEL_MAX + 1)},{'王' * (PERSON_NAME_MAX + 1)},13900000003,\n"
    )
    p = await run(db, RosterKind.COMMISSIONERS, csv_file(tmp_path, people, "c.csv"))
    e = await run(db, RosterKind.ENTERPRISES, csv_file(tmp_path, enterprises, "e.csv"))

    assert lines(p) == [3]
    assert reason(p, 3) == en(
        PROBLEMS[Problem.TOO_LONG], column="name", length=PERSON_NAME_MAX + 1, limit=PERSON_NAME_MAX
    )
    assert lines(e) == [3, 4, 4]
    too_long = Problem.TOO_LONG
    assert found(e, 3, too_long, column="name", length=ENTERPRISE_NAME_MAX + 1)
    assert found(e, 4, too_long, column="chain", length=LABEL_MAX + 1, limit=LABEL_MAX)
    assert found(e, 4, too_long, column="contact_name", length=PERSON_NAME_MAX + 1)
    assert await person(db, "13800000001") is None


# ---- committees: the industry chains' party-committee members ---------------------------

COMMITTEES = """chain,name,phone,telegram_id
冷水鱼,谭书记,13600000001,3001
黄连,谭书记,13600000001,3001
白酒,马委员,13600000002,
"""


async def test_committees_import_gives_the_role_and_the_chains(
    db: Database, tmp_path: Path
) -> None:
    report = await run(db, RosterKind.COMMITTEES, csv_file(tmp_path, COMMITTEES))

    assert report.written, import_summary(report, "en")
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    tan = await person(db, "13600000001")
    assert tan is not None and tan.has(Role.COMMITTEE)
    assert tan.chains == frozenset({"冷水鱼", "黄连"})
    assert tan.addresses == (Address("telegram", "3001"),)
    ma = await person(db, "13600000002")
    assert ma is not None and ma.chains == frozenset({"白酒"}) and not ma.addresses
    again = await run(db, RosterKind.COMMITTEES, csv_file(tmp_path, COMMITTEES))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


async def test_committee_rows_are_checked(db: Database, tmp_path: Path) -> None:
    text = (
        "chain,name,phone,telegram_id\n"
        ",谭书记,13600000001,\n"  # no chain
        "冷水鱼,谭书记,13600000001,\n"
        "冷水鱼,谭书记,13600000001,\n"  # the same chain twice
        "黄连,谭某,13600000001,\n"  # one phone, two names
    )

    report = await run(db, RosterKind.COMMITTEES, csv_file(tmp_path, text))

    assert not report.written
    assert [(e.line, e.problem) for e in report.errors] == [
        (2, Problem.REQUIRED),
        (4, Problem.DUPLICATE),
        (5, Problem.DUPLICATE),
    ]
    assert await person(db, "13600000001") is None


async def test_committee_sync_deactivates_members_no_longer_listed(
    db: Database, tmp_path: Path
) -> None:
    await run(db, RosterKind.COMMITTEES, csv_file(tmp_path, COMMITTEES))
    only_tan = "chain,name,phone,telegram_id\n冷水鱼,谭书记,13600000001,\n"

    report = await run(db, RosterKind.COMMITTEES, csv_file(tmp_path, only_tan), sync=True)

    assert report.deactivated == 1
    tan, ma = await person(db, "13600000001"), await person(db, "13600000002")
    assert tan is not None and tan.chains == frozenset({"冷水鱼"})
    assert ma is not None and not ma.has(Role.COMMITTEE)
