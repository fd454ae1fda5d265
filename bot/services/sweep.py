"""The chase: accept reminders, escalation, due and overdue reminders, the digest — from the DB.

The scheduler calls `Sweep.run(now)` every ONCALL_SLA__CHECK_INTERVAL seconds. Nothing is
kept in memory between runs: what is due is derived from the request rows and their events,
and every step writes an event naming what it did (a reminder for offer round 2, the overdue
chase of 25 November, the digest of 25 November), so a step is never repeated — not by a
second run, not after a restart — and after downtime a run does each due step once, for now
(no stale reminder per missed tick; an escalation that is due supersedes the reminder before it).

The plan itself (which steps are due, when the next falls) is pure: bot/services/chase_plan.py.

Chasing by index: a run does not look at every open request. Each request row stores
``next_step_at``, the instant its next chase step falls due, and a run reads (on the reader
connection, through the partial index ``requests_next_step``) only the ids with
``next_step_at <= now``, then plans each of them in its own short write transaction: plan at
`now`, take the due steps, and store the exact time of the next step (`next_step_at()`, NULL
when nothing is left to chase). A run's cost is that of what is due, not of what is open.

How the stored time stays right: the plan depends only on the request row (status, deadline,
acceptance) and its events, and the steps' own events are written by this module. Every storage
write that changes a request's status, holder, offers or deadline (submit, dispatch, accept,
decline, resolve, rate/close, reassign, reopen, cancel, an approved extension) sets
``next_step_at`` to the epoch — "plan at once" — in the same statement, so in the same
transaction as the change; the next run plans it and stores the exact time. This is chosen over
computing the time in each use case because it cannot be forgotten by a new use case that goes
through those storage methods, keeps the planning rules in one place (here), and costs one
extra planning of the changed request, at most one interval later. Nothing is chased late:
`next_step_at()` is the earliest instant at which `plan()` has a step (checked against `plan()`
itself), so a step due at T is taken by the first run at or after T, exactly as when every
open request was planned at every run. A run that fails on a request rolls back, leaving its
time due, so the next run tries again. Changing ONCALL_SLA__* settings applies to a request's
stored time when it is next planned (its next change or step).

Steps for a request waiting to be accepted, per offer round (a round starts with each
``dispatched``/``escalated``/``reassigned`` event: each time it is offered to someone new):

* ACCEPT_REMIND_AFTER into the round: remind whoever it is offered to (``reminded_accept``).
* ACCEPT_ESCALATE_AFTER into a commissioner's round: offer it to the category's team (or, if
  the team has nobody, the supervisors) with Accept buttons — first tap wins — and alert the
  supervisors; the commissioner's card says where it went.
* ACCEPT_ESCALATE_AFTER into a team's round (or a supervisor's reassignment): report to the
  supervisors that nobody has taken it (``unaccepted_reported``); the offer stands.

Steps for a reopened request (a ``reopened`` event starts an offer round to its last holder,
tier ``holder``): the reminder and the report to the supervisors, as for a team's round.

Steps for a request being worked on:

* On the local morning its deadline falls due (from DUE_REMINDER_TIME, before the deadline):
  remind the holder (``reminded_due``), unless they accepted it that morning.
* Once overdue, once a local day (the day it falls due at once, later days from
  DUE_REMINDER_TIME): remind the holder and report it to the supervisors (``overdue_chased``).

Step for a resolved request (ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS working days after its
resolution, nobody having rated it): it closes by itself (``closed``, auto true; the owner is
told) — see bot.services.aftercare.

The digest: from ONCALL_DIGEST__TIME, if no ``digest_sent`` event exists for the local date,
send it to every supervisor on Telegram (late, once, if the bot was down at that time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time

from bot.domain.clock import to_text
from bot.domain.kinds import MessageKind
from bot.domain.kpis import days_late
from bot.domain.lifecycle import WORKING
from bot.domain.models import Message, Request
from bot.domain.routing import Tier
from bot.services.chase_plan import (
    AUTO_CLOSE,
    ESCALATE,
    OVERDUE,
    REMIND_ACCEPT,
    REMIND_DUE,
    REPORT_UNACCEPTED,
    ROUND_KINDS,
    Step,
    next_step_at,
    plan,
)
from bot.services.desk import Desk
from bot.services.digest import DigestService
from bot.services.ports import Transaction
from bot.services.sla import (
    ACCEPT_TIMEOUT,
    DIGEST_SENT,
    OVERDUE_CHASED,
    REMINDED_ACCEPT,
    REMINDED_DUE,
    UNACCEPTED_REPORTED,
    SlaPolicy,
)
from bot.services.weekly import DigestExtras

# The plan's names, still importable from here (bench/sweep_index.py, tests/unit/test_next_step.py).
__all__ = [
    "AUTO_CLOSE",
    "ESCALATE",
    "OVERDUE",
    "REMIND_ACCEPT",
    "REMIND_DUE",
    "REPORT_UNACCEPTED",
    "ROUND_KINDS",
    "Step",
    "Sweep",
    "SweepReport",
    "next_step_at",
    "plan",
]

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What one run did (request ids per step), for logs and tests."""

    reminded_accept: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    unaccepted_reported: list[int] = field(default_factory=list)
    reminded_due: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    auto_closed: list[int] = field(default_factory=list)
    digest_sent: bool = False
    weekly_sent: bool = False

    @property
    def chased(self) -> bool:
        """Whether any chase step (everything but the digest) was taken."""
        return bool(
            self.reminded_accept
            or self.escalated
            or self.unaccepted_reported
            or self.reminded_due
            or self.overdue
            or self.auto_closed
        )

    def __bool__(self) -> bool:
        return self.chased or self.digest_sent


class Sweep:
    """Runs every due chase step and the daily digest; each step is one transaction."""

    def __init__(self, desk: Desk, policy: SlaPolicy, digests: DigestService) -> None:
        self.desk = desk
        self.policy = policy
        self.digests = digests
        self.extras = DigestExtras(digests)

    async def run(self, now: datetime | None = None) -> SweepReport:
        """One sweep at `now` (normally the clock's now; events carry the clock's time)."""
        now = now or self.desk.clock.now()
        report = SweepReport()
        # Away periods whose date has come end first, so their requests are chased again.
        try:
            await self.desk.end_away_periods(now)
        except Exception:
            log.exception("ending away periods failed")
        # Read off the write lock; each due request is then planned in its own transaction.
        async with self.desk.db.read() as tx:
            due = await tx.requests_due(now)
        for request_id in due:
            try:
                await self._chase(request_id, now, report)
            except Exception:  # one broken request must not stop the others
                log.exception("chasing #%s failed", request_id)
        await self._digest(now, report)
        if report:
            log.info("sweep at %s: %s", to_text(now), report)
        return report

    async def __call__(self, now: datetime | None = None) -> SweepReport:
        return await self.run(now)

    async def _chase(self, request_id: int, now: datetime, report: SweepReport) -> None:
        desk = self.desk
        async with desk.unit() as tx:
            request = await tx.request(request_id)
            if request is None:
                return
            # Planned again inside the transaction: a concurrent run or a tap may have won.
            events = await tx.events(request_id)
            steps = plan(request, events, now, self.policy)
            if steps and await self._away(tx, request):
                # The away person is not chased (the supervisors have their requests); the
                # request is planned again when they are back (replan_requests_of).
                steps = [s for s in steps if s.kind == ESCALATE]
                if not steps:
                    await tx.set_next_step(request_id, None)
                    return
            for step in steps:
                if step.kind == ESCALATE:
                    await self._escalate(tx, request, step)
                    report.escalated.append(request_id)
                elif step.kind == REMIND_ACCEPT:
                    await self._remind_accept(tx, request, step)
                    report.reminded_accept.append(request_id)
                elif step.kind == REPORT_UNACCEPTED:
                    await self._report_unaccepted(tx, request, step)
                    report.unaccepted_reported.append(request_id)
                elif step.kind == REMIND_DUE:
                    await self._remind_due(tx, request)
                    report.reminded_due.append(request_id)
                elif step.kind == OVERDUE:
                    await self._overdue(tx, request, now)
                    report.overdue.append(request_id)
                elif step.kind == AUTO_CLOSE:
                    days = self.policy.auto_close_working_days
                    if await desk.auto_close(tx, request, days):
                        report.auto_closed.append(request_id)
            if steps:
                # The steps changed the request (an escalation) or its events: plan what is next.
                request = await tx.request(request_id)
                if request is None:
                    return
                events = await tx.events(request_id)
            await tx.set_next_step(request_id, next_step_at(request, events, now, self.policy))

    async def _away(self, tx: Transaction, request: Request) -> bool:
        """Whether the person(s) a chase would go to are all away."""
        if request.status in WORKING:
            holder = await tx.person(request.holder_id) if request.holder_id else None
            return holder is not None and holder.away
        offered = await self.desk.people_of(tx, await tx.offered(request.id))
        return bool(offered) and all(p.away for p in offered)

    async def _remind_accept(self, tx: Transaction, request: Request, step: Step) -> None:
        desk = self.desk
        offered = await desk.people_of(tx, await tx.offered(request.id))
        await desk.notify(tx, offered, MessageKind.REMIND_ACCEPT, request, waited=int(step.waited))
        await desk.record(
            tx,
            request.id,
            None,
            REMINDED_ACCEPT,
            round=step.round,
            to=",".join(str(p.id) for p in offered),
            waited=int(step.waited),
        )

    async def _escalate(self, tx: Transaction, request: Request, step: Step) -> None:
        desk = self.desk
        before = set(await tx.offered(request.id))
        tier, recipients = await desk.dispatch(
            tx, request.id, None, request.status, start=Tier.TEAM, reason=ACCEPT_TIMEOUT
        )
        moved = await tx.request(request.id)
        gone = await desk.people_of(tx, sorted(before - {p.id for p in recipients}))
        # Their card loses its buttons and says where the request went.
        await desk.notify(
            tx,
            gone,
            MessageKind.TAKEN_AWAY,
            moved,
            edit_key="card",
            tier=tier.value,
            limit=int(self.policy.accept_escalate_after.total_seconds()),
        )

    async def _report_unaccepted(self, tx: Transaction, request: Request, step: Step) -> None:
        desk = self.desk
        offered = set(await tx.offered(request.id))
        watchers = [s for s in await desk.supervisors_of(tx) if s.id not in offered]
        await desk.notify(tx, watchers, MessageKind.UNACCEPTED, request, waited=int(step.waited))
        await desk.record(
            tx, request.id, None, UNACCEPTED_REPORTED, round=step.round, waited=int(step.waited)
        )

    async def _remind_due(self, tx: Transaction, request: Request) -> None:
        desk = self.desk
        assert request.due_at is not None
        holder = await tx.person(request.holder_id) if request.holder_id else None
        due = to_text(request.due_at)
        await desk.notify(tx, [holder], MessageKind.REMIND_DUE, request, due_at=due)
        await desk.record(tx, request.id, None, REMINDED_DUE, due_at=due)

    async def _overdue(self, tx: Transaction, request: Request, now: datetime) -> None:
        desk = self.desk
        assert request.due_at is not None
        holder = await tx.person(request.holder_id) if request.holder_id else None
        late = days_late(request.due_at, now)
        due = to_text(request.due_at)
        await desk.notify(tx, [holder], MessageKind.OVERDUE, request, due_at=due, days=late)
        supervisors = [s for s in await desk.supervisors_of(tx) if holder is None or s != holder]
        await desk.notify(
            tx,
            supervisors,
            MessageKind.OVERDUE_REPORT,
            request,
            due_at=due,
            days=late,
            holder=holder.name if holder else None,
        )
        await desk.record(
            tx,
            request.id,
            None,
            OVERDUE_CHASED,
            day=self.policy.local(now).date().isoformat(),
            days_late=late,
            due_at=due,
        )

    # ---- the daily digest ----------------------------------------------------------------

    async def _digest_due(self, tx: Transaction, now: datetime) -> bool:
        local = self.policy.local(now)
        if local.time() < self.policy.digest_time:
            return False
        today = local.date()
        midnight = self.policy.at_local(today, time(0))
        sent = await tx.events_of_kind(DIGEST_SENT, midnight)
        return not any(e.payload.get("date") == today.isoformat() for e in sent)

    async def _digest(self, now: datetime, report: SweepReport) -> None:
        desk = self.desk
        async with desk.db.read() as tx:  # checked off the write lock; again inside the unit
            if not await self._digest_due(tx, now):
                return
        today = self.policy.local(now).date()
        # The chart's series and the weekly figures: read here, off the write lock.
        extras = await self.extras.prepare(today, now)
        async with desk.unit() as tx:
            if not await self._digest_due(tx, now):
                return
            supervisors = [s for s in await desk.supervisors_of(tx) if s.address is not None]
            if not supervisors:
                # Nobody to read it yet: it goes out once a supervisor has an address.
                return
            today = self.policy.local(now).date()
            digest = await self.digests.build(tx, today, now)
            for person in supervisors:
                assert person.address is not None
                message = Message(
                    recipient_id=person.id,
                    kind=MessageKind.DIGEST,
                    params={"digest": digest.model_dump_json()},
                )
                await tx.enqueue(message, person.address, desk.clock.now())
            await desk.record(
                tx, None, None, DIGEST_SENT, date=today.isoformat(), recipients=len(supervisors)
            )
            report.weekly_sent = await self.extras.enqueue(desk, tx, supervisors, extras, today)
            report.digest_sent = True
