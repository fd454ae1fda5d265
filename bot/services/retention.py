"""Retention: handled updates and sent or failed messages are pruned after a while (issue 9).

A daily job (bot/scheduler.py) calls `Retention.run(now)`. It deletes a small batch per
transaction and yields between batches, so taps and messages never wait behind one long
write. The event log, message references (later edits of the messages still shown) and
pending messages are never touched; handled updates stay for the whole window, so the
duplicate check still recognises a redelivery (Telegram redelivers for at most a day).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.ports import Clock, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    """How many rows one run deleted, and in how many transactions."""

    inbox: int = 0
    outbox: int = 0
    transactions: int = 0


class Retention:
    """Prunes the inbox and the outbox of rows older than `keep`, `batch` rows at a time."""

    def __init__(self, db: UnitOfWork, clock: Clock, keep: timedelta, batch: int = 500) -> None:
        self.db = db
        self.clock = clock
        self.keep = keep
        self.batch = batch

    async def run(self, now: datetime | None = None) -> Pruned:
        before = (now or self.clock.now()) - self.keep
        inbox, tx_inbox = await self._drain("inbox", before)
        outbox, tx_outbox = await self._drain("outbox", before)
        if inbox or outbox:
            log.info("retention: pruned %d handled updates and %d sent messages", inbox, outbox)
        return Pruned(inbox, outbox, tx_inbox + tx_outbox)

    async def _drain(self, table: str, before: datetime) -> tuple[int, int]:
        total = transactions = 0
        while True:
            async with self.db.tx() as tx:
                if table == "inbox":
                    done = await tx.prune_inbox(before, self.batch)
                else:
                    done = await tx.prune_outbox(before, self.batch)
            total += done
            transactions += 1
            if done < self.batch:
                return total, transactions
            # Let the units of work queued meanwhile have the write lock first.
            await asyncio.sleep(0)
