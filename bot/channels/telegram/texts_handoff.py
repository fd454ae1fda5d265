"""Texts of reasons (declining, handing back: asked, shown), the supervisors' routing pickers
and away periods. Every "Reason: …" line and every question for a reason is made here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.domain.clock import from_text
from bot.domain.handoff import Reason, Why
from bot.domain.models import Catalog, Request
from bot.i18n import translator


def e(value: object) -> str:
    """Escapes user-supplied text for Telegram's HTML parse mode."""
    return escape(str(value), quote=False)


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


Params = Mapping[str, str | int | float | bool | None]

REASONS = {
    Reason.NOT_MINE: N_("Not my enterprise"),
    Reason.OTHER_TEAM: N_("Needs another team"),
    Reason.DUPLICATE: N_("Duplicate request"),
    Reason.CANNOT: N_("Cannot be done"),
    Reason.OTHER: N_("Other (write it)"),
}


def reason_label(reason: object, lang: str) -> str:
    """A reason button's label in `lang`, or the person's own words as they wrote them."""
    _ = translator(lang)
    text = str(reason or "")
    return _(REASONS[Reason(text)]) if text in set(Reason) else text


def reason_line(reason: object, lang: str, own_words: bool = False) -> str:
    """A line "Reason: …", or "": a reason button's label, else (or always, with `own_words`)
    the person's own words, escaped."""
    if not reason:
        return ""
    _ = translator(lang)
    text = str(reason) if own_words else reason_label(reason, lang)
    return "\n" + _("Reason: {reason}").format(reason=e(text))


def _day(value: object, tz: ZoneInfo) -> str:
    return from_text(str(value)).astimezone(tz).strftime("%Y-%m-%d") if value else ""


def ask_reason(lang: str, request_id: int, handback: bool) -> str:
    _ = translator(lang)
    if handback:
        return _("Why are you handing <b>#{n}</b> back? Pick a reason.").format(n=request_id)
    return _("Why are you declining <b>#{n}</b>? Pick a reason.").format(n=request_id)


def ask_reason_text(lang: str, request_id: int, handback: bool) -> str:
    """After Other: the reason in the person's own words (the next text answers)."""
    _ = translator(lang)
    if handback:
        return _(
            "Why are you handing <b>#{n}</b> back? Send the reason in one message (or /cancel)."
        ).format(n=request_id)
    return _(
        "Why are you declining <b>#{n}</b>? Send the reason in one message (or /cancel)."
    ).format(n=request_id)


def declined(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Thank you. #{n} has been passed on.").format(n=request_id)


def handed_back(lang: str, request_id: int, supervisors: int) -> str:
    _ = translator(lang)
    if not supervisors:
        return _(
            "↩ You asked to hand <b>#{n}</b> back, but no supervisor can be reached: "
            "keep it for now and call the service center."
        ).format(n=request_id)
    return _(
        "↩ <b>#{n}</b> is handed back. The supervisors decide where it goes; it stays with "
        "you until then."
    ).format(n=request_id)


def _target(params: Params, catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    to = str(params.get("to") or "")
    if to == "holder":
        return _("back to {name}").format(name=e(params.get("to_name") or ""))
    if to.startswith("team:"):
        team = catalog.team(to[5:])
        return _("to the team {team}").format(team=e(team.label(lang) if team else to[5:]))
    return _("to {name}").format(name=e(params.get("to_name") or ""))


def handoff(request: Request, params: Params, catalog: Catalog, lang: str) -> str:
    """To supervisors: where should #N go? (the pickers come with it)."""
    _ = translator(lang)
    why = params.get("why")
    n = request.id
    reason = params.get("reason")
    if why == Why.HANDBACK:
        text = _("↩ {who} hands <b>#{n}</b> back. Where should it go?").format(
            who=e(params.get("by") or ""), n=n
        )
    elif why == Why.AWAY:
        text = _("🏖 {who} is away; <b>#{n}</b> is theirs. Give it to…").format(
            who=e(params.get("by") or ""), n=n
        )
    elif why == Why.DEACTIVATED:
        text = _("🚪 {who} is no longer on the roster; <b>#{n}</b> was theirs. Give it to…").format(
            who=e(params.get("about") or ""), n=n
        )
    else:
        text = _("🔀 Where should <b>#{n}</b> go?").format(n=n)
    return text + reason_line(reason, lang)


def handoff_decided(request: Request, params: Params, catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    return _("✔ <b>#{n}</b>: {by} sent it {target}.").format(
        n=request.id, by=e(params.get("by") or ""), target=_target(params, catalog, lang)
    )


def handoff_result(request: Request, params: Params, catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    if params.get("to") == "holder":
        return _("↩ <b>#{n}</b>: {by} gave it back to you; please keep working on it.").format(
            n=request.id, by=e(params.get("by") or "")
        )
    return _("✔ <b>#{n}</b>: {by} sent it {target}.").format(
        n=request.id, by=e(params.get("by") or ""), target=_target(params, catalog, lang)
    )


def routed(lang: str, request_id: int, name: str) -> str:
    _ = translator(lang)
    return _("#{n} sent to {name}").format(n=request_id, name=name)


def already_routed(lang: str, by: object, to: object) -> str:
    _ = translator(lang)
    return _("Already decided by {by} ({to}).").format(by=by or "—", to=to or "—")


def team_empty(lang: str) -> str:
    _ = translator(lang)
    return _("Nobody in that team can take it now; pick another.")


def person_unavailable(lang: str) -> str:
    _ = translator(lang)
    return _("That person cannot take it now; pick someone else.")


def pending_handback(lang: str) -> str:
    _ = translator(lang)
    return _("A hand-back of this request is already waiting for the supervisors.")


def away_notice(params: Params, lang: str, tz: ZoneInfo) -> str:
    """To supervisors (and to the person, when a period ends by itself)."""
    _ = translator(lang)
    name = e(params.get("name") or "")
    if not params.get("away"):
        if params.get("by_itself"):
            return _("👋 {name}'s away period has ended: new requests reach them again.").format(
                name=name
            )
        return _("👋 {name} is back: new requests reach them again.").format(name=name)
    if params.get("until"):
        text = _("🏖 {name} is away until {day}.").format(
            name=name, day=_day(params.get("until"), tz)
        )
    else:
        text = _("🏖 {name} is away until they send /back.").format(name=name)
    text += reason_line(params.get("reason"), lang, own_words=True)
    numbers = [n for n in str(params.get("requests") or "").split(",") if n]
    if numbers:
        text += "\n" + _(
            "Their open requests follow, each with buttons to give it to someone: {list}"
        ).format(list=", ".join(f"#{n}" for n in numbers))
    else:
        text += "\n" + _("They have no open requests.")
    return text


def away_set(lang: str, until: datetime | None, count: int, tz: ZoneInfo) -> str:
    _ = translator(lang)
    if until is not None:
        text = _("🏖 You are away until {day}: new requests go to your team.").format(
            day=until.astimezone(tz).strftime("%Y-%m-%d")
        )
    else:
        text = _("🏖 You are away until you send /back: new requests go to your team.")
    if count:
        text += "\n" + _("The supervisors will give your {count} open requests to others.").format(
            count=count
        )
    return text


def back(lang: str) -> str:
    _ = translator(lang)
    return _("👋 Welcome back: new requests reach you again.")


def away_usage(lang: str) -> str:
    _ = translator(lang)
    return _(
        "Usage: /away [until YYYY-MM-DD] [reason] — for example /away until 2026-12-01 training. "
        "The date must be in the future."
    )


def handoff_step(who: str, payload: Params, lang: str) -> str:
    """A timeline line: why the supervisors were asked where the request goes."""
    _ = translator(lang)
    why = payload.get("why")
    if why == Why.HANDBACK:
        return _("↩ Handed back by {who}").format(who=who)
    if why == Why.AWAY:
        return _("🏖 {who} went away: supervisors asked where it goes").format(who=who)
    if why == Why.DEACTIVATED:
        return _("🚪 {name} left the roster: supervisors asked where it goes").format(
            name=e(payload.get("about") or "—")
        )
    return _("🔀 {who} is choosing where it goes").format(who=who)
