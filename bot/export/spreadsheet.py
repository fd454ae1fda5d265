"""The requests export, as an .xlsx workbook (openpyxl, write-only; CSV files: csv_export.py),
for /export and `oncall-bot export`; it knows no channel.

Sheets: "Requests" (one row per request), "Events" (one row per event of those requests) and
"Figures" (per team and per commissioner, as /stats attributes them: bot/export/figures.py).
Requests are read from storage in chunks and written as they come, so the size of an export is
bounded by the disk, not by memory. Every text cell is written as text and neutralised against
formula injection (`neutralise`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import unicodedata
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.domain.clock import from_text
from bot.domain.kinds import EventKind
from bot.domain.models import Catalog, Outcome, RequestStatus, Urgency
from bot.export.figures import FIGURE_COLUMNS, FigureSource, figure_lines
from bot.i18n import labels, translator


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# (row key, header) of the Requests sheet, in order.
COLUMNS = (
    ("id", "#"),
    ("enterprise", N_("Enterprise")),
    ("credit_code", N_("Credit code")),
    ("industry", N_("Industry")),
    ("chain", N_("Industry chain")),
    ("owner", N_("Contact")),
    ("category", N_("Category")),
    ("team", N_("Team")),
    ("holder", N_("Holder")),
    ("urgency", N_("Urgency")),
    ("status", N_("Status")),
    ("created_at", N_("Submitted")),
    ("dispatched_at", N_("Dispatched")),
    ("accepted_at", N_("Accepted")),
    ("resolved_at", N_("Resolved")),
    ("closed_at", N_("Closed")),
    ("due_at", N_("Deadline")),
    ("outcome", N_("Outcome")),
    ("rating", N_("Rating")),
    ("rating_comment", N_("Rating comment")),
    ("resolution", N_("Resolution summary")),
    ("description", N_("Description")),
    ("reopen_count", N_("Reopened (times)")),
)
EVENT_COLUMNS = (
    ("request_id", "#"),
    ("at", N_("Time")),
    ("kind", N_("Event")),
    ("actor", N_("By")),
    ("from_status", N_("From status")),
    ("to_status", N_("To status")),
    ("payload", N_("Details")),
)
EVENT_LABELS = {
    EventKind.SUBMITTED: N_("submitted"),
    EventKind.DISPATCHED: N_("dispatched"),
    EventKind.ESCALATED: N_("escalated"),
    EventKind.ACCEPTED: N_("accepted"),
    EventKind.DECLINED: N_("declined"),
    EventKind.RESOLVED: N_("resolved"),
    EventKind.NOTED: N_("progress note"),
    EventKind.RATED: N_("rated"),
    EventKind.REASSIGNED: N_("reassigned"),
    EventKind.RELAYED: N_("message relayed"),
    EventKind.CANCELLED: N_("cancelled"),
    EventKind.REMINDED_ACCEPT: N_("reminded to accept"),
    EventKind.UNACCEPTED_REPORTED: N_("reported unaccepted"),
    EventKind.REMINDED_DUE: N_("reminded of the deadline"),
    EventKind.OVERDUE_CHASED: N_("chased as overdue"),
    EventKind.EXTENSION_ASKED: N_("extension asked"),
    EventKind.EXTENSION_APPROVED: N_("extension approved"),
    EventKind.EXTENSION_REFUSED: N_("extension refused"),
    EventKind.INTERNAL_NOTE: N_("internal note"),
    EventKind.HANDOFF_ASKED: N_("hand-back asked"),
    EventKind.HANDOFF_DECIDED: N_("hand-back decided"),
    EventKind.REOPENED: N_("reopened"),
    EventKind.CLOSED: N_("closed"),
    EventKind.COMMENTED: N_("rating comment"),
}
OPEN = {
    RequestStatus.SUBMITTED,
    RequestStatus.DISPATCHED,
    RequestStatus.ESCALATED,
    RequestStatus.ACCEPTED,
    RequestStatus.REOPENED,
}

# OWASP's CSV-injection rule: a cell beginning with one of these is taken for a formula by
# Excel, LibreOffice or Google Sheets (also when the file is .xlsx and the text is pasted
# or re-saved as CSV); a leading apostrophe makes it plain text. The full-width forms are
# included because Chinese input methods produce them and some spreadsheets fold them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_TIME = "%Y-%m-%d %H:%M"
XLSX_TIME = "yyyy-mm-dd hh:mm"
CHUNK = 500  # requests read (and their events) per round trip
WIDTH_MIN, WIDTH_MAX = 6, 50

Cell = str | int | float | datetime | None


class ExportSource(FigureSource, Protocol):
    """What an export reads: a read transaction of the storage (RequestRepository, and the
    report reads of the Figures sheet)."""

    async def export_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int = 0,
        limit: int = -1,
    ) -> list[dict[str, Any]]: ...

    async def export_events(self, request_ids: Sequence[int]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Export:
    """What to export and for whom: submitted in [since, until), in `lang`, local time `tz`."""

    catalog: Catalog
    lang: str
    tz: ZoneInfo
    now: datetime
    since: datetime | None = None
    until: datetime | None = None


def neutralise(text: str) -> str:
    """The text as a spreadsheet must show it: never a formula, never a control character."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK (wide and full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---- rows --------------------------------------------------------------------------------


def _local(value: Any, tz: ZoneInfo) -> datetime | None:
    # Spreadsheets know no time zones: local wall-clock time, tz-naive.
    return from_text(value).astimezone(tz).replace(tzinfo=None) if value else None


def _status(value: Any, lang: str) -> str | None:
    if not value:
        return None
    try:
        return labels.status_label(RequestStatus(value), lang)
    except ValueError:
        return str(value)


def request_cells(row: dict[str, Any], job: Export) -> list[Cell]:
    """One request's cells, in COLUMNS order, in the reader's language."""
    lang, catalog = job.lang, job.catalog
    values: dict[str, Cell] = {key: row.get(key) for key, _label in COLUMNS}
    for key, _label in COLUMNS:
        if key.endswith("_at"):
            values[key] = _local(row.get(key), job.tz)
    team = labels.category_team(catalog, row["category"])
    values["team"] = labels.team_label(catalog, team, lang) if team else None
    values["category"] = labels.category_label(catalog, row["category"], lang)
    values["urgency"] = labels.urgency_label(Urgency(row["urgency"]), lang).removeprefix("🔴 ")
    values["status"] = _status(row["status"], lang)
    if row.get("outcome"):
        values["outcome"] = labels.outcome_label(Outcome(row["outcome"]), lang)
    values["reopen_count"] = int(row.get("reopen_count") or 0)
    return [_plain(values[key]) for key, _label in COLUMNS]


def _plain(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | datetime):
        return value
    return str(value)


def _details(payload: Any, lang: str, tz: ZoneInfo) -> str | None:
    """An event's payload as `key: value; …`, statuses and instants in words."""
    try:
        data = json.loads(payload) if payload else {}
    except ValueError:
        return str(payload)
    if not isinstance(data, dict) or not data:
        return None
    parts = []
    for key, value in data.items():
        if isinstance(value, str) and key.endswith("_at"):
            with contextlib.suppress(ValueError):
                value = f"{from_text(value).astimezone(tz):%Y-%m-%d %H:%M}"
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def event_cells(row: dict[str, Any], job: Export) -> list[Cell]:
    """One event's cells, in EVENT_COLUMNS order."""
    _ = translator(job.lang)
    kind = str(row["kind"])
    label = EVENT_LABELS.get(kind)  # type: ignore[call-overload]
    return [
        row["request_id"],
        _local(row["at"], job.tz),
        _(label) if label else kind,
        row.get("actor"),
        _status(row.get("from_status"), job.lang),
        _status(row.get("to_status"), job.lang),
        _details(row.get("payload"), job.lang, job.tz),
    ]


def headers(job: Export) -> tuple[list[str], list[str], list[str]]:
    """The Requests, Events and Figures headers in the reader's language."""
    _ = translator(job.lang)
    return (
        [_(label) if label != "#" else label for _key, label in COLUMNS],
        [_(label) if label != "#" else label for _key, label in EVENT_COLUMNS],
        [_(label) for label in FIGURE_COLUMNS],
    )


async def figures_of(source: ExportSource, job: Export) -> list[list[Cell]]:
    """The Figures sheet's lines for the export's period, as /stats computes them."""
    return await figure_lines(source, job.catalog, job.lang, job.since, job.until, job.now)


async def chunks(
    source: ExportSource, job: Export, size: int = CHUNK
) -> AsyncIterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The requests of the period and their events, `size` requests at a time, in id order."""
    after = 0
    while True:
        rows = await source.export_rows(job.since, job.until, after, size)
        if not rows:
            return
        events = await source.export_events([int(r["id"]) for r in rows])
        yield rows, events
        after = int(rows[-1]["id"])


# ---- xlsx ----------------------------------------------------------------------------------


def _cell(sheet: WriteOnlyWorksheet, value: Cell, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    if isinstance(value, str):
        # openpyxl would type "=…" as a formula and "#N/A" as an error: text is set as text.
        cell.value = neutralise(value)
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.value = value
        cell.number_format = XLSX_TIME
    else:
        cell.value = value
    if bold:
        cell.font = Font(bold=True)
    return cell


def _widths(header: Sequence[str], sample: Iterable[Sequence[Cell]]) -> list[float]:
    widths = [display_width(h) + 2 for h in header]
    for values in sample:
        for i, value in enumerate(values):
            if isinstance(value, datetime):
                text = "2026-01-01 00:00"
            else:
                text = "" if value is None else str(value)
            widths[i] = max(widths[i], display_width(text.split("\n")[0]) + 2)
    return [min(max(w, WIDTH_MIN), WIDTH_MAX) for w in widths]


class _Sheet:
    """A write-only sheet: bold frozen header, autofilter, widths from its first rows."""

    def __init__(self, book: Workbook, title: str, header: list[str]) -> None:
        self.sheet: WriteOnlyWorksheet = book.create_sheet(title)
        self.header = header
        self.rows = 0
        self.started = False

    def add(self, lines: Sequence[Sequence[Cell]]) -> None:
        if not self.started:
            # Widths must precede the first row in a write-only sheet: taken from the first chunk.
            for i, width in enumerate(_widths(self.header, lines), start=1):
                self.sheet.column_dimensions[get_column_letter(i)].width = width
            self.sheet.freeze_panes = "A2"
            self.sheet.append([_cell(self.sheet, h, bold=True) for h in self.header])
            self.started = True
        for values in lines:
            self.sheet.append([_cell(self.sheet, v) for v in values])
        self.rows += len(lines)

    def close(self) -> None:
        if not self.started:
            self.add([])
        last = get_column_letter(len(self.header))
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def _add_chunk(
    requests: _Sheet,
    events: _Sheet,
    rows: list[dict[str, Any]],
    happened: list[dict[str, Any]],
    job: Export,
) -> None:
    """One chunk's rows built and written (in a worker thread)."""
    requests.add([request_cells(r, job) for r in rows])
    events.add([event_cells(v, job) for v in happened])


async def write_xlsx(target: IO[bytes], source: ExportSource, job: Export) -> int:
    """Writes the three-sheet workbook to `target`; returns the number of requests."""
    _ = translator(job.lang)
    book = Workbook(write_only=True)
    head, event_head, figure_head = headers(job)
    requests = _Sheet(book, _("Requests"), head)
    events = _Sheet(book, _("Events"), event_head)
    async for rows, happened in chunks(source, job):
        # Building and serialising rows is CPU work: off the event loop, so a bot stays responsive.
        await asyncio.to_thread(_add_chunk, requests, events, rows, happened, job)
    sheet = _Sheet(book, _("Figures"), figure_head)
    sheet.add(await figures_of(source, job))
    for each in (requests, events, sheet):
        each.close()
    # Zipping the sheets written so far is seconds of CPU for a big export: off the loop too.
    await asyncio.to_thread(book.save, target)  # a zip file accepts a file object
    return requests.rows


def filename(now: datetime, tz: ZoneInfo) -> str:
    return f"oncall-requests-{now.astimezone(tz):%Y%m%d-%H%M}.xlsx"
