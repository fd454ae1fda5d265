"""Telegram's ids as the core's addresses: a user's (and their private chat's) id in decimal."""

from __future__ import annotations

from bot.domain.identity import Address

CHANNEL = "telegram"


def address(telegram_id: int) -> Address:
    """The address of a Telegram user, or of a chat (a private chat's id is the user's)."""
    return Address(CHANNEL, str(telegram_id))


def chat_id(at: Address) -> int:
    """The Telegram chat id an address stands for."""
    return int(at.value)
