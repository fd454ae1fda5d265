"""What goes out with the daily digest besides its text (issue 12).

Every day, right after the digest's text, each supervisor gets its chart (MessageKind.DIGEST_CHART:
the last 30 local days' received and resolved, and the three rates; the series is in the
params, the channel draws it at send time, off the event loop). Once per week, with the first
digest of the week (Monday's, unless the bot was down all Monday), the supervisors get the chart
by team of the week before (MessageKind.TEAM_CHART) and each commissioner a short summary of
their own open and overdue work (MessageKind.WEEK_SUMMARY). A ``weekly_sent`` event, recorded
in the same transaction as those outbox rows, keeps it to once a week across restarts, like
the digest's ``digest_sent``.

The figures are read before the digest's unit of work (on the reader, no write lock held).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.domain import kpis
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.kpis import Cut, DayPoint
from bot.domain.models import Message, Person, Role
from bot.services.context import ServiceContext
from bot.services.digest import DigestService
from bot.services.ports import Transaction

WEEKLY_SENT = EventKind.WEEKLY_SENT
CHART_DAYS = 30


@dataclass
class Prepared:
    """The figures the extras carry, read before the digest's unit of work."""

    points: list[DayPoint]
    week_start: date
    week_end: date  # included
    teams: dict[str, list[int]] = field(default_factory=dict)  # team → [received, resolved]
    # person id → (open, overdue) now
    own: dict[str, tuple[int, int]] = field(default_factory=dict)


class DigestExtras:
    def __init__(self, digests: DigestService) -> None:
        self.digests = digests
        self.policy = digests.policy

    def week_of(self, today: date) -> date:
        return today - timedelta(days=today.weekday())

    async def prepare(self, today: date, now: datetime) -> Prepared:
        points = await self.digests.series(today, CHART_DAYS)
        monday = self.week_of(today)
        start, end = monday - timedelta(days=7), monday - timedelta(days=1)
        tz = self.policy.tz
        prepared = Prepared(points, start, end)
        last_week = kpis.Period(kpis.day_period(start, tz).start, kpis.day_period(end, tz).end)
        instant = kpis.Period(now, now + timedelta(microseconds=1))
        async with self.digests.db.read() as tx:
            teams = await tx.report_counts(last_week, Cut.TEAM, overdue=False)
            prepared.teams = {k: [c.received, c.resolved] for k, c in teams.items()}
            overdue = await tx.report_counts(instant, Cut.COMMISSIONER)
            tally = await tx.report_tally(instant, Cut.COMMISSIONER)
        for k in set(overdue) | set(tally):
            if k:
                prepared.own[k] = (
                    tally[k].open_now if k in tally else 0,
                    overdue[k].overdue if k in overdue else 0,
                )
        return prepared

    async def weekly_due(self, tx: Transaction, today: date) -> bool:
        monday = self.week_of(today)
        since = self.policy.at_local(monday, time(0))
        sent = await tx.events_of_kind(WEEKLY_SENT, since)
        return not any(e.payload.get("week") == monday.isoformat() for e in sent)

    async def enqueue(
        self,
        ctx: ServiceContext,
        tx: Transaction,
        supervisors: list[Person],
        prepared: Prepared,
        today: date,
    ) -> bool:
        """The chart after each supervisor's digest; the weekly rows once a week. Returns
        whether the weekly ones went out now."""
        now = ctx.clock.now()
        points = json.dumps([p.model_dump(mode="json") for p in prepared.points])
        for person in supervisors:
            assert person.address is not None
            chart = Message(
                recipient_id=person.id, kind=MessageKind.DIGEST_CHART, params={"points": points}
            )
            await tx.enqueue(chart, person.address, now)
        if not await self.weekly_due(tx, today):
            return False
        teams = json.dumps(prepared.teams, ensure_ascii=False)
        week = {"start": prepared.week_start.isoformat(), "end": prepared.week_end.isoformat()}
        for person in supervisors:
            assert person.address is not None
            message = Message(
                recipient_id=person.id,
                kind=MessageKind.TEAM_CHART,
                params={"teams": teams, **week},
            )
            await tx.enqueue(message, person.address, now)
        told = 0
        for person in await tx.people_with_role(Role.COMMISSIONER):
            if person.address is None or not person.has(Role.COMMISSIONER):
                continue
            open_now, overdue = prepared.own.get(str(person.id), (0, 0))
            summary = Message(
                recipient_id=person.id,
                kind=MessageKind.WEEK_SUMMARY,
                params={"open": open_now, "overdue": overdue},
            )
            await tx.enqueue(summary, person.address, now)
            told += 1
        await ctx.record(
            tx,
            None,
            None,
            WEEKLY_SENT,
            week=self.week_of(today).isoformat(),
            recipients=len(supervisors) + told,
        )
        return True
