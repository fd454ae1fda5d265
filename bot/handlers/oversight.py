"""Supervisors' tools over requests: /reassign #N PHONE and /export."""

from __future__ import annotations

import re

from telegram import InputFile, Update
from telegram.constants import ChatAction

from bot.channels.telegram import texts
from bot.channels.telegram.identity import update_ref
from bot.domain.periods import local_days, parse_period
from bot.export.process import ExportBusy, ExportFailed
from bot.export.spreadsheet import Export, filename
from bot.handlers.common import Context, HandlerBase, answer_refusal, person_id
from bot.services.errors import Refusal, Refused

# The largest file a bot may send (Telegram Bot API: 50 MB); a bigger workbook is refused by
# Telegram after the upload, so the supervisor is told what to do instead.
UPLOAD_LIMIT = 50 * 1024 * 1024

REASSIGN = re.compile(r"^#?(\d{1,12})\s+(\+?[\d\s-]{7,20})$")


class Oversight(HandlerBase):
    async def on_reassign(self, update: Update, context: Context) -> None:
        """Gives #N to the commissioner with this phone; they get a card to accept."""
        person, lang = await self.who(update)
        user = update.effective_user
        assert user is not None
        if person is None:
            await self.reply(update, texts.not_registered(lang))
            return
        found = REASSIGN.match(" ".join(context.args or []).strip())
        if found is None:
            await self.reply(update, texts.reassign_usage(lang))
            return
        request_id = int(found.group(1))
        try:
            target = await self.desk.reassign(
                request_id, person.id, found.group(2), update_ref(update)
            )
        except Refused as refused:
            if refused.reason == Refusal.BAD_INPUT:
                await self.reply(update, texts.reassign_unknown(lang, found.group(2)))
            else:
                await answer_refusal(update, refused, lang)
            return
        await self.reply(update, texts.reassigned(lang, request_id, target.name))

    async def on_export(self, update: Update, context: Context) -> None:
        """The requests of a period (default: all) as a spreadsheet, for supervisors."""
        person, lang = await self.who(update)
        user = update.effective_user
        message = update.effective_message
        assert user is not None and message is not None
        now = self.desk.clock.now()
        try:
            first, last = parse_period(context.args or [], now.astimezone(self.deps.tz).date())
        except ValueError:
            await self.reply(update, texts.export_usage(lang))
            return
        job = Export(self.catalog, lang, self.deps.tz, now, *local_days(first, last, self.deps.tz))
        try:
            await self.desk.may_export(person_id(person))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        try:
            await message.reply_chat_action(ChatAction.UPLOAD_DOCUMENT)
            data, count = await self.deps.exports.xlsx(job)
        except ExportBusy:
            await self.reply(update, texts.export_busy(lang))
            return
        except ExportFailed:
            await self.reply(update, texts.export_failed(lang))
            return
        if len(data) > UPLOAD_LIMIT:
            await self.reply(update, texts.export_too_big(lang, count, len(data)))
            return
        await message.reply_document(
            InputFile(data, filename=filename(now, self.deps.tz)),
            caption=texts.exported(lang, count, first, last),
        )
