"""The durable inbox of updates and the dead letters set aside from it.

Inbox rows carry their channel and the channel's reference to the update (text), with `seq`
for the channel's order: an UpdateRef. Only Telegram has an inbox so far, whose update ids
are both. Dead letters are keyed the same way (migration 0017) and keep the `seq` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.clock import to_text
from bot.domain.identity import UpdateRef
from bot.storage.sqlite.base import Statements


class InboxSql(Statements):
    """The inbox and dead_letters tables."""

    async def store_updates(
        self, updates: Iterable[tuple[UpdateRef, str]], now: datetime
    ) -> list[UpdateRef]:
        """Stores updates not seen before; returns them (a redelivery is not among them)."""
        stored: list[UpdateRef] = []
        for update, payload in updates:
            if await self._run(
                "INSERT OR IGNORE INTO inbox (channel, ref, seq, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (update.channel, update.value, update.seq, payload, to_text(now)),
            ):
                stored.append(update)
        return stored

    async def unprocessed_updates(self, channel: str) -> list[tuple[UpdateRef, str]]:
        rows = await self._all(
            "SELECT ref, seq, payload FROM inbox WHERE processed_at IS NULL AND channel = ? "
            "ORDER BY seq",
            (channel,),
        )
        return [(UpdateRef(channel, r["ref"], int(r["seq"])), r["payload"]) for r in rows]

    async def last_seq(self, channel: str) -> int | None:
        row = await self._one("SELECT MAX(seq) AS m FROM inbox WHERE channel = ?", (channel,))
        return int(row["m"]) if row and row["m"] is not None else None

    async def is_processed(self, update: UpdateRef) -> bool:
        row = await self._one(
            "SELECT processed_at FROM inbox WHERE channel = ? AND ref = ?",
            (update.channel, update.value),
        )
        return bool(row and row["processed_at"])

    async def mark_processed(self, update: UpdateRef, now: datetime) -> bool:
        """Marks an update handled; false if it already was (a redelivery)."""
        # One statement either way: stored and not yet handled (the common case) is marked;
        # not stored (fed to the application directly) is stored as handled; handled before
        # is left alone (no row changes).
        return bool(
            await self._run(
                "INSERT INTO inbox (channel, ref, seq, payload, received_at, processed_at) "
                "VALUES (?, ?, ?, '{}', ?, ?) ON CONFLICT (channel, ref) DO UPDATE "
                "SET processed_at = excluded.processed_at WHERE processed_at IS NULL",
                (update.channel, update.value, update.seq, to_text(now), to_text(now)),
            )
        )

    async def start_handling(self, update: UpdateRef) -> int | None:
        """Counts one more start of handling an update; None if it was handled already."""
        row = await self._one(
            "UPDATE inbox SET attempts = attempts + 1 WHERE channel = ? AND ref = ? "
            "AND processed_at IS NULL RETURNING attempts",
            (update.channel, update.value),
        )
        if row is not None:
            return int(row["attempts"])
        row = await self._one(
            "SELECT processed_at FROM inbox WHERE channel = ? AND ref = ?",
            (update.channel, update.value),
        )
        if row is None:
            return 1  # not stored (a test feeding the application directly): a first try
        return None

    async def add_dead_letter(
        self, update: UpdateRef, payload: str, reason: str, now: datetime
    ) -> bool:
        """Sets an update aside for good (and marks it handled); false if it already was."""
        added = await self._run(
            "INSERT OR IGNORE INTO dead_letters (channel, ref, seq, payload, reason, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (update.channel, update.value, update.seq, payload, reason[:1000], to_text(now)),
        )
        await self.mark_processed(update, now)
        return added == 1
