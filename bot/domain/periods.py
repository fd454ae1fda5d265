"""Report periods as people type them: today|yesterday|week|month|year|FROM TO (local dates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PERIOD_WORDS = ("today", "yesterday", "week", "month", "year")


def parse_period(words: Sequence[str], today: date) -> tuple[date | None, date | None]:
    """The first and last local day (inclusive) of a period; nothing typed is everything.

    week, month and year run from their first day to today. Raises ValueError on anything else.
    """
    if not words:
        return None, None
    if len(words) == 1:
        word = words[0].lower()
        if word == "today":
            return today, today
        if word == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        if word == "week":
            return today - timedelta(days=today.weekday()), today
        if word == "month":
            return today.replace(day=1), today
        if word == "year":
            return today.replace(month=1, day=1), today
        raise ValueError(f"unknown period {words[0]!r}")
    if len(words) == 2:
        first, last = date.fromisoformat(words[0]), date.fromisoformat(words[1])
        if last < first:
            raise ValueError("the period ends before it begins")
        return first, last
    raise ValueError("too many words for a period")


def local_days(
    first: date | None, last: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[since, until) instants of local days first…last inclusive (None: open-ended)."""
    since = datetime.combine(first, time(), tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    return since, until
