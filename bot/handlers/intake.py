"""The /new form: category → description → attachments → urgency → confirm (a conversation).

Every step commits the owner's draft (its step, and the update that made it) before answering,
so a restart — even a kill -9 — resumes at the step the owner was on; an update replayed after
a crash finds that it already made its step and only asks the current question again.
"""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import keyboards, texts, texts_intake, texts_notes
from bot.channels.telegram.callback_data import Op, decode, pattern
from bot.channels.telegram.content import CONTENT, content_of, unsupported
from bot.channels.telegram.identity import CHANNEL, address, update_ref
from bot.domain.access import allows, relations
from bot.domain.models import Attachment, Draft, Person, Urgency
from bot.handlers.common import Context, answer_refusal, person_id
from bot.handlers.intake_form import (
    ATTACHMENTS,
    CATEGORY,
    CONFIRM,
    DESCRIPTION,
    END,
    ENTERPRISE,
    FORM_BUTTONS,
    URGENCY,
    IntakeBase,
    step,
)
from bot.services.desk import MAX_ATTACHMENTS
from bot.services.errors import Refusal, Refused


class Intake(IntakeBase):
    @step
    async def on_new(self, update: Update, context: Context) -> object:
        """Starts a new form (or restarts one)."""
        person, lang = await self.who(update)
        if person is None or not allows("/new", relations(person)):
            await self.reply(update, texts_intake.not_owner(lang))
            return END
        return await self._start(update, person, lang)

    @step
    async def on_new_button(self, update: Update, context: Context) -> object:
        """Starts the form like /new: the New request button under a finished request's reply."""
        person, lang = await self.who(update)
        if person is None or not allows("new_request", relations(person)):
            await self.answer(update, texts_intake.not_owner(lang), alert=True)
            return END
        return await self._start(update, person, lang)

    async def _start(self, update: Update, person: Person, lang: str) -> object:
        """The form's first question for an owner (refused with a reason if they may not file);
        a tap is answered once: with the refusal, or plainly before the question."""
        user = update.effective_user
        assert user is not None
        enterprises = await self.desk.enterprises_of(person.id)
        if not enterprises:
            await answer_refusal(update, Refused(Refusal.NO_ENTERPRISE), lang)
            return END
        try:
            await self.desk.check_can_file(person.id)
        except Refused as refused:
            await self.desk.drop_draft(address(user.id))
            await answer_refusal(update, refused, lang)
            return END
        first = ENTERPRISE if len(enterprises) > 1 else CATEGORY
        draft = await self._save(
            update, Draft(at=address(user.id), step=first), first, enterprise_id=enterprises[0].id
        )
        await self.answer(update)
        return await self.ask(update, draft, lang)

    @step
    async def on_enterprise(self, update: Update, context: Context) -> object:
        """Stores which enterprise the request is for and asks for the category."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        cb = decode(query.data)
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        enterprises = await self.desk.enterprises_of(await self.acting(update))
        chosen = next((x for x in enterprises if cb and cb.arg == str(x.id)), None)
        if chosen is None:
            await self.answer(update, texts.stale_button(lang), alert=True)
            return ENTERPRISE
        updated = await self._save(update, draft, CATEGORY, enterprise_id=chosen.id)
        await self.answer(update)
        await self.edit(update, f"🏢 {texts.e(chosen.name)}")
        return await self.ask(update, updated, lang)

    @step
    async def on_category(self, update: Update, context: Context) -> object:
        """Stores the category and asks for the description."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        cb = decode(query.data)
        category = self.catalog.category(cb.arg or "") if cb else None
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        if category is None:
            await self.answer(update, texts.stale_button(lang), alert=True)
            return CATEGORY
        updated = await self._save(update, draft, DESCRIPTION, category=category.key)
        await self.answer(update)
        await self.edit(update, f"📂 {texts.e(category.label(lang))}")
        return await self.ask(update, updated, lang)

    @step
    async def on_description(self, update: Update, context: Context) -> object:
        """Checks the description's length, stores it and offers attachments."""
        message = update.effective_message
        assert message is not None and message.text is not None
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        try:
            text = self.desk.check_description(message.text)
        except Refused as refused:
            await self.reply(
                update, texts_intake.description_bad(lang, int(refused.details.get("length") or 0))
            )
            return await self.ask(update, draft, lang)
        updated = await self._save(update, draft, ATTACHMENTS, description=text)
        return await self.ask(update, updated, lang)

    @step
    async def on_not_text(self, update: Update, context: Context) -> object:
        """A sticker, photo or location where words were asked for."""
        _person, lang = await self.who(update)
        await self.reply(update, texts_intake.text_expected(lang))
        return DESCRIPTION

    @step
    async def on_attachment(self, update: Update, context: Context) -> object:
        """Adds a photo, document, voice message, video, audio, location or contact."""
        message = update.effective_message
        assert message is not None
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        if len(draft.attachments) >= MAX_ATTACHMENTS:
            await self.reply(
                update,
                texts_intake.attachment_limit(lang),
                reply_markup=keyboards.attachments(lang, True),
            )
            return ATTACHMENTS
        content = content_of(message)
        assert content is not None
        item = Attachment(
            kind=content.kind, channel=CHANNEL, ref=content.ref, file_name=content.file_name
        )
        updated = await self._save(
            update, draft, ATTACHMENTS, attachments=(*draft.attachments, item)
        )
        return await self.ask(update, updated, lang)

    @step
    async def on_attachment_wrong(self, update: Update, context: Context) -> object:
        """Something that cannot be attached (words, a sticker, a poll) while they are open."""
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        message = update.effective_message
        await self.reply(
            update,
            texts_notes.not_relayable(lang)
            if message is not None and unsupported(message)
            else texts_intake.attachment_wrong(lang),
            reply_markup=keyboards.attachments(lang, bool(draft and draft.attachments)),
        )
        return ATTACHMENTS

    @step
    async def on_attachments_done(self, update: Update, context: Context) -> object:
        """Closes the attachments and asks for the urgency."""
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        updated = await self._save(update, draft, URGENCY)
        await self.answer(update)
        await self.edit(update, None)
        return await self.ask(update, updated, lang)

    @step
    async def on_urgency(self, update: Update, context: Context) -> object:
        """Stores the urgency and shows the summary with Submit / Cancel."""
        query = update.callback_query
        assert query is not None
        _person, lang = await self.who(update)
        cb = decode(query.data)
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        if cb is None or cb.arg not in ("normal", "urgent"):
            await self.answer(update, texts.stale_button(lang), alert=True)
            return URGENCY
        urgency = Urgency(cb.arg)
        updated = await self._save(update, draft, CONFIRM, urgency=urgency)
        await self.answer(update)
        await self.edit(update, texts.urgency_label(urgency, lang))
        return await self.ask(update, updated, lang)

    @step
    async def on_submit(self, update: Update, context: Context) -> object:
        """Turns the draft into request #N; the confirmation comes through the outbox."""
        query = update.callback_query
        assert query is not None
        person, lang = await self.who(update)
        try:
            submitted = await self.desk.submit(
                person_id(person), address(query.from_user.id), update=update_ref(update)
            )
        except Refused as refused:
            if refused.reason == Refusal.NOT_FOUND:
                return await self._lost(update, lang)
            await answer_refusal(update, refused, lang)
            # Too many open requests: the draft stays, to submit once one of them is closed.
            keep = refused.reason in (Refusal.BAD_INPUT, Refusal.TOO_MANY_OPEN)
            return CONFIRM if keep else END
        await self.answer(update, f"#{submitted.request.id} ✔")
        await self.edit(update, None)
        return END

    @step
    async def on_cancel(self, update: Update, context: Context) -> object:
        """Abandons the form; nothing is sent to anyone."""
        _person, lang = await self.who(update)
        user = update.effective_user
        assert user is not None
        existed = await self.desk.drop_draft(address(user.id))
        if update.callback_query is not None:
            await self.answer(update)
            await self.edit(update, None)
        await self.reply(update, texts.cancelled(lang, existed))
        return END

    @step
    async def on_use_buttons(self, update: Update, context: Context) -> object:
        """Text typed, or an old form button tapped, where this step's buttons were expected."""
        _person, lang = await self.who(update)
        draft = await self._draft(update)
        if draft is None:
            return await self._lost(update, lang)
        if update.callback_query is not None:
            await self.answer(update, texts_intake.use_buttons(lang), alert=True)
            return draft.step
        await self.reply(update, texts_intake.use_buttons(lang))
        return draft.step

    def handler(self) -> ConversationHandler[Context]:
        """The conversation, persistent through the drafts (see channels/telegram/persistence)."""
        text = filters.TEXT & ~filters.COMMAND
        files = CONTENT
        # Any other form button (from an earlier question) is answered, never left spinning.
        stray: list[BaseHandler[Update, Context, object]] = [
            CallbackQueryHandler(self.on_use_buttons, pattern(*FORM_BUTTONS))
        ]
        buttons_only = [MessageHandler(text, self.on_use_buttons), *stray]
        states: dict[object, list[BaseHandler[Update, Context, object]]] = {
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
                MessageHandler(~filters.COMMAND & ~filters.TEXT, self.on_not_text),
                *stray,
            ],
            ATTACHMENTS: [
                MessageHandler(files, self.on_attachment),
                CallbackQueryHandler(self.on_attachments_done, pattern(Op.ATTACH_DONE)),
                MessageHandler(~filters.COMMAND & ~files, self.on_attachment_wrong),
                *stray,
            ],
            URGENCY: [
                CallbackQueryHandler(self.on_urgency, pattern(Op.URGENCY)),
                *buttons_only,
            ],
            CONFIRM: [
                CallbackQueryHandler(self.on_submit, pattern(Op.SUBMIT)),
                *buttons_only,
            ],
        }
        with warnings.catch_warnings():
            # Per-chat tracking is intended: the form's buttons belong to the owner's chat.
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            return ConversationHandler(
                entry_points=[
                    CommandHandler("new", self.on_new),
                    CallbackQueryHandler(self.on_new_button, pattern(Op.NEW_REQUEST)),
                ],
                states=states,
                fallbacks=[
                    CommandHandler("cancel", self.on_cancel),
                    CallbackQueryHandler(self.on_cancel, pattern(Op.CANCEL)),
                    CommandHandler("new", self.on_new),
                    CallbackQueryHandler(self.on_new_button, pattern(Op.NEW_REQUEST)),
                ],
                name="intake",
                persistent=True,
                allow_reentry=True,
            )
