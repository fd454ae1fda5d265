"""Texts of the supervisors' /roster: pages of people, a person's entry, changing a phone."""

from __future__ import annotations

from bot.channels.telegram.texts import e
from bot.channels.telegram.texts_reach import role_names
from bot.domain.directory import PeoplePage, PersonState, person_state
from bot.domain.models import Catalog, Person, Role
from bot.i18n import translator

# A line's mark for each state (the legend above the list explains them).
MARKS: dict[PersonState, str] = {
    PersonState.ONBOARDED: "✅",
    PersonState.NOT_ONBOARDED: "⬜",
    PersonState.AWAY: "🌴",
    PersonState.UNREACHABLE: "⚠️",
}


def group_label(role: Role, lang: str) -> str:
    _ = translator(lang)
    return {
        Role.COMMISSIONER: _("Commissioners"),
        Role.COMMITTEE: _("Chain committees"),
        Role.SUPERVISOR: _("Supervisors"),
        Role.OWNER: _("Owners"),
    }[role]


def _where(person: Person, catalog: Catalog, lang: str) -> str:
    """A person's teams (commissioners) and chains (committee members)."""
    teams = [t.label(lang) for t in catalog.teams if t.key in person.teams]
    return "、".join([*teams, *sorted(person.chains)])


def person_label(person: Person, catalog: Catalog, lang: str) -> str:
    """A person's button: their state's mark, name and teams or chains."""
    where = _where(person, catalog, lang)
    label = f"{MARKS[person_state(person)]} {person.name}"
    return f"{label} · {where}" if where else label


def roster_text(page: PeoplePage, lang: str) -> str:
    _ = translator(lang)
    title = _("<b>People</b> · {group}").format(group=group_label(page.key.group, lang))
    if page.total == 0:
        return "\n".join([title, _("Nobody in this group.")])
    counts = _("{total} in all · page {page}/{pages}. Tap someone for their entry.").format(
        total=page.total, page=page.key.page + 1, pages=page.pages
    )
    legend = _("✅ onboarded · ⬜ not onboarded yet · 🌴 away · ⚠️ unreachable")
    return "\n".join([title, counts, legend])


def entry_text(person: Person, catalog: Catalog, lang: str) -> str:
    """A person as the supervisors see them in /roster."""
    _ = translator(lang)
    state = person_state(person)
    states = {
        PersonState.ONBOARDED: _("onboarded"),
        PersonState.NOT_ONBOARDED: _("not onboarded yet (has not shared their phone)"),
        PersonState.AWAY: _("away"),
        PersonState.UNREACHABLE: _("unreachable (blocked the bot or deleted the chat)"),
    }
    lines = [
        f"<b>{e(person.name)}</b>",
        _("Roles: {roles}").format(roles=role_names(sorted(r.value for r in person.roles), lang)),
        _("Phone: {phone}").format(phone=e(person.phone)),
    ]
    where = _where(person, catalog, lang)
    if where:
        lines.append(_("Teams / chains: {where}").format(where=e(where)))
    lines.append(_("State: {state}").format(state=f"{MARKS[state]} {states[state]}"))
    return "\n".join(lines)


def ask_phone(person: Person, lang: str) -> str:
    _ = translator(lang)
    return _(
        "Send the new mobile number of <b>{name}</b> (now {phone}), or /cancel to keep it."
    ).format(name=e(person.name), phone=e(person.phone))


def phone_changed(person: Person, previous: str, lang: str) -> str:
    _ = translator(lang)
    return _(
        "📱 The phone of <b>{name}</b> is now {phone} (was {previous}). They onboard with it "
        "by sharing it from Telegram."
    ).format(name=e(person.name), phone=e(person.phone), previous=e(previous))


def not_a_mobile(lang: str) -> str:
    _ = translator(lang)
    return _("That is not a mobile number (11 digits starting with 1). Send it again, or /cancel.")


def phone_taken(name: str, lang: str) -> str:
    _ = translator(lang)
    return _("That number already belongs to {name}. Send another one, or /cancel.").format(
        name=e(name)
    )


def phone_kept(lang: str) -> str:
    _ = translator(lang)
    return _("The phone was not changed.")
