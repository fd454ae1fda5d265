"""The export's Figures sheet: per team and per commissioner, exactly as /stats attributes them.

The figures are the report engine's (the same queries /stats reads, ``report_counts`` by
``Cut.TEAM`` and ``Cut.COMMISSIONER``) over the export's period, clamped to now as /stats
clamps it: a request counts for the person who first resolved it, else the one holding it,
and for that person's team (README "Figures by cut"); "(none)" gathers the rest. Overdue is
counted at the period's end (now for a period that reaches today).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.domain.kpis import Counts, Cut, Period
from bot.domain.models import Catalog, Person
from bot.i18n import labels, translator

Cell = str | int | float | datetime | None
# The earliest instant an open-ended export starts from.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


FIGURE_COLUMNS = (
    N_("Cut"),
    N_("Name"),
    N_("Received"),
    N_("Accepted"),
    N_("Resolved"),
    N_("Overdue at the period's end"),
)


class FigureSource(Protocol):
    """The report reads the Figures sheet needs (a read transaction, or the export's reads)."""

    async def report_counts(
        self, period: Period, by: Cut = Cut.COUNTY, overdue: bool = True
    ) -> dict[str, Counts]: ...

    async def person(self, person_id: int) -> Person | None: ...


def period_of(since: datetime | None, until: datetime | None, now: datetime) -> Period:
    """The export's [since, until), as /stats takes a period: up to this instant at most."""
    start = since or EPOCH
    end = min(until, now + timedelta(microseconds=1)) if until else now + timedelta(microseconds=1)
    return Period(start, max(start, end))


async def figure_lines(
    source: FigureSource,
    catalog: Catalog,
    lang: str,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> list[list[Cell]]:
    """One line per team and per commissioner: cut, name, received, accepted, resolved, overdue."""
    _ = translator(lang)
    period = period_of(since, until, now)
    out: list[list[Cell]] = []
    for cut, title in ((Cut.TEAM, _("Team")), (Cut.COMMISSIONER, _("Commissioner"))):
        named: list[tuple[str, Counts]] = []
        for key, c in (await source.report_counts(period, cut)).items():
            if not key:
                name = _("(none)")
            elif cut is Cut.TEAM:
                name = labels.team_label(catalog, key, lang)
            else:
                person = await source.person(int(key)) if key.isdigit() else None
                name = person.name if person else f"#{key}"
            named.append((name, c))
        for name, c in sorted(named, key=lambda pair: (pair[0] == _("(none)"), pair[0])):
            out.append([title, name, c.received, c.accepted, c.resolved, c.overdue])
    return out
