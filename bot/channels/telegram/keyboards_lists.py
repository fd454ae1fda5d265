"""Buttons of the lists, the request card, its timeline and the withdrawal (issue 11).

A list key travels in callback data as text: ``my.3``, ``mine.0``, ``open.all.0``,
``open.late.1``, ``open.new.0``, ``open.team.finance.2`` (kind, filter, team, page), ``chain.0``
(a committee member's chains), ``chain.3.0`` (the fourth chain in order, its first page). It names a
page, never a permission: the handler asks bot.services.browse, which checks who is asking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram import keyboards, keyboards_aftercare
from bot.channels.telegram.callback_data import Callback, Op
from bot.channels.telegram.texts_lists import filter_label, item_label
from bot.domain.listing import ListKey, ListKind, OpenFilter, Page
from bot.domain.models import Catalog
from bot.i18n import translator
from bot.services.browse import CardView

_KEY = re.compile(
    r"^(?:(?P<kind>my|mine|chain)|open\.(?P<filter>all|late|new)|open\.team\.(?P<team>[a-z0-9_]{1,24})"
    r"|chain\.(?P<chain>\d{1,4}))\.(?P<page>\d{1,5})$"
)
_TIMELINE = re.compile(r"^(?P<page>\d{1,4})\.(?P<key>.*)$")


def encode_key(key: ListKey) -> str:
    if key.kind == ListKind.OPEN:
        middle = f"team.{key.team}" if key.filter == OpenFilter.TEAM else key.filter.value
        return f"open.{middle}.{key.page}"
    if key.kind == ListKind.CHAIN and key.chain is not None:
        return f"chain.{key.chain}.{key.page}"
    return f"{key.kind.value}.{key.page}"


def decode_key(text: str | None) -> ListKey | None:
    """The list key in a button, or None for anything malformed."""
    found = _KEY.match(text or "")
    if found is None:
        return None
    page = int(found["page"])
    if found["kind"]:
        return ListKey(ListKind(found["kind"]), page)
    if found["chain"]:
        return ListKey(ListKind.CHAIN, page, chain=int(found["chain"]))
    if found["team"]:
        return ListKey(ListKind.OPEN, page, OpenFilter.TEAM, found["team"])
    return ListKey(ListKind.OPEN, page, OpenFilter(found["filter"]))


def decode_timeline(arg: str | None) -> tuple[int, ListKey | None] | None:
    """(page, the list to go back to) from a Timeline button's argument."""
    found = _TIMELINE.match(arg or "")
    if found is None:
        return None
    return int(found["page"]), decode_key(found["key"])


def _button(label: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode())


def _back(key: ListKey | None) -> str | None:
    return encode_key(key) if key else None


def list_markup(page: Page, now: datetime, lang: str) -> InlineKeyboardMarkup | None:
    """One button per request, then ◀ ▶, then (for /open) the filters (None: no buttons)."""
    _ = translator(lang)
    key = page.key
    rows: list[list[InlineKeyboardButton]] = [
        [_button(item_label(line, now, lang), Callback(Op.CARD, line.id, encode_key(key)))]
        for line in page.items
    ]
    nav: list[InlineKeyboardButton] = []
    if page.has_previous:
        nav.append(
            _button(_("◀ Previous"), Callback(Op.LIST, arg=encode_key(key.at(key.page - 1))))
        )
    if page.has_next:
        nav.append(_button(_("Next ▶"), Callback(Op.LIST, arg=encode_key(key.at(key.page + 1)))))
    if nav:
        rows.append(nav)
    if key.kind == ListKind.CHAIN and key.chain is not None:
        rows.append([_button(_("◀ Chains"), Callback(Op.CHAINS))])
    if key.kind == ListKind.OPEN:
        filters = []
        for f in (OpenFilter.ALL, OpenFilter.OVERDUE, OpenFilter.UNACCEPTED):
            mark = "• " if key.filter == f else ""
            target = ListKey(ListKind.OPEN, 0, f)
            filters.append(
                _button(mark + filter_label(f, lang), Callback(Op.LIST, arg=encode_key(target)))
            )
        mark = "• " if key.filter == OpenFilter.TEAM else ""
        filters.append(_button(mark + filter_label(OpenFilter.TEAM, lang), Callback(Op.TEAMS)))
        rows += [filters[:2], filters[2:]]
    return InlineKeyboardMarkup(rows) if rows else None


def team_picker(catalog: Catalog, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    buttons = [
        _button(
            t.label(lang),
            Callback(Op.LIST, arg=encode_key(ListKey(ListKind.OPEN, 0, OpenFilter.TEAM, t.key))),
        )
        for t in catalog.teams
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(_("◀ Back"), Callback(Op.LIST, arg="open.all.0"))])
    return InlineKeyboardMarkup(rows)


def chain_picker(chains: Sequence[str], lang: str) -> InlineKeyboardMarkup:
    """One button per industry chain (two a row); each opens that chain's open requests."""
    buttons = [
        _button(name, Callback(Op.LIST, arg=encode_key(ListKey(ListKind.CHAIN, 0, chain=i))))
        for i, name in enumerate(chains)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def card_markup(card: CardView, back: ListKey | None, lang: str) -> InlineKeyboardMarkup:
    """What this reader may do to the request now, its timeline, and the way back."""
    _ = translator(lang)
    r = card.view.request
    rows: list[Sequence[InlineKeyboardButton]] = []
    if card.can_accept:
        rows += keyboards.offer(r.id, lang).inline_keyboard
    if card.can_work:
        rows += keyboards.working(r.id, lang).inline_keyboard
    elif card.staff:
        rows.append([keyboards.internal_note(r.id, lang)])
    if card.can_rate:
        rows += keyboards.rating(r.id).inline_keyboard
    if card.can_cancel:
        rows.append([_button(_("✖ Cancel request"), Callback(Op.WITHDRAW, r.id, _back(back)))])
    if card.can_reopen:
        rows += keyboards_aftercare.reopen(r.id, lang).inline_keyboard
    nav = [_button(_("🕘 Timeline"), Callback(Op.TIMELINE, r.id, f"0.{_back(back) or ''}"))]
    if back is not None:
        nav.append(_button(_("◀ Back to the list"), Callback(Op.LIST, arg=encode_key(back))))
    rows.append(nav)
    return InlineKeyboardMarkup(rows)


def timeline_markup(
    request_id: int, page: int, pages: int, back: ListKey | None, lang: str
) -> InlineKeyboardMarkup:
    _ = translator(lang)
    tail = _back(back) or ""
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            _button(_("◀ Previous"), Callback(Op.TIMELINE, request_id, f"{page - 1}.{tail}"))
        )
    if page + 1 < pages:
        nav.append(_button(_("Next ▶"), Callback(Op.TIMELINE, request_id, f"{page + 1}.{tail}")))
    rows = [nav] if nav else []
    rows.append([_button(_("◀ Back to the request"), Callback(Op.CARD, request_id, _back(back)))])
    return InlineKeyboardMarkup(rows)


def confirm_withdraw(request_id: int, back: ListKey | None, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return InlineKeyboardMarkup(
        [
            [
                _button(_("✖ Withdraw"), Callback(Op.WITHDRAW_YES, request_id, _back(back))),
                _button(_("Keep it"), Callback(Op.CARD, request_id, _back(back))),
            ]
        ]
    )


def withdraw_reason(request_id: int, back: ListKey | None, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return InlineKeyboardMarkup(
        [
            [
                _button(_("⏭ Skip"), Callback(Op.WITHDRAW_SKIP, request_id, _back(back))),
                _button(_("Keep it"), Callback(Op.WITHDRAW_KEEP, request_id, _back(back))),
            ]
        ]
    )
