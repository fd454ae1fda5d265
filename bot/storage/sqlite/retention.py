"""Retention: pruning handled inbox rows and sent or failed outbox rows, a small batch at a time.

Only status and time columns decide: the event log, message references (later edits of the
messages still shown) and pending messages are never touched here.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.clock import to_text
from bot.storage.sqlite.base import Statements


class RetentionSql(Statements):
    """Deletes from the inbox and the outbox; each call is one short statement."""

    async def prune_inbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` updates handled before `before` (never the newest one).

        The newest stays so that polling resumes after it even when everything else is gone.
        Rows are named by rowid, so this reads no column but `processed_at`.
        """
        return await self._run(
            "DELETE FROM inbox WHERE rowid IN (SELECT rowid FROM inbox "
            "WHERE processed_at < ? AND rowid < (SELECT MAX(rowid) FROM inbox) "
            "ORDER BY processed_at LIMIT ?)",
            (to_text(before), limit),
        )

    async def prune_outbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` sent or failed messages queued and settled before `before`."""
        cutoff = to_text(before)
        return await self._run(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
            "WHERE status IN ('sent', 'failed') AND created_at < ? "
            "AND COALESCE(sent_at, not_before) < ? ORDER BY status, created_at LIMIT ?)",
            (cutoff, cutoff, limit),
        )
