"""Report figures — counts, the three rates, MTTA/MTTR, overdue — computed from the event log alone.

Every figure is a pure function of the events (bot.domain.models.Event) of the requests
involved; nothing here reads the requests table, so a figure for a past day can be
recomputed at any time and gives the same answer.

Definitions (the county's time zone, ONCALL_TIMEZONE, draws every day boundary):

* A **period** is a half-open interval of instants [start, end). *Yesterday* is the local
  calendar day before the report date; *the month* runs from the first day of yesterday's
  month to the end of yesterday (so the digest on 1 December covers all of November).
* A request's **first offer** is its first ``dispatched`` or ``escalated`` event; its
  **first acceptance** its first ``accepted`` event; its **resolution** its first ``resolved``
  event; its **deadline** the ``due_at`` of the latest ``accepted`` or ``extension_approved``
  event before its resolution (so an approved extension replaces the deadline, and going back
  to the Accept stage clears it until someone accepts again).

Counts for a day:

* **received** — ``submitted`` events in the day.
* **accepted** — requests with an ``accepted`` event in the day.
* **resolved** — requests with a ``resolved`` event in the day.
* **escalated** — requests with an ``escalated`` event in the day, i.e. that went to the
  category's team or to the supervisors (the commissioner declined, was away or missing, or
  did not accept within ACCEPT_ESCALATE_AFTER).
* **overdue** — requests overdue at the end of the day: being worked on (accepted) with their
  deadline passed (a reopened request has no deadline until its holder accepts it again).
* **reopened** — requests with a ``reopened`` event in the day (their owner reopened them
  after resolution, 重办).
* **closed unrated** — requests closed in the day without a rating (a ``closed`` event with
  ``auto`` set: nobody rated them within ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS). They never
  count in the satisfaction rate, which reads ratings only.

Rates for a period (shown as hits/total; no total gives no rate, shown as "—"):

* **response rate** — of the requests first offered in the period (minus those cancelled
  before anyone accepted them), those first accepted no later than ACCEPT_REMIND_AFTER after
  their first offer. A request not accepted yet counts as not responded to.
* **resolution rate** — of the requests whose deadline falls in the period, those resolved
  at or before that deadline. An unresolved request counts as not resolved on time; one its
  owner withdrew before its deadline has no deadline any more (withdrawn late, it was late).
* **satisfaction rate** — of the ratings given in the period (``rated`` events), those of
  4 or 5 stars.
* **MTTA** (mean time to accept) — the mean of first acceptance − first offer over the
  requests first accepted in the period.
* **MTTR** (mean time to resolve) — the mean of resolution − submission over the requests
  resolved in the period.
* **Median and 90th percentile** of the same two durations over the same requests, by linear
  interpolation between the closest ranks (``statistics.quantiles(method="inclusive")``; the
  median of an even count is the mean of the middle two).

A **cut** groups the figures by one key of the request (its category, its enterprise's
industry or chain); the county total is the cut with the single key ``""``.

**Days late** of an overdue request at an instant: the number of started 24-hour periods
since its deadline (1 for anything up to a day late).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.clock import from_text

# The figures' data lives in bot.domain.figures; every name is re-exported here.
from bot.domain.figures import (
    CREDIT_COMMISSIONER,
    CREDIT_COMMITTEE,
    CREDIT_OTHER,
    CREDIT_TEAM,
    MIN_RANKED,
    OVERDUE_SHOWN,
    Counts,
    Cut,
    CutFigures,
    DayPoint,
    Digest,
    Durations,
    Figures,
    Frozen,
    LowRating,
    Overdue,
    OverdueLine,
    OverduePage,
    RankLine,
    Rate,
    Rates,
    Tally,
    UnreachableLine,
    ranked,
)
from bot.domain.kinds import EventKind
from bot.domain.models import Event, RequestStatus

# Re-exported: callers import the figures' data from kpis as before the split.
__all__ = [
    "CREDIT_COMMISSIONER",
    "CREDIT_COMMITTEE",
    "CREDIT_OTHER",
    "CREDIT_TEAM",
    "MIN_RANKED",
    "OVERDUE_SHOWN",
    "Counts",
    "Cut",
    "CutFigures",
    "DayPoint",
    "Digest",
    "Durations",
    "Figures",
    "Frozen",
    "LowRating",
    "Overdue",
    "OverdueLine",
    "OverduePage",
    "RankLine",
    "Rate",
    "Rates",
    "Tally",
    "UnreachableLine",
    "ranked",
]

# Event kinds the figures read (written by the services).
SUBMITTED = EventKind.SUBMITTED
DISPATCHED = EventKind.DISPATCHED
ESCALATED = EventKind.ESCALATED
ACCEPTED = EventKind.ACCEPTED
RESOLVED = EventKind.RESOLVED
RATED = EventKind.RATED
EXTENSION_APPROVED = EventKind.EXTENSION_APPROVED
REOPENED = EventKind.REOPENED
CLOSED = EventKind.CLOSED
OFFER_KINDS: frozenset[EventKind] = frozenset({DISPATCHED, ESCALATED})

_WORKING = frozenset({RequestStatus.ACCEPTED})
# Waiting for an Accept (a reopened request waits for its holder's): no deadline runs.
_CLAIMABLE = frozenset({RequestStatus.DISPATCHED, RequestStatus.ESCALATED, RequestStatus.REOPENED})


# ---- periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open interval of instants [start, end), both aware UTC."""

    start: datetime
    end: datetime

    def __contains__(self, when: object) -> bool:
        return isinstance(when, datetime) and self.start <= when < self.end


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_period(day: date, tz: ZoneInfo) -> Period:
    """The local calendar day `day`."""
    return Period(_midnight(day, tz), _midnight(day + timedelta(days=1), tz))


def month_to_date(day: date, tz: ZoneInfo) -> Period:
    """From the first of `day`'s month to the end of `day`."""
    return Period(_midnight(day.replace(day=1), tz), _midnight(day + timedelta(days=1), tz))


# ---- one request's history --------------------------------------------------------------


@dataclass
class Timeline:
    """One request's history folded from its events, oldest first."""

    request_id: int
    submitted_at: datetime | None = None
    first_offer_at: datetime | None = None
    first_accept_at: datetime | None = None
    resolved_at: datetime | None = None
    cancelled_before_accept: bool = False
    accepted_at: list[datetime] = field(default_factory=list)
    resolved: list[datetime] = field(default_factory=list)
    escalated_at: list[datetime] = field(default_factory=list)
    ratings: list[tuple[datetime, int]] = field(default_factory=list)
    reopened: list[datetime] = field(default_factory=list)
    closed_unrated: list[datetime] = field(default_factory=list)
    # (from, status), (from, deadline or None), (from, holder or None): step functions of time.
    statuses: list[tuple[datetime, RequestStatus]] = field(default_factory=list)
    deadlines: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    holders: list[tuple[datetime, int | None]] = field(default_factory=list)

    @staticmethod
    def _at(steps: Sequence[tuple[datetime, object]], when: datetime) -> object:
        value: object = None
        for since, v in steps:
            if since > when:
                break
            value = v
        return value

    def status_at(self, when: datetime) -> RequestStatus | None:
        value = self._at(self.statuses, when)
        return value if isinstance(value, RequestStatus) else None

    def deadline_at(self, when: datetime) -> datetime | None:
        value = self._at(self.deadlines, when)
        return value if isinstance(value, datetime) else None

    def holder_at(self, when: datetime) -> int | None:
        value = self._at(self.holders, when)
        return value if isinstance(value, int) else None

    @property
    def deadline(self) -> datetime | None:
        """The deadline that decides on-time resolution (the last one set before resolving)."""
        if self.resolved_at is None:
            return self.deadlines[-1][1] if self.deadlines else None
        return self.deadline_at(self.resolved_at)


def _due(event: Event) -> datetime | None:
    raw = event.payload.get("due_at")
    return from_text(raw) if isinstance(raw, str) and raw else None


def timelines(events: Iterable[Event]) -> dict[int, Timeline]:
    """Folds events (in log order) into one Timeline per request."""
    out: dict[int, Timeline] = {}
    for ev in events:
        if ev.request_id is None:
            continue
        t = out.setdefault(ev.request_id, Timeline(ev.request_id))
        if ev.to_status is not None and (not t.statuses or t.statuses[-1][1] != ev.to_status):
            t.statuses.append((ev.at, ev.to_status))
            if ev.to_status in _CLAIMABLE and t.deadlines and t.deadlines[-1][1] is not None:
                # Back at the Accept stage (reassigned): no deadline until someone accepts.
                t.deadlines.append((ev.at, None))
                t.holders.append((ev.at, None))
            if ev.to_status == RequestStatus.CANCELLED and t.first_accept_at is None:
                t.cancelled_before_accept = True
            elif ev.to_status == RequestStatus.CANCELLED and t.resolved_at is None:
                # Withdrawn by its owner while in work: no longer due, unless already late.
                due = t.deadlines[-1][1] if t.deadlines else None
                if due is not None and ev.at < due:
                    t.deadlines.append((ev.at, None))
        if ev.kind == SUBMITTED and t.submitted_at is None:
            t.submitted_at = ev.at
        elif ev.kind in OFFER_KINDS:
            if t.first_offer_at is None:
                t.first_offer_at = ev.at
            if ev.kind == ESCALATED:
                t.escalated_at.append(ev.at)
        elif ev.kind == ACCEPTED:
            t.accepted_at.append(ev.at)
            if t.first_accept_at is None:
                t.first_accept_at = ev.at
            t.deadlines.append((ev.at, _due(ev)))
            t.holders.append((ev.at, ev.actor_id))
        elif ev.kind == EXTENSION_APPROVED:
            if (due := _due(ev)) is not None:
                t.deadlines.append((ev.at, due))
        elif ev.kind == RESOLVED:
            t.resolved.append(ev.at)
            if t.resolved_at is None:
                t.resolved_at = ev.at
        elif ev.kind == REOPENED:
            t.reopened.append(ev.at)
        elif ev.kind == CLOSED and ev.payload.get("auto") is True:
            t.closed_unrated.append(ev.at)
        elif ev.kind == RATED:
            stars = ev.payload.get("stars")
            if isinstance(stars, int) and not isinstance(stars, bool):
                t.ratings.append((ev.at, stars))
    return out


# ---- figures ------------------------------------------------------------------------------


def days_late(due: datetime, when: datetime) -> int:
    """Started 24-hour periods since the deadline (at least 1 once it has passed)."""
    return max(1, math.ceil((when - due) / timedelta(days=1)))


def overdue_at(lines: Iterable[Timeline], when: datetime) -> list[Overdue]:
    """Requests being worked on whose deadline had passed at `when`, most late first."""
    out: list[Overdue] = []
    for t in lines:
        due = t.deadline_at(when)
        if t.status_at(when) in _WORKING and due is not None and due < when:
            out.append(
                Overdue(
                    request_id=t.request_id,
                    holder_id=t.holder_at(when),
                    due_at=due,
                    days_late=days_late(due, when),
                )
            )
    return sorted(out, key=lambda o: (o.due_at, o.request_id))


def counts(lines: Iterable[Timeline], period: Period) -> Counts:
    """The day's counts (see the module docstring); `period` is normally one local day."""
    lines = list(lines)
    return Counts(
        received=sum(1 for t in lines if t.submitted_at in period),
        accepted=sum(1 for t in lines if any(a in period for a in t.accepted_at)),
        resolved=sum(1 for t in lines if any(r in period for r in t.resolved)),
        escalated=sum(1 for t in lines if any(x in period for x in t.escalated_at)),
        overdue=len(overdue_at(lines, period.end - timedelta(microseconds=1))),
        reopened=sum(1 for t in lines if any(x in period for x in t.reopened)),
        closed_unrated=sum(1 for t in lines if any(x in period for x in t.closed_unrated)),
    )


def _mean(values: Sequence[timedelta]) -> float | None:
    if not values:
        return None
    return sum(v.total_seconds() for v in values) / len(values)


def rates(lines: Iterable[Timeline], period: Period, accept_within: timedelta) -> Rates:
    """The three rates and MTTA/MTTR over `period` (see the module docstring)."""
    lines = list(lines)
    offered = [t for t in lines if t.first_offer_at in period and not t.cancelled_before_accept]
    responded = [
        t
        for t in offered
        if t.first_accept_at is not None
        and t.first_offer_at is not None
        and t.first_accept_at - t.first_offer_at <= accept_within
    ]
    due = [t for t in lines if t.deadline in period]
    on_time = [
        t
        for t in due
        if t.resolved_at is not None and t.deadline is not None and t.resolved_at <= t.deadline
    ]
    rated = [stars for t in lines for at, stars in t.ratings if at in period]
    accepts = [
        t.first_accept_at - t.first_offer_at
        for t in lines
        if t.first_accept_at in period and t.first_accept_at and t.first_offer_at
    ]
    resolves = [
        t.resolved_at - t.submitted_at
        for t in lines
        if t.resolved_at in period and t.resolved_at and t.submitted_at
    ]
    return Rates(
        response=Rate(hits=len(responded), total=len(offered)),
        resolution=Rate(hits=len(on_time), total=len(due)),
        satisfaction=Rate(hits=sum(1 for s in rated if s >= 4), total=len(rated)),
        mtta_seconds=_mean(accepts),
        mttr_seconds=_mean(resolves),
    )


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile of sorted `values`, interpolating between the closest ranks."""
    if not values:
        return None
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def durations(lines: Iterable[Timeline], period: Period) -> Durations:
    """Median and p90 over the requests MTTA and MTTR are taken over (see the module docstring)."""
    lines = list(lines)
    accepts = sorted(
        (t.first_accept_at - t.first_offer_at).total_seconds()
        for t in lines
        if t.first_accept_at in period and t.first_accept_at and t.first_offer_at
    )
    resolves = sorted(
        (t.resolved_at - t.submitted_at).total_seconds()
        for t in lines
        if t.resolved_at in period and t.resolved_at and t.submitted_at
    )
    return Durations(
        accept_median_seconds=quantile(accepts, 0.5),
        accept_p90_seconds=quantile(accepts, 0.9),
        resolve_median_seconds=quantile(resolves, 0.5),
        resolve_p90_seconds=quantile(resolves, 0.9),
    )


def calendar_years(today: date) -> list[int]:
    """The years whose holiday schedule matters now: this year, and next year from December."""
    return [today.year, today.year + 1] if today.month == 12 else [today.year]
