"""Notices who is back: anyone who writes to the bot can be reached again (issue 7, item 3).

Registered in a handler group of its own that runs before all others and never stops an
update: it only clears the "unreachable" mark a permanent send failure set, and costs one
read for everyone else. Telegram's own word that someone blocked the bot (a my_chat_member
update in their private chat) marks them at once, as a failed message would.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import TypeHandler

from bot.channels.telegram.identity import address
from bot.handlers.common import Context
from bot.services.reach import Reachability

log = logging.getLogger(__name__)

GROUP = -20  # before the gate (-10) and every other handler


class Presence:
    def __init__(self, reach: Reachability) -> None:
        self.reach = reach

    def handler(self) -> TypeHandler[Update, Context, None]:
        return TypeHandler(Update, self.on_update)

    async def on_update(self, update: Update, context: Context) -> None:
        """Marks the sender reachable again (or unreachable, if this says they blocked us)."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None or user.is_bot:
            return
        if chat is not None and chat.type != ChatType.PRIVATE:
            return  # a word in a group says nothing about their private chat with the bot
        try:
            # A read (never waiting for the write lock) for nearly every update; only a person
            # whose mark changes costs a write.
            person = await self.reach.desk.whoami(address(user.id))
            if person is None:
                return
            member = update.my_chat_member
            if member is not None and member.new_chat_member.status in (
                ChatMember.BANNED,
                ChatMember.LEFT,
            ):
                await self.reach.blocked(person.id, "blocked the bot (my_chat_member)")
                return
            if person.unreachable and await self.reach.wrote(person.id):
                log.info("person %s can be reached again", person.id)
        except Exception:
            # Never in the way of the update itself: the mark is fixed the next time.
            log.exception("could not update whether Telegram user %s can be reached", user.id)
