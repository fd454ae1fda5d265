"""What the early gate says: groups and channels, floods, and edited messages."""

from __future__ import annotations

from bot.i18n import translator


def private_only(lang: str) -> str:
    """The notice in a group or channel; it names nobody and nothing about any request."""
    _ = translator(lang)
    return _(
        "I only work in a private chat, so that nothing about anyone's requests is shown to "
        "others here. Please message me privately: tap the button below."
    )


def private_only_alert(lang: str) -> str:
    """The answer to a tap on a button in a group (an alert: at most 200 characters)."""
    _ = translator(lang)
    return _("I only work in a private chat. Please message me privately.")


def flood_warning(lang: str, mute_seconds: int) -> str:
    _ = translator(lang)
    return _(
        "You are sending messages faster than I can answer them. I will not read what you "
        "send for the next {seconds} seconds; then please send one message at a time."
    ).format(seconds=mute_seconds)


def flood_muted(lang: str) -> str:
    """The answer to a tap while muted (a short toast)."""
    _ = translator(lang)
    return _("Too many messages at once. Please wait a minute.")


def edit_not_applied(lang: str) -> str:
    _ = translator(lang)
    return _(
        "I cannot take edits to a message you have already sent: the edit was not applied. "
        "Please send the corrected text as a new message."
    )
