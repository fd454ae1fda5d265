"""Updates that could not be parsed or handled: set aside with why; supervisors told once."""

from __future__ import annotations

import logging

from bot.domain.identity import UpdateRef
from bot.domain.kinds import MessageKind
from bot.services.desk import Desk

log = logging.getLogger(__name__)

DEAD_LETTER = MessageKind.DEAD_LETTER
MAX_HANDLING_ATTEMPTS = 3
"""Starts of handling one update that never finished (the process died each time)."""


class DeadLetters:
    """Keeps one bad update from blocking the ones behind it, now and after a restart."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def set_aside(self, update: UpdateRef, payload: str, reason: str) -> bool:
        """Stores the update as a dead letter and tells the supervisors; false if known already."""
        async with self.desk.unit() as tx:
            if not await tx.add_dead_letter(update, payload, reason, self.desk.clock.now()):
                return False
            await self.desk.notify(
                tx,
                await self.desk.supervisors_of(tx),
                DEAD_LETTER,
                update_id=update.value,
                reason=reason[:300],
            )
        log.error("update %s set aside as a dead letter: %s", update, reason)
        return True
