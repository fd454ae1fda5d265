"""Onboarding: /start asks for the person's own phone number and binds them to their role."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update

from bot.channels.telegram import keyboards, texts_onboarding
from bot.channels.telegram.identity import address, update_ref
from bot.handlers.common import Context, HandlerBase
from bot.i18n import pick_language


class Onboarding(HandlerBase):
    async def on_start(self, update: Update, context: Context) -> None:
        """Greets a known person, or asks for their phone number."""
        person, lang = await self.who(update)
        if person is not None:
            enterprises = await self.desk.enterprises_of(person.id)
            await self.reply(
                update, texts_onboarding.welcome(person, enterprises, self.catalog, lang)
            )
            return
        await self.reply(
            update, texts_onboarding.start_unbound(lang), reply_markup=keyboards.share_contact(lang)
        )

    async def on_contact(self, update: Update, context: Context) -> None:
        """Binds the sender if the contact is their own and its phone is on a roster."""
        message = update.effective_message
        user = update.effective_user
        assert message is not None and message.contact is not None and user is not None
        _person, lang = await self.who(update)
        contact = message.contact
        if contact.user_id != user.id:
            await self.reply(
                update,
                texts_onboarding.contact_not_own(lang),
                reply_markup=keyboards.share_contact(lang),
            )
            return
        done = await self.desk.onboard(
            address(user.id), contact.phone_number, user.language_code, update=update_ref(update)
        )
        if done is None:
            await self.reply(
                update,
                texts_onboarding.contact_unknown(lang, contact.phone_number, self.catalog.center),
                reply_markup=ReplyKeyboardRemove(),
            )
            return
        lang = pick_language(done.person.language, user.language_code, self.deps.default_language)
        await self.reply(
            update,
            texts_onboarding.welcome(done.person, done.enterprises, self.catalog, lang),
            reply_markup=ReplyKeyboardRemove(),
        )
