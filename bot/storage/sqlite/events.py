"""Events: the append-only log, and the reads the reports are built from."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.domain.clock import from_text, to_text
from bot.domain.kinds import EventKind
from bot.domain.models import Event, RequestStatus
from bot.storage.sqlite.base import Statements


class EventsSql(Statements):
    """The events table."""

    @staticmethod
    def _event_of(r: aiosqlite.Row) -> Event:
        return Event(
            request_id=r["request_id"],
            actor_id=r["actor_id"],
            kind=EventKind(r["kind"]),
            from_status=RequestStatus(r["from_status"]) if r["from_status"] else None,
            to_status=RequestStatus(r["to_status"]) if r["to_status"] else None,
            payload=json.loads(r["payload"]),
            at=from_text(r["at"]),
        )

    async def append(self, event: Event) -> None:
        await self._run(
            "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.request_id,
                event.actor_id,
                event.kind.value,
                event.from_status.value if event.from_status else None,
                event.to_status.value if event.to_status else None,
                json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
                to_text(event.at),
            ),
        )

    async def events(self, request_id: int | None = None) -> list[Event]:
        if request_id is None:
            rows = await self._all("SELECT * FROM events ORDER BY id")
        else:
            rows = await self._all(
                "SELECT * FROM events WHERE request_id = ? ORDER BY id", (request_id,)
            )
        return [self._event_of(r) for r in rows]

    async def events_of_kind(self, kind: EventKind, since: datetime) -> list[Event]:
        rows = await self._all(
            "SELECT * FROM events WHERE kind = ? AND at >= ? ORDER BY id",
            (kind.value, to_text(since)),
        )
        return [self._event_of(r) for r in rows]
