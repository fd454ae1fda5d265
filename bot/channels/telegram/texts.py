"""Texts (HTML) in the reader's language: the shared helpers, general replies, request messages.

The other texts_*.py modules hold one family each (onboarding, intake, lists, SLA, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.channels.telegram import keyboards
from bot.channels.telegram.texts_handoff import reason_line
from bot.domain.lifecycle import CLAIMABLE, WORKING
from bot.domain.models import (
    Catalog,
    Outcome,
    Person,
    Request,
    RequestStatus,
)
from bot.i18n import labels, translator
from bot.services.desk import RequestView
from bot.services.errors import Refusal

Params = Mapping[str, str | int | float | bool | None]


def e(value: object) -> str:
    """Escapes user-supplied text for Telegram's HTML parse mode."""
    return escape(str(value), quote=False)


def when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


# One definition of each value's words, shared with the exports (bot/i18n/labels.py).
category_label = labels.category_label
urgency_label = labels.urgency_label
status_label = labels.status_label


# ---- replies anyone may get (onboarding and /help: texts_onboarding.py) ------------------


def not_registered(lang: str) -> str:
    _ = translator(lang)
    return _("Please send /start and share your phone number first.")


def lang_prompt(lang: str) -> str:
    _ = translator(lang)
    return _("Choose your language:")


def lang_set(lang: str) -> str:
    _ = translator(lang)
    return _("Language set to English.")


def fallback(lang: str) -> str:
    _ = translator(lang)
    return _(
        "I did not understand that. Send /new to report a difficulty, or /help for commands. "
        "To write about a request, reply to my message that names its #N."
    )


def error(lang: str) -> str:
    _ = translator(lang)
    return _("Sorry, something went wrong on our side. Please try again in a moment.")


def cancelled(lang: str, anything: bool) -> str:
    _ = translator(lang)
    return _("Cancelled. Nothing was sent.") if anything else _("There is nothing to cancel.")


# ---- messages about a request ----------------------------------------------------------


def _details(view: RequestView, catalog: Catalog, lang: str, tz: ZoneInfo) -> list[str]:
    _ = translator(lang)
    r = view.request
    ent = view.enterprise
    lines = [
        _("Enterprise: {name}").format(name=e(ent.name)),
        _("Category: {category}").format(category=e(category_label(catalog, r.category, lang))),
        _("Urgency: {urgency}").format(urgency=urgency_label(r.urgency, lang)),
        _("Contact: {name} {phone}").format(
            name=e(ent.contact_name or view.owner.name), phone=e(ent.contact_phone)
        ),
        _("Submitted: {at}").format(at=when(r.created_at, tz)),
    ]
    if r.attachments:
        lines.append(_("Attachments: {n} (sent below)").format(n=len(r.attachments)))
    if view.owner.unreachable:
        # Issue 7: replies would not reach them; whoever takes it must call.
        lines.append(
            _(
                "📵 The owner has blocked the bot or can no longer be reached in the chat: "
                "please call {phone}."
            ).format(phone=e(view.owner.phone))
        )
    return lines


def card(
    view: RequestView, reader: Person, catalog: Catalog, lang: str, tz: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The commissioner's message for #N, as it should look to `reader` now."""
    _ = translator(lang)
    r = view.request
    head = f"<b>#{r.id}</b> · {e(view.enterprise.name)}"
    body = "\n".join(_details(view, catalog, lang, tz))
    description = f"<blockquote>{e(r.description)}</blockquote>"
    if r.status in CLAIMABLE and reader.id in {p.id for p in view.offered}:
        text = _("🆕 New request {head}").format(head=head)
        return f"{text}\n{body}\n\n{description}\n" + _(
            "Tap <b>Accept</b> to take it, or <b>Decline</b> with a reason."
        ), keyboards.offer(r.id, lang)
    if r.status in CLAIMABLE:
        return _("↩ {head}: you passed it on; it is with others now.").format(head=head), None
    holder = view.holder
    if r.status in WORKING and holder and holder.id == reader.id:
        text = _("🛠 {head} — you have it").format(head=head)
        due = _("Resolve by: {due}").format(due=when(r.due_at, tz))
        return (
            f"{text}\n{body}\n{due}\n\n{description}\n"
            + _("Reply to this message to write to the owner."),
            keyboards.working(r.id, lang),
        )
    if r.status in WORKING:
        return _("✔ {head} was accepted by {holder}.").format(
            head=head, holder=e(holder.name if holder else "—")
        ), None
    if r.status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        mine = holder is not None and holder.id == reader.id
        outcome = keyboards.outcome_label(r.outcome, lang) if r.outcome else "—"
        if mine:
            return _("🏁 {head} resolved ({outcome}).\nSummary: {summary}").format(
                head=head, outcome=e(outcome), summary=e(r.resolution or "")
            ), None
        return _("✔ {head} was accepted by {holder}.").format(
            head=head, holder=e(holder.name if holder else "—")
        ), None
    return _("{head}: {status}.").format(head=head, status=status_label(r.status, lang)), None


def attachment_caption(request_id: int, lang: str) -> str:
    _ = translator(lang)
    return _("Attachment to #{n}").format(n=request_id)


def received(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    # A list in the reader's language: 李专员、王专员 / 李专员, 王专员.
    names = ("、" if lang == "zh" else ", ").join(str(params.get("names") or "").splitlines())
    tier = params.get("tier")
    if tier == "commissioner":
        to = _("your service commissioner {names}").format(names=e(names))
    elif tier == "committee" and names:
        to = _("the industry chain's party committee ({names})").format(names=e(names))
    elif tier == "team" and names:
        to = _("the service team ({names})").format(names=e(names))
    else:
        to = _("the service center's supervisors")
    return _(
        "✅ Request <b>#{n}</b> received and sent to {to}. You will be told here as soon as "
        "someone takes it. /my shows your requests."
    ).format(n=request.id, to=to)


def accepted(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "👤 <b>{holder}</b> has taken <b>#{n}</b> and will be in touch soon. "
        "Reply to this message to write to them."
    ).format(holder=e(params.get("holder") or ""), n=request.id)


def resolved(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    outcome = keyboards.outcome_label(request.outcome or Outcome.SOLVED, lang)
    return _(
        "🏁 <b>#{n}</b> has been resolved by {holder}.\nOutcome: {outcome}\nSummary: {summary}\n\n"
        "How satisfied are you? Tap 1 (poor) to 5 (excellent)."
    ).format(
        n=request.id,
        holder=e(params.get("holder") or ""),
        outcome=e(outcome),
        summary=e(request.resolution or ""),
    )


def rated(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _("Thank you! You rated #{n} {stars}/5.").format(n=request.id, stars=params.get("stars"))


def rated_holder(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _("⭐ The owner rated #{n} {stars}/5.").format(n=request.id, stars=params.get("stars"))


def note(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _("📝 Progress on <b>#{n}</b> from {holder}:\n{text}").format(
        n=request.id, holder=e(params.get("holder") or ""), text=e(params.get("text") or "")
    )


def relay(request: Request, params: Params, lang: str) -> str:
    _ = translator(lang)
    return _(
        "💬 <b>#{n}</b> · {sender}:\n{text}\n\n<i>Reply to this message to answer.</i>"
    ).format(n=request.id, sender=e(params.get("sender") or ""), text=e(params.get("text") or ""))


def escalated(view: RequestView, params: Params, catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    r = view.request
    reason = params.get("reason")
    tier = params.get("tier")
    to = (
        _("the service team")
        if tier == "team"
        else _("the supervisors (no one else could take it)")
    )
    text = _("⚠️ <b>#{n}</b> ({enterprise}, {category}) has gone to {to}.").format(
        n=r.id,
        enterprise=e(view.enterprise.name),
        category=e(category_label(catalog, r.category, lang)),
        to=to,
    )
    return text + reason_line(reason, lang)


# ---- commissioner prompts and answers ------------------------------------------------------


def ask_outcome(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("How was <b>#{n}</b> resolved?").format(n=request_id)


def ask_summary(lang: str, request_id: int, outcome: Outcome) -> str:
    _ = translator(lang)
    return _(
        "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
    ).format(n=request_id, outcome=e(keyboards.outcome_label(outcome, lang)))


def ask_note(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Send the progress note for <b>#{n}</b>; the owner will see it (or /cancel).").format(
        n=request_id
    )


def noted(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Note on #{n} saved and passed to the owner.").format(n=request_id)


def too_short(lang: str) -> str:
    _ = translator(lang)
    return _("Please write a little more (between 2 and 2,000 characters).")


def too_long(lang: str, length: int, limit: int) -> str:
    _ = translator(lang)
    return _("That is too long ({length} characters). Please keep it within {max}.").format(
        length=f"{length:,}", max=f"{limit:,}"
    )


def relayed(lang: str, count: int) -> str:
    _ = translator(lang)
    return _("Passed on ✔") if count else _("Nobody to pass this to yet.")


def taken_alert(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("You have taken #{n}.").format(n=request_id)


def refusal(reason: Refusal, details: Params, lang: str) -> str:
    """The answer to a refused tap or command."""
    _ = translator(lang)
    n = details.get("request_id")
    if reason == Refusal.ALREADY_TAKEN:
        return _("#{n} has already been accepted by {holder}.").format(
            n=n, holder=details.get("holder") or "—"
        )
    if reason == Refusal.NOT_ALLOWED:
        return _("#{n} is not yours to act on.").format(n=n) if n else _("This is not for you.")
    if reason == Refusal.NOT_CLAIMABLE:
        return _("#{n} can no longer be accepted.").format(n=n)
    if reason == Refusal.NOT_WORKING:
        return _("#{n} is not open any more.").format(n=n)
    if reason == Refusal.CANCELLED:
        return _("#{n} was withdrawn by its owner.").format(n=n)
    if reason == Refusal.REOPEN_EXPIRED:
        return _(
            "#{n} can no longer be reopened (only within {days} days of its resolution). "
            "Send /new to open a new request."
        ).format(n=n, days=details.get("days"))
    if reason == Refusal.NOT_FOUND:
        return _("There is no request #{n}.").format(n=n) if n else _("Not found.")
    if reason == Refusal.NOT_REGISTERED:
        return not_registered(lang)
    if reason == Refusal.NO_ENTERPRISE:
        return _("Your number is not linked to an enterprise. Please contact the service center.")
    if reason == Refusal.DUPLICATE:
        return _("Already done.")
    if reason == Refusal.TOO_MANY_OPEN:
        return _(
            "You already have {open} open requests, the most one person may have at once "
            "({limit}). Please file a new one once one of them is resolved. /my lists them."
        ).format(open=details.get("open"), limit=details.get("limit"))
    return _("That did not work. Please try again.")


def stale_button(lang: str) -> str:
    _ = translator(lang)
    return _("This button is out of date.")


# ---- supervision ---------------------------------------------------------------------------


def reassign_usage(lang: str) -> str:
    _ = translator(lang)
    return _(
        "Usage: /reassign #N (pick a team or a person) or /reassign #N PHONE — for example "
        "/reassign #12 13900000012"
    )


def reassign_unknown(lang: str, phone: str) -> str:
    _ = translator(lang)
    return _(
        "No commissioner or supervisor with the number {phone} has registered with the bot."
    ).format(phone=e(phone))


def reassigned(lang: str, request_id: int, name: str) -> str:
    _ = translator(lang)
    return _("#{n} has been given to {name}; they will get it with an Accept button.").format(
        n=request_id, name=e(name)
    )


def exported(lang: str, count: int, first: date | None = None, last: date | None = None) -> str:
    _ = translator(lang)
    if first is None or last is None:
        return _("All requests ({count}) as a spreadsheet.").format(count=count)
    return _("Requests submitted {first} to {last} ({count}) as a spreadsheet.").format(
        first=first.isoformat(), last=last.isoformat(), count=count
    )


def export_busy(lang: str) -> str:
    _ = translator(lang)
    return _("⏳ An export is being prepared right now. Please ask again once it has arrived.")


def export_failed(lang: str) -> str:
    _ = translator(lang)
    return _(
        "⚠️ The export could not be prepared. Please try again later; if it fails again, "
        "tell the operator (the reason is in the bot's log)."
    )


def export_too_big(lang: str, count: int, size: int) -> str:
    _ = translator(lang)
    return _(
        "The spreadsheet of these {count} requests is {mb} MB, more than Telegram lets a bot "
        "send (50 MB). Ask for a shorter period (for example /export month), or ask the "
        "operator for the whole file (oncall-bot export)."
    ).format(count=count, mb=f"{size / 1024 / 1024:.0f}")


def export_usage(lang: str) -> str:
    _ = translator(lang)
    return _(
        "I did not understand that period. Use today, yesterday, week, month, year or two "
        "dates FROM TO — for example /export month or /export 2026-11-01 2026-11-30. "
        "/export alone sends every request."
    )
