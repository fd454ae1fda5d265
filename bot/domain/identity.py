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


@dataclass(frozen=True, slots=True)
class UpdateRef:
    """One incoming update (a message, a tap) of one channel: `channel` names it, `value` is that
    channel's id for it, `seq` its place in the channel's order (Telegram: the update id for
    both). A use case records the update it handles by this, so a redelivery changes nothing."""

    channel: str
    value: str
    seq: int

    def __str__(self) -> str:
        return f"{self.channel}:{self.value}"
