"""Inline and reply keyboards (pure: state in, markup out)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.channels.telegram.callback_data import Callback, Op
from bot.domain.models import Catalog, Enterprise, Outcome
from bot.i18n import labels, translator

ROW = 2  # buttons a row on a phone screen; Telegram allows 8


def _button(label: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode())


def _rows(buttons: Sequence[InlineKeyboardButton], width: int = ROW) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    )


def share_contact(lang: str) -> ReplyKeyboardMarkup:
    _ = translator(lang)
    return ReplyKeyboardMarkup(
        [[KeyboardButton(_("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def categories(catalog: Catalog, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    buttons = [_button(c.label(lang), Callback(Op.CATEGORY, arg=c.key)) for c in catalog.categories]
    buttons.append(_button(_("✖ Cancel"), Callback(Op.CANCEL)))
    return _rows(buttons, 3)


def enterprises(items: Sequence[Enterprise], lang: str) -> InlineKeyboardMarkup:
    return _rows([_button(e.name, Callback(Op.ENTERPRISE, arg=str(e.id))) for e in items], 1)


def attachments(lang: str, any_added: bool) -> InlineKeyboardMarkup:
    _ = translator(lang)
    label = _("✔ Done") if any_added else _("⏭ Skip")
    return _rows(
        [_button(label, Callback(Op.ATTACH_DONE)), _button(_("✖ Cancel"), Callback(Op.CANCEL))]
    )


def urgency(lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return _rows(
        [
            _button(_("Normal"), Callback(Op.URGENCY, arg="normal")),
            _button(_("🔴 Urgent"), Callback(Op.URGENCY, arg="urgent")),
        ]
    )


def confirm(lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return _rows(
        [_button(_("✅ Submit"), Callback(Op.SUBMIT)), _button(_("✖ Cancel"), Callback(Op.CANCEL))]
    )


def offer(request_id: int, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return _rows(
        [
            _button(_("✅ Accept"), Callback(Op.ACCEPT, request_id)),
            _button(_("↩ Decline"), Callback(Op.DECLINE, request_id)),
        ]
    )


def working(request_id: int, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return _rows(
        [
            _button(_("🏁 Resolve"), Callback(Op.RESOLVE, request_id)),
            _button(_("📝 Note"), Callback(Op.NOTE, request_id)),
            internal_note(request_id, lang),
            _button(_("↩ Hand back"), Callback(Op.HANDBACK, request_id)),
        ]
    )


def internal_note(request_id: int, lang: str) -> InlineKeyboardButton:
    """Staff only: a note the owner never sees (bot.services.notes)."""
    _ = translator(lang)
    return _button(_("🔒 Internal note"), Callback(Op.INTERNAL_NOTE, request_id))


def share_with_owner(request_id: int, step: int, lang: str) -> InlineKeyboardMarkup:
    """Under a supervisor's reply kept internal: send it to the owner as well."""
    _ = translator(lang)
    share = Callback(Op.SHARE_WITH_OWNER, request_id, str(step))
    return _rows([_button(_("📣 Also send to the owner"), share)], 1)


def outcomes(request_id: int, lang: str) -> InlineKeyboardMarkup:
    return _rows(
        [
            _button(outcome_label(o, lang), Callback(Op.OUTCOME, request_id, o.value))
            for o in Outcome
        ]
    )


def rating(request_id: int) -> InlineKeyboardMarkup:
    return _rows([_button(f"{n}⭐", Callback(Op.RATE, request_id, str(n))) for n in range(1, 6)], 5)


def languages() -> InlineKeyboardMarkup:
    return _rows(
        [
            _button("中文", Callback(Op.LANG, arg="zh")),
            _button("English", Callback(Op.LANG, arg="en")),
        ]
    )


def private_chat(username: str, lang: str) -> InlineKeyboardMarkup:
    """A link that opens the private chat with the bot (from a group or channel)."""
    _ = translator(lang)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Message me privately"), url=f"https://t.me/{username}")]]
    )


outcome_label = labels.outcome_label  # one definition, shared with the exports
