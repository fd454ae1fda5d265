"""The report figures as pure functions of hand-written event logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.clock import to_text
from bot.domain.kpis import (
    Rate,
    calendar_years,
    counts,
    day_period,
    days_late,
    month_to_date,
    overdue_at,
    rates,
    timelines,
)
from bot.domain.models import Event
from bot.domain.models import RequestStatus as S

CQ = ZoneInfo("Asia/Shanghai")
WITHIN = timedelta(minutes=30)


def at(d: int, hh: int, mm: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, d, hh, mm, tzinfo=CQ)


def ev(
    n: int,
    kind: str,
    when: datetime,
    before: S | None = None,
    after: S | None = None,
    actor: int | None = None,
    **payload: str | int | None,
) -> Event:
    return Event(
        request_id=n,
        actor_id=actor,
        kind=kind,
        from_status=before,
        to_status=after,
        payload=payload,
        at=when,
    )


def submitted(n: int, when: datetime, offer: str = "dispatched") -> list[Event]:
    return [
        ev(n, "submitted", when, None, S.SUBMITTED),
        ev(n, offer, when, S.SUBMITTED, S.DISPATCHED if offer == "dispatched" else S.ESCALATED),
    ]


def accepted(n: int, when: datetime, due: datetime, holder: int = 7) -> Event:
    return ev(n, "accepted", when, S.DISPATCHED, S.ACCEPTED, holder, due_at=to_text(due))


def resolved(n: int, when: datetime) -> Event:
    return ev(n, "resolved", when, S.ACCEPTED, S.RESOLVED, 7)


def test_periods_follow_the_county_clock_not_utc() -> None:
    day = day_period(date(2026, 11, 24), CQ)
    assert day.start == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert day.end == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert at(24, 0, 0) in day and at(24, 23, 59) in day
    assert at(25, 0, 0) not in day and at(23, 23, 59) not in day
    month = month_to_date(date(2026, 11, 24), CQ)
    assert month.start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC) and month.end == day.end


def test_counts_of_a_day() -> None:
    log = [
        *submitted(1, at(23, 23, 59)),  # the day before
        *submitted(2, at(24, 0, 0)),
        accepted(2, at(24, 0, 20), at(25, 0, 20)),
        *submitted(3, at(24, 10), offer="escalated"),  # no commissioner: straight to the team
        accepted(1, at(24, 10, 5), at(24, 18)),  # accepted today, overdue by the evening
        resolved(2, at(24, 23, 0)),
        *submitted(4, at(25, 0, 0)),  # the next day
    ]
    got = counts(timelines(log).values(), day_period(date(2026, 11, 24), CQ))
    assert (got.received, got.accepted, got.resolved, got.escalated, got.overdue) == (
        2,
        2,
        1,
        1,
        1,
    )


def test_response_rate_boundary_is_inclusive_and_counts_the_first_offer() -> None:
    log = [
        *submitted(1, at(24, 9)),
        accepted(1, at(24, 9, 30), at(25, 9)),  # exactly 30:00 → responded
        *submitted(2, at(24, 10)),
        accepted(2, at(24, 10, 30) + timedelta(seconds=1), at(25, 10)),  # 30:01 → not
        *submitted(3, at(24, 11)),
        # declined, then the team accepts 20 min after its own offer but 40 after the first
        ev(3, "declined", at(24, 11, 20), S.DISPATCHED, S.DISPATCHED, 8, reason="外出"),
        ev(3, "escalated", at(24, 11, 20), S.DISPATCHED, S.ESCALATED, 8, tier="team"),
        accepted(3, at(24, 11, 40), at(25, 11)),
        *submitted(4, at(24, 12)),  # never accepted
        *submitted(5, at(24, 13)),
        ev(5, "cancelled", at(24, 13, 5), S.DISPATCHED, S.CANCELLED, 1),  # not counted
    ]
    r = rates(timelines(log).values(), day_period(date(2026, 11, 24), CQ), WITHIN)
    assert r.response == Rate(hits=1, total=4)
    assert r.response.value == 0.25
    # MTTA over the three accepted: 30:00, 30:01, 40:00.
    assert r.mtta_seconds == (1800 + 1801 + 2400) / 3


def test_resolution_rate_counts_against_the_approved_extension() -> None:
    log = [
        *submitted(1, at(10, 9)),
        accepted(1, at(10, 9, 10), at(17, 9, 10)),
        ev(1, "extension_asked", at(16, 9), actor=7, ask=1, new_due_at=to_text(at(19, 9, 10))),
        ev(1, "extension_approved", at(16, 10), actor=1, ask=1, due_at=to_text(at(19, 9, 10))),
        resolved(1, at(18, 9)),  # late against the 17th, on time against the 19th
        *submitted(2, at(10, 9)),
        accepted(2, at(10, 9, 10), at(17, 9, 10)),
        ev(2, "extension_asked", at(16, 9), actor=7, ask=1, new_due_at=to_text(at(19, 9, 10))),
        ev(2, "extension_refused", at(16, 10), actor=1, ask=1),
        resolved(2, at(18, 9)),  # refused: late
        *submitted(3, at(10, 9)),
        accepted(3, at(10, 9, 10), at(17, 9, 10)),
        resolved(3, at(17, 9, 10)),  # exactly at the deadline: on time
        *submitted(4, at(10, 9)),
        accepted(4, at(10, 9, 10), at(17, 9, 10)),  # never resolved: late
    ]
    lines = timelines(log).values()
    month = month_to_date(date(2026, 11, 24), CQ)
    assert rates(lines, month, WITHIN).resolution == Rate(hits=2, total=4)
    # By deadline day: #2 #3 #4 fall due on the 17th, #1 on the 19th.
    assert rates(lines, day_period(date(2026, 11, 17), CQ), WITHIN).resolution == Rate(
        hits=1, total=3
    )
    assert rates(lines, day_period(date(2026, 11, 19), CQ), WITHIN).resolution == Rate(
        hits=1, total=1
    )
    assert rates(lines, day_period(date(2026, 11, 18), CQ), WITHIN).resolution.value is None


def test_reassigning_clears_the_deadline_until_accepted_again() -> None:
    log = [
        *submitted(1, at(10, 9)),
        accepted(1, at(10, 9, 10), at(12, 9, 10), holder=7),
        ev(1, "reassigned", at(11, 9), S.ACCEPTED, S.DISPATCHED, 1, to=8),
        accepted(1, at(11, 10), at(13, 10), holder=8),
    ]
    [line] = timelines(log).values()
    assert line.deadline_at(at(11, 9, 30)) is None
    assert overdue_at([line], at(12, 12)) == []
    [late] = overdue_at([line], at(14, 12))
    assert (late.holder_id, late.due_at, late.days_late) == (8, at(13, 10), 2)


def test_satisfaction_and_mttr() -> None:
    log = [
        *submitted(1, at(20, 9)),
        accepted(1, at(20, 9, 10), at(27, 9, 10)),
        resolved(1, at(23, 9)),  # 3 days after submission
        ev(1, "rated", at(24, 8), S.RESOLVED, S.CLOSED, 3, stars=4),
        *submitted(2, at(20, 9)),
        accepted(2, at(20, 9, 10), at(27, 9, 10)),
        resolved(2, at(24, 9)),  # 4 days
        ev(2, "rated", at(24, 10), S.RESOLVED, S.CLOSED, 3, stars=3),
        *submitted(3, at(20, 9)),
        accepted(3, at(20, 9, 10), at(27, 9, 10)),
        resolved(3, at(24, 21)),  # 4 days 12 hours
        ev(3, "rated", at(25, 10), S.RESOLVED, S.CLOSED, 3, stars=5),  # the next day
    ]
    lines = timelines(log).values()
    day = rates(lines, day_period(date(2026, 11, 24), CQ), WITHIN)
    assert day.satisfaction == Rate(hits=1, total=2)
    assert day.mttr_seconds == (4 * 86400 + 4.5 * 86400) / 2
    assert rates(lines, day_period(date(2026, 11, 22), CQ), WITHIN).satisfaction.value is None


def test_days_late_counts_started_days() -> None:
    due = at(24, 16, 5)
    assert days_late(due, due + timedelta(seconds=1)) == 1
    assert days_late(due, due + timedelta(hours=24)) == 1
    assert days_late(due, due + timedelta(hours=24, seconds=1)) == 2


def test_overdue_needs_a_passed_deadline_and_open_work() -> None:
    log = [
        *submitted(1, at(20, 9)),
        accepted(1, at(20, 9, 10), at(23, 9, 10)),
        *submitted(2, at(20, 9)),
        accepted(2, at(20, 9, 10), at(23, 9, 10)),
        resolved(2, at(23, 9)),
    ]
    lines = list(timelines(log).values())
    assert overdue_at(lines, at(23, 9, 10)) == []  # at the deadline: not yet
    assert [o.request_id for o in overdue_at(lines, at(23, 9, 11))] == [1]


def test_calendar_years() -> None:
    assert calendar_years(date(2026, 11, 30)) == [2026]
    assert calendar_years(date(2026, 12, 1)) == [2026, 2027]
    assert calendar_years(date(2027, 1, 1)) == [2027]


def test_reopened_and_closed_unrated_are_counted_and_never_as_satisfied() -> None:
    day = day_period(date(2026, 11, 26), CQ)
    log = [
        *submitted(1, at(20, 9)),
        accepted(1, at(20, 9, 5), at(25, 9)),
        ev(1, "resolved", at(21, 9), S.ACCEPTED, S.RESOLVED, 7),
        ev(1, "rated", at(22, 9), S.RESOLVED, S.CLOSED, 1, stars=2),
        ev(1, "reopened", at(26, 9), S.CLOSED, S.REOPENED, 1, reason="没解决", tier="holder"),
        *submitted(2, at(20, 9)),
        accepted(2, at(20, 9, 5), at(25, 9)),
        ev(2, "resolved", at(21, 9), S.ACCEPTED, S.RESOLVED, 7),
        ev(2, "closed", at(26, 10), S.RESOLVED, S.CLOSED, None, auto=True),
    ]
    lines = timelines(log).values()
    c = counts(lines, day)
    assert (c.reopened, c.closed_unrated) == (1, 1)
    # Reopened: waiting for its holder's Accept, it has no deadline and is not overdue.
    assert c.overdue == 0
    assert rates(lines, day, WITHIN).satisfaction == Rate(hits=0, total=0)
    earlier = day_period(date(2026, 11, 22), CQ)
    assert rates(lines, earlier, WITHIN).satisfaction == Rate(hits=0, total=1)
