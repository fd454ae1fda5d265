"""The durable inbox of updates and the dead letters set aside from it.

Inbox rows carry their channel and the channel's reference to the update (text), with `seq`
for the channel's order. Only Telegram has an inbox so far, whose update ids are both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.clock import to_text
from bot.storage.sqlite.base import Statements

# The channel whose updates the integer ids of the methods below are.
UPDATES_CHANNEL = "telegram"


class InboxSql(Statements):
    """The inbox and dead_letters tables."""

    async def store_updates(self, updates: Iterable[tuple[int, str]], now: datetime) -> list[int]:
        """Stores updates not seen before; returns their ids (a redelivery is not among them)."""
        stored: list[int] = []
        for update_id, payload in updates:
            if await self._run(
                "INSERT OR IGNORE INTO inbox (channel, ref, seq, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (UPDATES_CHANNEL, str(update_id), update_id, payload, to_text(now)),
            ):
                stored.append(update_id)
        return stored

    async def unprocessed_updates(self) -> list[tuple[int, str]]:
        rows = await self._all(
            "SELECT seq, payload FROM inbox WHERE processed_at IS NULL AND channel = ? "
            "ORDER BY seq",
            (UPDATES_CHANNEL,),
        )
        return [(int(r["seq"]), r["payload"]) for r in rows]

    async def last_update_id(self) -> int | None:
        row = await self._one(
            "SELECT MAX(seq) AS m FROM inbox WHERE channel = ?", (UPDATES_CHANNEL,)
        )
        return int(row["m"]) if row and row["m"] is not None else None

    async def mark_processed(self, update_id: int, now: datetime) -> bool:
        """Marks an update handled; false if it already was (a redelivery)."""
        # Stored and not yet handled: the common case, one statement.
        if await self._run(
            "UPDATE inbox SET processed_at = ? WHERE channel = ? AND ref = ? "
            "AND processed_at IS NULL",
            (to_text(now), UPDATES_CHANNEL, str(update_id)),
        ):
            return True
        # Not stored (fed to the application directly), or handled before.
        return bool(
            await self._run(
                "INSERT OR IGNORE INTO inbox (channel, ref, seq, payload, received_at, "
                "processed_at) VALUES (?, ?, ?, '{}', ?, ?)",
                (UPDATES_CHANNEL, str(update_id), update_id, to_text(now), to_text(now)),
            )
        )

    async def start_handling(self, update_id: int) -> int | None:
        """Counts one more start of handling an update; None if it was handled already."""
        row = await self._one(
            "UPDATE inbox SET attempts = attempts + 1 WHERE channel = ? AND ref = ? "
            "AND processed_at IS NULL RETURNING attempts",
            (UPDATES_CHANNEL, str(update_id)),
        )
        if row is not None:
            return int(row["attempts"])
        row = await self._one(
            "SELECT processed_at FROM inbox WHERE channel = ? AND ref = ?",
            (UPDATES_CHANNEL, str(update_id)),
        )
        if row is None:
            return 1  # not stored (a test feeding the application directly): a first try
        return None

    async def add_dead_letter(
        self, update_id: int, payload: str, reason: str, now: datetime
    ) -> bool:
        """Sets an update aside for good (and marks it handled); false if it already was."""
        added = await self._run(
            "INSERT OR IGNORE INTO dead_letters (update_id, payload, reason, at) "
            "VALUES (?, ?, ?, ?)",
            (update_id, payload, reason[:1000], to_text(now)),
        )
        await self.mark_processed(update_id, now)
        return added == 1
