"""Messages in and out: the outbox and its delivery, message references, the inbox, dead
letters, drafts, health and chat notices."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain.identity import Address, UpdateRef
from bot.domain.models import (
    Message,
)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A pending outgoing message as the sender sees it."""

    id: int
    address: Address
    attempts: int
    edit_key: str | None
    urgent: bool
    message: Message


class OutboxRepository(Protocol):
    """Messages queued in the transaction that decided them, and those that failed."""

    async def enqueue(self, message: Message, to: Address, now: datetime) -> int: ...

    async def mark_failed(self, outbox_id: int, error: str) -> None: ...


class DeliveryRepository(Protocol):
    """The sender's side of the outbox: what is due, and how each try went."""

    async def due_messages(
        self, now: datetime, limit: int, skip: Collection[Address] = ()
    ) -> list[OutboxRow]:
        """The oldest pending message of each address, where it is due: each keeps its order.
        Addresses in `skip` (a send in flight, or paced) are left out."""
        ...

    async def next_head_due_at(self) -> datetime | None:
        """When the earliest first-in-line message of any address is due."""
        ...

    async def mark_sent(self, outbox_id: int, now: datetime) -> None: ...

    async def defer(self, outbox_id: int, not_before: datetime, error: str) -> None: ...


class MessageRefRepository(Protocol):
    """Which message shows what to whom, for later edits and replies."""

    async def save_ref(
        self, person_id: int, request_id: int, key: str, at: Address, message_ref: str
    ) -> None:
        """Remembers that message `message_ref` at address `at` shows `key` of the request."""
        ...

    async def ref(self, person_id: int, request_id: int, key: str) -> tuple[Address, str] | None:
        """(address, message reference) of what this person was shown under `key`."""
        ...

    async def delete_ref(self, person_id: int, request_id: int, key: str) -> None: ...

    async def request_of_message(self, at: Address, message_ref: str) -> int | None: ...


class InboxRepository(Protocol):
    """The durable inbox: updates stored on arrival, each marked once handled."""

    async def store_updates(
        self, updates: Iterable[tuple[UpdateRef, str]], now: datetime
    ) -> list[UpdateRef]:
        """Stores updates not seen before; returns them (a redelivery is not among them)."""
        ...

    async def unprocessed_updates(self, channel: str) -> list[tuple[UpdateRef, str]]:
        """A channel's stored updates not handled yet, in its order, with their payloads."""
        ...

    async def last_seq(self, channel: str) -> int | None:
        """The place in its order of the last update a channel stored."""
        ...

    async def is_processed(self, update: UpdateRef) -> bool: ...

    async def mark_processed(self, update: UpdateRef, now: datetime) -> bool:
        """Marks an update handled; false if it already was (a redelivery)."""
        ...

    async def start_handling(self, update: UpdateRef) -> int | None:
        """Counts one more start of handling an update; None if it was handled already."""
        ...


class DeadLetterRepository(Protocol):
    """Updates set aside for good after failing too often."""

    async def add_dead_letter(
        self, update: UpdateRef, payload: str, reason: str, now: datetime
    ) -> bool:
        """Sets an update aside for good (and marks it handled); false if it already was."""
        ...


class DraftRepository(Protocol):
    """A conversation's answers so far, saved at each step."""

    async def draft(self, at: Address, flow: str) -> tuple[str, dict[str, Any]] | None: ...

    async def save_draft(
        self, at: Address, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None: ...

    async def delete_draft(self, at: Address, flow: str | None = None) -> None: ...

    async def drafts(self, flow: str) -> list[tuple[Address, str]]: ...


class HealthRepository(Protocol):
    """The watchdog's record of heartbeats and restarts."""

    async def record_restart(self, component: str, error: str, now: datetime) -> None: ...

    async def heartbeat(self, component: str, now: datetime) -> None: ...


class ChatNoticeRepository(Protocol):
    """When a group or channel was last told that the bot works in private chats."""

    async def claim_chat_notice(self, chat_id: int, now: datetime, since: datetime) -> bool:
        """Records a notice to a group or channel now, unless one was recorded after `since`."""
        ...
