"""Buttons after resolution: rating with Reopen, the rating's comment, Reopen (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram import keyboards
from bot.channels.telegram.callback_data import Callback, Op
from bot.i18n import translator


def _button(label: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode())


def reopen(request_id: int, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return InlineKeyboardMarkup([[_button(_("↩ Reopen"), Callback(Op.REOPEN, request_id))]])


def finished(request_id: int, lang: str, may_reopen: bool) -> InlineKeyboardMarkup:
    """Under a reply about a closed or withdrawn request, to its owner: a new request (the
    /new form), and Reopen while the server still allows it."""
    _ = translator(lang)
    rows: list[Sequence[InlineKeyboardButton]] = [
        [_button(_("🆕 New request"), Callback(Op.NEW_REQUEST))]
    ]
    if may_reopen:
        rows.extend(reopen(request_id, lang).inline_keyboard)
    return InlineKeyboardMarkup(rows)


def rating_or_reopen(request_id: int, lang: str) -> InlineKeyboardMarkup:
    """The resolved message: rate 1–5, or reopen it (the server decides whether it still may)."""
    rows = [
        *keyboards.rating(request_id).inline_keyboard,
        *reopen(request_id, lang).inline_keyboard,
    ]
    return InlineKeyboardMarkup(rows)


def comment_or_not(request_id: int, lang: str) -> InlineKeyboardMarkup:
    """After the rating: an optional comment, and Reopen."""
    _ = translator(lang)
    return InlineKeyboardMarkup(
        [
            [
                _button(_("💬 Add a comment"), Callback(Op.COMMENT, request_id)),
                _button(_("No comment"), Callback(Op.NO_COMMENT, request_id)),
            ],
            *reopen(request_id, lang).inline_keyboard,
        ]
    )
