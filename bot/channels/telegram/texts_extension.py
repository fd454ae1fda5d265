"""Texts (HTML) and buttons of deadline extensions: the holder asks (/extend), supervisors
approve or refuse with one tap, holder and owner are told — in the reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callback_data import Callback, Op
from bot.channels.telegram.texts import e, when
from bot.channels.telegram.texts_sla import Params, Rendered, _instant, _int, days_text
from bot.domain.models import Catalog
from bot.i18n import translator
from bot.services.desk import RequestView


def extension_buttons(request_id: int, ask: int, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✅ Approve"),
                    callback_data=Callback(Op.EXTENSION, request_id, f"y{ask}").encode(),
                ),
                InlineKeyboardButton(
                    _("✖ Refuse"),
                    callback_data=Callback(Op.EXTENSION, request_id, f"n{ask}").encode(),
                ),
            ]
        ]
    )


# ---- messages about a request (bot.channels.telegram.renderers registers them) ------------


def extension_result(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells the holder what a supervisor decided about their extension."""
    _ = translator(lang)
    n = view.request.id
    due = _instant(params, "due_at")
    if params.get("approved"):
        text = _(
            "✅ Your request to extend <b>#{n}</b> was approved by {by}: the new deadline is {due}."
        )
    else:
        text = _(
            "✖ Your request to extend <b>#{n}</b> was refused by {by}; the deadline stays {due}."
        )
    return text.format(n=n, by=e(params.get("by") or "—"), due=when(due, tz)), None, None


def deadline_extended(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells the owner that #N's deadline moved."""
    _ = translator(lang)
    n = view.request.id
    due = _instant(params, "due_at")
    return (
        _("🕒 The deadline for <b>#{n}</b> has been extended to {due}.").format(
            n=n, due=when(due, tz)
        ),
        None,
        None,
    )


def extension_asked(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Asks the supervisors to decide on an extension (with Approve / Refuse)."""
    return _extension(True, view, params, lang, tz)


def extension_decided(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Edits a supervisor's ask to say who decided, without buttons."""
    return _extension(False, view, params, lang, tz)


def _extension(asked: bool, view: RequestView, params: Params, lang: str, tz: ZoneInfo) -> Rendered:
    _ = translator(lang)
    r = view.request
    ask = _int(params, "ask")
    key = f"ext{ask}"
    new_due = when(_instant(params, "new_due_at"), tz)
    if asked:
        days = _int(params, "days")
        span = (
            _("{n} working day(s)").format(n=days)
            if params.get("working_days")
            else days_text(days, lang)
        )
        text = _(
            "🕒 <b>#{n}</b> ({enterprise}): {holder} asks to extend the deadline by {span}, "
            "from {due} to {new_due}.\nReason: {reason}"
        ).format(
            n=r.id,
            enterprise=e(view.enterprise.name),
            holder=e(params.get("holder") or "—"),
            span=span,
            due=when(_instant(params, "due_at"), tz),
            new_due=new_due,
            reason=e(params.get("reason") or ""),
        )
        return text, extension_buttons(r.id, ask, lang), key
    if params.get("approved"):
        text = _("🕒 <b>#{n}</b>: the extension to {new_due} was approved by {by}.")
    else:
        text = _("🕒 <b>#{n}</b>: the extension to {new_due} was refused by {by}.")
    return text.format(n=r.id, new_due=new_due, by=e(params.get("by") or "—")), None, key


# ---- answers to commands and taps -------------------------------------------------------------


def extend_usage(lang: str) -> str:
    _ = translator(lang)
    return _(
        "To ask for more time, send /extend #N DAYS REASON, for example:\n"
        "/extend #12 3 waiting for the bank's approval"
    )


def extension_sent(lang: str, n: int, days: int, new_due: datetime, tz: ZoneInfo) -> str:
    _ = translator(lang)
    return _(
        "🕒 Your request to extend <b>#{n}</b> to {due} has gone to the supervisors; "
        "you will be told their decision here."
    ).format(n=n, due=when(new_due, tz))


def no_supervisor(lang: str) -> str:
    _ = translator(lang)
    return _("No supervisor is on Telegram yet, so nobody can decide it now.")


def extension_refusal(field: object, lang: str, n: object, details: Params | None = None) -> str:
    """Why an ask was not taken (Refused BAD_INPUT with a `field`, and its `details`)."""
    _ = translator(lang)
    details = details or {}
    if field == "days":
        return _("Ask for between 1 and 30 days.")
    if field == "reason" and details.get("problem") == "too_long":
        return _("That is too long ({length} characters). Please keep it within {max}.").format(
            length=f"{int(details.get('length') or 0):,}", max=f"{int(details.get('max') or 0):,}"
        )
    if field == "reason":
        return _("Please give a reason (at least 2 characters).")
    if field == "past_due":
        return _(
            "#{n} is already past its deadline; an extension must be asked for before it falls due."
        ).format(n=n)
    if field == "pending":
        return _("#{n} already has an extension request waiting for a decision.").format(n=n)
    return extend_usage(lang)


def already_decided(lang: str, by: object, approved: bool) -> str:
    _ = translator(lang)
    if approved:
        return _("Already approved by {by}.").format(by=by or "—")
    return _("Already refused by {by}.").format(by=by or "—")


def decided_alert(lang: str, n: int, approved: bool, due: datetime | None, tz: ZoneInfo) -> str:
    _ = translator(lang)
    if approved:
        return _("Approved: #{n} is now due {due}.").format(n=n, due=when(due, tz))
    return _("Refused: #{n} keeps its deadline.").format(n=n)
