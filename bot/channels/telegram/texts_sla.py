"""Texts (HTML) of chasing, in the reader's language, and the small formatters the other texts
share (extensions: texts_extension; the digest and /overdue: texts_digest)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.channels.telegram import keyboards
from bot.channels.telegram.texts import category_label, e, when
from bot.domain.clock import from_text
from bot.domain.models import Catalog
from bot.i18n import translator
from bot.services.desk import RequestView

REMINDER_REF = "reminder"

Params = Mapping[str, str | int | float | bool | None]
Rendered = tuple[str, InlineKeyboardMarkup | None, str | None]

MAX_TEXT = 4096


# ---- small formatters --------------------------------------------------------------------


def duration(seconds: float, lang: str) -> str:
    """A waiting time people read at a glance: 45 min, 2 h 5 min, 3 d 4 h."""
    _ = translator(lang)
    if seconds < 60:  # only with test-sized settings such as ACCEPT_REMIND_AFTER=2
        return _("{s} s").format(s=max(0, round(seconds)))
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("{m} min").format(m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes == 0:
            return _("{h} h").format(h=hours)
        return _("{h} h {m} min").format(h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return _("{d} d {h} h").format(d=days, h=hours)


def days_text(days: int, lang: str) -> str:
    _ = translator(lang)
    return _("{n} day").format(n=days) if days == 1 else _("{n} days").format(n=days)


def _instant(params: Params, key: str) -> datetime | None:
    raw = params.get(key)
    return from_text(raw) if isinstance(raw, str) and raw else None


def _int(params: Params, key: str) -> int:
    raw = params.get(key)
    return int(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else 0


def _names(view: RequestView) -> str:
    return "、".join(e(p.name) for p in view.offered) or "—"


def _tier(tier: object, lang: str) -> str:
    _ = translator(lang)
    return _("the service team") if tier == "team" else _("the supervisors")


# ---- messages about a request (bot.channels.telegram.renderers registers them) ------------


def escalated_late(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """A request escalated because nobody accepted it in time (to the supervisors)."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    category = e(category_label(catalog, view.request.category, lang))
    return (
        _(
            "⚠️ <b>#{n}</b> ({enterprise}, {category}) was not accepted in time and has "
            "gone to {to}: {names}."
        ).format(
            n=n,
            enterprise=enterprise,
            category=category,
            to=_tier(params.get("tier"), lang),
            names=_names(view),
        ),
        None,
        None,
    )


def remind_accept(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Reminds the people it is offered to that #N waits for them to accept it."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    category = e(category_label(catalog, view.request.category, lang))
    return (
        _(
            "⏰ <b>#{n}</b> ({enterprise}, {category}) has been waiting {waited} for you to "
            "accept it. Tap <b>Accept</b> to take it, or <b>Decline</b> with a reason."
        ).format(
            n=n,
            enterprise=enterprise,
            category=category,
            waited=duration(_int(params, "waited"), lang),
        ),
        keyboards.offer(n, lang),
        # Remembered so its buttons can be taken away once the offer to this person ends.
        REMINDER_REF,
    )


def taken_away(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells someone it was offered to that #N has gone on (edits their card)."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    return (
        _(
            "⏱ <b>#{n}</b> · {enterprise}: not accepted within {limit}, so it has gone to {to}."
        ).format(
            n=n,
            enterprise=enterprise,
            limit=duration(_int(params, "limit"), lang),
            to=_tier(params.get("tier"), lang),
        ),
        None,
        "card",
    )


def unaccepted(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells the supervisors that nobody has accepted #N yet."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    category = e(category_label(catalog, view.request.category, lang))
    return (
        _(
            "🚨 <b>#{n}</b> ({enterprise}, {category}) has waited {waited} and nobody has "
            "accepted it yet (offered to: {names}). Please step in, e.g. with "
            "/reassign #{n} PHONE."
        ).format(
            n=n,
            enterprise=enterprise,
            category=category,
            waited=duration(_int(params, "waited"), lang),
            names=_names(view),
        ),
        None,
        None,
    )


def remind_due(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Reminds the holder on the morning #N falls due."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    due = _instant(params, "due_at")
    return (
        _(
            "📅 <b>#{n}</b> ({enterprise}) is due today at {time}. Tap <b>Resolve</b> on "
            "its card when it is done; if you need more time, send "
            "/extend #{n} DAYS REASON before then."
        ).format(
            n=n,
            enterprise=enterprise,
            time=due.astimezone(tz).strftime("%H:%M") if due else "—",
        ),
        None,
        None,
    )


def overdue(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells the holder that #N is overdue."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    due = _instant(params, "due_at")
    return (
        _(
            "⏰ <b>#{n}</b> ({enterprise}) is overdue by {days} (deadline {due}). Please "
            "resolve it, or tell the owner where it stands by replying here; the "
            "supervisors have been informed."
        ).format(
            n=n,
            enterprise=enterprise,
            days=days_text(_int(params, "days"), lang),
            due=when(due, tz),
        ),
        keyboards.working(n, lang),
        None,
    )


def overdue_report(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells the supervisors that #N is overdue."""
    _ = translator(lang)
    n = view.request.id
    enterprise = e(view.enterprise.name)
    category = e(category_label(catalog, view.request.category, lang))
    due = _instant(params, "due_at")
    return (
        _(
            "🚨 Overdue: <b>#{n}</b> ({enterprise}, {category}), held by {holder}, is "
            "{days} late (deadline {due})."
        ).format(
            n=n,
            enterprise=enterprise,
            category=category,
            holder=e(params.get("holder") or "—"),
            days=days_text(_int(params, "days"), lang),
            due=when(due, tz),
        ),
        None,
        None,
    )


def dead_letter(update_id: str, reason: str, lang: str) -> str:
    """Tells a supervisor that one incoming message could not be handled and was set aside."""
    _ = translator(lang)
    return _(
        "⚠️ A message to the bot (update {update_id}) could not be handled and was set aside; "
        "the bot goes on with the others. Someone may be waiting for an answer: the operator "
        "can look it up with <code>oncall-bot check</code>.\nWhy: {reason}"
    ).format(update_id=update_id, reason=html.escape(reason))


def schedule_warning(year: int, where: str, lang: str) -> str:
    """Says that a year's official holiday schedule is unknown, and where to add it."""
    _ = translator(lang)
    return _(
        "The official {year} holiday schedule is not known yet: public holidays for {year} are "
        "estimated by rule and make-up workdays (调休) are missing, so working-day deadlines may "
        "be wrong. Add {year}'s days off and make-up workdays from the State Council notice to "
        "{where} and list {year} under [years] confirmed."
    ).format(year=year, where=where)


def cap(text: str) -> str:
    """Keeps a message within Telegram's 4,096 characters (cutting at a line)."""
    if len(text) <= MAX_TEXT:
        return text
    cut = text[: MAX_TEXT - 2].rsplit("\n", 1)[0]
    return cut + "\n…"


_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """An HTML message as plain text (for the command line)."""
    return html.unescape(_TAG.sub("", text))


# ---- answers to commands and taps -------------------------------------------------------------


def supervisors_only(lang: str, command: str) -> str:
    _ = translator(lang)
    return _("Only the service center's supervisors can use /{command}.").format(command=command)
