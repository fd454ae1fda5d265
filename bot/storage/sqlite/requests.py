"""Requests and the offers of them: the lifecycle's conditional writes and the lists.

Every write here that changes a request's status, holder, offers or deadline also sets its
`next_step_at` to PLAN_AT_ONCE in the same transaction, so the next sweep plans it again
(services/sweep.py stores the exact time of its next chase step, or NULL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.clock import from_text, to_text
from bot.domain.models import Attachment, Outcome, Request, RequestStatus, Urgency
from bot.storage.sqlite.base import Statements, dt, in_list

# "Plan this request at the next sweep": an instant before any `now` (the epoch).
PLAN_AT_ONCE = "1970-01-01T00:00:00.000000Z"

_MOVABLE = frozenset(
    {
        "holder_id",
        "dispatched_at",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "due_at",
        "outcome",
        "resolution",
        "rating",
    }
)


class RequestsSql(Statements):
    """The requests, attachments and offers tables."""

    async def _request(self, row: aiosqlite.Row | None) -> Request | None:
        if row is None:
            return None
        files = await self._all(
            "SELECT kind, channel, ref, file_name FROM attachments "
            "WHERE request_id = ? ORDER BY id",
            (row["id"],),
        )
        return Request(
            id=row["id"],
            enterprise_id=row["enterprise_id"],
            owner_id=row["owner_id"],
            category=row["category"],
            description=row["description"],
            urgency=Urgency(row["urgency"]),
            status=RequestStatus(row["status"]),
            holder_id=row["holder_id"],
            created_at=from_text(row["created_at"]),
            accepted_at=dt(row["accepted_at"]),
            resolved_at=dt(row["resolved_at"]),
            due_at=dt(row["due_at"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            resolution=row["resolution"],
            rating=row["rating"],
            attachments=tuple(
                Attachment(
                    kind=f["kind"], channel=f["channel"], ref=f["ref"], file_name=f["file_name"]
                )
                for f in files
            ),
        )

    async def request(self, request_id: int) -> Request | None:
        row = await self._one("SELECT * FROM requests WHERE id = ?", (request_id,))
        return await self._request(row)

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
        request_id = await self._insert(
            "INSERT INTO requests (enterprise_id, owner_id, category, description, urgency, "
            "status, created_at, next_step_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                enterprise_id,
                owner_id,
                category,
                description,
                urgency.value,
                RequestStatus.SUBMITTED.value,
                to_text(now),
                PLAN_AT_ONCE,
            ),
        )
        for a in attachments:
            await self._run(
                "INSERT INTO attachments (request_id, kind, channel, ref, file_name) "
                "VALUES (?, ?, ?, ?, ?)",
                (request_id, a.kind, a.channel, a.ref, a.file_name),
            )
        return request_id

    async def move(
        self,
        request_id: int,
        sources: Iterable[RequestStatus],
        target: RequestStatus,
        **fields: str | int | None,
    ) -> bool:
        """Conditional status change: true only if the request was in one of `sources`."""
        assert set(fields) <= _MOVABLE, f"not a request column: {set(fields) - _MOVABLE}"
        marks, states = in_list(s.value for s in sources)
        sets = "".join(f", {name} = ?" for name in fields)
        changed = await self._run(
            f"UPDATE requests SET status = ?, next_step_at = ?{sets} "
            f"WHERE id = ? AND status IN ({marks})",
            (target.value, PLAN_AT_ONCE, *fields.values(), request_id, *states),
        )
        return changed == 1

    async def claim(
        self,
        request_id: int,
        person_id: int,
        sources: Iterable[RequestStatus],
        now: datetime,
        due_at: datetime,
    ) -> bool:
        """Makes `person_id` the holder if the request is still claimable and offered to them."""
        marks, states = in_list(s.value for s in sources)
        changed = await self._run(
            "UPDATE requests SET status = 'accepted', holder_id = ?, accepted_at = ?, due_at = ?, "
            f"next_step_at = ? WHERE id = ? AND status IN ({marks}) AND EXISTS (SELECT 1 "
            "FROM offers o WHERE o.request_id = requests.id AND o.person_id = ? AND o.active = 1)",
            (
                person_id,
                to_text(now),
                to_text(due_at),
                PLAN_AT_ONCE,
                request_id,
                *states,
                person_id,
            ),
        )
        return changed == 1

    async def requests_where(
        self, column: str, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        assert column in ("owner_id", "holder_id")
        marks, states = in_list(s.value for s in statuses)
        rows = await self._all(
            f"SELECT * FROM requests WHERE {column} = ? AND status IN ({marks}) ORDER BY id",
            (person_id, *states),
        )
        return [r for r in [await self._request(row) for row in rows] if r is not None]

    async def requests_involving(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        """Requests in `statuses` this person owns, holds, or has an active offer of."""
        marks, states = in_list(s.value for s in statuses)
        rows = await self._all(
            f"SELECT * FROM requests r WHERE r.status IN ({marks}) AND (r.owner_id = ? "
            "OR r.holder_id = ? OR EXISTS (SELECT 1 FROM offers o WHERE o.request_id = r.id "
            "AND o.person_id = ? AND o.active = 1)) ORDER BY r.id",
            (*states, person_id, person_id, person_id),
        )
        return [r for r in [await self._request(row) for row in rows] if r is not None]

    async def set_due(
        self, request_id: int, due_at: datetime, sources: Iterable[RequestStatus]
    ) -> bool:
        """Moves the deadline of a request still in one of `sources` (an approved extension)."""
        marks, states = in_list(s.value for s in sources)
        changed = await self._run(
            "UPDATE requests SET due_at = ?, next_step_at = ? "
            f"WHERE id = ? AND status IN ({marks})",
            (to_text(due_at), PLAN_AT_ONCE, request_id, *states),
        )
        return changed == 1

    async def requests_due(self, now: datetime) -> list[int]:
        """Ids of the requests whose next chase step is due at `now`, in id order.

        One range read of the partial index requests_next_step: what is due, not what is open.
        """
        rows = await self._all("SELECT id FROM requests WHERE next_step_at <= ?", (to_text(now),))
        # Sorted here, not by ORDER BY id, which could tempt the planner into a rowid scan.
        return sorted(int(r["id"]) for r in rows)

    async def set_next_step(self, request_id: int, at: datetime | None) -> None:
        """Stores when the request's next chase step falls due (None: nothing to chase)."""
        await self._run(
            "UPDATE requests SET next_step_at = ? WHERE id = ?",
            (to_text(at) if at is not None else None, request_id),
        )

    async def replan_requests_of(self, person_id: int) -> None:
        """Plans at once the open requests this person holds or has on offer (back from away)."""
        await self._run(
            "UPDATE requests SET next_step_at = ? WHERE status IN "
            "('dispatched', 'escalated', 'accepted', 'reopened') AND (holder_id = ? OR EXISTS "
            "(SELECT 1 FROM offers o WHERE o.request_id = requests.id AND o.person_id = ? "
            "AND o.active = 1))",
            (PLAN_AT_ONCE, person_id, person_id),
        )

    async def _plan_at_once(self, request_id: int) -> None:
        await self._run(
            "UPDATE requests SET next_step_at = ? WHERE id = ?", (PLAN_AT_ONCE, request_id)
        )

    async def export_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int = 0,
        limit: int = -1,
    ) -> list[dict[str, Any]]:
        """Requests submitted in [since, until) (when given) with the names a spreadsheet shows,
        in id order: the `limit` next after `after_id` (-1: all), so an export reads in chunks."""
        rows = await self._all(
            "SELECT r.*, e.name AS enterprise, e.credit_code, e.industry, e.chain, "
            "o.name AS owner, h.name AS holder, "
            "(SELECT COUNT(*) FROM events v WHERE v.request_id = r.id AND v.kind = 'reopened') "
            "AS reopen_count, "
            # The owner's words after their rating: the last comment they gave (a `commented`
            # event; an owner who reopened and rated again may comment again).
            "(SELECT json_extract(v.payload, '$.comment') FROM events v WHERE v.request_id = r.id "
            "AND v.kind = 'commented' ORDER BY v.id DESC LIMIT 1) AS rating_comment "
            "FROM requests r "
            "JOIN enterprises e ON e.id = r.enterprise_id "
            "JOIN people o ON o.id = r.owner_id "
            "LEFT JOIN people h ON h.id = r.holder_id "
            "WHERE r.id > ?3 "
            "AND (?1 IS NULL OR r.created_at >= ?1) AND (?2 IS NULL OR r.created_at < ?2) "
            "ORDER BY r.id LIMIT ?4",
            (to_text(since) if since else None, to_text(until) if until else None, after_id, limit),
        )
        return [dict(r) for r in rows]

    async def export_events(self, request_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The events of these requests with their actor's name, by request then in order."""
        if not request_ids:
            return []
        marks = ", ".join("?" * len(request_ids))
        rows = await self._all(
            "SELECT v.*, p.name AS actor FROM events v LEFT JOIN people p ON p.id = v.actor_id "
            f"WHERE v.request_id IN ({marks}) ORDER BY v.request_id, v.id",
            tuple(request_ids),
        )
        return [dict(r) for r in rows]

    async def offer(self, request_id: int, people: Iterable[int], tier: str, now: datetime) -> None:
        for person_id in people:
            await self._run(
                "INSERT INTO offers (request_id, person_id, tier, offered_at, active) "
                "VALUES (?, ?, ?, ?, 1) ON CONFLICT (request_id, person_id) "
                "DO UPDATE SET active = 1, tier = excluded.tier, offered_at = excluded.offered_at",
                (request_id, person_id, tier, to_text(now)),
            )
        await self._plan_at_once(request_id)

    async def offered(self, request_id: int, active_only: bool = True) -> list[int]:
        rows = await self._all(
            "SELECT person_id FROM offers WHERE request_id = ?"
            + (" AND active = 1" if active_only else "")
            + " ORDER BY offered_at, person_id",
            (request_id,),
        )
        return [int(r["person_id"]) for r in rows]

    async def withdraw_offers(self, request_id: int, person_id: int | None = None) -> None:
        if person_id is None:
            await self._run("UPDATE offers SET active = 0 WHERE request_id = ?", (request_id,))
        else:
            await self._run(
                "UPDATE offers SET active = 0 WHERE request_id = ? AND person_id = ?",
                (request_id, person_id),
            )
        await self._plan_at_once(request_id)
