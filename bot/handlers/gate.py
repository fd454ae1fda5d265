"""The first look at every update: private chats only, flood control, and edited messages.

Registered in a group of its own that runs before all others; whatever it answers here goes
no further (ApplicationHandlerStop), so no command, form, button or relay ever runs in a
group or channel, for a person who is flooding the bot, or on an edited message.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberRestricted, ChatMemberUpdated, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.channels.telegram import keyboards, texts_guard
from bot.channels.telegram.identity import address
from bot.domain.flood import FloodGuard, Verdict
from bot.handlers.common import Context, Deps, HandlerBase, answer_query
from bot.handlers.dispatch import TICKET
from bot.i18n import pick_language
from bot.services.chats import ChatNotices

log = logging.getLogger(__name__)

GROUP = -10  # the handler group: before every other
_PRESENT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


class Gate(HandlerBase):
    def __init__(self, deps: Deps, notices: ChatNotices, flood: FloodGuard) -> None:
        super().__init__(deps)
        self.notices = notices
        self.flood = flood

    def handler(self) -> TypeHandler[Update, Context, None]:
        return TypeHandler(Update, self.on_update)

    async def on_update(self, update: Update, context: Context) -> None:
        """Lets an update through only from a private chat, not flooding, and not an edit."""
        chat = update.effective_chat
        if chat is None:
            return
        if chat.type != ChatType.PRIVATE:
            await self._elsewhere(update, context)
            raise ApplicationHandlerStop
        if update.my_chat_member is not None:
            return  # someone blocked or unblocked the bot: not a message to answer
        user = update.effective_user
        if user is None:
            return
        now = self.desk.clock.now()
        sent = update.message.date if update.message is not None else None
        # A message written long ago is a backlog (after an outage or a restart), not a flood:
        # counting it would mute the person and drop what they wrote while the bot was away.
        backlog = sent is not None and now - sent > self.flood.window
        verdict = Verdict.ALLOW if backlog else self.flood.check(user.id, now)
        if verdict == Verdict.WARN:
            await self._warn(update)
            raise ApplicationHandlerStop
        if verdict == Verdict.IGNORE:
            if update.callback_query is not None:
                _person, lang = await self.who(update)
                await answer_query(update.callback_query, texts_guard.flood_muted(lang), False)
            raise ApplicationHandlerStop
        if update.edited_message is not None:
            await self._edited(update, update.edited_message, context)
            raise ApplicationHandlerStop

    # ---- groups, supergroups and channels ---------------------------------------------------

    async def _elsewhere(self, update: Update, context: Context) -> None:
        """Says "message me privately" (at most hourly per chat) and does nothing else."""
        user = update.effective_user
        lang = pick_language(None, user.language_code if user else None, self.deps.default_language)
        if update.callback_query is not None:
            await answer_query(update.callback_query, texts_guard.private_only_alert(lang), True)
            return
        member = update.my_chat_member
        if member is not None and not _bot_added(member):
            return  # removed from the group (or a change of rights): nothing to say
        if member is None and update.effective_message is None:
            return
        chat = update.effective_chat
        assert chat is not None
        if not await self.notices.claim(chat.id):
            return
        username = context.bot.username
        try:
            await context.bot.send_message(
                chat.id,
                texts_guard.private_only(lang),
                reply_markup=keyboards.private_chat(username, lang) if username else None,
            )
        except TelegramError as exc:
            # No right to post (a channel, a restricted group): there is nothing else to do.
            log.info("could not tell chat %s to use a private chat: %s", chat.id, exc)

    # ---- a private chat -------------------------------------------------------------------

    async def _warn(self, update: Update) -> None:
        """The one polite warning when a person starts flooding; then a minute of silence."""
        _person, lang = await self.who(update)
        seconds = int(self.flood.mute.total_seconds())
        text = texts_guard.flood_warning(lang, seconds)
        if update.callback_query is not None:
            await answer_query(update.callback_query, text, True)
        elif update.effective_message is not None:
            await self.reply(update, text)

    async def _edited(self, update: Update, message: Message, context: Context) -> None:
        """An edit in the middle of a form or a relay is not applied, and the sender is told."""
        user = update.effective_user
        assert user is not None
        if await self._in_a_flow(user.id, message, context):
            _person, lang = await self.who(update)
            # Quoting the edited message shows which one is meant.
            await self.reply(update, texts_guard.edit_not_applied(lang), do_quote=True)

    async def _in_a_flow(self, user_id: int, message: Message, context: Context) -> bool:
        if await self.desk.draft(address(user_id)) is not None:
            return True  # the /new form
        if await self.expecting.current(address(user_id)) is not None:
            return True  # a reason, a summary, a note, a phone: asked for by a tap
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
            return False
        if TICKET.search(replied.text or replied.caption or ""):
            return True  # a reply to a message about #N: the relay
        at = address(replied.chat.id)
        return await self.desk.request_for_message(at, str(replied.message_id)) is not None


def _bot_added(member: ChatMemberUpdated) -> bool:
    """The bot was added to the chat (not removed, nor only given other rights)."""
    return not _is_in(member.old_chat_member) and _is_in(member.new_chat_member)


def _is_in(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT
