"""Wall-clock rules in the county's time zone: local dates and times, quiet hours, durations."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------


def require_aware(value: datetime, name: str) -> None:
    """Reject naive datetimes: they would silently be read in the machine's zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def at_local(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Return the aware UTC instant of a local wall-clock time on a given day."""
    return datetime.combine(day, wall.replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def local_date(now_utc: datetime, tz: ZoneInfo = DEFAULT_TZ) -> date:
    """Return the county's calendar date at the given instant."""
    require_aware(now_utc, "now_utc")
    return now_utc.astimezone(tz).date()


_HHMM = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_hhmm(value: str | time) -> time:
    """Parse a wall-clock time written as "HH:MM" (00:00-23:59)."""
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    match = _HHMM.match(value)
    if match is None:
        raise ValueError(f"invalid time of day {value!r}: expected HH:MM between 00:00 and 23:59")
    return time(int(match.group(1)), int(match.group(2)))


def next_local_time(now_utc: datetime, at: str | time, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """Return (in UTC) the next instant strictly after now_utc when the county clock shows `at`."""
    require_aware(now_utc, "now_utc")
    wall = parse_hhmm(at)
    today = now_utc.astimezone(tz).date()
    # Strictly after, so a job scheduled "at 08:00" that runs at 08:00 does not fire twice.
    candidate = at_local(today, wall, tz)
    if candidate <= now_utc:
        candidate = at_local(today + timedelta(days=1), wall, tz)
    return candidate


# ---------------------------------------------------------------------------
# Quiet hours
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily local-time window (possibly crossing midnight) in which nobody is pinged."""

    start: time | None = None
    end: time | None = None

    @classmethod
    def parse(cls, spec: str | None) -> QuietHours:
        """Parse "HH:MM-HH:MM"; an empty string or None disables quiet hours."""
        if spec is None or not spec.strip():
            return cls()
        parts = re.split(r"\s*[-–~]\s*", spec.strip())
        if len(parts) != 2:
            raise ValueError(
                f"invalid quiet hours {spec!r}: expected HH:MM-HH:MM, e.g. 22:00-07:30"
            )
        try:
            start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
        except ValueError as exc:
            raise ValueError(f"invalid quiet hours {spec!r}: {exc}") from None
        if start == end:
            # Equal ends could mean "never" or "all day"; make the operator say which.
            raise ValueError(
                f"invalid quiet hours {spec!r}: start and end are equal; "
                "leave the setting empty to disable quiet hours"
            )
        return cls(start, end)

    @property
    def enabled(self) -> bool:
        """Whether a quiet window is configured."""
        return self.start is not None and self.end is not None

    def contains(self, local_time: time) -> bool:
        """Whether a local wall-clock time falls in the window (start inclusive, end exclusive)."""
        if self.start is None or self.end is None:
            return False
        t = local_time.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def is_quiet(self, now_utc: datetime, tz: ZoneInfo = DEFAULT_TZ) -> bool:
        """Whether the instant falls in the window on the county's clock."""
        require_aware(now_utc, "now_utc")
        return self.contains(now_utc.astimezone(tz).time())

    def quiet_until(self, now_utc: datetime, tz: ZoneInfo = DEFAULT_TZ) -> datetime | None:
        """Return (in UTC) when the current quiet window ends, or None if it is not quiet now."""
        if self.end is None or not self.is_quiet(now_utc, tz):
            return None
        return next_local_time(now_utc, self.end, tz)

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return ""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)?"
_ISO_DURATION = re.compile(
    rf"^P(?!$)"
    rf"(?:(?P<years>{_NUM})Y)?"
    rf"(?:(?P<months>{_NUM})M)?"
    rf"(?:(?P<weeks>{_NUM})W)?"
    rf"(?:(?P<days>{_NUM})D)?"
    rf"(?:T(?=\d)"
    rf"(?:(?P<hours>{_NUM})H)?"
    rf"(?:(?P<minutes>{_NUM})M)?"
    rf"(?:(?P<seconds>{_NUM})S)?)?$"
)
_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")


def _seconds(value: float, original: object) -> timedelta:
    """Turn a number of seconds into a timedelta, rejecting negative and non-finite values."""
    if not math.isfinite(value):
        raise ValueError(f"invalid duration {original!r}: must be a finite number of seconds")
    if value < 0:
        raise ValueError(f"invalid duration {original!r}: must not be negative")
    return timedelta(seconds=value)


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse seconds ("90", 90, 1.5) or an ISO 8601 duration ("PT30M", "P5D", "P1DT2H")."""
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"invalid duration {value!r}: must not be negative")
        return value
    # bool is an int subclass; True seconds is certainly a configuration mistake.
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}: expected seconds or an ISO 8601 duration")
    if isinstance(value, int | float):
        return _seconds(float(value), value)
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: expected seconds or an ISO 8601 duration")
    text = value.strip()
    if _SECONDS.match(text):
        return _seconds(float(text), value)
    match = _ISO_DURATION.match(text.upper())
    if match is None:
        raise ValueError(
            f"invalid duration {value!r}: expected seconds (e.g. 90) or a non-negative "
            "ISO 8601 duration such as PT30M, P5D or P1DT2H"
        )
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v is not None}
    if "years" in parts or "months" in parts:
        # Years and months have no fixed length (and "P1M" is easily confused with PT1M).
        raise ValueError(
            f"invalid duration {value!r}: years (Y) and months (M before T) are ambiguous; "
            "use days instead, e.g. P30D (or PT30M for thirty minutes)"
        )
    return timedelta(
        weeks=parts.get("weeks", 0.0),
        days=parts.get("days", 0.0),
        hours=parts.get("hours", 0.0),
        minutes=parts.get("minutes", 0.0),
        seconds=parts.get("seconds", 0.0),
    )
