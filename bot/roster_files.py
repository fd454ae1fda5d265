"""Reading roster files for `oncall-bot import`: CSV (UTF-8 or GB18030/GBK) or an .xlsx sheet.

The importer (bot/services/importer.py) does no file I/O; it checks rows of text cells. This
module turns a file into those rows, the way the center keeps its rosters:

- An .xlsx workbook (recognised by its content, whatever its name): the first sheet, each
  cell as the text Excel shows for it. Numbers Excel stored as numbers (phones, ids) come out
  as their digits (13800138000, never 1.38e10 or 13800138000.0), dates as YYYY-MM-DD, empty
  cells as "". A number of 16 digits or more (a credit code typed into a number cell) has
  already lost its last digits inside Excel, so it is reported, not guessed. Line numbers are
  the sheet's row numbers.
- Otherwise a CSV file. The rule for its encoding: bytes that are valid UTF-8 (after a BOM,
  if any) are UTF-8; anything else is read as GB18030, the superset of GBK that Excel's plain
  "CSV" on Chinese Windows writes; bytes that are neither (or hold NUL characters: UTF-16, a
  binary file) are refused with the line where the reading failed. A GBK file that happens to
  be valid UTF-8 too is practically impossible beyond a few characters: GBK's two-byte
  characters rarely form UTF-8's lead/continuation patterns, and a wrong guess would show as
  an unknown header anyway.
- The old binary .xls format is refused with a hint to save as .xlsx or CSV.

Beside bot/config_files.py, which reads the other data files the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from bot.channels.telegram.identity import CHANNEL
from bot.services.importer import Problem, RosterTable, RowError, SourceFormat

# The roster column of people's accounts (interface.md: `telegram_id`), an Address there.
ID_COLUMN = f"{CHANNEL}_id"

__all__ = ["read_roster", "roster_from_bytes"]

_ZIP = b"PK\x03\x04"  # an .xlsx is a zip archive
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .xls (and .doc) container
# Excel keeps 15 significant digits of a number; more in a cell means some were replaced by 0.
_EXCEL_DIGITS = 15


class _Unreadable(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.problem)
        self.error = error


def _error(line: int, problem: Problem, **params: str | int) -> RowError:
    return RowError(line, problem, params)


def read_roster(path: Path) -> RosterTable:
    """The rows of the roster file at `path`, or the reason it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        error = _error(0, Problem.UNREADABLE, error=str(exc.strerror or exc))
        return RosterTable(path.name, None, errors=(error,), id_column=ID_COLUMN)
    return roster_from_bytes(path.name, data)


def roster_from_bytes(name: str, data: bytes) -> RosterTable:
    """The rows of a roster file's content; `name` is only recorded."""
    try:
        if data.startswith(_ZIP):
            return _workbook(name, data)
        if data.startswith(_OLE):
            raise _Unreadable(_error(0, Problem.XLS))
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise _Unreadable(_error(0, Problem.BAD_XLSX, error="not a zip archive"))
        text, source = _decode(data)
        return RosterTable(name, source, _records(text), id_column=ID_COLUMN)
    except _Unreadable as exc:
        return RosterTable(name, None, errors=(exc.error,), id_column=ID_COLUMN)


# ---- CSV ------------------------------------------------------------------------------------


def _line_at(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _decode(data: bytes) -> tuple[str, SourceFormat]:
    """The text and what it was read as: UTF-8 if it is valid UTF-8, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        try:
            return _no_nul(body.decode("utf-8"), data), SourceFormat.UTF8_BOM
        except UnicodeDecodeError as exc:
            # A BOM says UTF-8: bytes after it that are not are damage, not another encoding.
            line = _line_at(data, exc.start + len(codecs.BOM_UTF8))
            raise _Unreadable(_error(line, Problem.NOT_TEXT)) from exc
    try:
        return _no_nul(data.decode("utf-8"), data), SourceFormat.UTF8
    except UnicodeDecodeError:
        pass
    try:
        return _no_nul(data.decode("gb18030"), data), SourceFormat.GB18030
    except UnicodeDecodeError as exc:
        raise _Unreadable(_error(_line_at(data, exc.start), Problem.NOT_TEXT)) from exc


def _no_nul(text: str, data: bytes) -> str:
    """The text, unless it holds NUL characters (UTF-16 "Unicode text", a binary file)."""
    if "\x00" in text:
        raise _Unreadable(_error(_line_at(data, data.index(b"\x00")), Problem.NOT_TEXT))
    return text


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Every non-blank record with the physical line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((start, cells))
            # A quoted cell may span lines, so the next record starts after the last one read.
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Unreadable(_error(reader.line_num, Problem.MALFORMED, error=str(exc))) from exc
    return records


# ---- .xlsx ----------------------------------------------------------------------------------


def _workbook(name: str, data: bytes) -> RosterTable:
    """The first sheet's non-blank rows, each numbered as Excel numbers it."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only: a formula's value as Excel last computed it, not the formula.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise _Unreadable(
            _error(0, Problem.BAD_XLSX, error=str(exc) or type(exc).__name__)
        ) from exc
    try:
        if not book.worksheets:
            return RosterTable(name, SourceFormat.XLSX, id_column=ID_COLUMN)
        sheet = book.worksheets[0]
        # Some writers record a wrong used range; without it every stored row is read.
        sheet.reset_dimensions()
        rows: list[tuple[int, list[str]]] = []
        errors: list[RowError] = []
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells: list[str] = []
            for column, value in enumerate(values, start=1):
                text, lost = _cell_text(value)
                if lost:
                    cell = f"{get_column_letter(column)}{line}"
                    errors.append(_error(line, Problem.LOST_DIGITS, cell=cell, value=text))
                cells.append(text)
            if any(c.strip() for c in cells):
                rows.append((line, cells))
        width = max((len(cells) for _line, cells in rows), default=0)
        # Columns empty in every row, left of the table, are where the sheet's table starts.
        skip = min((_first_filled(cells) for _line, cells in rows), default=0)
        for _line, cells in rows:  # rows end at their last stored cell: pad them evenly
            cells.extend([""] * (width - len(cells)))
            del cells[:skip]
        return RosterTable(
            name, SourceFormat.XLSX, rows, tuple(errors), sheet=sheet.title, id_column=ID_COLUMN
        )
    finally:
        book.close()


def _first_filled(cells: list[str]) -> int:
    return next(i for i, c in enumerate(cells) if c.strip())


def _cell_text(value: object) -> tuple[str, bool]:
    """A cell's value as text, and whether Excel had already lost digits of it."""
    if value is None:
        return "", False
    if isinstance(value, bool):  # before int: a bool is an int
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        return str(value), False
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)), abs(value) >= 10**_EXCEL_DIGITS
        return _plain(value), False
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, date | time):
        return value.isoformat(), False
    if isinstance(value, timedelta):
        return str(value), False
    return str(value), False


def _plain(number: float) -> str:
    """A fraction without an exponent: 0.0001, not 1e-04."""
    text = repr(number)
    return format(Decimal(text), "f") if "e" in text or "E" in text else text
