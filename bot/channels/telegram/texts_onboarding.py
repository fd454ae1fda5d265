"""Texts (HTML) for onboarding and /help: binding by phone, the welcome, each role's commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.telegram.texts import e
from bot.domain.models import Catalog, Center, Enterprise, Person, Role
from bot.i18n import translator


def start_unbound(lang: str) -> str:
    _ = translator(lang)
    return _(
        "<b>Welcome to the enterprise service desk</b> — whatever you need, we come at once.\n\n"
        "To begin, tap <b>Share my phone number</b> below so we can find your enterprise "
        "or your role."
    )


def contact_not_own(lang: str) -> str:
    _ = translator(lang)
    return _(
        "That is someone else's contact. Please share <b>your own</b> phone number with the "
        "button below."
    )


def contact_unknown(lang: str, phone: str, center: Center) -> str:
    _ = translator(lang)
    return _(
        "Sorry, the number {phone} is not on our rosters yet, so nothing has been set up.\n"
        "Please contact {center} (tel. {center_phone}) or your service commissioner to be "
        "registered, then send /start again."
    ).format(phone=e(phone), center=e(center.name(lang)), center_phone=e(center.phone or "—"))


def welcome(person: Person, enterprises: Sequence[Enterprise], catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    lines = [_("Welcome, <b>{name}</b>! You are registered.").format(name=e(person.name))]
    if Role.OWNER in person.roles and enterprises:
        names = "、".join(e(x.name) for x in enterprises)
        lines.append(
            _("Enterprise: {names}. Send /new to report a difficulty, /my to follow it.").format(
                names=names
            )
        )
    if Role.COMMISSIONER in person.roles:
        teams = "、".join(e(t.label(lang)) for t in catalog.teams if t.key in person.teams) or "—"
        lines.append(
            _(
                "Service commissioner (teams: {teams}). New requests arrive here with an "
                "<b>Accept</b> button; /mine lists yours."
            ).format(teams=teams)
        )
    if Role.COMMITTEE in person.roles:
        chains = "、".join(e(c) for c in sorted(person.chains)) or "—"
        lines.append(
            _(
                "Industry chain party committee (chains: {chains}). Supply-chain requests of "
                "your chains arrive here with an <b>Accept</b> button; /chain lists them."
            ).format(chains=chains)
        )
    if Role.SUPERVISOR in person.roles:
        lines.append(
            _("Supervisor: /open, /digest, /overdue, /stats, /reassign, /export, /roster, /chain.")
        )
    lines.append(_("/help shows every command; /lang switches the language."))
    return "\n".join(lines)


def help_text(person: Person | None, lang: str) -> str:
    _ = translator(lang)
    lines = [_("<b>Commands</b>")]
    if person is None:
        lines.append(_("/start — register by sharing your phone number"))
    else:
        if Role.OWNER in person.roles:
            lines += [
                _("/new — report a difficulty (a guided form)"),
                _("/my — your requests: tap one for its card, its timeline, or to withdraw it"),
            ]
        if Role.COMMISSIONER in person.roles:
            lines += [
                _("/mine — requests you hold or that wait for your tap"),
                _("/away [until YYYY-MM-DD] [reason] — stop new dispatches to you; /back — resume"),
                _("/extend #N DAYS REASON — ask the supervisors for a later deadline"),
            ]
        if Role.COMMITTEE in person.roles:
            lines += [
                _("/chain — your chains' requests"),
                _("/mine — requests you hold or that wait for your tap"),
            ]
        if Role.SUPERVISOR in person.roles:
            lines += [
                _("/chain — enterprises and open requests by industry chain"),
                _("/roster — people by role and team: who has onboarded, who is away"),
                _("/digest — today's figures now"),
                _("/overdue — overdue requests"),
                _("/open — every open request, by filter or team"),
                _("/stats — this month's rates"),
                _("/reassign #N [PHONE] — give a request to a team or someone else"),
                _("/export — all requests as a spreadsheet"),
            ]
        lines.append(
            _("Reply to any message of mine that names #N to write to the other side of #N.")
        )
    lines += [_("/lang — 中文 / English"), _("/cancel — stop what you are doing")]
    return "\n".join(lines)
