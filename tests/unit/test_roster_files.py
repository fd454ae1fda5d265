"""Tests for reading roster files: which encoding a CSV is read as, and .xlsx cells as text."""

from __future__ import annotations

import codecs
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook

from bot.cli_texts import error_line
from bot.roster_files import read_roster, roster_from_bytes
from bot.services.importer import Problem, SourceFormat

HEADER = "name,phone,telegram_id\n"


def cells(name: str, data: bytes) -> list[tuple[int, list[str]]]:
    """The records of `data` read as a file called `name`, which must be readable."""
    table = roster_from_bytes(name, data)
    assert table.source is not None, table.errors
    return [(line, list(row)) for line, row in table.records]


# ---- CSV encodings ----------------------------------------------------------------------------


def test_plain_utf8_is_utf8() -> None:
    table = roster_from_bytes("s.csv", (HEADER + "督导甲,13700000001,\n").encode())

    assert table.source is SourceFormat.UTF8
    assert table.records == [
        (1, ["name", "phone", "telegram_id"]),
        (2, ["督导甲", "13700000001", ""]),
    ]


def test_a_bom_is_dropped_and_said() -> None:
    table = roster_from_bytes("s.csv", codecs.BOM_UTF8 + HEADER.encode())

    assert table.source is SourceFormat.UTF8_BOM
    assert table.records == [(1, ["name", "phone", "telegram_id"])]


def test_gbk_is_read_as_gb18030() -> None:
    text = HEADER + "督导甲,13700000001,\n黄连中药材股份公司,13700000002,\n"

    table = roster_from_bytes("s.csv", text.encode("gbk"))

    assert table.source is SourceFormat.GB18030
    assert table.records[2] == (3, ["黄连中药材股份公司", "13700000002", ""])


def test_a_name_only_gb18030_can_write_is_read() -> None:
    # 𠮷 (U+20BB7) is in GB18030 (four bytes), not in GBK: names like it are real.
    text = HEADER + "𠮷野,13700000001,\n"

    assert cells("s.csv", text.encode("gb18030"))[1] == (2, ["𠮷野", "13700000001", ""])


def test_ascii_only_is_utf8() -> None:
    assert roster_from_bytes("s.csv", HEADER.encode("gbk")).source is SourceFormat.UTF8


def test_bytes_that_are_neither_are_refused_with_their_line() -> None:
    # 0xFF is neither UTF-8 nor GB18030.
    table = roster_from_bytes("s.csv", HEADER.encode() + b"ok,1,\n\xff\xfe,2,\n")

    assert table.source is None
    [error] = table.errors
    assert (error.line, error.problem) == (3, Problem.NOT_TEXT)
    assert error_line(error, "en") == (
        "line 3: neither UTF-8 nor GB18030/GBK text; save the file as 'CSV UTF-8' or as an "
        ".xlsx workbook"
    )


def test_utf16_is_refused_not_misread() -> None:
    for data in (HEADER.encode("utf-16"), HEADER.encode("utf-16-le")):
        table = roster_from_bytes("s.csv", data)
        assert table.source is None
        assert [e.problem for e in table.errors] == [Problem.NOT_TEXT]


def test_a_bom_then_gbk_is_damage_not_gbk() -> None:
    table = roster_from_bytes("s.csv", codecs.BOM_UTF8 + (HEADER + "督导\n").encode("gbk"))

    assert table.source is None
    assert [(e.line, e.problem) for e in table.errors] == [(2, Problem.NOT_TEXT)]


def test_nul_characters_are_refused() -> None:
    table = roster_from_bytes("s.csv", b"name,phone\nab\x00c,1\n")

    assert table.source is None
    assert [(e.line, e.problem) for e in table.errors] == [(2, Problem.NOT_TEXT)]


def test_malformed_csv_is_reported_with_its_line() -> None:
    # A cell past the csv module's limit: a quote left open swallows the rest of the file.
    table = roster_from_bytes("s.csv", b'name,phone\n"' + b"x" * 200_000 + b"\n")

    assert table.source is None
    [error] = table.errors
    assert error.problem is Problem.MALFORMED
    assert error_line(error, "en").startswith("line 2: malformed CSV: field larger than")


def test_an_old_xls_is_refused_with_a_hint() -> None:
    table = roster_from_bytes("s.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)

    assert [e.problem for e in table.errors] == [Problem.XLS]
    assert ".xlsx" in error_line(table.errors[0], "en")


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    table = read_roster(tmp_path / "nope.csv")

    assert table.source is None and table.name == "nope.csv"
    assert [(e.line, e.problem) for e in table.errors] == [(0, Problem.UNREADABLE)]


# ---- .xlsx ------------------------------------------------------------------------------------


def workbook(tmp_path: Path, rows: dict[str, object], name: str = "r.xlsx") -> Path:
    """A workbook whose first sheet holds `rows` ({"A1": value, …})."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Roster"
    for ref, value in rows.items():
        sheet[ref] = value
    book.create_sheet("Other")["A1"] = "never read"
    path = tmp_path / name
    book.save(path)
    return path


def test_xlsx_cells_as_excel_shows_them(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        {
            "A1": "name",
            "B1": "phone",
            "C1": "telegram_id",
            "D1": "joined",
            "A2": "陈明",
            "B2": 13800138000,  # typed as a number
            "C2": 1001.0,  # a number Excel wrote as a float
            "D2": datetime(2025, 3, 1),
            "A3": "  刘芳 ",
            "B3": 13800138001.0,
            "D3": date(2025, 3, 2),
            "A4": 3.25,
            "B4": 0.0001,
            "C4": True,
            "D4": time(8, 30),
            "A6": "after a blank row",
        },
    )

    table = read_roster(path)

    assert table.source is SourceFormat.XLSX and table.sheet == "Roster" and table.errors == ()
    assert table.name == "r.xlsx"
    assert [(line, list(row)) for line, row in table.records] == [
        (1, ["name", "phone", "telegram_id", "joined"]),
        (2, ["陈明", "13800138000", "1001", "2025-03-01"]),
        (3, ["  刘芳 ", "13800138001", "", "2025-03-02"]),
        (4, ["3.25", "0.0001", "TRUE", "08:30:00"]),
        (6, ["after a blank row", "", "", ""]),  # the sheet's row number; padded
    ]


def test_xlsx_table_may_start_anywhere_on_the_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"C3": "name", "D3": "phone", "C4": "陈明", "D4": 13800138000})

    assert [(line, list(row)) for line, row in read_roster(path).records] == [
        (3, ["name", "phone"]),
        (4, ["陈明", "13800138000"]),
    ]


def test_xlsx_number_that_lost_digits_is_an_error(tmp_path: Path) -> None:
    # An 18-digit credit code typed into a number cell: Excel keeps 15 significant digits.
    path = workbook(tmp_path, {"A1": "credit_code", "A2": 915002401234567890.0})

    table = read_roster(path)

    [error] = table.errors
    assert (error.line, error.problem, error.params["cell"]) == (2, Problem.LOST_DIGITS, "A2")
    assert "format the column as Text" in error_line(error, "en")


def test_xlsx_recognised_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"A1": "name"}, name="roster.csv")

    assert read_roster(path).source is SourceFormat.XLSX


def test_a_broken_xlsx_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    not_zip = tmp_path / "text.xlsx"
    not_zip.write_text("name,phone\n")

    for path in (broken, not_zip):
        table = read_roster(path)
        assert table.source is None
        assert [e.problem for e in table.errors] == [Problem.BAD_XLSX]
        assert "not a readable .xlsx workbook" in error_line(table.errors[0], "en")


def test_an_empty_sheet_has_no_records(tmp_path: Path) -> None:
    table = read_roster(workbook(tmp_path, {}))

    assert table.source is SourceFormat.XLSX and list(table.records) == []
