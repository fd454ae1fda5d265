"""Keyboards of hand-backs: reason buttons, and the supervisors' team and person pickers."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callback_data import Callback, Op
from bot.channels.telegram.texts_handoff import reason_label
from bot.domain.handoff import Reason
from bot.domain.models import Catalog, Person
from bot.i18n import translator


def _button(label: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode())


def reasons(op: Op, request_id: int, lang: str) -> InlineKeyboardMarkup:
    """One button per reason (Decline or Hand back); the last asks for free text."""
    return InlineKeyboardMarkup(
        [[_button(reason_label(r.value, lang), Callback(op, request_id, r.value))] for r in Reason]
    )


def teams(
    request_id: int, ask: int, catalog: Catalog, lang: str, holder: str | None
) -> InlineKeyboardMarkup:
    """The teams (two a row), a person from a list, and back to the holder if there is one."""
    _ = translator(lang)
    buttons = [
        _button(t.label(lang), Callback(Op.ROUTE, request_id, f"{ask}.t-{t.key}"))
        for t in catalog.teams
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(_("👤 Give to a person…"), Callback(Op.ROUTE, request_id, f"{ask}.pp-0"))])
    if holder:
        rows.append(
            [
                _button(
                    _("↩ Back to {holder}").format(holder=holder),
                    Callback(Op.ROUTE, request_id, f"{ask}.h"),
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def people(
    request_id: int, ask: int, page: int, found: Sequence[Person], more: bool, lang: str
) -> InlineKeyboardMarkup:
    """A page of people to give the request to, with Previous/Next and back to the teams."""
    _ = translator(lang)
    rows = [[_button(p.name, Callback(Op.ROUTE, request_id, f"{ask}.p-{p.id}"))] for p in found]
    paging = []
    if page > 0:
        paging.append(
            _button(_("◀ Previous"), Callback(Op.ROUTE, request_id, f"{ask}.pp-{page - 1}"))
        )
    if more:
        paging.append(_button(_("Next ▶"), Callback(Op.ROUTE, request_id, f"{ask}.pp-{page + 1}")))
    if paging:
        rows.append(paging)
    rows.append([_button(_("🏢 Teams"), Callback(Op.ROUTE, request_id, f"{ask}.tm"))])
    return InlineKeyboardMarkup(rows)
