"""The stored next chase step is exact: never later than the first instant `plan()` has a step."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from bot.config_files import load_calendar
from bot.domain.clock import to_text
from bot.domain.kinds import EventKind
from bot.domain.models import Event, Request, RequestStatus, Urgency
from bot.domain.routing import Tier
from bot.services.sla import SlaPolicy
from bot.services.sweep import next_step_at, plan

CQ = ZoneInfo("Asia/Shanghai")
POLICY = SlaPolicy(
    accept_remind_after=timedelta(minutes=30),
    accept_escalate_after=timedelta(hours=2),
    tz=CQ,
    calendar=load_calendar(None, CQ),
    working_days=True,
)
TICK = timedelta(microseconds=1)


def cq(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, d, hh, mm, tzinfo=CQ)


def request(status: RequestStatus, **fields: datetime | None) -> Request:
    return Request(
        id=1,
        enterprise_id=1,
        owner_id=1,
        category="financing",
        description="x",
        urgency=Urgency.NORMAL,
        status=status,
        created_at=cq(1, 9),
        **fields,  # type: ignore[arg-type]
    )


def event(kind: EventKind, at: datetime, **payload: str | int | None) -> Event:
    return Event(request_id=1, actor_id=None, kind=kind, payload=payload, at=at)


def instants(start: datetime, days: int, extra: list[datetime]) -> list[datetime]:
    """Every 5 minutes for `days` days, and each boundary with its neighbours."""
    grid = [start + timedelta(minutes=5 * i) for i in range(days * 24 * 12)]
    grid += [t + d for t in extra for d in (-TICK, timedelta(0), TICK)]
    return sorted(t for t in grid if t >= start)


def assert_exact(
    req: Request, events: list[Event], nows: list[datetime], extra: list[datetime]
) -> None:
    for now in nows:
        at = next_step_at(req, events, now, POLICY)
        for t in instants(now, 4, extra):
            if at is not None and t >= at:
                break
            assert not plan(req, events, t, POLICY), (
                f"{req.status} at {t}: a step is due before the stored {at} (planned at {now})"
            )
        if at is not None:
            assert at >= now
            assert plan(req, events, at, POLICY), f"nothing due at the stored {at}"


ROUND = cq(2, 10)


@pytest.mark.parametrize(
    ("tier", "reminded", "reported"),
    list(product([Tier.COMMISSIONER, Tier.TEAM, Tier.SUPERVISORS], [False, True], [False, True])),
)
def test_offer_rounds(tier: Tier, reminded: bool, reported: bool) -> None:
    events = [
        event(EventKind.SUBMITTED, cq(1, 9)),
        event(EventKind.DISPATCHED, cq(1, 9), tier="commissioner"),
        event(EventKind.REMINDED_ACCEPT, cq(1, 9, 30), round=1),
        event(
            EventKind.ESCALATED if tier != Tier.COMMISSIONER else EventKind.REASSIGNED,
            ROUND,
            tier=tier.value,
        ),
    ]
    if reminded:
        events.append(event(EventKind.REMINDED_ACCEPT, ROUND + timedelta(minutes=30), round=2))
    if reported:
        events.append(event(EventKind.UNACCEPTED_REPORTED, ROUND + timedelta(hours=2), round=2))
    status = RequestStatus.ESCALATED if tier != Tier.COMMISSIONER else RequestStatus.DISPATCHED
    req = request(status)
    nows = [ROUND + timedelta(minutes=m) for m in (0, 29, 30, 45, 119, 120, 121, 600)]
    extra = [ROUND + timedelta(minutes=30), ROUND + timedelta(hours=2)]
    assert_exact(req, events, nows, extra)


@pytest.mark.parametrize(
    ("due", "accepted", "reminded", "chased_days"),
    [
        (cq(4, 10), cq(1, 10), False, ()),
        (cq(4, 10), cq(1, 10), True, ()),
        (cq(4, 10), cq(4, 8, 30), False, ()),  # accepted on the due morning: no reminder
        (cq(4, 3), cq(1, 10), False, ()),  # due before the morning: straight to overdue
        (cq(4, 23, 30), cq(1, 10), True, ()),
        (cq(4, 10), cq(1, 10), True, (4,)),
        (cq(4, 10), cq(1, 10), True, (4, 5, 6)),
        (cq(4, 10), cq(1, 10), True, (5,)),  # a day missed (downtime), the next one chased
    ],
)
def test_deadlines(
    due: datetime, accepted: datetime, reminded: bool, chased_days: tuple[int, ...]
) -> None:
    events = [event(EventKind.ACCEPTED, accepted, due_at=to_text(due))]
    if reminded:
        events.append(event(EventKind.REMINDED_DUE, cq(4, 8), due_at=to_text(due)))
    for day in chased_days:
        events.append(
            event(EventKind.OVERDUE_CHASED, cq(day, 11), day=cq(day, 11).date().isoformat())
        )
    req = request(RequestStatus.ACCEPTED, accepted_at=accepted, due_at=due)
    nows = [accepted, cq(3, 23), cq(4, 7, 59), cq(4, 8), due, due + TICK, cq(5, 7), cq(6, 9)]
    mornings = [cq(d, 8) for d in range(1, 10)]
    assert_exact(req, events, [n for n in nows if n >= accepted], [due, *mornings])


def test_nothing_to_chase_is_none() -> None:
    for status in (RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.CANCELLED):
        assert next_step_at(request(status, due_at=cq(4, 10)), [], cq(5, 10), POLICY) is None
    # Offered to nobody yet, or accepted without a deadline: nothing to chase until it changes.
    assert next_step_at(request(RequestStatus.DISPATCHED), [], cq(5, 10), POLICY) is None
    assert next_step_at(request(RequestStatus.ACCEPTED), [], cq(5, 10), POLICY) is None


def test_the_overdue_chase_is_due_just_after_the_deadline() -> None:
    due = cq(4, 10)
    req = request(RequestStatus.ACCEPTED, accepted_at=cq(1, 10), due_at=due)
    reminded = [event(EventKind.REMINDED_DUE, cq(4, 8), due_at=to_text(due))]
    assert next_step_at(req, reminded, cq(4, 8, 1), POLICY) == due + TICK
    # Stored as text, it still sorts after the deadline and before any later instant.
    assert to_text(due) < to_text(due + TICK) < to_text(due + timedelta(milliseconds=1))


def test_an_unrated_resolved_request_closes_after_three_working_days() -> None:
    resolved = cq(4, 10)  # Friday; Monday, Tuesday and Wednesday are the three working days
    req = request(RequestStatus.RESOLVED, resolved_at=resolved)
    close = cq(9, 10)
    assert next_step_at(req, [], cq(4, 10, 1), POLICY) == close
    assert not plan(req, [], close - TICK, POLICY)
    assert [s.kind for s in plan(req, [], close, POLICY)] == ["auto_close"]
    assert_exact(req, [], [cq(4, 10, 1), cq(7, 9), cq(9, 9, 59)], [close])
    # Rated (closed) in the meantime: nothing left.
    rated = request(RequestStatus.CLOSED, resolved_at=resolved)
    assert next_step_at(rated, [], cq(5, 10), POLICY) is None


def test_a_reopened_request_is_chased_like_a_teams_offer_round_never_escalated() -> None:
    req = request(RequestStatus.REOPENED, resolved_at=cq(1, 10))
    events = [event(EventKind.REOPENED, ROUND, tier="holder", to="7", reason="没解决")]
    assert next_step_at(req, events, ROUND, POLICY) == ROUND + timedelta(minutes=30)
    kinds = [s.kind for s in plan(req, events, ROUND + timedelta(hours=2), POLICY)]
    assert kinds == ["remind_accept", "report_unaccepted"]
