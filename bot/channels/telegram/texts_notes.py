"""Texts (HTML) about internal notes and the kinds of content people send, in the reader's
language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.channels.telegram.texts import e
from bot.domain.models import Person, Request
from bot.i18n import translator

Params = Mapping[str, str | int | float | bool | None]

# The first characters of every internal note the bot sends: a reply to such a message stays
# among staff (bot.handlers.dispatch). Not a permission: the service decides who may write one.
INTERNAL_MARK = "🔒"


def _names(people: Sequence[Person], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(e(p.name) for p in people)


def internal_note(request: Request, params: Params, lang: str) -> str:
    """A staff-only note passed on (the text of a message, or a file's caption)."""
    _ = translator(lang)
    text = e(params.get("text") or "")
    return INTERNAL_MARK + _(
        " <b>#{n}</b> · internal note from {sender} (the owner does not see it):\n{text}\n\n"
        "<i>Reply to this message to answer the staff only.</i>"
    ).format(n=request.id, sender=e(params.get("sender") or ""), text=text)


def ask_internal_note(lang: str, request_id: int) -> str:
    _ = translator(lang)
    return INTERNAL_MARK + _(
        " Write the internal note on <b>#{n}</b> (staff only: the owner will not see it):"
    ).format(n=request_id)


def internal_noted(lang: str, request_id: int, recipients: Sequence[Person]) -> str:
    """The confirmation of an internal note: who got it, and that the owner did not."""
    _ = translator(lang)
    reached = [p for p in recipients if not p.unreachable]
    missing = [p for p in recipients if p.unreachable]
    if reached:
        text = _("Internal note on #{n} passed to {names}; the owner does not see it.").format(
            n=request_id, names=_names(reached, lang)
        )
    else:
        text = _(
            "Internal note on #{n} kept in its timeline (no other staff to pass it to); "
            "the owner does not see it."
        ).format(n=request_id)
    if missing:
        text += "\n" + _("Not delivered (cannot be reached in the chat): {names}").format(
            names=_names(missing, lang)
        )
    return INTERNAL_MARK + " " + text


def shared_with_owner(lang: str, request_id: int, owner: Person) -> str:
    _ = translator(lang)
    if owner.unreachable:
        return _("{name} cannot be reached in the chat; please call {phone}.").format(
            name=e(owner.name), phone=e(owner.phone)
        )
    return _("Also sent to the owner of #{n} ✔").format(n=request_id)


def not_relayable(lang: str) -> str:
    """Stickers, polls, games and dice: neither attached nor passed on."""
    _ = translator(lang)
    return _(
        "Stickers, polls, games and dice cannot be attached or passed on. Please send words, "
        "a photo, a file, a voice message, a video, an audio file, a location or a contact."
    )
