"""Requests, offers and the paged lists in memory (bot.storage.sqlite.requests, .lists)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.clock import from_text, to_text
from bot.domain.listing import RequestLine
from bot.domain.models import (
    Attachment,
    Enterprise,
    Outcome,
    Request,
    RequestStatus,
    Urgency,
)
from tests.services.fakes.state import (
    DATE_COLUMNS,
    MOVABLE,
    PLAN_AT_ONCE,
    OfferRow,
    RequestRow,
    Tables,
    text_or_none,
)

# The statuses replan_requests_of touches (bot.storage.sqlite.requests, as its SQL lists them).
OPEN_FOR_CHASING = frozenset(
    {
        RequestStatus.DISPATCHED,
        RequestStatus.ESCALATED,
        RequestStatus.ACCEPTED,
        RequestStatus.REOPENED,
    }
)


class FakeRequests(Tables):
    """Requests and offers: conditional writes like the SQL's; lists."""

    # ---- requests and offers -----------------------------------------------------------------

    def _rows(self, statuses: Iterable[RequestStatus]) -> list[RequestRow]:
        wanted = set(statuses)
        return [r for _, r in sorted(self.s.requests.items()) if r.request.status in wanted]

    def _has_offer(self, request_id: int, person_id: int) -> bool:
        offer = self.s.offers.get((request_id, person_id))
        return offer is not None and offer.active

    async def replan_requests_of(self, person_id: int) -> None:
        for request_id, row in list(self.s.requests.items()):
            r = row.request
            offered = (request_id, person_id) in self.s.offers and self.s.offers[
                (request_id, person_id)
            ].active
            if r.status in OPEN_FOR_CHASING and (r.holder_id == person_id or offered):
                self._plan_at_once(request_id)

    def _plan_at_once(self, request_id: int) -> None:
        row = self.s.requests.get(request_id)
        if row is not None:
            self.s.requests[request_id] = replace(row, next_step_at=PLAN_AT_ONCE)

    async def request(self, request_id: int) -> Request | None:
        row = self.s.requests.get(request_id)
        return row.request if row else None

    async def insert_request(
        self,
        enterprise_id: int,
        owner_id: int,
        category: str,
        description: str,
        urgency: Urgency,
        attachments: Sequence[Attachment],
        now: datetime,
    ) -> int:
        assert enterprise_id in self.s.enterprises and owner_id in self.s.people  # foreign keys
        request_id = self.s.next_id("requests")
        self.s.requests[request_id] = RequestRow(
            Request(
                id=request_id,
                enterprise_id=enterprise_id,
                owner_id=owner_id,
                category=category,
                description=description,
                urgency=urgency,
                status=RequestStatus.SUBMITTED,
                created_at=now,
                attachments=tuple(attachments),
            )
        )
        return request_id

    async def move(
        self,
        request_id: int,
        sources: Iterable[RequestStatus],
        target: RequestStatus,
        **fields: str | int | None,
    ) -> bool:
        assert set(fields) <= MOVABLE, f"not a request column: {set(fields) - MOVABLE}"
        row = self.s.requests.get(request_id)
        if row is None or row.request.status not in set(sources):
            return False
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name in DATE_COLUMNS:
                values[name] = from_text(str(value)) if value is not None else None
            elif name == "outcome":
                values[name] = Outcome(str(value)) if value is not None else None
            else:
                values[name] = value
        extra = {k: values.pop(k) for k in ("dispatched_at", "closed_at") if k in values}
        request = row.request.model_copy(update={"status": target, **values})
        self.s.requests[request_id] = replace(
            row, request=request, next_step_at=PLAN_AT_ONCE, **extra
        )
        return True

    async def claim(
        self,
        request_id: int,
        person_id: int,
        sources: Iterable[RequestStatus],
        now: datetime,
        due_at: datetime,
    ) -> bool:
        row = self.s.requests.get(request_id)
        if row is None or row.request.status not in set(sources):
            return False
        if not self._has_offer(request_id, person_id):
            return False
        request = row.request.model_copy(
            update={
                "status": RequestStatus.ACCEPTED,
                "holder_id": person_id,
                "accepted_at": now,
                "due_at": due_at,
            }
        )
        self.s.requests[request_id] = replace(row, request=request, next_step_at=PLAN_AT_ONCE)
        return True

    async def requests_where(
        self, column: str, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        assert column in ("owner_id", "holder_id")
        return [r.request for r in self._rows(statuses) if getattr(r.request, column) == person_id]

    async def requests_involving(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        return [
            r.request
            for r in self._rows(statuses)
            if person_id in (r.request.owner_id, r.request.holder_id)
            or self._has_offer(r.request.id, person_id)
        ]

    async def set_due(
        self, request_id: int, due_at: datetime, sources: Iterable[RequestStatus]
    ) -> bool:
        row = self.s.requests.get(request_id)
        if row is None or row.request.status not in set(sources):
            return False
        request = row.request.model_copy(update={"due_at": due_at})
        self.s.requests[request_id] = replace(row, request=request, next_step_at=PLAN_AT_ONCE)
        return True

    async def requests_due(self, now: datetime) -> list[int]:
        return sorted(
            rid
            for rid, r in self.s.requests.items()
            if r.next_step_at is not None and r.next_step_at <= now
        )

    async def set_next_step(self, request_id: int, at: datetime | None) -> None:
        row = self.s.requests.get(request_id)
        if row is not None:
            self.s.requests[request_id] = replace(row, next_step_at=at)

    async def export_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int = 0,
        limit: int = -1,
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for rid, row in sorted(self.s.requests.items()):
            r = row.request
            if (
                rid <= after_id
                or (since and r.created_at < since)
                or (until and r.created_at >= until)
            ):
                continue
            if 0 <= limit <= len(rows):
                break
            enterprise = self.s.enterprises[r.enterprise_id]
            holder = self.s.people.get(r.holder_id) if r.holder_id else None
            rows.append(
                {
                    "id": rid,
                    "enterprise_id": r.enterprise_id,
                    "owner_id": r.owner_id,
                    "category": r.category,
                    "description": r.description,
                    "urgency": r.urgency.value,
                    "status": r.status.value,
                    "holder_id": r.holder_id,
                    "created_at": to_text(r.created_at),
                    "dispatched_at": text_or_none(row.dispatched_at),
                    "accepted_at": text_or_none(r.accepted_at),
                    "resolved_at": text_or_none(r.resolved_at),
                    "closed_at": text_or_none(row.closed_at),
                    "due_at": text_or_none(r.due_at),
                    "outcome": r.outcome.value if r.outcome else None,
                    "resolution": r.resolution,
                    "rating": r.rating,
                    "next_step_at": text_or_none(row.next_step_at),
                    "enterprise": enterprise.name,
                    "credit_code": enterprise.credit_code,
                    "industry": enterprise.industry,
                    "chain": enterprise.chain,
                    "reopen_count": sum(
                        1 for e in self.s.events if e.request_id == rid and e.kind == "reopened"
                    ),
                    "rating_comment": next(
                        (
                            str(e.payload.get("comment"))
                            for e in reversed(self.s.events)
                            if e.request_id == rid and e.kind == "commented"
                        ),
                        None,
                    ),
                    "owner": self.s.people[r.owner_id].name,
                    "holder": holder.name if holder else None,
                }
            )
        return rows

    async def export_events(self, request_ids: Sequence[int]) -> list[dict[str, Any]]:
        wanted = set(request_ids)
        found = [
            (e.request_id or 0, i, e) for i, e in enumerate(self.s.events) if e.request_id in wanted
        ]
        rows = []
        for request_id, i, e in sorted(found, key=lambda x: (x[0], x[1])):
            actor = self.s.people.get(e.actor_id) if e.actor_id is not None else None
            rows.append(
                {
                    "id": i + 1,
                    "request_id": request_id,
                    "actor_id": e.actor_id,
                    "kind": e.kind.value,
                    "from_status": e.from_status.value if e.from_status else None,
                    "to_status": e.to_status.value if e.to_status else None,
                    "payload": json.dumps(e.payload, ensure_ascii=False, sort_keys=True),
                    "at": to_text(e.at),
                    "actor": actor.name if actor else None,
                }
            )
        return rows

    async def offer(self, request_id: int, people: Iterable[int], tier: str, now: datetime) -> None:
        for person_id in people:
            self.s.offers[(request_id, person_id)] = OfferRow(tier, now)
        self._plan_at_once(request_id)

    async def offered(self, request_id: int, active_only: bool = True) -> list[int]:
        found = [
            (o.offered_at, pid)
            for (rid, pid), o in self.s.offers.items()
            if rid == request_id and (o.active or not active_only)
        ]
        return [pid for _, pid in sorted(found)]

    async def withdraw_offers(self, request_id: int, person_id: int | None = None) -> None:
        for (rid, pid), o in list(self.s.offers.items()):
            if rid == request_id and person_id in (None, pid):
                self.s.offers[(rid, pid)] = replace(o, active=False)
        self._plan_at_once(request_id)

    # ---- lists -------------------------------------------------------------------------------

    @staticmethod
    def _page(rows: list[RequestRow], limit: int, offset: int) -> tuple[list[RequestLine], int]:
        newest = sorted(rows, key=lambda r: r.request.id, reverse=True)
        lines = [
            RequestLine(
                id=r.request.id,
                status=r.request.status,
                created_at=r.request.created_at,
                urgency=r.request.urgency,
                due_at=r.request.due_at,
            )
            for r in newest[offset : offset + limit]
        ]
        return lines, len(rows)

    async def owner_lines(
        self, owner_id: int, limit: int, offset: int
    ) -> tuple[list[RequestLine], int]:
        rows = [r for r in self.s.requests.values() if r.request.owner_id == owner_id]
        return self._page(rows, limit, offset)

    async def staff_lines(
        self,
        person_id: int,
        working: Iterable[RequestStatus],
        claimable: Iterable[RequestStatus],
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]:
        work, claim = set(working), set(claimable)
        rows = [
            r
            for r in self.s.requests.values()
            if (r.request.holder_id == person_id and r.request.status in work)
            or (r.request.status in claim and self._has_offer(r.request.id, person_id))
        ]
        return self._page(rows, limit, offset)

    async def chain_lines(
        self,
        chains: Iterable[str],
        statuses: Iterable[RequestStatus] | None,
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]:
        wanted, among = set(chains), set(statuses) if statuses is not None else None
        rows = [
            r
            for r in self.s.requests.values()
            if self.s.enterprises[r.request.enterprise_id].chain in wanted
            and (among is None or r.request.status in among)
        ]
        return self._page(rows, limit, offset)

    async def chains(self) -> list[str]:
        return sorted({e.chain for e in self.s.enterprises.values() if e.chain and e.active})

    async def enterprises_in_chain(self, chain: str) -> list[Enterprise]:
        found = [e for e in self.s.enterprises.values() if e.chain == chain and e.active]
        return sorted(found, key=lambda e: (e.name, e.id))

    async def open_lines(
        self,
        statuses: Iterable[RequestStatus],
        limit: int,
        offset: int,
        due_before: datetime | None = None,
        categories: Sequence[str] | None = None,
    ) -> tuple[list[RequestLine], int]:
        rows = [
            r
            for r in self._rows(statuses)
            if (
                due_before is None
                or (r.request.due_at is not None and r.request.due_at < due_before)
            )
            and (categories is None or r.request.category in categories)
        ]
        return self._page(rows, limit, offset)
