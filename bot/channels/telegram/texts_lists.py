"""Texts of the lists, the request card, its timeline and the owner's withdrawal (issue 11)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.telegram import keyboards, texts, texts_aftercare
from bot.channels.telegram.texts import (
    Params,
    category_label,
    e,
    status_label,
    urgency_label,
    when,
)
from bot.channels.telegram.texts_handoff import handoff_step, reason_label
from bot.domain.clock import from_text
from bot.domain.kinds import EventKind
from bot.domain.lifecycle import CLAIMABLE, WORKING
from bot.domain.listing import AgeUnit, ListKind, OpenFilter, Page, RequestLine, age
from bot.domain.models import Catalog, Outcome, Request, RequestStatus, Urgency
from bot.domain.models import text_length as tg_length
from bot.i18n import translator
from bot.services.browse import CardView, ChainView, History, Step

# A timeline page stays well inside Telegram's 4,096 characters (header and HTML included),
# and one step's free text (a note, a summary, a reason) is cut to keep a page readable.
TIMELINE_PAGE_CHARS = 3000
TIMELINE_PAGE_STEPS = 10
STEP_TEXT = 300


def short_status(status: RequestStatus, lang: str) -> str:
    """A status in a word or two, for a list button."""
    _ = translator(lang)
    return {
        RequestStatus.SUBMITTED: _("submitted"),
        RequestStatus.DISPATCHED: _("to accept"),
        RequestStatus.ESCALATED: _("escalated"),
        RequestStatus.ACCEPTED: _("in progress"),
        RequestStatus.RESOLVED: _("resolved"),
        RequestStatus.REOPENED: _("reopened"),
        RequestStatus.CLOSED: _("closed"),
        RequestStatus.CANCELLED: _("withdrawn"),
    }[status]


def age_text(since: datetime, now: datetime, lang: str) -> str:
    _ = translator(lang)
    n, unit = age(since, now)
    if unit == AgeUnit.DAYS:
        return _("{n} d").format(n=n)
    if unit == AgeUnit.HOURS:
        return _("{n} h").format(n=n)
    return _("{n} min").format(n=n)


def item_label(line: RequestLine, now: datetime, lang: str) -> str:
    """A list button: "#42 · 办理中 · 3 天" (🔴 urgent, ⏰ past its deadline)."""
    marks = ("🔴" if line.urgency == Urgency.URGENT else "") + ("⏰" if line.overdue(now) else "")
    label = (
        f"#{line.id} · {short_status(line.status, lang)} · {age_text(line.created_at, now, lang)}"
    )
    return f"{marks} {label}" if marks else label


def filter_label(kind: OpenFilter, lang: str) -> str:
    _ = translator(lang)
    return {
        OpenFilter.ALL: _("All open"),
        OpenFilter.OVERDUE: _("Overdue"),
        OpenFilter.UNACCEPTED: _("Unaccepted"),
        OpenFilter.TEAM: _("By team"),
    }[kind]


def list_text(page: Page, catalog: Catalog, lang: str, chain: ChainView | None = None) -> str:
    """The list message above its buttons (the buttons are the items)."""
    _ = translator(lang)
    key = page.key
    if key.kind == ListKind.MY:
        title = _("<b>Your requests</b>")
        empty = _("You have no requests yet. Send /new to report a difficulty.")
    elif key.kind == ListKind.MINE:
        title = _("<b>Your work</b>: requests you hold and those waiting for your tap")
        empty = _("Nothing open for you right now.")
    elif key.kind == ListKind.CHAIN and chain is not None:
        title = chain_heading(chain, lang)
        empty = _("No open request from this chain's enterprises.")
    elif key.kind == ListKind.CHAIN:
        title = _("<b>Your chains' requests</b>")
        empty = _("No request from your chains' enterprises yet.")
    else:
        name = filter_label(key.filter, lang)
        if key.filter == OpenFilter.TEAM and key.team:
            team = catalog.team(key.team)
            name = e(team.label(lang) if team else key.team)
        title = _("<b>Open requests</b> · {filter}").format(filter=name)
        empty = _("No open request matches this filter.")
    if page.total == 0:
        return f"{title}\n{empty}"
    return "\n".join(
        [
            title,
            _("{total} in all · page {page}/{pages}, newest first. Tap one to see it.").format(
                total=page.total, page=page.key.page + 1, pages=page.pages
            ),
        ]
    )


CHAIN_NAMES_SHOWN = 20  # enterprises named above a chain's list; the rest are counted


def chain_heading(chain: ChainView, lang: str) -> str:
    """An industry chain's name, its enterprises (the first few by name), then its requests."""
    _ = translator(lang)
    shown = chain.enterprises[:CHAIN_NAMES_SHOWN]
    names = "、".join(e(x.name) for x in shown) or "—"
    more = len(chain.enterprises) - len(shown)
    if more > 0:
        names += " " + _("and {n} more").format(n=more)
    return _("<b>Chain: {chain}</b>\n{count} enterprise(s): {names}\n<b>Open requests</b>").format(
        chain=e(chain.name), count=len(chain.enterprises), names=names
    )


def committee_only(lang: str) -> str:
    _ = translator(lang)
    return _("/chain is for the industry chains' party committees and the supervisors.")


def pick_chain(lang: str, any_chain: bool) -> str:
    _ = translator(lang)
    if not any_chain:
        return _(
            "No enterprise is on an industry chain yet (the enterprises roster's chain column)."
        )
    return _("<b>Industry chains</b> · choose one to see its enterprises and open requests:")


def pick_team(lang: str) -> str:
    _ = translator(lang)
    return _("<b>Open requests</b> · choose a team:")


# ---- the card -------------------------------------------------------------------------------


def card_text(card: CardView, catalog: Catalog, lang: str, tz: ZoneInfo) -> str:
    """The request as this reader may see it now."""
    if card.can_accept or card.can_work:
        # The commissioner's own card, as their dispatch message shows it.
        text, _markup = texts.card(card.view, card.reader, catalog, lang, tz)
        return text + _last_notes(card, lang)
    _ = translator(lang)
    view = card.view
    r = view.request
    lines = [
        f"<b>#{r.id}</b> · {e(view.enterprise.name)} — {status_label(r.status, lang)}",
        _("Category: {category}").format(category=e(category_label(catalog, r.category, lang))),
        _("Urgency: {urgency}").format(urgency=urgency_label(r.urgency, lang)),
        _("Submitted: {at}").format(at=when(r.created_at, tz)),
    ]
    if card.staff:
        ent = view.enterprise
        lines.append(
            _("Contact: {name} {phone}").format(
                name=e(ent.contact_name or view.owner.name), phone=e(ent.contact_phone)
            )
        )
    if r.status in CLAIMABLE and view.offered:
        names = ("、" if lang == "zh" else ", ").join(e(p.name) for p in view.offered)
        lines.append(_("Waiting for: {names}").format(names=names))
    if view.holder is not None and r.status != RequestStatus.CANCELLED:
        lines.append(_("Handled by: {name}").format(name=e(view.holder.name)))
    if r.status in WORKING:
        lines.append(_("Resolve by: {due}").format(due=when(r.due_at, tz)))
    if r.status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        outcome = keyboards.outcome_label(r.outcome or Outcome.SOLVED, lang)
        lines.append(_("Outcome: {outcome}").format(outcome=e(outcome)))
        lines.append(_("Summary: {summary}").format(summary=e(r.resolution or "")))
    if r.rating is not None:
        lines.append(_("Rating: {stars}/5").format(stars=r.rating))
    lines.append(f"\n<blockquote>{e(r.description)}</blockquote>")
    if card.can_rate:
        lines.append(_("How satisfied are you? Tap 1 (poor) to 5 (excellent)."))
    return "\n".join(lines) + _last_notes(card, lang)


def _last_notes(card: CardView, lang: str) -> str:
    """The latest progress note, and for staff the latest internal note (CardView has it
    only for them)."""
    _ = translator(lang)
    lines = []
    if card.last_note is not None:
        lines.append(
            _("📝 Latest progress ({who}): {text}").format(
                who=e(card.last_note.actor or "—"),
                text=_cut(card.last_note.event.payload.get("text")),
            )
        )
    if card.last_internal is not None:
        p = card.last_internal.event.payload
        lines.append(
            _("🔒 Latest internal note ({who}): {text}").format(
                who=e(card.last_internal.actor or "—"),
                text=_cut(p.get("text")) if p.get("text") else _("(a file)"),
            )
        )
    return "\n\n" + "\n".join(lines) if lines else ""


# ---- the timeline ---------------------------------------------------------------------------


def _cut(value: object) -> str:
    text = str(value or "")
    return e(text if len(text) <= STEP_TEXT else text[: STEP_TEXT - 1] + "…")


def _names(step: Step, field: str, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(e(n) for n in step.people(field)) or "—"


def step_text(step: Step, catalog: Catalog, lang: str, tz: ZoneInfo) -> str:
    """One step: when (local time), who, what, and its outcome or reason."""
    _ = translator(lang)
    ev = step.event
    p = ev.payload
    who = e(step.actor or _("the system"))
    kind = ev.kind
    if kind == EventKind.SUBMITTED:
        what = _("📥 Submitted by {who} ({category}, {urgency})").format(
            who=who,
            category=e(category_label(catalog, str(p.get("category") or ""), lang)),
            urgency=urgency_label(
                Urgency.URGENT if p.get("urgency") == Urgency.URGENT else Urgency.NORMAL, lang
            ),
        )
    elif kind == EventKind.DISPATCHED:
        what = _("📤 Sent to {names}").format(names=_names(step, "to", lang))
    elif kind == EventKind.ESCALATED:
        what = _("⚠️ Escalated to {names}").format(names=_names(step, "to", lang))
    elif kind == EventKind.ACCEPTED:
        due = p.get("due_at")
        what = _("✅ Accepted by {who}; resolve by {due}").format(
            who=who, due=when(from_text(str(due)), tz) if due else "—"
        )
    elif kind == EventKind.DECLINED:
        what = _("↩ Declined by {who}").format(who=who)
    elif kind == EventKind.NOTED:
        what = _("📝 Progress from {who}: {text}").format(who=who, text=_cut(p.get("text")))
    elif kind == EventKind.RESOLVED:
        raw = str(p.get("outcome") or "")
        outcome = keyboards.outcome_label(Outcome(raw), lang) if raw in set(Outcome) else raw
        what = _("🏁 Resolved by {who}: {outcome} — {summary}").format(
            who=who, outcome=e(outcome), summary=_cut(p.get("summary"))
        )
    elif kind == EventKind.RATED:
        what = _("⭐ Rated {stars}/5 by {who}").format(stars=p.get("stars"), who=who)
    elif kind == EventKind.REASSIGNED:
        what = _("🔀 Reassigned by {who} to {names}").format(
            who=who, names=_names(step, "to", lang)
        )
    elif kind == EventKind.RELAYED:
        text = _cut(p.get("text")) if p.get("text") else _("(a file)")
        what = _("💬 {who} to {names}: {text}").format(
            who=who, names=_names(step, "to", lang), text=text
        )
    elif kind == EventKind.INTERNAL_NOTE:
        # Staff only: bot.services.browse leaves it out of the owner's timeline.
        text = _cut(p.get("text")) if p.get("text") else _("(a file)")
        what = _("🔒 Internal note from {who} to {names}: {text}").format(
            who=who, names=_names(step, "to", lang), text=text
        )
    elif kind == EventKind.CANCELLED:
        what = _("✖ Withdrawn by {who}").format(who=who)
    elif kind == EventKind.REMINDED_ACCEPT:
        what = _("⏰ Reminded to accept")
    elif kind == EventKind.UNACCEPTED_REPORTED:
        what = _("📣 Supervisors told that nobody has taken it")
    elif kind == EventKind.REMINDED_DUE:
        what = _("⏰ Holder reminded of the deadline")
    elif kind == EventKind.OVERDUE_CHASED:
        what = _("🚨 Overdue ({days} d): holder and supervisors chased").format(
            days=p.get("days_late") or "—"
        )
    elif kind == EventKind.EXTENSION_ASKED:
        what = _("🗓 {who} asked for {days} more days").format(who=who, days=p.get("days"))
    elif kind == EventKind.EXTENSION_APPROVED:
        due = p.get("due_at")
        what = _("🗓 Deadline extended to {due}").format(
            due=when(from_text(str(due)), tz) if due else "—"
        )
    elif kind == EventKind.HANDOFF_ASKED:
        what = handoff_step(who, p, lang)
    elif kind == EventKind.HANDOFF_DECIDED:
        to = str(p.get("to") or "")
        team = catalog.team(to[5:]) if to.startswith("team:") else None
        name = team.label(lang) if team else str(p.get("to_name") or "—")
        what = _("🧭 {who} sent it to {name}").format(who=who, name=e(name))
    elif kind == EventKind.EXTENSION_REFUSED:
        what = _("🗓 Extension refused by {who}").format(who=who)
    elif kind in texts_aftercare.STEP_KINDS:
        what = texts_aftercare.step(kind, p, who, lang)
    else:
        what = e(str(kind))
    reason = p.get("reason")
    if isinstance(reason, str) and reason and kind != EventKind.SUBMITTED:
        what += "\n    " + _("Reason: {reason}").format(reason=_cut(reason_label(reason, lang)))
    return f"<b>{when(ev.at, tz)}</b> · {what}"


def timeline_pages(history: History, catalog: Catalog, lang: str, tz: ZoneInfo) -> list[str]:
    """The steps cut into pages (each within the limits above), oldest first."""
    steps = [step_text(s, catalog, lang, tz) for s in history.steps]
    pages: list[list[str]] = [[]]
    size = 0
    for step in steps:
        length = tg_length(step) + 1
        if pages[-1] and (
            size + length > TIMELINE_PAGE_CHARS or len(pages[-1]) >= TIMELINE_PAGE_STEPS
        ):
            pages.append([])
            size = 0
        pages[-1].append(step)
        size += length
    return ["\n".join(p) for p in pages]


def timeline_text(history: History, body: str, page: int, pages: int, lang: str) -> str:
    _ = translator(lang)
    r = history.card.view.request
    head = _("<b>#{n} timeline</b> — {status}").format(n=r.id, status=status_label(r.status, lang))
    if pages > 1:
        head += " · " + _("page {page}/{pages}").format(page=page + 1, pages=pages)
    return f"{head}\n{body or '—'}"


# ---- withdrawing a request ---------------------------------------------------------------------


def confirm_withdraw(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _(
        "Withdraw request <b>#{n}</b>? Whoever is working on it will be told, and it cannot be "
        "taken up again."
    ).format(n=request_id)


def ask_withdraw_reason(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _(
        "Why are you withdrawing <b>#{n}</b>? Send the reason in a message, or tap "
        "<b>Skip</b>. /cancel keeps the request."
    ).format(n=request_id)


def withdrawn(lang: str, request: Request, told: int) -> str:
    _ = translator(lang)
    text = _("✖ Request <b>#{n}</b> has been withdrawn.").format(n=request.id)
    if told:
        text += " " + _("Whoever had it has been told.")
    return text


def not_yours(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("You cannot see #{n}: it is neither yours nor with you.").format(n=request_id)


def kept(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return _("Request #{n} is kept; nothing was withdrawn.").format(n=request_id)


def cancelled_notice(request: Request, params: Params, lang: str) -> str:
    """To the holder or whoever had #N on offer: the owner withdrew it."""
    _ = translator(lang)
    text = _("✖ <b>#{n}</b> has been withdrawn by its owner {owner}; nothing more to do.").format(
        n=request.id, owner=e(params.get("owner") or "")
    )
    reason = params.get("reason")
    if reason:
        text += "\n" + _("Reason: {reason}").format(reason=e(reason))
    return text
