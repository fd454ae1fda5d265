"""Tests for the working-day calendar, deadlines, quiet hours and durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config_files import load_calendar
from bot.domain.deadlines import (
    QuietHours,
    WorkCalendar,
    local_date,
    next_local_time,
    parse_calendar,
    parse_duration,
)

CQ = ZoneInfo("Asia/Shanghai")
REPO_CALENDAR = Path(__file__).resolve().parents[2] / "config" / "calendar.toml"


def cq(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """Return an aware datetime on the county clock."""
    return datetime(y, m, d, hh, mm, tzinfo=CQ)


def write_toml(tmp_path: Path, text: str) -> Path:
    """Write a calendar.toml into the temp dir."""
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cal() -> WorkCalendar:
    return load_calendar(None, CQ)


# --- package data: 2026 (official schedule in holidays 0.109) -------------------------


def test_2026_national_day_golden_week(cal: WorkCalendar) -> None:
    # Oct 1 (Thu) – Oct 7 (Wed) off; Sun Sep 20 and Sat Oct 10 are make-up workdays.
    for d in range(1, 8):
        assert not cal.is_working_day(date(2026, 10, d)), d
    assert cal.is_working_day(date(2026, 9, 20))
    assert date(2026, 9, 20).weekday() == 6
    assert cal.is_working_day(date(2026, 10, 10))
    assert date(2026, 10, 10).weekday() == 5
    assert not cal.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert not cal.is_working_day(date(2026, 9, 25))  # Mid-Autumn Festival (Fri)
    assert cal.is_working_day(date(2026, 9, 29))
    assert cal.makeup_workdays_in(2026) == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]


def test_p5d_across_national_day_2026(cal: WorkCalendar) -> None:
    # Sep 30 (1), Oct 8 (2), Oct 9 (3), Sat Oct 10 make-up (4), Mon Oct 12 (5).
    due = cal.add_duration(cq(2026, 9, 29), parse_duration("P5D"), working_days=True)
    assert due == cq(2026, 10, 12)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    assert cal.add_working_days(cq(2026, 9, 29), 5) == due


def test_makeup_sunday_counts_as_working_day(cal: WorkCalendar) -> None:
    # Fri Sep 18 + 1 working day is the make-up Sunday Sep 20, not Monday.
    assert cal.add_working_days(cq(2026, 9, 18, 15, 0), 1) == cq(2026, 9, 20, 15, 0)


def test_start_on_day_off_counts_from_next_opening(cal: WorkCalendar) -> None:
    # Received on National Day (Sat Oct 3, 14:00): deemed received Thu Oct 8 at 09:00.
    assert cal.add_working_days(cq(2026, 10, 3, 14, 0), 0) == cq(2026, 10, 8, 9, 0)
    assert cal.add_working_days(cq(2026, 10, 3, 14, 0), 1) == cq(2026, 10, 9, 9, 0)
    # Ordinary Saturday night: Monday 09:00 + 5 working days is the next Monday 09:00.
    assert cal.add_working_days(cq(2026, 11, 21, 23, 0), 5) == cq(2026, 11, 30, 9, 0)


def test_start_on_working_day_keeps_wall_time_even_after_hours(cal: WorkCalendar) -> None:
    assert cal.add_working_days(cq(2026, 11, 24, 22, 15), 2) == cq(2026, 11, 26, 22, 15)


def test_input_in_other_zone_is_converted_to_county_time(cal: WorkCalendar) -> None:
    # 2026-09-30 17:00 UTC is Thu Oct 1 01:00 in Chongqing: a holiday.
    start = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert cal.add_working_days(start, 1) == cq(2026, 10, 9, 9, 0)


# --- package data: 2027 (rule-based only in holidays 0.109) ---------------------------


def test_2027_spring_festival_is_skipped(cal: WorkCalendar) -> None:
    # Package estimate: Feb 5 (eve, Fri) .. Feb 10 (Wed) off, Feb 6 (Sat) is 春节.
    assert date(2027, 2, 6).weekday() == 5
    for d in range(5, 11):
        assert not cal.is_working_day(date(2027, 2, d)), d
    assert cal.is_working_day(date(2027, 2, 11))
    assert cal.makeup_workdays_in(2027) == []
    # Wed Feb 3: Feb 4 (1), Feb 11 (2), Feb 12 (3).
    assert cal.add_working_days(cq(2027, 2, 3), 3) == cq(2027, 2, 12)


def test_2027_warning_and_2026_known(cal: WorkCalendar) -> None:
    assert cal.is_schedule_known(2026)
    assert not cal.is_schedule_known(2027)
    assert cal.calendar_file == "config/calendar.toml"
    assert cal.unconfirmed_years([2026, 2027, 2027]) == [2027]


def test_operator_overrides_change_2027_deadline(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        """
        [holidays]
        add = ["2027-02-11"]
        remove = ["2027-02-10"]
        [workdays]
        add = ["2027-02-13"]
        """,
    )
    cal = load_calendar(path, CQ)
    assert not cal.is_working_day(date(2027, 2, 11))
    assert cal.is_working_day(date(2027, 2, 10))  # estimated in-lieu day removed
    assert cal.is_working_day(date(2027, 2, 13))  # make-up Saturday
    # From Wed Feb 3: Feb 4 (1), Feb 10 (2), Feb 12 (3), Sat Feb 13 (4);
    # the package alone gives Feb 4, Feb 11, Feb 12, Mon Feb 15.
    plain = load_calendar(None, CQ)
    assert plain.add_working_days(cq(2027, 2, 3), 2) == cq(2027, 2, 11)
    assert cal.add_working_days(cq(2027, 2, 3), 2) == cq(2027, 2, 10)
    assert plain.add_working_days(cq(2027, 2, 3), 4) == cq(2027, 2, 15)
    assert cal.add_working_days(cq(2027, 2, 3), 4) == cq(2027, 2, 13)
    # Overrides alone do not silence the warning; only [years] confirmed does.
    assert not cal.is_schedule_known(2027) and cal.calendar_file == str(path)


def test_confirmed_year_silences_warning(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[years]\nconfirmed = [2027]\n")
    cal = load_calendar(path, CQ)
    assert cal.is_schedule_known(2027)
    assert cal.unconfirmed_years([2026, 2027, 2028]) == [2028]


def test_workdays_remove_and_native_toml_dates(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[workdays]\nremove = [2026-10-10]\n")
    cal = load_calendar(path, CQ)
    assert not cal.is_working_day(date(2026, 10, 10))


def test_calendar_text_parses_without_a_file() -> None:
    cal = parse_calendar('[workdays]\nadd = ["2027-02-13"]\n', CQ)
    assert cal.is_working_day(date(2027, 2, 13)) and cal.source is None
    with pytest.raises(ValueError, match=r"^calendar overrides: unknown section \[holiday\]"):
        parse_calendar('[holiday]\nadd = ["2027-02-05"]\n', CQ)


def test_shipped_calendar_loads_and_is_empty() -> None:
    cal = load_calendar(REPO_CALENDAR, CQ)
    assert cal == WorkCalendar(tz=CQ)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[holidays]\nadd = ["2027-02-30"]\n', "'2027-02-30'"),
        ('[workdays]\nadd = ["tomorrow"]\n', "[workdays] add"),
        ('[holidays]\nadd = "2027-02-05"\n', "[holidays] add"),
        ("[years]\nconfirmed = [27]\n", "[years] confirmed"),
        ('[holiday]\nadd = ["2027-02-05"]\n', "[holiday]"),
        ('[holidays]\nadded = ["2027-02-05"]\n', "'added'"),
        ('[holidays]\nadd = ["2027-02-13"]\n[workdays]\nadd = ["2027-02-13"]\n', "2027-02-13"),
        ('[holidays]\nadd = ["2027-02-13"]\nremove = ["2027-02-13"]\n', "2027-02-13"),
        ("[holidays\n", "TOML"),
    ],
)
def test_bad_calendar_file(tmp_path: Path, text: str, needle: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ValueError) as exc:
        load_calendar(path, CQ)
    assert str(path) in str(exc.value)
    assert needle in str(exc.value)


# --- clock time and sub-day durations -------------------------------------------------


def test_clock_time_ignores_holidays(cal: WorkCalendar) -> None:
    due = cal.add_duration(cq(2026, 9, 29), timedelta(days=5), working_days=False)
    assert due == cq(2026, 10, 4)
    assert due.tzinfo is UTC


def test_sub_day_remainder_is_clock_time(cal: WorkCalendar) -> None:
    assert cal.add_duration(cq(2026, 9, 29), parse_duration("P1DT2H"), True) == cq(2026, 9, 30, 12)
    assert cal.add_duration(cq(2026, 9, 29), parse_duration("PT30M"), True) == cq(
        2026, 9, 29, 10, 30
    )
    # Runs over into the holiday: remainders are plain clock time.
    assert cal.add_duration(cq(2026, 9, 30, 22), parse_duration("PT4H"), True) == cq(2026, 10, 1, 2)
    # A short clock starts when the office opens if the request arrived on a day off.
    assert cal.add_duration(cq(2026, 11, 21, 15), parse_duration("PT4H"), True) == cq(
        2026, 11, 23, 13
    )


def test_naive_and_negative_inputs_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_duration(datetime(2026, 9, 29, 10), timedelta(days=1), working_days=True)
    with pytest.raises(ValueError, match="negative"):
        cal.add_duration(cq(2026, 9, 29), timedelta(days=-1), working_days=True)


# --- quiet hours and local clock ------------------------------------------------------


def test_quiet_hours_across_midnight() -> None:
    quiet = QuietHours.parse("22:00-07:30")
    assert quiet.enabled
    assert quiet.contains(time(23, 0))
    assert quiet.contains(time(7, 0))
    assert quiet.contains(time(22, 0))
    assert not quiet.contains(time(7, 30))
    assert not quiet.contains(time(12, 0))
    assert str(quiet) == "22:00-07:30"


def test_quiet_hours_within_a_day() -> None:
    quiet = QuietHours.parse(" 12:00 - 13:30 ")
    assert quiet.contains(time(12, 45))
    assert not quiet.contains(time(23, 0))


@pytest.mark.parametrize("spec", ["", "   ", None])
def test_quiet_hours_disabled(spec: str | None) -> None:
    quiet = QuietHours.parse(spec)
    assert not quiet.enabled
    assert not quiet.contains(time(23, 0))
    assert not quiet.is_quiet(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), CQ)


@pytest.mark.parametrize("spec", ["22:00", "22-07", "25:00-07:00", "22:00-07:60", "08:00-08:00"])
def test_quiet_hours_bad_spec(spec: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(spec)


def test_quiet_hours_use_county_clock_not_machine_utc() -> None:
    quiet = QuietHours.parse("22:00-07:30")
    # 15:00 UTC is 23:00 in Chongqing.
    assert quiet.is_quiet(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), CQ)
    # 23:00 UTC is 07:00 the next morning; 23:30 UTC is 07:30, quiet is over.
    assert quiet.is_quiet(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), CQ)
    assert not quiet.is_quiet(datetime(2026, 11, 25, 23, 30, tzinfo=UTC), CQ)
    # 04:00 UTC is noon.
    assert not quiet.is_quiet(datetime(2026, 11, 25, 4, 0, tzinfo=UTC), CQ)
    assert quiet.quiet_until(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), CQ) == cq(
        2026, 11, 26, 7, 30
    )
    assert quiet.quiet_until(datetime(2026, 11, 25, 4, 0, tzinfo=UTC), CQ) is None


def test_next_local_time_and_local_date() -> None:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 local
    assert local_date(now, CQ) == date(2026, 11, 25)
    assert local_date(datetime(2026, 11, 25, 16, 30, tzinfo=UTC), CQ) == date(2026, 11, 26)
    nxt = next_local_time(now, "08:00", CQ)
    assert nxt == cq(2026, 11, 26, 8, 0)
    assert nxt.tzinfo is UTC
    assert next_local_time(datetime(2026, 11, 25, 23, 59, tzinfo=UTC), time(8, 0), CQ) == cq(
        2026, 11, 26, 8, 0
    )
    # Exactly at the time: the next occurrence is tomorrow, so a job does not fire twice.
    assert next_local_time(cq(2026, 11, 26, 8, 0), "08:00", CQ) == cq(2026, 11, 27, 8, 0)
    with pytest.raises(ValueError, match="HH:MM"):
        next_local_time(now, "8am", CQ)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 11, 25, 15, 0), CQ)


# --- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", timedelta(seconds=90)),
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
        (" 2.5 ", timedelta(seconds=2.5)),
        ("0", timedelta(0)),
        ("PT30M", timedelta(minutes=30)),
        ("pt30m", timedelta(minutes=30)),
        ("P5D", timedelta(days=5)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("PT0,5H", timedelta(minutes=30)),
        ("P2W", timedelta(days=14)),
        ("PT1H30M15S", timedelta(hours=1, minutes=30, seconds=15)),
        (timedelta(hours=3), timedelta(hours=3)),
    ],
)
def test_parse_duration(value: str | int | float | timedelta, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["P1Y", "P2M", "P1Y2M3D"])
def test_parse_duration_rejects_years_and_months(value: str) -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        parse_duration(value)


@pytest.mark.parametrize(
    "value",
    ["", "P", "PT", "P1DT", "5 minutes", "-5", -5, "-PT5M", "PT5M30", "1e3", float("nan"), True],
)
def test_parse_duration_errors(value: str | int | float) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)
