"""What the simulated people's actions and waits share: the tap handle, matchers, commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.simulator.models import CallbackQueryRecord, JsonDict, SimMessage

MessagePredicate = Callable[[SimMessage], bool]
# A predicate, a case-insensitive substring of the text/caption, or None for "any message".
MessageMatch = MessagePredicate | str | None

COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")


@dataclass(frozen=True)
class TapHandle:
    """A button tap the user made: the callback query and the message it was made on."""

    query: CallbackQueryRecord
    message: SimMessage

    @property
    def id(self) -> str:
        """The callback query id."""
        return self.query.id

    @property
    def data(self) -> str:
        """The callback data sent to the bot."""
        return self.query.data

    @property
    def label(self) -> str | None:
        """The tapped button's text (None for tap_data)."""
        return self.query.label

    @property
    def answered(self) -> bool:
        """Whether the bot has answered the query yet."""
        return self.query.answered

    @property
    def answer(self) -> JsonDict | None:
        """answerCallbackQuery's parameters (text, show_alert, ...) once answered."""
        return self.query.answer


def matcher(match: MessageMatch) -> MessagePredicate:
    """Turns None / a substring / a predicate into a predicate."""
    if match is None:
        return lambda _m: True
    if isinstance(match, str):
        needle = match.casefold()
        return lambda m: needle in m.body.casefold()
    return match


def describe(match: MessageMatch) -> str:
    """Names what a wait was looking for, for timeout messages."""
    if match is None:
        return "any new bot message"
    if isinstance(match, str):
        return f"a new bot message containing {match!r}"
    return f"a new bot message matching {getattr(match, '__name__', 'the predicate')}"
