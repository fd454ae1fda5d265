"""The supervisors' daily digest, /stats and /overdue: figures from the report queries (ports)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain import kpis
from bot.domain.kpis import Digest, OverdueLine, UnreachableLine
from bot.services.ports import Clock, Transaction, UnitOfWork
from bot.services.sla import SlaPolicy

# The county total's group in every report figure.
COUNTY = ""


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
        yesterday = kpis.day_period(day, tz)
        month = kpis.month_to_date(day, tz)
        as_of = self.as_of(report_date, now)
        within = self.policy.accept_remind_after
        calendar = self.policy.calendar
        years = calendar.unconfirmed_years(kpis.calendar_years(report_date))
        return Digest(
            report_date=report_date,
            day=day,
            month_start=day.replace(day=1),
            as_of=as_of,
            accept_within_seconds=within.total_seconds(),
            counts=(await tx.report_counts(yesterday))[COUNTY],
            day_rates=(await tx.report_rates(yesterday, within))[COUNTY],
            month_rates=(await tx.report_rates(month, within))[COUNTY],
            overdue=tuple(await tx.report_overdue(as_of)),
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
            counts = (await tx.report_counts(period))[COUNTY]
            rates = (await tx.report_rates(period, self.policy.accept_remind_after))[COUNTY]
        return period, counts, rates

    async def overdue_now(self) -> list[OverdueLine]:
        """Requests being worked on past their deadline right now, most late first."""
        now = self.clock.now()
        async with self.db.read() as tx:
            return await tx.report_overdue(now)

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
