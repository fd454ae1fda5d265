"""The supervisors' daily digest and overdue list, computed from the event log (bot.domain.kpis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain import kpis
from bot.domain.kpis import Digest, OverdueLine, UnreachableLine
from bot.services.ports import Clock, Transaction, UnitOfWork
from bot.services.sla import SlaPolicy


class DigestService:
    """Builds the digest for a report date; sending it once a day is the sweep's job."""

    def __init__(self, db: UnitOfWork, clock: Clock, policy: SlaPolicy) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy

    def today(self, now: datetime | None = None) -> date:
        return self.policy.local(now or self.clock.now()).date()

    def as_of(self, report_date: date, now: datetime) -> datetime:
        """The overdue list's instant: now for today, the digest time of a past report date."""
        if report_date >= self.today(now):
            return now
        return min(now, self.policy.at_local(report_date, self.policy.digest_time))

    async def for_date(self, report_date: date | None = None) -> Digest:
        """The digest of `report_date` (default today), as of now."""
        now = self.clock.now()
        async with self.db.read() as tx:
            return await self.build(tx, report_date or self.today(now), now)

    async def build(self, tx: Transaction, report_date: date, now: datetime) -> Digest:
        tz = self.policy.tz
        day = report_date - timedelta(days=1)
        month = kpis.month_to_date(day, tz)
        as_of = self.as_of(report_date, now)
        lines = kpis.timelines(await tx.report_events(min(month.start, as_of)))
        overdue = await self._named(tx, kpis.overdue_at(lines.values(), as_of))
        calendar = self.policy.calendar
        years = calendar.unconfirmed_years(kpis.calendar_years(report_date))
        return Digest(
            report_date=report_date,
            day=day,
            month_start=day.replace(day=1),
            as_of=as_of,
            accept_within_seconds=self.policy.accept_remind_after.total_seconds(),
            counts=kpis.counts(lines.values(), kpis.day_period(day, tz)),
            day_rates=kpis.rates(
                lines.values(), kpis.day_period(day, tz), self.policy.accept_remind_after
            ),
            month_rates=kpis.rates(lines.values(), month, self.policy.accept_remind_after),
            overdue=tuple(overdue),
            unconfirmed_years=tuple(years),
            calendar_file=calendar.calendar_file if years else "",
            unreachable=tuple(await self._unreachable(tx)),
        )

    async def month_so_far(self) -> tuple[kpis.Period, kpis.Counts, kpis.Rates]:
        """This month's figures from the 1st up to now (the answer to /stats)."""
        now = self.clock.now()
        month = kpis.month_to_date(self.today(now), self.policy.tz)
        # Periods are half-open; what happened at this very instant belongs to "so far".
        period = kpis.Period(month.start, now + timedelta(microseconds=1))
        async with self.db.read() as tx:
            lines = kpis.timelines(await tx.report_events(month.start))
        return (
            period,
            kpis.counts(lines.values(), period),
            kpis.rates(lines.values(), period, self.policy.accept_remind_after),
        )

    async def overdue_now(self) -> list[OverdueLine]:
        """Requests being worked on past their deadline right now, most late first."""
        now = self.clock.now()
        async with self.db.read() as tx:
            lines = kpis.timelines(await tx.report_events(now))
            return await self._named(tx, kpis.overdue_at(lines.values(), now))

    async def _unreachable(self, tx: Transaction) -> list[UnreachableLine]:
        """Who cannot be reached in the chat now (issue 7), longest first."""
        return [
            UnreachableLine(
                name=person.name,
                phone=person.phone,
                roles=tuple(sorted(r.value for r in person.roles)),
                since=self.policy.local(since).date(),
            )
            for person, since in await tx.unreachable_people()
        ]

    async def _named(self, tx: Transaction, items: list[kpis.Overdue]) -> list[OverdueLine]:
        out: list[OverdueLine] = []
        for item in items:
            request = await tx.request(item.request_id)
            enterprise = await tx.enterprise(request.enterprise_id) if request else None
            holder = await tx.person(item.holder_id) if item.holder_id else None
            out.append(
                OverdueLine(
                    request_id=item.request_id,
                    enterprise=enterprise.name if enterprise else "—",
                    holder=holder.name if holder else "—",
                    due_at=item.due_at,
                    days_late=item.days_late,
                )
            )
        return out
