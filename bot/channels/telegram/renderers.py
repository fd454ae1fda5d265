"""One renderer per MessageKind: what an outbox row looks like in Telegram.

A renderer is a small function ``(Context) -> Outgoing``, registered for its kind with
``@renders(kind)``; the sender (bot.channels.telegram.outbox) looks the row's kind up in
``RENDERERS`` and sends what comes back. tests/unit/test_kinds.py checks that every
MessageKind has exactly one renderer, so a new kind cannot ship without one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.channels.telegram import (
    keyboards_aftercare,
    keyboards_handoff,
    texts,
    texts_aftercare,
    texts_extension,
    texts_handoff,
    texts_lists,
    texts_notes,
    texts_reach,
    texts_sla,
    texts_stats,
)
from bot.domain.content import CAPTIONLESS
from bot.domain.handoff import Why
from bot.domain.kinds import MessageKind
from bot.domain.kpis import DayPoint, Digest
from bot.domain.models import Catalog, Message, Person, Request
from bot.export import charts
from bot.services.desk import RequestView
from bot.services.reach import UNREACHABLE
from bot.services.sla import ACCEPT_TIMEOUT

Params = Mapping[str, str | int | float | bool | None]
Markup = InlineKeyboardMarkup | None

CAPTION_TEXT = 800  # of a relayed file's caption; the rest is the #N header and the hint
RELAY_TEXT = 3800  # of a relayed message, likewise


@dataclass(frozen=True)
class Context:
    """What a renderer reads: the row, its reader, the request it is about (if any)."""

    message: Message
    reader: Person
    view: RequestView | None
    catalog: Catalog
    lang: str
    tz: ZoneInfo

    @property
    def params(self) -> Params:
        return self.message.params

    @property
    def about(self) -> RequestView:
        """The request the row is about (a kind about a request always has one)."""
        assert self.view is not None, f"{self.message.kind} needs a request"
        return self.view


@dataclass(frozen=True)
class Outgoing:
    """What to send for one outbox row."""

    text: str
    markup: Markup = None
    # The key the sent message is remembered under for the reader and #N (None: the row's
    # edit key, else the message's own id).
    ref_key: str | None = None
    # Edit the message remembered under this key instead of sending a new one, if there is one.
    edit_key: str | None = None
    # A file (Telegram file_id) sent with the text as its caption.
    file_id: str | None = None
    photo: bool = False
    # What the file is (bot.domain.content.ATTACHMENT_KINDS; None: photo or document as
    # `photo` says); a location's or contact's content is in file_id, a contact's name in
    # file_name. Kinds without a caption are sent with the text in a message beside them.
    file_kind: str | None = None
    file_name: str | None = None
    html: bool = True
    # Without a sound whatever the quiet hours say (None: as they say).
    silent: bool | None = None
    # A picture to draw (in a worker thread, never on the loop) and upload, the text its caption.
    draw: Callable[[], bytes] | None = None
    # What the picture is drawn from: the same key, the same picture (set by the channel).
    draw_key: str | None = None


Renderer = Callable[[Context], Outgoing]
RENDERERS: dict[MessageKind, Renderer] = {}


def renders(*kinds: MessageKind) -> Callable[[Renderer], Renderer]:
    """Registers the decorated function as the renderer of these kinds."""

    def register(renderer: Renderer) -> Renderer:
        for kind in kinds:
            if kind in RENDERERS:
                raise ValueError(f"{kind!r} has a renderer already")
            RENDERERS[kind] = renderer
        return renderer

    return register


def _reply(c: Context, text: str, markup: Markup = None, ref_key: str | None = None) -> Outgoing:
    """A message about #N, editing the one the row names if it has an edit key."""
    return Outgoing(text, markup, ref_key, edit_key=c.message.edit_key)


# ---- the card and its files ---------------------------------------------------------------


@renders(MessageKind.CARD)
def card(c: Context) -> Outgoing:
    """The request's card, edited in place unless the row asks for a fresh one."""
    text, markup = texts.card(c.about, c.reader, c.catalog, c.lang, c.tz)
    fresh = bool(c.params.get("fresh"))
    return Outgoing(text, markup, ref_key="card", edit_key=None if fresh else "card")


@renders(MessageKind.ATTACHMENT)
def attachment(c: Context) -> Outgoing:
    kind = c.params.get("file_kind")
    return Outgoing(
        texts.attachment_caption(c.about.request.id, c.lang),
        file_id=str(c.params["file_id"]),
        photo=kind == "photo",
        html=False,
        silent=True,
        file_kind=str(kind) if kind else None,
        file_name=_file_name(c),
    )


def _file_name(c: Context) -> str | None:
    name = c.params.get("file_name")
    return str(name) if name else None


# ---- the owner and the holder along the lifecycle --------------------------------------------


@renders(MessageKind.RECEIVED)
def received(c: Context) -> Outgoing:
    return _reply(c, texts.received(c.about.request, c.params, c.lang))


@renders(MessageKind.ACCEPTED)
def accepted(c: Context) -> Outgoing:
    return _reply(c, texts.accepted(c.about.request, c.params, c.lang))


@renders(MessageKind.RESOLVED)
def resolved(c: Context) -> Outgoing:
    r = c.about.request
    markup = keyboards_aftercare.rating_or_reopen(r.id, c.lang)
    return _reply(c, texts.resolved(r, c.params, c.lang), markup, "rate")


@renders(MessageKind.RATED)
def rated(c: Context) -> Outgoing:
    """Thanks for the rating, with an optional comment and Reopen."""
    r = c.about.request
    markup = keyboards_aftercare.comment_or_not(r.id, c.lang)
    return _reply(c, texts_aftercare.rated(r, c.params, c.lang), markup, "rate")


@renders(MessageKind.RATED_HOLDER)
def rated_holder(c: Context) -> Outgoing:
    return _reply(c, texts.rated_holder(c.about.request, c.params, c.lang))


@renders(MessageKind.NOTE)
def note(c: Context) -> Outgoing:
    return _reply(c, texts.note(c.about.request, c.params, c.lang))


@renders(MessageKind.RELAY)
def relay(c: Context) -> Outgoing:
    """Someone's words passed on, with the file they sent if any."""
    return _passed_on(c, texts.relay)


@renders(MessageKind.INTERNAL_NOTE)
def internal_note(c: Context) -> Outgoing:
    """A staff-only note (words or a file), marked so that a reply to it stays internal."""
    return _passed_on(c, texts_notes.internal_note)


def _passed_on(c: Context, render: Callable[[Request, Params, str], str]) -> Outgoing:
    # A caption holds 1,024 characters and a message 4,096: shorten the person's words to
    # leave room for the #N header, never the HTML around them.
    params = c.params
    relayed_file = params.get("file_id")
    kind = str(params.get("file_kind") or "") or None
    captioned = bool(relayed_file) and kind not in CAPTIONLESS
    limit = CAPTION_TEXT if captioned else RELAY_TEXT
    words = str(params.get("text") or "")
    if len(words) > limit:
        params = {**params, "text": words[: limit - 1] + "…"}
    text = render(c.about.request, params, c.lang)
    if relayed_file:
        return Outgoing(
            text,
            file_id=str(relayed_file),
            photo=kind == "photo",
            file_kind=kind,
            file_name=_file_name(c),
        )
    return _reply(c, text)


@renders(MessageKind.CANCELLED)
def cancelled(c: Context) -> Outgoing:
    """To the holder or whoever had it on offer: the owner withdrew #N (and why)."""
    return _reply(c, texts_lists.cancelled_notice(c.about.request, c.params, c.lang))


@renders(MessageKind.ESCALATED)
def escalated(c: Context) -> Outgoing:
    """A request that left its commissioner's hands, worded by why it did."""
    reason = c.params.get("reason")
    if reason == UNREACHABLE:
        return _reply(c, *texts_reach.escalated_unreachable(*_request_args(c)))
    if reason == ACCEPT_TIMEOUT:
        return _reply(c, *texts_sla.escalated_late(*_request_args(c)))
    return _reply(c, texts.escalated(c.about, c.params, c.catalog, c.lang))


# ---- chasing, extensions, people who cannot be reached (texts_sla, texts_reach) -------------

RequestText = Callable[
    [RequestView, Params, Catalog, str, ZoneInfo], tuple[str, Markup, str | None]
]


def _request_args(c: Context) -> tuple[RequestView, Params, Catalog, str, ZoneInfo]:
    return c.about, c.params, c.catalog, c.lang, c.tz


def _about_request(render: RequestText) -> Renderer:
    def renderer(c: Context) -> Outgoing:
        return _reply(c, *render(*_request_args(c)))

    renderer.__name__ = renderer.__qualname__ = render.__name__
    renderer.__doc__ = render.__doc__
    return renderer


_BY_REQUEST: dict[MessageKind, RequestText] = {
    MessageKind.REMIND_ACCEPT: texts_sla.remind_accept,
    MessageKind.TAKEN_AWAY: texts_sla.taken_away,
    MessageKind.UNACCEPTED: texts_sla.unaccepted,
    MessageKind.REMIND_DUE: texts_sla.remind_due,
    MessageKind.OVERDUE: texts_sla.overdue,
    MessageKind.OVERDUE_REPORT: texts_sla.overdue_report,
    MessageKind.EXTENSION_ASKED: texts_extension.extension_asked,
    MessageKind.EXTENSION_DECIDED: texts_extension.extension_decided,
    MessageKind.EXTENSION_RESULT: texts_extension.extension_result,
    MessageKind.DEADLINE_EXTENDED: texts_extension.deadline_extended,
    MessageKind.PARTY_UNREACHABLE: texts_reach.party_unreachable,
    MessageKind.RELAY_UNDELIVERED: texts_reach.relay_undelivered,
}
for _kind, _text in _BY_REQUEST.items():
    renders(_kind)(_about_request(_text))


# ---- about no request in particular ---------------------------------------------------------


@renders(MessageKind.DIGEST)
def digest(c: Context) -> Outgoing:
    """The supervisors' daily digest."""
    found = Digest.model_validate_json(str(c.params["digest"]))
    return Outgoing(texts_stats.digest_text(found, c.catalog, c.lang))


@renders(MessageKind.DEAD_LETTER)
def dead_letter(c: Context) -> Outgoing:
    update_id = str(c.params["update_id"])  # the channel's own id of the update
    return Outgoing(texts_sla.dead_letter(update_id, str(c.params.get("reason") or ""), c.lang))


@renders(MessageKind.PERSON_REBOUND)
def person_rebound(c: Context) -> Outgoing:
    return Outgoing(texts_reach.person_rebound(c.params, c.lang))


@renders(MessageKind.UNREACHABLE_REPORT)
def unreachable_report(c: Context) -> Outgoing:
    return Outgoing(texts_reach.unreachable_report(c.params, c.lang))


# ---- after resolution (bot.services.aftercare) ------------------------------------------------


@renders(MessageKind.LOW_RATING)
def low_rating(c: Context) -> Outgoing:
    return _reply(c, texts_aftercare.low_rating(c.about.request, c.params, c.lang))


@renders(MessageKind.RATING_COMMENT)
def rating_comment(c: Context) -> Outgoing:
    return _reply(c, texts_aftercare.rating_comment(c.about.request, c.params, c.lang))


@renders(MessageKind.REOPENED)
def reopened(c: Context) -> Outgoing:
    """To the owner: where it went; to the holder offered it again: who reopened it and why."""
    r = c.about.request
    if c.reader.id == r.owner_id:
        return _reply(c, texts_aftercare.reopened_owner(r, c.params, c.lang))
    return _reply(c, texts_aftercare.reopened_holder(r, c.params, c.lang))


@renders(MessageKind.AUTO_CLOSED)
def auto_closed(c: Context) -> Outgoing:
    r = c.about.request
    markup = keyboards_aftercare.reopen(r.id, c.lang)
    return _reply(c, texts_aftercare.auto_closed(r, c.params, c.lang), markup, "rate")


# ---- hand-backs and away periods (texts_handoff) ----------------------------------------------


@renders(MessageKind.HANDOFF)
def handoff(c: Context) -> Outgoing:
    """To supervisors: where #N goes, with the team picker (first tap wins)."""
    r = c.about.request
    ask = int(str(c.params.get("ask") or 0))
    holder = str(c.params.get("by") or "") if c.params.get("why") == Why.HANDBACK else None
    markup = keyboards_handoff.teams(r.id, ask, c.catalog, c.lang, holder)
    return _reply(c, texts_handoff.handoff(r, c.params, c.catalog, c.lang), markup)


@renders(MessageKind.HANDOFF_DECIDED)
def handoff_decided(c: Context) -> Outgoing:
    """Every supervisor's question edited to say who decided (its buttons go away)."""
    return _reply(c, texts_handoff.handoff_decided(c.about.request, c.params, c.catalog, c.lang))


@renders(MessageKind.HANDOFF_RESULT)
def handoff_result(c: Context) -> Outgoing:
    return _reply(c, texts_handoff.handoff_result(c.about.request, c.params, c.catalog, c.lang))


@renders(MessageKind.AWAY_NOTICE)
def away_notice(c: Context) -> Outgoing:
    return Outgoing(texts_handoff.away_notice(c.params, c.lang, c.tz))


# ---- issue 12: charts and the commissioners' week ---------------------------------------------


@renders(MessageKind.DIGEST_CHART)
def digest_chart(c: Context) -> Outgoing:
    """The digest's chart: the last 30 days' received and resolved, and the three rates."""
    raw = json.loads(str(c.params.get("points") or "[]"))
    days = [charts.DayFigures(**DayPoint.model_validate(p).model_dump()) for p in raw]
    return Outgoing(
        texts_stats.digest_chart_caption(len(days), c.lang),
        draw=partial(charts.daily_chart, days, c.lang),
        photo=True,
    )


@renders(MessageKind.TEAM_CHART)
def team_chart(c: Context) -> Outgoing:
    """Monday's chart by team: last week's received and resolved per team."""
    raw: dict[str, list[int]] = json.loads(str(c.params.get("teams") or "{}"))
    start = date.fromisoformat(str(c.params.get("start") or "2000-01-01"))
    end = date.fromisoformat(str(c.params.get("end") or "2000-01-01"))
    teams = []
    for key, (received, resolved) in raw.items():
        team = c.catalog.team(key)
        name = team.label(c.lang) if team else (key or texts_stats.no_team(c.lang))
        teams.append(charts.TeamFigures(name, received, resolved))
    return Outgoing(
        texts_stats.team_chart_caption(start, end, c.lang),
        draw=partial(charts.team_chart, teams, start, end, c.lang),
        photo=True,
    )


@renders(MessageKind.WEEK_SUMMARY)
def week_summary(c: Context) -> Outgoing:
    """A commissioner's Monday summary of their own open and overdue work."""
    return Outgoing(texts_stats.week_summary(c.params, c.lang))
