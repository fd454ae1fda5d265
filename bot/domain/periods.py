"""Report periods as people type them, in local dates (ONCALL_TIMEZONE), both ends included.

`/export [today|yesterday|week|month|year|FROM TO]` (parse_period; nothing: every request) and
`/stats [today|yesterday|week|month|year|FROM TO] [by team|commissioner|chain|category|...]`
(parse_stats; one date: that day; nothing: this month so far): dates are YYYY-MM-DD; `week` is
this week from Monday, `month` and `year` run from their first day; all of them up to today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from bot.domain.kpis import Cut


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


# ---- /stats ----------------------------------------------------------------------------------

WORDS = ("today", "yesterday", "week", "month", "year")
# What may follow "by" (the county total needs no word).
CUT_WORDS: dict[str, Cut] = {
    "team": Cut.TEAM,
    "commissioner": Cut.COMMISSIONER,
    "committee": Cut.COMMITTEE,
    "chain": Cut.CHAIN,
    "category": Cut.CATEGORY,
    "industry": Cut.INDUSTRY,
    "credit": Cut.CREDIT,
}
# The longest range one /stats may cover, in days.
MAX_DAYS = 3660


class StatsProblem(StrEnum):
    BAD_DATE = "bad_date"
    REVERSED = "reversed"
    TOO_LONG = "too_long"
    BAD_CUT = "bad_cut"
    UNKNOWN = "unknown"


class StatsAsk(BaseModel):
    model_config = ConfigDict(frozen=True)

    first: date
    last: date  # included
    by: Cut = Cut.COUNTY


def named_period(word: str, today: date) -> tuple[date, date]:
    if word == "today":
        return today, today
    if word == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if word == "week":
        return today - timedelta(days=today.weekday()), today
    if word == "year":
        return today.replace(month=1, day=1), today
    return today.replace(day=1), today


def _date(word: str) -> date | None:
    try:
        return date.fromisoformat(word) if len(word) == 10 else None
    except ValueError:
        return None


def parse_stats(words: list[str], today: date) -> StatsAsk | StatsProblem:
    """The period and cut `words` name, or what is wrong with them."""
    words = [w.strip().lower() for w in words if w.strip()]
    by = Cut.COUNTY
    if "by" in words:
        at = words.index("by")
        if at + 2 != len(words) or words[at + 1] not in CUT_WORDS:
            return StatsProblem.BAD_CUT
        by = CUT_WORDS[words[at + 1]]
        words = words[:at]
    if not words:
        first, last = named_period("month", today)
    elif len(words) == 1 and words[0] in WORDS:
        first, last = named_period(words[0], today)
    elif len(words) == 2 and any(ch.isdigit() for ch in words[0]):
        start, end = _date(words[0]), _date(words[1])
        if start is None or end is None:
            return StatsProblem.BAD_DATE
        if end < start:
            return StatsProblem.REVERSED
        if (end - start).days >= MAX_DAYS:
            return StatsProblem.TOO_LONG
        first, last = start, end
    elif len(words) == 1 and any(ch.isdigit() for ch in words[0]):
        # One date: that day alone.
        day = _date(words[0])
        if day is None:
            return StatsProblem.BAD_DATE
        first, last = day, day
    else:
        return StatsProblem.UNKNOWN
    return StatsAsk(first=first, last=last, by=by)
