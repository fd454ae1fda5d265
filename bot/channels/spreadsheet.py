"""The supervisors' export: every request as an .xlsx workbook (openpyxl)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
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


def workbook(rows: Sequence[dict[str, Any]], catalog: Catalog, lang: str, tz: ZoneInfo) -> bytes:
    """The requests as one sheet, headers and values in the reader's language."""
    _ = translator(lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Requests")
    sheet.append([_(label) if key != "id" else label for key, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_value(key, row.get(key), catalog, lang, tz) for key, _label in COLUMNS])
    sheet.freeze_panes = "A2"
    buf = BytesIO()
    book.save(buf)
    return buf.getvalue()


def _value(key: str, value: Any, catalog: Catalog, lang: str, tz: ZoneInfo) -> Any:
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
    return value


def filename(now: datetime, tz: ZoneInfo) -> str:
    return f"oncall-requests-{now.astimezone(tz):%Y%m%d-%H%M}.xlsx"
