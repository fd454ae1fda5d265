"""The working-day calendar and deadlines in the county's time zone."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from holidays.countries import china as _cn_holidays

from bot.domain.wallclock import (
    DEFAULT_TZ,
    QuietHours,
    at_local,
    local_date,
    next_local_time,
    parse_duration,
    parse_hhmm,
    require_aware,
)

# Re-exported: callers import the wall-clock rules from here as well.
__all__ = [
    "DEFAULT_TZ",
    "QuietHours",
    "WorkCalendar",
    "local_date",
    "next_local_time",
    "parse_calendar",
    "parse_duration",
    "parse_hhmm",
]

# Government offices in the county open at 09:00; a request that arrives on a day off is
# deemed received when the office next opens (the usual 行政许可 "next working day" rule).
DEFAULT_BUSINESS_START = time(9, 0)
DEFAULT_CALENDAR_PATH = Path("config/calendar.toml")

_SECTIONS: dict[str, frozenset[str]] = {
    "holidays": frozenset({"add", "remove"}),
    "workdays": frozenset({"add", "remove"}),
    "years": frozenset({"confirmed"}),
}


# ---------------------------------------------------------------------------
# Package data
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PackageYear:
    """What the `holidays` package knows about one Chinese calendar year."""

    days_off: frozenset[date]
    weekend_workdays: frozenset[date]
    official: bool


def _official_years() -> frozenset[int] | None:
    """Years for which the package carries the State Council's explicit 调休 schedule."""
    # The per-year table is an implementation detail of the package; if a future release
    # moves it we fall back to "the year has make-up workdays" (see _package_year).
    static = getattr(_cn_holidays, "ChinaStaticHolidays", None)
    table = getattr(static, "special_public_holidays", None)
    if not isinstance(table, Mapping):  # pragma: no cover - same as above
        return None
    return frozenset(int(y) for y in table)


@lru_cache(maxsize=64)
def _package_year(year: int) -> _PackageYear:
    """Load one year from the package (cached: the package is slow and the data immutable)."""
    # The following year is loaded too because the package files a December make-up
    # workday under the year of the holiday it pays for (e.g. 2001-12-29 under 2002).
    cn = holidays.country_holidays("CN", years=(year, year + 1))
    days = frozenset(d for d in cn if d.year == year)
    workdays = frozenset(
        d for d in getattr(cn, "weekend_workdays", ()) if d.year == year and d.weekday() >= 5
    )
    official_years = _official_years()
    official = bool(workdays) if official_years is None else year in official_years
    return _PackageYear(days_off=days, weekend_workdays=workdays, official=official)


# ---------------------------------------------------------------------------
# Working-day calendar
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkCalendar:
    """Chinese working days (package data plus operator overrides) in the county's time zone."""

    # Precedence for a date: a make-up workday (package or workdays.add, minus
    # workdays.remove) is always working, because 调休 notices put weekend and holiday
    # shifts on the same footing; otherwise Saturday and Sunday are off; otherwise a
    # holiday (package or holidays.add, minus holidays.remove) is off; otherwise working.

    tz: ZoneInfo = DEFAULT_TZ
    holidays_add: frozenset[date] = frozenset()
    holidays_remove: frozenset[date] = frozenset()
    workdays_add: frozenset[date] = frozenset()
    workdays_remove: frozenset[date] = frozenset()
    confirmed_years: frozenset[int] = frozenset()
    business_start: time = DEFAULT_BUSINESS_START
    source: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        clash = self.holidays_add & self.workdays_add
        if clash:
            raise ValueError(
                f"{self._where()}: dates listed both as holidays and as workdays: "
                + ", ".join(d.isoformat() for d in sorted(clash))
            )
        for name, add, remove in (
            ("holidays", self.holidays_add, self.holidays_remove),
            ("workdays", self.workdays_add, self.workdays_remove),
        ):
            if both := add & remove:
                raise ValueError(
                    f"{self._where()}: dates in both [{name}] add and remove: "
                    + ", ".join(d.isoformat() for d in sorted(both))
                )

    def _where(self) -> str:
        return str(self.source) if self.source is not None else "calendar overrides"

    # -- days ---------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """Whether the date is a public holiday or 调休 day off (after overrides)."""
        if day in self.holidays_add:
            return True
        if day in self.holidays_remove:
            return False
        return day in _package_year(day.year).days_off

    def is_makeup_workday(self, day: date) -> bool:
        """Whether the date is a working day by exception (调休 上班), after overrides."""
        if day in self.workdays_add:
            return True
        if day in self.workdays_remove:
            return False
        return day in _package_year(day.year).weekend_workdays

    def is_working_day(self, day: date) -> bool:
        """Whether the offices are open on this date."""
        if self.is_makeup_workday(day):
            return True
        if day.weekday() >= 5:
            return False
        return not self.is_holiday(day)

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after the date."""
        # A year never has more than a couple of weeks off in a row; the bound only
        # turns a corrupt override file into an error instead of an endless loop.
        for offset in range(1, 367):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within a year after {day.isoformat()}")

    def makeup_workdays_in(self, year: int) -> list[date]:
        """Return the year's make-up workdays (after overrides), sorted."""
        package = _package_year(year).weekend_workdays
        extra = {d for d in self.workdays_add if d.year == year}
        return sorted((package | extra) - self.workdays_remove)

    # -- deadlines ----------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return (in UTC) the same local wall time `days` working days after start."""
        return self.add_duration(start, timedelta(days=days), working_days=True)

    def add_duration(self, start: datetime, duration: timedelta, working_days: bool) -> datetime:
        """Return the deadline (in UTC) for a duration in clock time or in working days."""
        require_aware(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration!r}")
        if not working_days:
            return start.astimezone(UTC) + duration
        # Each whole 24 h of the duration is one working day and keeps the local wall time,
        # so "P5D" accepted Tue 10:00 is due at 10:00 on the fifth working day after.
        local = start.astimezone(self.tz)
        day, wall = local.date(), local.time()
        if not self.is_working_day(day):
            # A request that arrives on a day off is deemed received when the office next
            # opens (行政许可法 practice): Sat 23:00 + P5D is due the Monday after next at
            # 09:00, i.e. after five full working days, which is what supervisors count.
            day, wall = self.next_working_day(day), self.business_start
        for _ in range(duration.days):
            day = self.next_working_day(day)
        # The sub-day part is plain clock time, even if it runs into the night or a day off.
        remainder = duration - timedelta(days=duration.days)
        return at_local(day, wall, self.tz) + remainder

    # -- schedule completeness ----------------------------------------------

    def is_schedule_known(self, year: int) -> bool:
        """Whether the year's official holiday schedule is in the package or confirmed by hand."""
        return year in self.confirmed_years or _package_year(year).official

    def unconfirmed_years(self, years: Iterable[int]) -> list[int]:
        """Return the given years whose official schedule is neither packaged nor confirmed."""
        return sorted({y for y in years if not self.is_schedule_known(y)})

    @property
    def calendar_file(self) -> str:
        """The file where an operator completes a year's schedule (named in the warnings)."""
        return str(self.source) if self.source is not None else str(DEFAULT_CALENDAR_PATH)


# ---------------------------------------------------------------------------
# Parsing calendar TOML (bot.config_files reads config/calendar.toml)
# ---------------------------------------------------------------------------


def _parse_dates(raw: object, where: str, key: str) -> frozenset[date]:
    """Parse a TOML array of "YYYY-MM-DD" strings (or TOML dates) into dates."""
    if not isinstance(raw, list):
        raise ValueError(f'{where}: {key} must be a list of dates like ["2027-02-05"]')
    out: set[date] = set()
    for item in raw:
        # TOML date-times are datetime instances (a date subclass) and carry a time.
        if isinstance(item, date) and not isinstance(item, datetime):
            out.add(item)
            continue
        if isinstance(item, str):
            try:
                out.add(date.fromisoformat(item.strip()))
                continue
            except ValueError:
                pass
        raise ValueError(f'{where}: {key} has an invalid date {item!r}; expected "YYYY-MM-DD"')
    return frozenset(out)


def _parse_years(raw: object, where: str, key: str) -> frozenset[int]:
    """Parse a TOML array of four-digit years."""
    if not isinstance(raw, list):
        raise ValueError(f"{where}: {key} must be a list of years like [2027]")
    out: set[int] = set()
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or not 1950 <= item <= 9999:
            raise ValueError(f"{where}: {key} has an invalid year {item!r}; expected e.g. 2027")
        out.add(item)
    return frozenset(out)


def parse_calendar(
    text: str,
    tz: ZoneInfo = DEFAULT_TZ,
    *,
    business_start: time = DEFAULT_BUSINESS_START,
    source: Path | None = None,
) -> WorkCalendar:
    """The work calendar: the package's data plus the overrides in calendar TOML `text`.

    `source` names the file in errors and in the unconfirmed-year warning; nothing is read.
    """
    where = str(source) if source is not None else "calendar overrides"
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: not valid TOML: {exc}") from exc
    # Unknown keys are almost always typos ("holiday", "workday"); silently ignoring
    # them would leave the calendar wrong without anyone noticing.
    for section, value in data.items():
        if section not in _SECTIONS:
            raise ValueError(
                f"{where}: unknown section [{section}]; expected one of "
                + ", ".join(f"[{s}]" for s in _SECTIONS)
            )
        if not isinstance(value, dict):
            raise ValueError(f"{where}: [{section}] must be a table")
        for key in value:
            if key not in _SECTIONS[section]:
                raise ValueError(
                    f"{where}: unknown key {key!r} in [{section}]; expected "
                    + ", ".join(sorted(_SECTIONS[section]))
                )

    def dates(section: str, key: str) -> frozenset[date]:
        return _parse_dates(data.get(section, {}).get(key, []), where, f"[{section}] {key}")

    return WorkCalendar(
        tz=tz,
        holidays_add=dates("holidays", "add"),
        holidays_remove=dates("holidays", "remove"),
        workdays_add=dates("workdays", "add"),
        workdays_remove=dates("workdays", "remove"),
        confirmed_years=_parse_years(
            data.get("years", {}).get("confirmed", []), where, "[years] confirmed"
        ),
        business_start=business_start,
        source=source,
    )
