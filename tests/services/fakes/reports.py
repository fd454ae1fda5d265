"""Reports and retention in memory: the figures by bot.domain.kpis's own definitions.

The SQL (bot.storage.sqlite.reports) is tested against these same definitions
(tests/integration/test_reports.py), so the fake computes them straight from the event log.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from bot.domain import kpis
from bot.domain.kpis import Counts, Cut, Durations, OverdueLine, Period, Rates, Timeline
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

    def _key(self, request_id: int, by: Cut) -> str:
        row = self.s.requests.get(request_id)
        if row is None or by == Cut.COUNTY:
            return ""
        if by == Cut.CATEGORY:
            return row.request.category
        enterprise = self.s.enterprises[row.request.enterprise_id]
        return enterprise.industry if by == Cut.INDUSTRY else enterprise.chain

    async def report_counts(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Counts]:
        return {key: kpis.counts(lines, period) for key, lines in self._lines_by(by).items()}

    async def report_rates(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> dict[str, Rates]:
        return {
            key: kpis.rates(lines, period, accept_within)
            for key, lines in self._lines_by(by).items()
        }

    async def report_durations(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Durations]:
        return {key: kpis.durations(lines, period) for key, lines in self._lines_by(by).items()}

    async def report_overdue(self, when: datetime) -> list[OverdueLine]:
        found = []
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
        return found

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
