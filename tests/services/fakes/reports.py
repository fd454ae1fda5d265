"""Reports and retention in memory: the figures by bot.domain.kpis's own definitions.

The SQL (bot.storage.sqlite.reports) is tested against these same definitions
(tests/integration/test_reports.py), so the fake computes them straight from the event log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain import kpis
from bot.domain.kinds import EventKind
from bot.domain.kpis import (
    Counts,
    Cut,
    CutFigures,
    Durations,
    Figures,
    LowRating,
    OverdueLine,
    Period,
    Rate,
    Rates,
    Tally,
    Timeline,
)
from bot.domain.models import Event, RequestStatus, Role
from tests.services.fakes.state import Tables


class FakeReports(Tables):
    """ReportRepository and RetentionRepository over the fake tables."""

    def _lines_by(self, by: Cut) -> dict[str, list[Timeline]]:
        groups: dict[str, list[Timeline]] = defaultdict(list)
        if by == Cut.COUNTY:
            groups[""] = []  # the county's figures exist, zero or not, as the SQL's do
        for request_id, line in kpis.timelines(self.s.events).items():
            groups[self._key(request_id, by)].append(line)
        return groups

    def _resolver(self, request_id: int) -> int | None:
        first = next(
            (
                e
                for e in self.s.events
                if e.request_id == request_id and e.kind == EventKind.RESOLVED
            ),
            None,
        )
        return first.actor_id if first else None

    def _key(self, request_id: int, by: Cut) -> str:
        """As bot.storage.sqlite.reports._KEYS groups: a request's cut key ("" for none)."""
        row = self.s.requests.get(request_id)
        if row is None or by == Cut.COUNTY:
            return ""
        request = row.request
        enterprise = self.s.enterprises[request.enterprise_id]
        if by == Cut.CATEGORY:
            return request.category
        if by == Cut.INDUSTRY:
            return enterprise.industry
        if by == Cut.CHAIN:
            return enterprise.chain
        resolver = self._resolver(request_id)
        who = resolver if resolver is not None else request.holder_id
        if by == Cut.COMMISSIONER:
            return str(who) if who is not None else ""
        if by == Cut.TEAM:
            return min(self.s.teams.get(who or 0, frozenset()), default="")
        if by == Cut.COMMITTEE:
            return enterprise.chain if who is not None and self._committee(who) else ""
        if resolver is None:  # Cut.CREDIT
            return ""
        if resolver == enterprise.commissioner_id:
            return kpis.CREDIT_COMMISSIONER
        if self._committee(resolver):
            return kpis.CREDIT_COMMITTEE
        if self.s.teams.get(resolver):
            return kpis.CREDIT_TEAM
        return kpis.CREDIT_OTHER

    def _committee(self, person_id: int) -> bool:
        return self.s.roles.get((person_id, Role.COMMITTEE), False)

    def _in(self, kind: EventKind, period: Period) -> list[Event]:
        return [e for e in self.s.events if e.kind == kind and e.request_id and e.at in period]

    async def report_counts(
        self, period: Period, by: Cut = Cut.COUNTY, overdue: bool = True
    ) -> dict[str, Counts]:
        found = {key: kpis.counts(lines, period) for key, lines in self._lines_by(by).items()}
        if overdue:
            return found
        return {key: c.model_copy(update={"overdue": 0}) for key, c in found.items()}

    async def report_resolved(self, period: Period, by: Cut) -> dict[str, int]:
        groups: dict[str, set[int]] = defaultdict(set)
        for e in self._in(EventKind.RESOLVED, period):
            groups[self._key(e.request_id or 0, by)].add(e.request_id or 0)
        return {key: len(ids) for key, ids in groups.items()}

    async def report_tally(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Tally]:
        opened = {
            RequestStatus.SUBMITTED,
            RequestStatus.DISPATCHED,
            RequestStatus.ESCALATED,
            RequestStatus.ACCEPTED,
            RequestStatus.REOPENED,
        }
        cancelled: dict[str, int] = defaultdict(int)
        for rid in self.s.requests:
            first = next(
                (
                    e
                    for e in self.s.events
                    if e.request_id == rid and e.to_status == RequestStatus.CANCELLED
                ),
                None,
            )
            if first is not None and first.at in period:
                cancelled[self._key(rid, by)] += 1
        open_now: dict[str, int] = defaultdict(int)
        for rid, row in self.s.requests.items():
            if row.request.status in opened:
                open_now[self._key(rid, by)] += 1
        reopened: dict[str, set[int]] = defaultdict(set)
        for e in self._in(EventKind.REOPENED, period):
            reopened[self._key(e.request_id or 0, by)].add(e.request_id or 0)
        outcomes: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for e in self._in(EventKind.RESOLVED, period):
            outcome = str(e.payload.get("outcome") or "")
            outcomes[self._key(e.request_id or 0, by)][outcome].add(e.request_id or 0)
        keys = ({""} if by == Cut.COUNTY else set()) | set(cancelled) | set(open_now)
        keys |= set(reopened) | set(outcomes)
        return {
            key: Tally(
                cancelled=cancelled.get(key, 0),
                reopened=len(reopened.get(key, set())),
                open_now=open_now.get(key, 0),
                outcomes={o: len(ids) for o, ids in outcomes.get(key, {}).items()},
            )
            for key in sorted(keys)
        }

    async def report_low_ratings(self, period: Period, most: int = 2) -> list[LowRating]:
        found = []
        for e in self._in(EventKind.RATED, period):
            stars = e.payload.get("stars")
            if not isinstance(stars, int) or isinstance(stars, bool) or stars > most:
                continue
            rid = e.request_id or 0
            request = self.s.requests[rid].request
            resolver = self._resolver(rid)
            who = resolver if resolver is not None else request.holder_id
            person = self.s.people.get(who) if who is not None else None
            found.append(
                LowRating(
                    request_id=rid,
                    stars=stars,
                    enterprise=self.s.enterprises[request.enterprise_id].name,
                    holder=person.name if person else "—",
                )
            )
        return found

    async def report_rates(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> dict[str, Rates]:
        return {
            key: kpis.rates(lines, period, accept_within)
            for key, lines in self._lines_by(by).items()
        }

    async def report_figures(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> CutFigures:
        async def figures(cut: Cut) -> dict[str, Figures]:
            counts = await self.report_counts(period, cut)
            rates = await self.report_rates(period, accept_within, cut)
            spans = await self.report_durations(period, cut)
            tally = await self.report_tally(period, cut)
            empty = Figures()
            return {
                k: Figures(
                    counts=counts.get(k, empty.counts),
                    rates=rates.get(k, empty.rates),
                    durations=spans.get(k, empty.durations),
                    tally=tally.get(k, empty.tally),
                )
                for k in sorted(set(counts) | set(rates) | set(spans) | set(tally))
            }

        credit = await self.report_resolved(period, Cut.CREDIT)
        return CutFigures(
            total=(await figures(Cut.COUNTY))[""],
            groups=await figures(by) if by is not Cut.COUNTY else {},
            credit={k: n for k, n in sorted(credit.items()) if k and n},
        )

    async def report_resolution(
        self, period: Period, cuts: Sequence[Cut]
    ) -> dict[Cut, dict[str, Rate]]:
        found: dict[Cut, dict[str, Rate]] = {}
        for cut in cuts:
            rates = await self.report_rates(period, timedelta(0), cut)
            found[cut] = {k: r.resolution for k, r in rates.items()}
        return found

    async def report_durations(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Durations]:
        return {key: kpis.durations(lines, period) for key, lines in self._lines_by(by).items()}

    async def report_overdue_count(self, when: datetime) -> int:
        return len(kpis.overdue_at(kpis.timelines(self.s.events).values(), when))

    async def report_overdue(self, when: datetime, limit: int | None = None) -> list[OverdueLine]:
        found: list[OverdueLine] = []
        for late in kpis.overdue_at(kpis.timelines(self.s.events).values(), when):
            request = self.s.requests[late.request_id].request
            holder = self.s.people.get(late.holder_id) if late.holder_id else None
            found.append(
                OverdueLine(
                    request_id=late.request_id,
                    enterprise=self.s.enterprises[request.enterprise_id].name,
                    holder=holder.name if holder else "—",
                    due_at=late.due_at,
                    days_late=late.days_late,
                )
            )
        return found if limit is None else found[:limit]

    async def prune_inbox(self, before: datetime, limit: int) -> int:
        newest = max((e.seq for e in self.s.inbox.values()), default=None)
        old = sorted(
            (
                (entry.processed_at, key)
                for key, entry in self.s.inbox.items()
                if entry.processed_at is not None
                and entry.processed_at < before
                and entry.seq != newest
            ),
        )[:limit]
        for _at, key in old:
            del self.s.inbox[key]
        return len(old)

    async def prune_outbox(self, before: datetime, limit: int) -> int:
        old = sorted(
            (entry.status, entry.created_at, entry.id)
            for entry in self.s.outbox.values()
            if entry.status in ("sent", "failed")
            and entry.created_at < before
            and (entry.sent_at or entry.not_before) < before
        )[:limit]
        for _status, _created, outbox_id in old:
            del self.s.outbox[outbox_id]
        return len(old)
