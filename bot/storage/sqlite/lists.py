"""Paged lists of requests (an owner's, a commissioner's, the supervisors' open ones), by index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.clock import from_text, to_text
from bot.domain.listing import RequestLine
from bot.domain.models import RequestStatus, Urgency
from bot.storage.sqlite.base import Statements, dt, in_list

_COLUMNS = "r.id, r.status, r.created_at, r.urgency, r.due_at"

# An owner's requests, every status, newest first (index requests_owner_newest).
OWNER_WHERE = "FROM requests r WHERE r.owner_id = :person"
# What a person holds in work, and what is on offer to them now (indexes requests_holder and
# offers_person).
STAFF_WHERE = (
    "FROM requests r WHERE r.id IN ("
    "SELECT h.id FROM requests h WHERE h.holder_id = :person AND h.status IN ({working}) "
    "UNION SELECT o.request_id FROM offers o JOIN requests q ON q.id = o.request_id "
    "WHERE o.person_id = :person AND o.active = 1 AND q.status IN ({claimable}))"
)
# Every request in some statuses (index requests_status), optionally only those past their
# deadline, or only some categories (a team's).
OPEN_WHERE = (
    "FROM requests r WHERE r.status IN ({statuses}) "
    "AND (:due_before IS NULL OR (r.due_at IS NOT NULL AND r.due_at < :due_before)) "
    "{categories}"
)


# The requests of some chains' enterprises (index enterprises_chain, then requests by enterprise).
CHAIN_WHERE = (
    "FROM requests r WHERE r.enterprise_id IN "
    "(SELECT e.id FROM enterprises e WHERE e.chain IN ({chains})) {statuses}"
)


def _line(row: aiosqlite.Row) -> RequestLine:
    return RequestLine(
        id=row["id"],
        status=RequestStatus(row["status"]),
        created_at=from_text(row["created_at"]),
        urgency=Urgency(row["urgency"]),
        due_at=dt(row["due_at"]),
    )


def _named(prefix: str, values: Iterable[str]) -> tuple[str, dict[str, str]]:
    """Named placeholders for `IN (...)`, sorted so that statements repeat."""
    _marks, items = in_list(values)
    names = {f"{prefix}{i}": v for i, v in enumerate(items)}
    return ",".join(f":{n}" for n in names), names


class ListsSql(Statements):
    """Pages of request lines: a COUNT and a LIMIT/OFFSET slice over the same condition."""

    async def _page(
        self, where: str, params: dict[str, Any], limit: int, offset: int
    ) -> tuple[list[RequestLine], int]:
        await self.begin_now()
        async with self.conn.execute(f"SELECT COUNT(*) AS n {where}", params) as cur:
            count = await cur.fetchone()
        total = int(count["n"]) if count else 0
        sql = f"SELECT {_COLUMNS} {where} ORDER BY r.id DESC LIMIT :limit OFFSET :offset"
        async with self.conn.execute(sql, {**params, "limit": limit, "offset": offset}) as cur:
            rows = list(await cur.fetchall())
        return [_line(r) for r in rows], total

    async def owner_lines(
        self, owner_id: int, limit: int, offset: int
    ) -> tuple[list[RequestLine], int]:
        """An owner's requests, newest first, and how many there are."""
        return await self._page(OWNER_WHERE, {"person": owner_id}, limit, offset)

    async def staff_lines(
        self,
        person_id: int,
        working: Iterable[RequestStatus],
        claimable: Iterable[RequestStatus],
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]:
        """What a person holds (in `working`) or has on offer (in `claimable`), newest first."""
        w_marks, w_values = _named("w", (s.value for s in working))
        c_marks, c_values = _named("c", (s.value for s in claimable))
        where = STAFF_WHERE.format(working=w_marks, claimable=c_marks)
        return await self._page(where, {"person": person_id, **w_values, **c_values}, limit, offset)

    async def open_lines(
        self,
        statuses: Iterable[RequestStatus],
        limit: int,
        offset: int,
        due_before: datetime | None = None,
        categories: Sequence[str] | None = None,
    ) -> tuple[list[RequestLine], int]:
        """Requests in `statuses` (past `due_before`, of `categories`), newest first."""
        s_marks, s_values = _named("s", (s.value for s in statuses))
        params: dict[str, Any] = {
            **s_values,
            "due_before": to_text(due_before) if due_before else None,
        }
        extra = ""
        if categories is not None:
            k_marks, k_values = _named("k", categories)
            extra = f"AND r.category IN ({k_marks or 'NULL'})"
            params.update(k_values)
        where = OPEN_WHERE.format(statuses=s_marks, categories=extra)
        return await self._page(where, params, limit, offset)

    async def chain_lines(
        self,
        chains: Iterable[str],
        statuses: Iterable[RequestStatus] | None,
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]:
        """Requests of the enterprises of `chains` (in `statuses`, if given), newest first."""
        h_marks, h_values = _named("h", chains)
        params: dict[str, Any] = dict(h_values)
        extra = ""
        if statuses is not None:
            s_marks, s_values = _named("s", (s.value for s in statuses))
            extra = f"AND r.status IN ({s_marks or 'NULL'})"
            params.update(s_values)
        where = CHAIN_WHERE.format(chains=h_marks or "NULL", statuses=extra)
        return await self._page(where, params, limit, offset)
