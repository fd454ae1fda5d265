"""The supervisors' daily digest, /stats and /overdue: figures from the report queries (ports)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain import kpis
from bot.domain.kpis import (
    OVERDUE_SHOWN,
    Cut,
    DayPoint,
    Digest,
    OverduePage,
    RankLine,
    UnreachableLine,
)
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
            # The first lines a chat shows and the count of all (never every line).
            overdue=tuple(await tx.report_overdue(as_of, OVERDUE_SHOWN)),
            overdue_total=await tx.report_overdue_count(as_of),
            unconfirmed_years=tuple(years),
            calendar_file=calendar.calendar_file if years else "",
            unreachable=tuple(await self._unreachable(tx)),
            **await self._ranks(tx, month),
            low_ratings=tuple(await tx.report_low_ratings(yesterday)),
        )

    async def _ranks(self, tx: Transaction, month: kpis.Period) -> dict[str, tuple[RankLine, ...]]:
        """The best and worst three commissioners and teams by this month's resolution rate
        (both cuts from one read of the month's deadlines)."""
        found: dict[str, tuple[RankLine, ...]] = {}
        by_cut = await tx.report_resolution(month, (Cut.COMMISSIONER, Cut.TEAM))
        for cut, name in ((Cut.COMMISSIONER, "commissioners"), (Cut.TEAM, "teams")):
            rates = by_cut.get(cut, {})
            top, bottom = kpis.ranked(rates)
            for which, keys in (("top", top), ("bottom", bottom)):
                lines = []
                for k in keys:
                    person = await tx.person(int(k)) if cut is Cut.COMMISSIONER else None
                    lines.append(RankLine(key=k, name=person.name if person else k, rate=rates[k]))
                found[f"{which}_{name}"] = tuple(lines)
        return found

    async def series(self, report_date: date, days: int = 30) -> list[DayPoint]:
        """The county's figures of each of the `days` local days before `report_date`."""
        tz, within = self.policy.tz, self.policy.accept_remind_after
        points = []
        async with self.db.read() as tx:
            for back in range(days, 0, -1):
                day = report_date - timedelta(days=back)
                period = kpis.day_period(day, tz)
                c = (await tx.report_counts(period, overdue=False))[COUNTY]
                r = (await tx.report_rates(period, within))[COUNTY]
                points.append(
                    DayPoint(
                        day=day,
                        received=c.received,
                        resolved=c.resolved,
                        response=r.response.value,
                        resolution=r.resolution.value,
                        satisfaction=r.satisfaction.value,
                    )
                )
        return points

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

    async def overdue_now(self, shown: int = OVERDUE_SHOWN) -> OverduePage:
        """The first `shown` requests being worked on past their deadline right now (most late
        first) and how many there are in all."""
        now = self.clock.now()
        async with self.db.read() as tx:
            lines = await tx.report_overdue(now, shown)
            total = await tx.report_overdue_count(now)
        return OverduePage(lines=tuple(lines), total=max(total, len(lines)))

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
