"""Reports in SQL: the figures of a period, by cut, over the report facts and the event log.

Which: per-request facts maintained in the same transaction as the events (report_facts.py;
the event log stays the source of truth and rebuilds them); overdue lines and counts in
report_overdue.py; the cuts' keys in report_cuts.py.

Figures (definitions in kpis and README.md):

* counts of a period — received from ``request_facts.submitted_us``; accepted, resolved,
  escalated, reopened and auto-closed as distinct requests with such an event in the period,
  from the marks (``report_marks``, 0016: one per such event, with the request's cut keys);
* response, resolution and MTTA/MTTR (and their median and p90) — one covering-index range
  of ``request_facts`` each;
* satisfaction — the ratings of the period: table ``ratings``, one row per ``rated`` event
  with integer stars, kept with the event like the facts (covering index ``ratings_at``);
* overdue at an instant — requests whose facts say "being worked on, deadline passed" and
  that have no event after the instant (``facts_work_due``), plus the few requests with events
  after it, whose state at that instant is folded from their events (for "now" there are
  none).

Every figure can be grouped by a cut (kpis.Cut: category, industry, chain; and, attributed to
people from the facts' first resolver or current holder, commissioner, team, committee and
credit — README "Figures by cut"); the county total is the group "". ``report_tally`` adds
cancelled, reopened, resolved by outcome and open now. ``report_figures`` (report_figures.py)
reads all of them for a cut and the county at once (`/stats`). Reports run on the reader
connection (Database.read()), never the writer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.domain.kinds import EventKind
from bot.domain.kpis import Counts, Cut, Durations, LowRating, Period, Rate, Rates, Tally
from bot.storage.sqlite.report_cuts import KEYS, OPEN, WHO, counts_sql, facts_from, ratings_from
from bot.storage.sqlite.report_facts import US, us
from bot.storage.sqlite.report_figures import MARKED_IN, FiguresSql


class ReportsSql(FiguresSql):
    """The event log, its report projection and the report queries."""

    async def report_counts(
        self, period: Period, by: Cut = Cut.COUNTY, overdue: bool = True
    ) -> dict[str, Counts]:
        """Received, accepted, resolved, escalated in `period`; overdue at its last instant
        (0 without `overdue`: that one folds the events of whatever changed since then)."""
        key = KEYS[by]
        lo, hi = us(period.start), us(period.end)
        received = await self._grouped(
            f"SELECT {key} AS k, COUNT(*) FROM {facts_from(by)} "
            "WHERE f.submitted_us >= ? AND f.submitted_us < ?",
            (lo, hi),
            by,
        )
        per_kind: dict[str, dict[str, int]] = defaultdict(dict)
        for r in await self._all(counts_sql(key, MARKED_IN), (lo, lo, hi)):
            per_kind[str(r["kind"])][str(r["k"] or "")] = int(r["n"])
        late = await self._overdue_counts(period.end - US, by) if overdue else {}
        keys = {""} if by is Cut.COUNTY else set(received)
        keys |= {k for d in per_kind.values() for k in d} | set(late)
        return {
            k: Counts(
                received=int(received.get(k, (0,))[0]),
                accepted=per_kind[EventKind.ACCEPTED.value].get(k, 0),
                resolved=per_kind[EventKind.RESOLVED.value].get(k, 0),
                escalated=per_kind[EventKind.ESCALATED.value].get(k, 0),
                overdue=late.get(k, 0),
                reopened=per_kind[EventKind.REOPENED.value].get(k, 0),
                closed_unrated=per_kind[EventKind.CLOSED.value].get(k, 0),
            )
            for k in sorted(keys)
        }

    async def report_resolved(self, period: Period, by: Cut) -> dict[str, int]:
        """Distinct requests with a resolution in `period`, by group (the headline's figure)."""
        rows = await self._all(
            counts_sql(KEYS[by]),
            (us(period.start), EventKind.RESOLVED.value, us(period.start), us(period.end)),
        )
        return {str(r["k"] or ""): int(r["n"]) for r in rows}

    async def report_rates(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> dict[str, Rates]:
        """Response, resolution and satisfaction rates and MTTA/MTTR over `period`."""
        key, src = KEYS[by], facts_from(by)
        lo, hi = us(period.start), us(period.end)
        response = await self._grouped(
            f"SELECT {key} AS k, COUNT(*), COALESCE(SUM(f.first_accept_us IS NOT NULL "
            f"AND f.first_accept_us - f.first_offer_us <= ?), 0) FROM {src} "
            "WHERE f.first_offer_us >= ? AND f.first_offer_us < ? "
            "AND f.cancelled_before_accept = 0",
            (accept_within // US, lo, hi),
            by,
        )
        resolution = await self._grouped(
            f"SELECT {key} AS k, COUNT(*), COALESCE(SUM(f.resolved_us IS NOT NULL "
            f"AND f.resolved_us <= f.deadline_us), 0) FROM {src} "
            "WHERE f.deadline_us >= ? AND f.deadline_us < ?",
            (lo, hi),
            by,
        )
        mtta = await self._grouped(
            f"SELECT {key} AS k, AVG(f.first_accept_us - f.first_offer_us) FROM {src} "
            "WHERE f.first_accept_us >= ? AND f.first_accept_us < ? "
            "AND f.first_offer_us IS NOT NULL",
            (lo, hi),
            by,
        )
        mttr = await self._grouped(
            f"SELECT {key} AS k, AVG(f.resolved_us - f.submitted_us) FROM {src} "
            "WHERE f.resolved_us >= ? AND f.resolved_us < ? AND f.submitted_us IS NOT NULL",
            (lo, hi),
            by,
        )
        satisfaction = await self._grouped(
            f"SELECT {key} AS k, COUNT(*), COALESCE(SUM(g.stars >= 4), 0) "
            f"FROM {ratings_from(by)} "
            "WHERE g.at_us >= ? AND g.at_us < ?",
            (lo, hi),
            by,
        )
        keys = {""} if by is Cut.COUNTY else set()
        for found in (response, resolution, satisfaction, mtta, mttr):
            keys |= set(found)

        def rate(found: dict[str, tuple[Any, ...]], k: str) -> Rate:
            total, hits = found.get(k, (0, 0))
            return Rate(hits=int(hits or 0), total=int(total or 0))

        def mean(found: dict[str, tuple[Any, ...]], k: str) -> float | None:
            (value,) = found.get(k, (None,))
            return None if value is None else float(value) / 1e6

        return {
            k: Rates(
                response=rate(response, k),
                resolution=rate(resolution, k),
                satisfaction=rate(satisfaction, k),
                mtta_seconds=mean(mtta, k),
                mttr_seconds=mean(mttr, k),
            )
            for k in sorted(keys)
        }

    async def report_resolution(
        self, period: Period, cuts: Sequence[Cut]
    ) -> dict[Cut, dict[str, Rate]]:
        """The resolution rate over `period` by the groups of each of `cuts`, from one grouped
        query (the digest ranks commissioners and teams from the same rows)."""
        keys = ", ".join(f"{KEYS[cut]} AS k{i}" for i, cut in enumerate(cuts))
        found: dict[Cut, dict[str, list[int]]] = {cut: {} for cut in cuts}
        for r in await self._all(
            f"SELECT {keys}, COUNT(*), SUM(f.resolved_us IS NOT NULL "
            "AND f.resolved_us <= f.deadline_us) FROM request_facts f "
            "WHERE f.deadline_us >= ? AND f.deadline_us < ? "
            f"GROUP BY {', '.join(f'k{i}' for i in range(len(cuts)))}",
            (us(period.start), us(period.end)),
        ):
            for i, cut in enumerate(cuts):
                tally = found[cut].setdefault(str(r[i] or ""), [0, 0])
                tally[0] += int(r[len(cuts) + 1] or 0)
                tally[1] += int(r[len(cuts)] or 0)
        return {
            cut: {k: Rate(hits=h, total=n) for k, (h, n) in sorted(groups.items())}
            for cut, groups in found.items()
        }

    async def report_durations(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Durations]:
        """Median and p90 of time to accept and to resolve (the requests MTTA/MTTR cover)."""
        spans = await self._spans(by, us(period.start), us(period.end))
        found = {k: v for k, v in spans.items() if k is not None}
        if by is Cut.COUNTY:
            found[""] = spans.get(None, Durations())
        return dict(sorted(found.items()))

    async def report_tally(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Tally]:
        """Cancelled, reopened and resolved by outcome in `period`; open now (any period)."""
        key, src = KEYS[by], facts_from(by)
        lo, hi = us(period.start), us(period.end)
        cancelled = await self._grouped(
            f"SELECT {key} AS k, COUNT(*) FROM {src} "
            "WHERE f.cancelled_us >= ? AND f.cancelled_us < ?",
            (lo, hi),
            by,
        )
        open_now = await self._grouped(
            f"SELECT {key} AS k, COUNT(*) FROM {src} WHERE f.status IN ({OPEN})", (), by
        )
        reopened = {
            str(r["k"] or ""): (int(r["n"]),)
            for r in await self._all(counts_sql(key), (lo, EventKind.REOPENED.value, lo, hi))
        }
        outcomes = await self._outcomes(key, lo, hi)
        keys = {""} if by is Cut.COUNTY else set()
        keys |= set(cancelled) | set(open_now) | set(reopened) | set(outcomes)

        def count(found: dict[str, tuple[Any, ...]], k: str) -> int:
            return int(found.get(k, (0,))[0] or 0)

        return {
            k: Tally(
                cancelled=count(cancelled, k),
                reopened=count(reopened, k),
                open_now=count(open_now, k),
                outcomes=outcomes.get(k, {}),
            )
            for k in sorted(keys)
        }

    async def report_low_ratings(self, period: Period, most: int = 2) -> list[LowRating]:
        """Ratings of at most `most` stars given in `period`, oldest first, named."""
        rows = await self._all(
            "SELECT g.request_id, g.stars, COALESCE(e.name, '—') AS enterprise, "
            "COALESCE(p.name, '—') AS holder FROM ratings g "
            "JOIN requests r ON r.id = g.request_id "
            "LEFT JOIN enterprises e ON e.id = r.enterprise_id "
            "LEFT JOIN request_facts f ON f.request_id = g.request_id "
            f"LEFT JOIN people p ON p.id = {WHO} "
            "WHERE g.at_us >= ? AND g.at_us < ? AND g.stars <= ? ORDER BY g.at_us, g.request_id",
            (us(period.start), us(period.end), most),
        )
        return [
            LowRating(
                request_id=int(r["request_id"]),
                stars=int(r["stars"]),
                enterprise=str(r["enterprise"]),
                holder=str(r["holder"]),
            )
            for r in rows
        ]
