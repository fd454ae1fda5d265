"""Telegram's ids as the core's: a user's (and their private chat's) id in decimal as an
Address, an update's id as an UpdateRef."""

from __future__ import annotations

from telegram import Update

from bot.domain.identity import Address, UpdateRef

CHANNEL = "telegram"


def address(telegram_id: int) -> Address:
    """The address of a Telegram user, or of a chat (a private chat's id is the user's)."""
    return Address(CHANNEL, str(telegram_id))


def chat_id(at: Address) -> int:
    """The Telegram chat id an address stands for."""
    return int(at.value)


def update_ref(update: Update | int) -> UpdateRef:
    """The core's reference to a Telegram update (or to the update with this id)."""
    update_id = update if isinstance(update, int) else update.update_id
    return UpdateRef(CHANNEL, str(update_id), update_id)
