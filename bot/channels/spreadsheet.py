"""The requests export, as an .xlsx workbook (openpyxl) or CSV: /export and `oncall-bot export`.

Every text cell is written as text and neutralised against formula injection (`neutralise`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from bot.channels.telegram import keyboards, texts
from bot.domain.clock import from_text
from bot.domain.models import Catalog, Outcome, RequestStatus, Urgency
from bot.i18n import translator


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


COLUMNS = (
    ("id", "#"),
    ("created_at", N_("Submitted")),
    ("enterprise", N_("Enterprise")),
    ("credit_code", N_("Credit code")),
    ("owner", N_("Contact")),
    ("category", N_("Category")),
    ("urgency", N_("Urgency")),
    ("status", N_("Status")),
    ("holder", N_("Holder")),
    ("accepted_at", N_("Accepted")),
    ("due_at", N_("Due")),
    ("resolved_at", N_("Resolved")),
    ("outcome", N_("Outcome")),
    ("rating", N_("Rating")),
    ("description", N_("Description")),
    ("resolution", N_("Resolution")),
)


# OWASP's CSV-injection rule: a cell beginning with one of these is taken for a formula by
# Excel, LibreOffice or Google Sheets (also when the file is .xlsx and the text is pasted
# or re-saved as CSV); a leading apostrophe makes it plain text. The full-width forms are
# included because Chinese input methods produce them and some spreadsheets fold them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_TIME = "%Y-%m-%d %H:%M"

Cell = str | int | float | datetime | None


def neutralise(text: str) -> str:
    """The text as a spreadsheet must show it: never a formula, never a control character."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def table(
    rows: Sequence[dict[str, Any]], catalog: Catalog, lang: str, tz: ZoneInfo
) -> tuple[list[str], list[list[Cell]]]:
    """The header and the rows of every export (xlsx and CSV alike), in the reader's language."""
    _ = translator(lang)
    header = [_(label) if key != "id" else label for key, label in COLUMNS]
    body = [
        [_value(key, row.get(key), catalog, lang, tz) for key, _label in COLUMNS] for row in rows
    ]
    return header, body


def workbook(rows: Sequence[dict[str, Any]], catalog: Catalog, lang: str, tz: ZoneInfo) -> bytes:
    """The requests as one .xlsx sheet; every text cell is a string cell, never a formula."""
    _ = translator(lang)
    header, body = table(rows, catalog, lang, tz)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Requests")
    lines: list[list[Cell]] = [list(header), *body]
    for line, values in enumerate(lines, start=1):
        for column, value in enumerate(values, start=1):
            _put(sheet.cell(row=line, column=column), value)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buf = BytesIO()
    book.save(buf)
    return buf.getvalue()


def _put(cell: Any, value: Cell) -> None:
    if isinstance(value, str):
        # openpyxl would type "=…" as a formula and "#N/A" as an error: text is set as text.
        cell.value = neutralise(value)
        cell.data_type = "s"
        cell.number_format = "@"
    else:
        cell.value = value


def csv_bytes(rows: Sequence[dict[str, Any]], catalog: Catalog, lang: str, tz: ZoneInfo) -> bytes:
    """The same table as CSV: UTF-8 with a BOM (so Excel reads the Chinese), every field quoted."""
    header, body = table(rows, catalog, lang, tz)
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    lines: list[list[Cell]] = [list(header), *body]
    for values in lines:
        writer.writerow([_csv_field(value) for value in values])
    return buf.getvalue().encode("utf-8-sig")


def _csv_field(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(CSV_TIME)
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def _value(key: str, value: Any, catalog: Catalog, lang: str, tz: ZoneInfo) -> Cell:
    if value is None:
        return None
    if key.endswith("_at"):
        return from_text(value).astimezone(tz).replace(tzinfo=None)
    if key == "category":
        return texts.category_label(catalog, value, lang)
    if key == "urgency":
        return texts.urgency_label(Urgency(value), lang).removeprefix("🔴 ")
    if key == "status":
        return texts.status_label(RequestStatus(value), lang)
    if key == "outcome":
        return keyboards.outcome_label(Outcome(value), lang)
    if isinstance(value, str | int | float):
        return value
    return str(value)


def filename(now: datetime, tz: ZoneInfo) -> str:
    return f"oncall-requests-{now.astimezone(tz):%Y%m%d-%H%M}.xlsx"
