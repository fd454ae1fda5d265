"""Chats other than a person's own: the bot works only in private, and says so at most hourly."""

from __future__ import annotations

from datetime import timedelta

from bot.services.ports import Clock, UnitOfWork

NOTICE_EVERY = timedelta(hours=1)


class ChatNotices:
    """Decides whether a group or channel may be told (again) to use a private chat.

    The last notice per chat is stored (chat_notices), so the limit holds across restarts,
    and claimed with a conditional write, so two updates at once cannot both win.
    """

    def __init__(self, db: UnitOfWork, clock: Clock, every: timedelta = NOTICE_EVERY) -> None:
        self.db = db
        self.clock = clock
        self.every = every

    async def claim(self, chat_id: int) -> bool:
        """True (and recorded) if this chat has had no notice within the last `every`."""
        now = self.clock.now()
        async with self.db.tx() as tx:
            return await tx.claim_chat_notice(chat_id, now, now - self.every)
