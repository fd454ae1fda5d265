"""Buttons of the supervisors' /roster: people of a group, paging, the groups, a change of phone.

A roster key travels as ``c.0`` (group code, page; bot.domain.directory.RosterKey); a person's
button carries their id in the request-id slot. Neither grants anything: the handler asks
bot.services.directory, which checks that a supervisor is asking.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callback_data import Callback, Op
from bot.channels.telegram.texts_roster import group_label, person_label
from bot.domain.directory import GROUPS, PeoplePage, RosterKey
from bot.domain.models import Catalog
from bot.i18n import translator


def _button(label: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode())


def roster_markup(page: PeoplePage, catalog: Catalog, lang: str) -> InlineKeyboardMarkup:
    """One button per person, then ◀ ▶, then the groups (two a row)."""
    _ = translator(lang)
    key = page.key
    rows: list[list[InlineKeyboardButton]] = [
        [_button(person_label(p, catalog, lang), Callback(Op.PERSON, p.id, key.encode()))]
        for p in page.people
    ]
    nav: list[InlineKeyboardButton] = []
    if page.has_previous:
        nav.append(_button(_("◀ Previous"), Callback(Op.ROSTER, arg=key.at(key.page - 1).encode())))
    if page.has_next:
        nav.append(_button(_("Next ▶"), Callback(Op.ROSTER, arg=key.at(key.page + 1).encode())))
    if nav:
        rows.append(nav)
    groups = [
        _button(
            ("• " if g == key.group else "") + group_label(g, lang),
            Callback(Op.ROSTER, arg=RosterKey(g).encode()),
        )
        for g in GROUPS
    ]
    rows += [groups[:2], groups[2:]]
    return InlineKeyboardMarkup(rows)


def entry_markup(person_id: int, back: str | None, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    rows = [[_button(_("📱 Change phone"), Callback(Op.PHONE, person_id, back))]]
    if back is not None:
        rows.append([_button(_("◀ Back to the list"), Callback(Op.ROSTER, arg=back))])
    return InlineKeyboardMarkup(rows)
