"""The report figures (from the per-request facts) and retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.kpis import (
    Counts,
    Cut,
    CutFigures,
    Durations,
    LowRating,
    OverdueLine,
    Period,
    Rate,
    Rates,
    Tally,
)


class ReportRepository(Protocol):
    """Report figures computed by indexed queries (definitions: bot.domain.kpis).

    Each groups by a cut (the county total is the one group ""); run them in `read()`.
    """

    async def report_counts(
        self, period: Period, by: Cut = Cut.COUNTY, overdue: bool = True
    ) -> dict[str, Counts]:
        """Received, accepted, resolved, escalated in `period`; overdue at its last instant."""
        ...

    async def report_rates(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> dict[str, Rates]:
        """Response, resolution and satisfaction rates and MTTA/MTTR over `period`."""
        ...

    async def report_figures(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> CutFigures:
        """Every figure of `period` by the groups of `by` (none for the county), the county's
        total and the resolved by credit: what `/stats` shows, read once."""
        ...

    async def report_resolution(
        self, period: Period, cuts: Sequence[Cut]
    ) -> dict[Cut, dict[str, Rate]]:
        """The resolution rate over `period` by the groups of each of `cuts`."""
        ...

    async def report_durations(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Durations]:
        """Median and p90 of time to accept and to resolve over `period`."""
        ...

    async def report_resolved(self, period: Period, by: Cut) -> dict[str, int]:
        """Distinct requests with a resolution in `period`, by group."""
        ...

    async def report_tally(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Tally]:
        """Cancelled, reopened and resolved by outcome in `period`; open now."""
        ...

    async def report_low_ratings(self, period: Period, most: int = 2) -> list[LowRating]:
        """Ratings of at most `most` stars given in `period`, oldest first."""
        ...

    async def report_overdue(self, when: datetime, limit: int | None = None) -> list[OverdueLine]:
        """Requests being worked on past their deadline at `when`, most late first, named;
        the first `limit` of them (all without)."""
        ...

    async def report_overdue_count(self, when: datetime) -> int:
        """How many requests were being worked on past their deadline at `when`."""
        ...


class RetentionRepository(Protocol):
    """Pruning what is only kept for a while: handled updates, sent and failed messages."""

    async def prune_inbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` updates handled before `before` (never the newest one)."""
        ...

    async def prune_outbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` sent or failed messages queued and settled before `before`."""
        ...
