"""Overdue at an instant, from the report facts: the first lines in SQL order, and the count.

Requests whose facts say "being worked on, deadline passed" and that have no state change
after the instant (index ``facts_work_due``) are read straight from the facts; the few with
changes after it (for "now" there are none) are folded from their events. A chat shows the
first kpis.OVERDUE_SHOWN lines and the count of all: ``report_overdue(when, limit)`` reads only
those lines (``ORDER BY work_due_us, request_id LIMIT ?`` on the index), and
``report_overdue_count(when)`` counts the rest from the same index — nothing materialises every
overdue request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain import kpis
from bot.domain.kpis import Cut, OverdueLine
from bot.storage.sqlite.report_cuts import KEYS, facts_from
from bot.storage.sqlite.report_facts import FactsSql, from_us, us

_STEADY = "f.work_due_us < ? AND f.last_event_us <= ?"


class OverdueSql(FactsSql):
    async def report_overdue(self, when: datetime, limit: int | None = None) -> list[OverdueLine]:
        """Requests being worked on past their deadline at `when`, most late first, named;
        only the first `limit` of them (all without)."""
        at = us(when)
        # Unchanged since `when`: their state then is their state now, as the facts keep it.
        rows = await self._all(
            "SELECT f.request_id, f.work_due_us, COALESCE(e.name, '—') AS enterprise, "
            "COALESCE(p.name, '—') AS holder "
            "FROM request_facts f JOIN requests r ON r.id = f.request_id "
            "LEFT JOIN enterprises e ON e.id = r.enterprise_id "
            "LEFT JOIN people p ON p.id = f.holder_id "
            f"WHERE {_STEADY} ORDER BY f.work_due_us, f.request_id"
            + ("" if limit is None else " LIMIT ?"),
            (at, at) if limit is None else (at, at, limit),
        )
        found: list[OverdueLine] = []
        for r in rows:
            due = from_us(r["work_due_us"])
            # Typed by the query already: built without validation.
            line = OverdueLine.model_construct(
                request_id=int(r["request_id"]),
                enterprise=str(r["enterprise"]),
                holder=str(r["holder"]),
                due_at=due,
                days_late=kpis.days_late(due, when),
            )
            found.append(line)
        found += [line for line, _ in await self._changed_overdue(when, Cut.COUNTY)]
        found.sort(key=lambda line: (line.due_at, line.request_id))
        return found if limit is None else found[:limit]

    async def report_overdue_count(self, when: datetime) -> int:
        """How many requests were overdue at `when` (one indexed count, no names)."""
        return sum((await self._overdue_counts(when, Cut.COUNTY)).values())

    async def _overdue_counts(self, when: datetime, by: Cut) -> dict[str, int]:
        """How many requests were overdue at `when`, by group (no names, no list)."""
        at = us(when)
        steady = await self._grouped(
            f"SELECT {KEYS[by]} AS k, COUNT(*) FROM {facts_from(by)} WHERE {_STEADY}",
            (at, at),
            by,
        )
        counted = {k: int(n) for k, (n,) in steady.items() if n}
        for _line, k in await self._changed_overdue(when, by):
            counted[k] = counted.get(k, 0) + 1
        return counted

    async def _changed_overdue(self, when: datetime, by: Cut) -> list[tuple[OverdueLine, str]]:
        """Overdue at `when` among the requests with events after it, folded from their events."""
        at = us(when)
        found: list[tuple[OverdueLine, str]] = []
        # Only a request accepted by then can have been worked on then: the rest (submitted or
        # first accepted since, e.g. this morning's) need no fold.
        changed = [
            int(r[0])
            for r in await self._all(
                "SELECT request_id FROM request_facts WHERE last_event_us > ? "
                "AND first_accept_us <= ?",
                (at, at),
            )
        ]
        for chunk in _chunks(changed, 500):
            marks = ",".join("?" for _ in chunk)
            events = [
                self._event_of(r)
                for r in await self._all(
                    f"SELECT * FROM events WHERE request_id IN ({marks}) ORDER BY id", chunk
                )
            ]
            late = kpis.overdue_at(kpis.timelines(events).values(), when)
            if not late:
                continue
            ids = [o.request_id for o in late]
            holders = sorted({o.holder_id for o in late if o.holder_id is not None})
            names = await self._names(ids, holders, by)
            for o in late:
                enterprise, k = names[0].get(o.request_id, ("—", ""))
                found.append(
                    (
                        OverdueLine(
                            request_id=o.request_id,
                            enterprise=enterprise,
                            holder=names[1].get(o.holder_id, "—") if o.holder_id else "—",
                            due_at=o.due_at,
                            days_late=o.days_late,
                        ),
                        k,
                    )
                )
        return found

    async def _names(
        self, request_ids: list[int], people: list[int], by: Cut
    ) -> tuple[dict[int, tuple[str, str]], dict[int | None, str]]:
        marks = ",".join("?" for _ in request_ids)
        rows = await self._all(
            f"SELECT r.id, COALESCE(e.name, '—') AS name, {KEYS[by]} AS k FROM requests r "
            "LEFT JOIN request_facts f ON f.request_id = r.id "
            f"LEFT JOIN enterprises e ON e.id = r.enterprise_id WHERE r.id IN ({marks})",
            request_ids,
        )
        enterprises = {int(r["id"]): (str(r["name"]), str(r["k"] or "")) for r in rows}
        holders: dict[int | None, str] = {}
        if people:
            marks = ",".join("?" for _ in people)
            for r in await self._all(f"SELECT id, name FROM people WHERE id IN ({marks})", people):
                holders[int(r["id"])] = str(r["name"])
        return enterprises, holders


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
