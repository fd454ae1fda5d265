"""The outbox and the message references: what to send, and what was sent where."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

import aiosqlite

from bot.domain.clock import to_text
from bot.domain.identity import Address
from bot.domain.kinds import MessageKind
from bot.domain.models import Message
from bot.services.ports import OutboxRow
from bot.storage.sqlite.base import Statements, dt


def _outbox_row(row: aiosqlite.Row) -> OutboxRow:
    """The sender's view of a row; ValueError if it cannot be read (an unknown kind)."""
    return OutboxRow(
        id=row["id"],
        address=Address(row["channel"], row["address"]),
        attempts=row["attempts"],
        edit_key=row["edit_key"],
        urgent=bool(row["urgent"]),
        message=Message(
            recipient_id=row["recipient_id"],
            kind=MessageKind(row["kind"]),
            request_id=row["request_id"],
            params=json.loads(row["params"]),
            edit_key=row["edit_key"],
            urgent=bool(row["urgent"]),
        ),
    )


class OutboxSql(Statements):
    """The outbox and message_refs tables."""

    async def enqueue(self, message: Message, to: Address, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO outbox (recipient_id, channel, address, kind, request_id, params, "
            "edit_key, urgent, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.recipient_id,
                to.channel,
                to.value,
                message.kind.value,
                message.request_id,
                json.dumps(message.params, ensure_ascii=False, sort_keys=True),
                message.edit_key,
                int(message.urgent),
                to_text(now),
                to_text(now),
            ),
        )

    async def due_messages(
        self, now: datetime, limit: int, skip: Collection[Address] = ()
    ) -> list[OutboxRow]:
        """The oldest pending message of each address, where it is due: each keeps its order.
        Addresses in `skip` are left out in SQL (not read, not parsed: the sender's polls)."""
        skipped = json.dumps([f"{a.channel}\n{a.value}" for a in skip])
        rows = await self._all(
            "SELECT o.* FROM outbox o WHERE o.status = 'pending' AND o.not_before <= ? "
            "AND o.channel || char(10) || o.address NOT IN (SELECT value FROM json_each(?)) "
            "AND o.id = (SELECT MIN(h.id) FROM outbox h WHERE h.channel = o.channel "
            "            AND h.address = o.address AND h.status = 'pending') "
            "ORDER BY o.id LIMIT ?",
            (to_text(now), skipped, limit),
        )
        due: list[OutboxRow] = []
        for r in rows:
            try:
                due.append(_outbox_row(r))
            except ValueError as exc:
                # A kind this program does not know (written by a newer or older version): it
                # can never be rendered, and must not stall its chat or the sender.
                await self.mark_failed(int(r["id"]), f"unreadable outbox row: {exc}"[:500])
        return due

    async def pending_count(self) -> int:
        row = await self._one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
        return int(row["n"]) if row else 0

    async def next_head_due_at(self) -> datetime | None:
        """When the earliest first-in-line message of any address is due.

        Messages behind a deferred one wait for it (addresses keep their order), so their own,
        older not_before must not make the sender look again at once.
        """
        row = await self._one(
            "SELECT MIN(o.not_before) AS t FROM outbox o JOIN (SELECT MIN(id) AS id "
            "FROM outbox WHERE status = 'pending' GROUP BY channel, address) h ON h.id = o.id"
        )
        return dt(row["t"]) if row and row["t"] else None

    async def mark_sent(self, outbox_id: int, now: datetime) -> None:
        await self._run(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (to_text(now), outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        await self._run(
            "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (error[:500], outbox_id),
        )

    async def defer(self, outbox_id: int, not_before: datetime, error: str) -> None:
        await self._run(
            "UPDATE outbox SET not_before = ?, last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (to_text(not_before), error[:500], outbox_id),
        )

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    async def save_ref(
        self, person_id: int, request_id: int, key: str, at: Address, message_ref: str
    ) -> None:
        await self._run(
            "INSERT INTO message_refs (person_id, request_id, key, channel, address, "
            "message_ref) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (person_id, request_id, key) "
            "DO UPDATE SET channel = excluded.channel, address = excluded.address, "
            "message_ref = excluded.message_ref",
            (person_id, request_id, key, at.channel, at.value, message_ref),
        )

    async def ref(self, person_id: int, request_id: int, key: str) -> tuple[Address, str] | None:
        row = await self._one(
            "SELECT channel, address, message_ref FROM message_refs "
            "WHERE person_id = ? AND request_id = ? AND key = ?",
            (person_id, request_id, key),
        )
        return (Address(row["channel"], row["address"]), row["message_ref"]) if row else None

    async def delete_ref(self, person_id: int, request_id: int, key: str) -> None:
        await self._run(
            "DELETE FROM message_refs WHERE person_id = ? AND request_id = ? AND key = ?",
            (person_id, request_id, key),
        )

    async def request_of_message(self, at: Address, message_ref: str) -> int | None:
        row = await self._one(
            "SELECT request_id FROM message_refs "
            "WHERE channel = ? AND address = ? AND message_ref = ?",
            (at.channel, at.value, message_ref),
        )
        return int(row["request_id"]) if row else None
