"""Texts (HTML) about people the bot cannot reach in the chat, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.channels.telegram import texts
from bot.channels.telegram.texts import category_label, e
from bot.domain.kpis import UnreachableLine
from bot.domain.models import Catalog, Person, Role
from bot.i18n import translator
from bot.services.desk import RequestView

Params = Mapping[str, str | int | float | bool | None]
Rendered = tuple[str, InlineKeyboardMarkup | None, str | None]

MAX_LINES = 40


def role_names(roles: Iterable[str], lang: str) -> str:
    _ = translator(lang)
    names = {
        Role.OWNER.value: _("enterprise owner"),
        Role.COMMISSIONER.value: _("service commissioner"),
        Role.SUPERVISOR.value: _("supervisor"),
        Role.COMMITTEE.value: _("chain committee member"),
    }
    return "、".join(names.get(r, r) for r in roles if r) or "—"


# ---- messages about a request (bot.channels.telegram.renderers registers them) ------------


def escalated_unreachable(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """A request passed on because its commissioner cannot be reached (to the supervisors)."""
    _ = translator(lang)
    to = _("the service team") if params.get("tier") == "team" else _("the supervisors")
    names = "、".join(e(p.name) for p in view.offered) or "—"
    return (
        _(
            "⚠️ <b>#{n}</b> ({enterprise}, {category}) has gone to {to}: {names}, because "
            "its commissioner cannot be reached in the chat."
        ).format(
            n=view.request.id,
            enterprise=e(view.enterprise.name),
            category=e(category_label(catalog, view.request.category, lang)),
            to=to,
            names=names,
        ),
        None,
        None,
    )


def relay_undelivered(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells whoever wrote that their relayed message did not reach the other side."""
    _ = translator(lang)
    return (
        _(
            "📵 <b>#{n}</b>: your message to {name} was <b>not delivered</b>: they have "
            "blocked the bot or can no longer be reached in the chat. Please call them: "
            "{phone}."
        ).format(
            n=view.request.id,
            name=e(params.get("name") or "—"),
            phone=e(params.get("phone") or "—"),
        ),
        None,
        None,
    )


def party_unreachable(
    view: RequestView, params: Params, catalog: Catalog, lang: str, tz: ZoneInfo
) -> Rendered:
    """Tells the other side of #N that its owner or holder (``role``) cannot be reached."""
    _ = translator(lang)
    n = view.request.id
    name = e(params.get("name") or "—")
    phone = e(params.get("phone") or "—")
    if params.get("role") == "holder":
        lines = [
            _(
                "📵 <b>#{n}</b>: your service commissioner {name} cannot be reached in the chat "
                "at the moment. The service center has been told and will follow up with you."
            ).format(n=n, name=name)
        ]
        if params.get("undelivered"):
            lines.append(_("Your last message was not delivered."))
        if catalog.center.phone:
            lines.append(
                _("You can also call {center}: {phone}.").format(
                    center=e(catalog.center.name(lang)), phone=e(catalog.center.phone)
                )
            )
        return "\n".join(lines), None, None
    lines = [
        _(
            "📵 <b>#{n}</b>: the owner {name} has blocked the bot or can no longer be reached "
            "in the chat; messages about it are not reaching them."
        ).format(n=n, name=name)
    ]
    if params.get("undelivered"):
        lines.append(_("Your last message was not delivered."))
    lines.append(_("Please call them: {phone}.").format(phone=phone))
    return "\n".join(lines), None, None


def unreachable_report(params: Params, lang: str) -> str:
    """The supervisors' notice that someone cannot be reached (about no request in particular)."""
    _ = translator(lang)
    roles = str(params.get("roles") or "").split(",")
    requests = [r for r in str(params.get("requests") or "").split(",") if r]
    lines = [
        _(
            "📵 {name} ({roles}, tel. {phone}) has blocked the bot or can no longer be reached "
            "in the chat. Messages to them are not delivered until they write to the bot again."
        ).format(
            name=e(params.get("name") or "—"),
            roles=role_names(roles, lang),
            phone=e(params.get("phone") or "—"),
        )
    ]
    if requests:
        lines.append(
            _("Open requests affected: {requests}").format(
                requests=", ".join(f"<b>#{r}</b>" for r in requests)
            )
        )
    else:
        lines.append(_("No open requests are affected."))
    return "\n".join(lines)


# ---- answers to the person who wrote --------------------------------------------------------


def relayed(lang: str, recipients: Sequence[Person]) -> str:
    """The confirmation of a relay: says plainly who did not get it, and whom to call."""
    missing = [p for p in recipients if p.unreachable]
    if not missing:
        return texts.relayed(lang, len(recipients))
    _ = translator(lang)
    lines = []
    delivered = [p for p in recipients if not p.unreachable]
    if delivered:
        lines.append(
            _("Passed on to {names} ✔").format(names="、".join(e(p.name) for p in delivered))
        )
    for person in missing:
        lines.append(
            _(
                "📵 <b>Not delivered</b> to {name}: they have blocked the bot or can no longer be "
                "reached in the chat. Please call them: {phone}."
            ).format(name=e(person.name), phone=e(person.phone))
        )
    return "\n".join(lines)


def noted(lang: str, request_id: int, owner: Person | None) -> str:
    """The confirmation of a progress note: saved, and whether the owner got it."""
    if owner is None or not owner.unreachable:
        return texts.noted(lang, request_id)
    _ = translator(lang)
    return _(
        "Note on #{n} saved, but <b>not delivered</b>: the owner {name} has blocked the bot or "
        "can no longer be reached in the chat. Please call them: {phone}."
    ).format(n=request_id, name=e(owner.name), phone=e(owner.phone))


# ---- the digest ---------------------------------------------------------------------------------


def digest_lines(items: Sequence[UnreachableLine], lang: str) -> list[str]:
    """The digest's section on people who cannot be reached (nothing when there are none)."""
    if not items:
        return []
    _ = translator(lang)
    lines = [_("📵 <b>Cannot be reached in the chat</b> ({k})").format(k=len(items))]
    lines += [
        _("{name} · {roles} · {phone} · since {since}").format(
            name=e(item.name),
            roles=role_names(item.roles, lang),
            phone=e(item.phone),
            since=item.since.isoformat(),
        )
        for item in items[:MAX_LINES]
    ]
    if len(items) > MAX_LINES:
        lines.append(_("… and {k} more").format(k=len(items) - MAX_LINES))
    return lines


def person_rebound(params: Params, lang: str) -> str:
    """To the supervisors: someone now uses the bot from another account."""
    _ = translator(lang)
    roles = role_names(str(params.get("roles") or "").split(","), lang)
    return _(
        "🔁 <b>{name}</b> ({roles}, {phone}) shared their phone from a new Telegram account: "
        "the bot now answers that account only; the old one has lost access."
    ).format(
        name=e(str(params.get("name") or "")), roles=roles, phone=e(str(params.get("phone") or ""))
    )
