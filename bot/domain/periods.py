"""What `/stats` asks for: a period of local dates and a cut, parsed from the command's words.

`/stats [today|yesterday|week|month|year|FROM TO] [by team|commissioner|chain|category|...]`:
dates are YYYY-MM-DD in the county's time zone, both ends included (one date: that day);
`week` is this week from Monday, `month` and `year` run from their first day; all of them up
to today. No words: this month so far.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.kpis import Cut

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
