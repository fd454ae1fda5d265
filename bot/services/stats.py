"""/stats: the figures of a period by cut, from the report queries (definitions: README.md).

Supervisors get any cut and the county total; a commissioner gets their own figures only
(the commissioner cut's row that is theirs); an industry committee member the rows of the chain
cut that are their chains' (every request of those chains' enterprises), never the county's.
Reports run on the reader (never the write lock).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from bot.domain import kpis
from bot.domain.kpis import Counts, Cut, Durations, Figures, Period, Rates, Tally
from bot.domain.models import Person, Role
from bot.domain.periods import StatsAsk
from bot.services.errors import Refusal, Refused
from bot.services.ports import Clock, Transaction, UnitOfWork
from bot.services.sla import SlaPolicy

COUNTY = ""
# Cuts keyed by a person's id (shown by name).
PERSON_CUTS = frozenset({Cut.COMMISSIONER})
EMPTY_RATES = Rates(
    response=kpis.Rate(hits=0, total=0),
    resolution=kpis.Rate(hits=0, total=0),
    satisfaction=kpis.Rate(hits=0, total=0),
    mtta_seconds=None,
    mttr_seconds=None,
)
EMPTY_COUNTS = Counts(received=0, accepted=0, resolved=0, escalated=0, overdue=0)


class StatsRow(BaseModel):
    """Every figure of one group of a cut (key: the group; name: how to show it)."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str = ""
    counts: Counts = EMPTY_COUNTS
    rates: Rates = EMPTY_RATES
    durations: Durations = Durations()
    tally: Tally = Tally()


class StatsReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    first: date
    last: date
    start: datetime
    end: datetime
    by: Cut
    accept_within_seconds: float
    total: StatsRow
    rows: tuple[StatsRow, ...] = ()
    # Resolved in the period by whom the credit goes to (kpis.CREDIT_*): the seed's headline.
    credit: dict[str, int] = {}
    # Only the asker's own figures (a commissioner).
    own: bool = False
    # Only these chains' figures, one row each (an industry committee member); no county total.
    chains: tuple[str, ...] = ()
    chain_only: bool = False


class StatsService:
    def __init__(self, db: UnitOfWork, clock: Clock, policy: SlaPolicy) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy

    def today(self) -> date:
        return self.policy.local(self.clock.now()).date()

    def period_of(self, ask: StatsAsk, now: datetime) -> Period:
        """Local days first..last; up to this instant when the period reaches now."""
        tz = self.policy.tz
        start = kpis.day_period(ask.first, tz).start
        end = min(kpis.day_period(ask.last, tz).end, now + timedelta(microseconds=1))
        return Period(start, max(start, end))

    async def report(self, ask: StatsAsk, asker: Person) -> StatsReport:
        """The figures `asker` may see for `ask` (supervisors: all; commissioners: theirs;
        committee members: their chains'; a commissioner on a committee asking `by chain`)."""
        chains: tuple[str, ...] = ()
        chain_only = False
        if asker.has(Role.SUPERVISOR):
            own = False
        elif asker.has(Role.COMMITTEE) and (
            ask.by is Cut.CHAIN or not asker.has(Role.COMMISSIONER)
        ):
            own = False
            chain_only = True  # even with no chain on file: then nothing, never the county
            chains = tuple(sorted(asker.chains))
            ask = ask.model_copy(update={"by": Cut.CHAIN})
        elif asker.has(Role.COMMISSIONER):
            own = True
            ask = ask.model_copy(update={"by": Cut.COMMISSIONER})
        else:
            raise Refused(Refusal.NOT_ALLOWED)
        now = self.clock.now()
        period = self.period_of(ask, now)
        async with self.db.read() as tx:
            # The cut's groups and the county's total (and the headline) in one read.
            figures = await tx.report_figures(period, self.policy.accept_remind_after, ask.by)
            total = _row(COUNTY, figures.total)
            rows = [_row(k, f) for k, f in figures.groups.items()]
            credit = figures.credit
            if ask.by in PERSON_CUTS:
                rows = await self._named(tx, rows)
        if own:
            mine = next((r for r in rows if r.key == str(asker.id)), None)
            total = mine or StatsRow(key=str(asker.id))
            rows = []
        if chain_only:
            # The county's figures are the supervisors': a member sees their chains' rows only.
            found = {r.key: r for r in rows}
            rows = [found.get(c) or StatsRow(key=c) for c in chains]
            total = StatsRow(key=COUNTY)
            credit = {}
        return StatsReport(
            first=ask.first,
            last=ask.last,
            start=period.start,
            end=period.end,
            by=ask.by,
            accept_within_seconds=self.policy.accept_remind_after.total_seconds(),
            total=total,
            rows=tuple(rows),
            credit={k: n for k, n in credit.items() if k and n},
            own=own,
            chains=chains,
            chain_only=chain_only,
        )

    async def _named(self, tx: Transaction, rows: list[StatsRow]) -> list[StatsRow]:
        """The rows with their people's names (read in one statement)."""
        names = await tx.names_of(int(r.key) for r in rows if r.key.isdigit())
        return [
            r.model_copy(update={"name": names.get(int(r.key), "") if r.key.isdigit() else ""})
            for r in rows
        ]


def _row(key: str, figures: Figures) -> StatsRow:
    return StatsRow(
        key=key,
        counts=figures.counts,
        rates=figures.rates,
        durations=figures.durations,
        tally=figures.tally,
    )
