"""The channel seam: the Channel protocol, and what goes wrong in a channel in neutral terms.

A Channel turns a queued message into something a person sees in one messenger (render,
send, edit, answer) and says what went wrong as Transient, Permanent or EditImpossible. The
channel-neutral outbox drainer that drives every Channel is bot.channels.drainer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.domain.identity import Address
from bot.domain.models import Message, Person
from bot.services.desk import RequestView


class Transient(Exception):
    """Try again later: after `retry_after` seconds if the channel said so (a rate limit),
    else after the drainer's own backoff."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Permanent(Exception):
    """This message can never be sent. `unreachable`: the channel says the person cannot be
    reached there (blocked, deleted); otherwise the fault is ours and they stay reachable."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class EditImpossible(Exception):
    """The message to edit is gone or beyond editing: the drainer sends it anew."""


@dataclass(frozen=True)
class SentRef:
    """Where a sent message lives in its channel, for later edits and replies."""

    address: str
    message_id: str


class Rendered(Protocol):
    """What the drainer needs to know of a channel's rendered message."""

    @property
    def ref_key(self) -> str | None: ...

    @property
    def edit_key(self) -> str | None: ...

    @property
    def silent(self) -> bool | None: ...


class QueuedMessage(Protocol):
    """An outbox row as the drainer sees it."""

    @property
    def id(self) -> int: ...

    @property
    def address(self) -> Address: ...

    @property
    def attempts(self) -> int: ...

    @property
    def message(self) -> Message: ...


R = TypeVar("R", bound=Rendered)


class Reach(Protocol):
    """Who can be reached (bot.services.reach.Reachability): told of final failures and of
    messages that got through."""

    async def undeliverable(self, outbox_id: int | None, message: Message, why: str) -> object:
        """Gives the row up and marks the person unreachable, in one transaction."""
        ...

    async def delivered(self, person_id: int) -> bool: ...


class Views(Protocol):
    """Where the drainer reads the request a message is about."""

    async def view(self, request_id: int) -> RequestView | None: ...


class Channel(Protocol[R]):
    """One messenger: renders a message for a reader and sends, edits or answers there."""

    name: str
    # Seconds between two messages to one address (a private chat, a user).
    per_address_interval: float

    def render(self, message: Message, reader: Person, view: RequestView | None) -> R:
        """Renders the message in the reader's language; raises Permanent if it cannot."""
        ...

    async def send(self, address: str, out: R, *, silent: bool) -> SentRef | None:
        """Sends a new message; raises Transient or Permanent."""
        ...

    async def edit(self, ref: SentRef, out: R) -> SentRef | None:
        """Replaces a sent message (None: it already said this); raises EditImpossible,
        Transient or Permanent."""
        ...

    async def clear_actions(self, ref: SentRef) -> None:
        """Takes the buttons off a sent message, as far as possible (never raises)."""
        ...

    async def answer(self, query_id: str, text: str | None = None, *, alert: bool = False) -> None:
        """Answers a person's tap on a button."""
        ...
