"""The /new form: category → description → attachments → urgency → confirm (a conversation).

Every step commits the owner's draft (with its step) before answering, so a restart — even a
kill -9 — resumes at the step the owner was on.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
import warnings
from functools import wraps

from telegram import Update
from telegram.constants import ParseMode
from telegram.warnings import PTBUserWarning
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.channels.telegram import keyboards, texts
from bot.channels.telegram.callback_data import Op, decode, pattern
from bot.domain.models import Attachment, Draft, Role, Urgency
from bot.handlers.common import Context, HandlerBase, answer_refusal
from bot.services.desk import MAX_ATTACHMENTS
from bot.services.errors import Refusal, Refused

ENTERPRISE, CATEGORY, DESCRIPTION, ATTACHMENTS, URGENCY, CONFIRM = (
    "enterprise",
    "category",
    "description",
    "attachments",
    "urgency",
    "confirm",
)
END = ConversationHandler.END

Step = Callable[["Intake", Update, Context], Coroutine[Any, Any, object]]


def consumes(step: Step) -> Step:
    """Stops later handler groups (relay, fallback) from also seeing a form message."""

    @wraps(step)
    async def wrapper(self: Intake, update: Update, context: Context) -> object:
        raise ApplicationHandlerStop(await step(self, update, context))

    return wrapper


class Intake(HandlerBase):
    async def _draft(self, update: Update) -> Draft | None:
        user = update.effective_user
        return await self.desk.draft(user.id) if user else None

    async def _step(self, draft: Draft, step: str, **changes: object) -> Draft:
        updated = draft.model_copy(update={"step": step, **changes})
        await self.desk.save_draft(updated)
        return updated

    @consumes
    async def on_new(self, update: Update, context: Context) -> object:
        """Starts a new form (or restarts one)."""
        person, lang = await self.who(update)
        user = update.effective_user
        assert user is not None
        if person is None or not person.has(Role.OWNER):
            await self.reply(update, texts.not_owner(lang))
            return END
        enterprises = await self.desk.enterprises_of(user.id)
        if not enterprises:
            await answer_refusal(update, Refused(Refusal.NO_ENTERPRISE), lang)
            return END
        draft = Draft(user_id=user.id, step=CATEGORY, enterprise_id=enterprises[0].id)
        if len(enterprises) > 1:
            await self.desk.save_draft(draft.model_copy(update={"step": ENTERPRISE}))
            await self.reply(
                update,
                texts.ask_enterprise(lang),
                reply_markup=keyboards.enterprises(enterprises, lang),
            )
            return ENTERPRISE
        await self.desk.save_draft(draft)
        await self.reply(
            update, texts.ask_category(lang), reply_markup=keyboards.categories(self.catalog, lang)
        )
        return CATEGORY

    @consumes
    async def on_enterprise(self, update: Update, context: Context) -> object:
        """Stores which enterprise the request is for and asks for the category."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        cb = decode(query.data)
        draft = await self._draft(update)
        enterprises = await self.desk.enterprises_of(query.from_user.id)
        chosen = next((x for x in enterprises if cb and cb.arg == str(x.id)), None)
        if draft is None or chosen is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return END if draft is None else ENTERPRISE
        await self._step(draft, CATEGORY, enterprise_id=chosen.id)
        await query.answer()
        await query.edit_message_text(f"🏢 {texts.e(chosen.name)}", parse_mode=ParseMode.HTML)
        await self.reply(
            update, texts.ask_category(lang), reply_markup=keyboards.categories(self.catalog, lang)
        )
        return CATEGORY

    @consumes
    async def on_category(self, update: Update, context: Context) -> object:
        """Stores the category and asks for the description."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        cb = decode(query.data)
        category = self.catalog.category(cb.arg or "") if cb else None
        draft = await self._draft(update)
        if draft is None:
            await query.answer(texts.draft_lost(lang), show_alert=True)
            return END
        if category is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return CATEGORY
        await self._step(draft, DESCRIPTION, category=category.key)
        await query.answer()
        label = category.label(lang)
        await query.edit_message_text(f"📂 {texts.e(label)}", parse_mode=ParseMode.HTML)
        await self.reply(update, texts.ask_description(lang, label))
        return DESCRIPTION

    @consumes
    async def on_description(self, update: Update, context: Context) -> object:
        """Checks the description's length, stores it and offers attachments."""
        message = update.effective_message
        assert message is not None and message.text is not None
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            await self.reply(update, texts.draft_lost(lang))
            return END
        try:
            text = self.desk.check_description(message.text)
        except Refused as refused:
            length = int(refused.details.get("length") or 0)
            await self.reply(update, texts.description_bad(lang, length))
            await self.reply(
                update,
                texts.ask_description(
                    lang, texts.category_label(self.catalog, draft.category or "", lang)
                ),
            )
            return DESCRIPTION
        await self._step(draft, ATTACHMENTS, description=text)
        await self.reply(
            update, texts.ask_attachments(lang), reply_markup=keyboards.attachments(lang, False)
        )
        return ATTACHMENTS

    @consumes
    async def on_not_text(self, update: Update, context: Context) -> object:
        """A sticker, photo or location where words were asked for."""
        _person, lang = await self.who(update)
        await self.reply(update, texts.text_expected(lang))
        return DESCRIPTION

    @consumes
    async def on_attachment(self, update: Update, context: Context) -> object:
        """Adds a photo or document to the draft."""
        message = update.effective_message
        assert message is not None
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            await self.reply(update, texts.draft_lost(lang))
            return END
        if len(draft.attachments) >= MAX_ATTACHMENTS:
            await self.reply(
                update, texts.attachment_limit(lang), reply_markup=keyboards.attachments(lang, True)
            )
            return ATTACHMENTS
        if message.photo:
            item = Attachment(kind="photo", file_id=message.photo[-1].file_id)
        else:
            assert message.document is not None
            item = Attachment(
                kind="document",
                file_id=message.document.file_id,
                file_name=message.document.file_name,
            )
        updated = await self._step(draft, ATTACHMENTS, attachments=(*draft.attachments, item))
        await self.reply(
            update,
            texts.attachment_added(lang, len(updated.attachments)),
            reply_markup=keyboards.attachments(lang, True),
        )
        return ATTACHMENTS

    @consumes
    async def on_attachment_wrong(self, update: Update, context: Context) -> object:
        """Something other than a photo or document while attachments are open."""
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        await self.reply(
            update,
            texts.attachment_wrong(lang),
            reply_markup=keyboards.attachments(lang, bool(draft and draft.attachments)),
        )
        return ATTACHMENTS

    @consumes
    async def on_attachments_done(self, update: Update, context: Context) -> object:
        """Closes the attachments and asks for the urgency."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            await query.answer(texts.draft_lost(lang), show_alert=True)
            return END
        await self._step(draft, URGENCY)
        await query.answer()
        await query.edit_message_reply_markup(None)
        await self.reply(update, texts.ask_urgency(lang), reply_markup=keyboards.urgency(lang))
        return URGENCY

    @consumes
    async def on_urgency(self, update: Update, context: Context) -> object:
        """Stores the urgency and shows the summary with Submit / Cancel."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        cb = decode(query.data)
        draft = await self._draft(update)
        if draft is None:
            await query.answer(texts.draft_lost(lang), show_alert=True)
            return END
        if cb is None or cb.arg not in ("normal", "urgent"):
            await query.answer(texts.stale_button(lang), show_alert=True)
            return URGENCY
        updated = await self._step(draft, CONFIRM, urgency=Urgency(cb.arg))
        await query.answer()
        await query.edit_message_text(
            texts.urgency_label(Urgency(cb.arg), lang), parse_mode=ParseMode.HTML
        )
        enterprises = await self.desk.enterprises_of(query.from_user.id)
        enterprise = next((x for x in enterprises if x.id == updated.enterprise_id), None)
        await self.reply(
            update,
            texts.summary(updated, enterprise, self.catalog, lang),
            reply_markup=keyboards.confirm(lang),
        )
        return CONFIRM

    @consumes
    async def on_submit(self, update: Update, context: Context) -> object:
        """Turns the draft into request #N; the confirmation comes through the outbox."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        try:
            submitted = await self.desk.submit(query.from_user.id, update_id=update.update_id)
        except Refused as refused:
            if refused.reason == Refusal.NOT_FOUND:
                await query.answer(texts.draft_lost(lang), show_alert=True)
                return END
            await answer_refusal(update, refused, lang)
            return CONFIRM if refused.reason == Refusal.BAD_INPUT else END
        await query.answer(f"#{submitted.request.id} ✔")
        await query.edit_message_reply_markup(None)
        return END

    @consumes
    async def on_cancel(self, update: Update, context: Context) -> object:
        """Abandons the form; nothing is sent to anyone."""
        _person, lang = await self.who(update)
        user = update.effective_user
        assert user is not None
        existed = await self.desk.drop_draft(user.id)
        if update.callback_query is not None:
            await update.callback_query.answer()
            await update.callback_query.edit_message_reply_markup(None)
        await self.reply(update, texts.cancelled(lang, existed))
        return END

    @consumes
    async def on_use_buttons(self, update: Update, context: Context) -> object:
        """Text typed where a button was expected: re-asks the same step."""
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            await self.reply(update, texts.draft_lost(lang))
            return END
        await self.reply(update, texts.use_buttons(lang))
        return draft.step

    def handler(self) -> ConversationHandler[Context]:
        text = filters.TEXT & ~filters.COMMAND
        other = ~filters.COMMAND & ~filters.TEXT
        files = filters.PHOTO | filters.Document.ALL
        buttons_only: list[BaseHandler[Update, Context, object]] = [
            MessageHandler(text, self.on_use_buttons)
        ]
        with warnings.catch_warnings():
            # Per-chat tracking is intended: the form's buttons belong to the owner's chat.
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            return self._conversation(text, other, files, buttons_only)

    def _conversation(
        self,
        text: filters.BaseFilter,
        other: filters.BaseFilter,
        files: filters.BaseFilter,
        buttons_only: list[BaseHandler[Update, Context, object]],
    ) -> ConversationHandler[Context]:
        return ConversationHandler(
            entry_points=[CommandHandler("new", self.on_new)],
            states={
                ENTERPRISE: [
                    CallbackQueryHandler(self.on_enterprise, pattern(Op.ENTERPRISE)),
                    *buttons_only,
                ],
                CATEGORY: [
                    CallbackQueryHandler(self.on_category, pattern(Op.CATEGORY)),
                    *buttons_only,
                ],
                DESCRIPTION: [
                    MessageHandler(text, self.on_description),
                    MessageHandler(other, self.on_not_text),
                ],
                ATTACHMENTS: [
                    MessageHandler(files, self.on_attachment),
                    CallbackQueryHandler(self.on_attachments_done, pattern(Op.ATTACH_DONE)),
                    MessageHandler(~filters.COMMAND & ~files, self.on_attachment_wrong),
                ],
                URGENCY: [
                    CallbackQueryHandler(self.on_urgency, pattern(Op.URGENCY)),
                    *buttons_only,
                ],
                CONFIRM: [CallbackQueryHandler(self.on_submit, pattern(Op.SUBMIT)), *buttons_only],
            },
            fallbacks=[
                CommandHandler("cancel", self.on_cancel),
                CallbackQueryHandler(self.on_cancel, pattern(Op.CANCEL)),
                CommandHandler("new", self.on_new),
            ],
            name="intake",
            persistent=True,
            allow_reentry=True,
        )
