"""The chase's plan, pure: which steps are due for a request now, and when its next one falls.

What each step is, and why the stored time stays right, is told in bot/services/sweep.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.clock import to_text
from bot.domain.kinds import EventKind
from bot.domain.kpis import OFFER_KINDS
from bot.domain.lifecycle import CLAIMABLE, WORKING
from bot.domain.models import Event, Request, RequestStatus
from bot.domain.routing import Tier
from bot.services.sla import (
    OVERDUE_CHASED,
    REMINDED_ACCEPT,
    REMINDED_DUE,
    UNACCEPTED_REPORTED,
    SlaPolicy,
)

# Each of these events offers the request to someone new and starts a new offer round.
ROUND_KINDS: frozenset[EventKind] = OFFER_KINDS | {EventKind.REASSIGNED, EventKind.REOPENED}

# Chase steps (each but ESCALATE and REPORT_UNACCEPTED named as the message it sends).
REMIND_ACCEPT = "remind_accept"
ESCALATE = "escalate"
REPORT_UNACCEPTED = "report_unaccepted"
REMIND_DUE = "remind_due"
OVERDUE = "overdue"
AUTO_CLOSE = "auto_close"


@dataclass(frozen=True)
class Step:
    """One chase step due for a request now."""

    kind: str
    round: int = 0
    waited: float = 0.0  # seconds into the offer round


def plan(request: Request, events: list[Event], now: datetime, policy: SlaPolicy) -> list[Step]:
    """The chase steps due for `request` at `now`, given its events (pure)."""
    if request.status in CLAIMABLE:
        return _plan_accept(events, now, policy)
    if request.status in WORKING:
        return _plan_resolve(request, events, now, policy)
    resolved = request.resolved_at
    unrated = request.status == RequestStatus.RESOLVED and resolved is not None
    if unrated and resolved is not None and now >= policy.auto_close_at(resolved):
        return [Step(AUTO_CLOSE)]
    return []


def _plan_accept(events: list[Event], now: datetime, policy: SlaPolicy) -> list[Step]:
    rounds = [e for e in events if e.kind in ROUND_KINDS]
    if not rounds:
        return []
    number, current = len(rounds), rounds[-1]
    waited = now - current.at
    seconds = waited.total_seconds()
    done = {(e.kind, e.payload.get("round")) for e in events}
    tier = current.payload.get("tier")
    if tier in (Tier.COMMISSIONER, Tier.COMMITTEE) and waited >= policy.accept_escalate_after:
        # The escalation supersedes a reminder a downtime kept from going out.
        return [Step(ESCALATE, number, seconds)]
    steps: list[Step] = []
    if waited >= policy.accept_remind_after and (REMINDED_ACCEPT, number) not in done:
        steps.append(Step(REMIND_ACCEPT, number, seconds))
    if (
        tier != Tier.SUPERVISORS
        and waited >= policy.accept_escalate_after
        and (UNACCEPTED_REPORTED, number) not in done
    ):
        steps.append(Step(REPORT_UNACCEPTED, number, seconds))
    return steps


def _plan_resolve(
    request: Request, events: list[Event], now: datetime, policy: SlaPolicy
) -> list[Step]:
    due = request.due_at
    if due is None:
        return []
    today = policy.local(now).date()
    due_day = policy.local(due).date()
    if now <= due:
        morning = policy.at_local(due_day, policy.due_reminder_time)
        reminded = any(
            e.kind == REMINDED_DUE and e.payload.get("due_at") == to_text(due) for e in events
        )
        accepted_before = request.accepted_at is None or request.accepted_at < morning
        if today == due_day and now >= morning and accepted_before and not reminded:
            return [Step(REMIND_DUE)]
        return []
    chased = any(
        e.kind == OVERDUE_CHASED and e.payload.get("day") == today.isoformat() for e in events
    )
    morning_now = policy.local(now).time() >= policy.due_reminder_time
    if not chased and (today == due_day or morning_now):
        return [Step(OVERDUE)]
    return []


# The smallest step of time an instant has (to_text keeps microseconds): "just after".
_TICK = timedelta(microseconds=1)


def next_step_at(
    request: Request, events: list[Event], now: datetime, policy: SlaPolicy
) -> datetime | None:
    """When `plan()` next has a step for `request` as it stands, or None if it never will (pure).

    `now` itself if a step is due now; otherwise the earliest candidate instant after `now` at
    which `plan()` returns a step. The candidates are every instant at which a step can become
    due while the request and its events stay as they are — an offer round's reminder and
    escalation times, the due-day morning, just after the deadline, and each local morning
    after it — and each is checked with `plan()` itself, so the two cannot disagree.
    """
    if plan(request, events, now, policy):
        return now
    later = sorted(t for t in _candidates(request, events, now, policy) if t > now)
    return next((t for t in later if plan(request, events, t, policy)), None)


def _candidates(
    request: Request, events: list[Event], now: datetime, policy: SlaPolicy
) -> list[datetime]:
    if request.status in CLAIMABLE:
        rounds = [e for e in events if e.kind in ROUND_KINDS]
        if not rounds:
            return []
        start = rounds[-1].at
        return [start + policy.accept_remind_after, start + policy.accept_escalate_after]
    if request.status in WORKING and request.due_at is not None:
        due = request.due_at
        due_day = policy.local(due).date()
        found = [policy.at_local(due_day, policy.due_reminder_time), due + _TICK]
        # Overdue: once a local day, from the morning. A day already chased moves it to the next
        # day's morning; the days chased are in the events, so this many mornings are enough.
        first = max(policy.local(now).date(), due_day)
        chased = sum(1 for e in events if e.kind == OVERDUE_CHASED)
        found += [
            policy.at_local(first + timedelta(days=d), policy.due_reminder_time)
            for d in range(chased + 2)
        ]
        return found
    if request.status == RequestStatus.RESOLVED and request.resolved_at is not None:
        return [policy.auto_close_at(request.resolved_at)]
    return []
