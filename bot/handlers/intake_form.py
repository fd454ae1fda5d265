"""What every step of the /new form shares: its states, the step guard, the draft, the questions."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ConversationHandler

from bot.channels.telegram import keyboards, texts, texts_intake
from bot.channels.telegram.callback_data import Op
from bot.channels.telegram.identity import address
from bot.domain.models import Draft
from bot.handlers.common import Context, HandlerBase

ENTERPRISE, CATEGORY, DESCRIPTION, ATTACHMENTS, URGENCY, CONFIRM = (
    "enterprise",
    "category",
    "description",
    "attachments",
    "urgency",
    "confirm",
)
END = ConversationHandler.END
FORM_BUTTONS = (Op.ENTERPRISE, Op.CATEGORY, Op.ATTACH_DONE, Op.URGENCY, Op.SUBMIT)

S = TypeVar("S", bound="IntakeBase")

# The draft the step guard just read for this update, handed to the step's own first read of
# it (nothing writes the draft in between: a person's updates are handled one at a time, and
# only they change their draft). Used once; any later read goes to the database again.
_READ: ContextVar[tuple[int, Draft | None] | None] = ContextVar("form_draft", default=None)
Step = Callable[[S, Update, Context], Coroutine[Any, Any, object]]


def step(handler: Step[S]) -> Step[S]:
    """A form step: skips an update that already made its step, and keeps later groups out."""

    @wraps(handler)
    async def wrapper(self: S, update: Update, context: Context) -> object:
        draft = await self._draft(update)
        if draft is not None and draft.last_update == update.update_id:
            # Its tap, if any, was answered before the crash or is too old to answer now.
            _person, lang = await self.who(update)
            state: object = await self.ask(update, draft, lang)
        else:
            read = _READ.set((update.update_id, draft))
            try:
                state = await handler(self, update, context)
            finally:
                _READ.reset(read)
        # Stops the relay and fallback groups from also answering a form message.
        raise ApplicationHandlerStop(state)

    return wrapper


class IntakeBase(HandlerBase):
    """The draft and the question of each step (the steps themselves: `Intake`)."""

    async def _draft(self, update: Update) -> Draft | None:
        read = _READ.get()
        if read is not None:
            _READ.set(None)
            if read[0] == update.update_id:
                return read[1]
        user = update.effective_user
        return await self.desk.draft(address(user.id)) if user else None

    async def _save(self, update: Update, draft: Draft, state: str, **changes: object) -> Draft:
        updated = draft.model_copy(
            update={"step": state, "last_update": update.update_id, **changes}
        )
        await self.desk.save_draft(updated)
        return updated

    async def ask(self, update: Update, draft: Draft, lang: str) -> str:
        """Sends the question of the draft's step (with its buttons); returns that step."""
        state = draft.step
        if state == ENTERPRISE:
            enterprises = await self.desk.enterprises_of(await self.acting(update))
            await self.reply(
                update,
                texts_intake.ask_enterprise(lang),
                reply_markup=keyboards.enterprises(enterprises, lang),
            )
        elif state == CATEGORY:
            await self.reply(
                update,
                texts_intake.ask_category(lang),
                reply_markup=keyboards.categories(self.catalog, lang),
            )
        elif state == DESCRIPTION:
            label = texts.category_label(self.catalog, draft.category or "", lang)
            await self.reply(update, texts_intake.ask_description(lang, label))
        elif state == ATTACHMENTS:
            count = len(draft.attachments)
            question = (
                texts_intake.attachment_added(lang, count)
                if count
                else texts_intake.ask_attachments(lang)
            )
            await self.reply(
                update, question, reply_markup=keyboards.attachments(lang, bool(count))
            )
        elif state == URGENCY:
            await self.reply(
                update, texts_intake.ask_urgency(lang), reply_markup=keyboards.urgency(lang)
            )
        else:
            enterprises = await self.desk.enterprises_of(await self.acting(update))
            enterprise = next((x for x in enterprises if x.id == draft.enterprise_id), None)
            await self.reply(
                update,
                texts_intake.summary(draft, enterprise, self.catalog, lang),
                reply_markup=keyboards.confirm(lang),
            )
        return state

    async def _lost(self, update: Update, lang: str) -> object:
        """The form was closed meanwhile (submitted, cancelled): say so and end."""
        if update.callback_query is not None:
            await self.answer(update, texts_intake.draft_lost(lang), alert=True)
        else:
            await self.reply(update, texts_intake.draft_lost(lang))
        return END
