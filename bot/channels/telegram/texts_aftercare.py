"""Texts after resolution: comments on ratings, low-rating alerts, reopening, auto-close."""

from __future__ import annotations

from collections.abc import Mapping

from bot.channels.telegram.texts import e
from bot.domain.kinds import EventKind
from bot.domain.models import Request
from bot.i18n import translator

Params = Mapping[str, str | int | float | bool | None]

# The timeline's steps written here (bot.channels.telegram.texts_lists.step_text).
STEP_KINDS: frozenset[str] = frozenset({EventKind.COMMENTED, EventKind.REOPENED, EventKind.CLOSED})


def step(kind: str, payload: Mapping[str, object], who: str, lang: str) -> str:
    """One timeline step of the kinds in STEP_KINDS (`who` is already escaped)."""
    _ = translator(lang)
    if kind == EventKind.COMMENTED:
        return _("💬 Comment on the rating by {who}: {comment}").format(
            who=who, comment=e(payload.get("comment") or "")
        )
    if kind == EventKind.REOPENED:
        return _("🔁 Reopened by {who}").format(who=who)
    if payload.get("auto") is True:
        return _("🔒 Closed unrated (nobody rated it in time)")
    return _("🔒 Closed")


def rated(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "Thank you! You rated #{n} {stars}/5.\n"
        "Would you like to add a comment? You can also reopen it if the problem is not solved."
    ).format(n=request.id, stars=params.get("stars"))


def low_rating(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "⚠️ Low rating: <b>#{n}</b> was rated {stars}/5 by its owner.\nHandled by: {holder}"
    ).format(n=request.id, stars=params.get("stars"), holder=e(params.get("holder") or "—"))


def rating_comment(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "💬 Comment on the {stars}/5 rating of <b>#{n}</b> (handled by {holder}):\n{comment}"
    ).format(
        n=request.id,
        stars=params.get("stars"),
        holder=e(params.get("holder") or "—"),
        comment=e(params.get("comment") or ""),
    )


def ask_comment(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Your comment on #{n}? Reply with a short text.").format(n=request_id)


def commented(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Thank you, your comment on #{n} is recorded.").format(n=request_id)


def no_comment(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Thank you! #{n} is closed. You can still reopen it if needed.").format(n=request_id)


def ask_reopen_reason(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Why do you want to reopen #{n}? Reply with the reason.").format(n=request_id)


def reopened_owner(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    holder = params.get("holder")
    if holder:
        return _("🔁 <b>#{n}</b> is reopened and back with {holder}.").format(
            n=request.id, holder=e(holder)
        )
    return _("🔁 <b>#{n}</b> is reopened and goes to a new handler.").format(n=request.id)


def reopened_holder(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "🔁 <b>#{n}</b> was reopened by {owner}.\nReason: {reason}\n"
        "Your last summary: {summary}\nTap <b>Accept</b> on the card to take it again."
    ).format(
        n=request.id,
        owner=e(params.get("owner") or ""),
        reason=e(params.get("reason") or ""),
        summary=e(request.resolution or "—"),
    )


def auto_closed(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "🔒 <b>#{n}</b> was closed without a rating after {days} working days. "
        "You can still reopen it if needed."
    ).format(n=request.id, days=params.get("days"))


def finished(
    lang: str, request_id: int, cancelled: bool, may_reopen: bool, owner: bool = True
) -> str:
    """A reply about a finished request; its owner is offered buttons (keyboards_aftercare)."""
    _ = translator(lang)
    if cancelled:
        text = _("#{n} was withdrawn, so this message was not passed on.").format(n=request_id)
    else:
        text = _("#{n} is closed, so this message was not passed on.").format(n=request_id)
    if not owner:  # staff file no requests
        return text
    if may_reopen:
        return text + "\n" + _("Tap Reopen to reopen it, or New request to open a new one.")
    return text + "\n" + _("Tap New request to open a new one.")


def reopen_done(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Done: #{n} is reopened.").format(n=request_id)
