"""Where a person is reached: an address is a channel's name and that channel's id for them.

The core never looks inside an address: a channel turns its own ids into the text `value` (a
Telegram user id as decimal digits, a WeCom user id as is) and back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    """A person (or a conversation) in one channel: `channel` names it, `value` is its id there."""

    channel: str
    value: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.value}"
