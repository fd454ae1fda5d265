"""What the next text in a conversation answers: kept by the channel, not by the services.

A tap asks a question ("why do you hand #12 back?", "the summary for #7", "the new phone of
person 5"); the person's next text is the answer. That expectation belongs to the
conversation (an Address), one at a time: a new question replaces the old one, /cancel or any
command drops it. It is stored (ExpectationStore, SQL in bot/storage/sqlite/expectations.py)
so that a question asked before a restart, even a kill -9, is still answered after it.

The services know nothing of it: the answer is handed to a plain use case that takes the text
(decline, hand_back, resolve, note, …), which authorises the person again on the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.domain.identity import Address
from bot.services.ports import Clock


class Flow(StrEnum):
    """What the answer is for; the subject is a request id (a person id for PHONE)."""

    DECLINE = "decline"  # a reason for declining an offered request
    HANDBACK = "handback"  # a reason for handing a held request back
    RESOLVE = "resolve"  # the resolution summary (the outcome is in the data)
    NOTE = "note"  # a progress note for the owner
    INTERNAL_NOTE = "inote"  # a note among staff
    REOPEN = "reopen"  # the owner's reason for reopening
    COMMENT = "comment"  # the owner's comment on a rating
    WITHDRAW = "withdraw"  # the owner's reason for withdrawing
    PHONE = "phone"  # a supervisor's new phone for a person


# A stored expectation as the store speaks it: flow, subject, prompt, data.
Stored = tuple[str, int, str | None, dict[str, str]]


class ExpectationStore(Protocol):
    """One expectation per conversation, kept across restarts."""

    async def expectation(self, at: Address) -> Stored | None: ...

    async def expect(
        self,
        at: Address,
        flow: str,
        subject: int,
        prompt: str | None,
        data: Mapping[str, str],
        now: datetime,
    ) -> None:
        """Stores the expectation at `at`, replacing any other."""
        ...

    async def forget(
        self, at: Address, flow: str | None = None, subject: int | None = None
    ) -> bool:
        """Drops the expectation at `at` (only if of this flow / subject); True if one was."""
        ...


@dataclass(frozen=True)
class Expectation:
    flow: Flow
    subject: int
    prompt: str | None = None  # the channel's reference of the message that asked
    data: Mapping[str, str] = field(default_factory=dict)  # e.g. the outcome, a page to go back to


class Expecting:
    """Asks, reads and forgets what the next text at an address answers."""

    def __init__(self, store: ExpectationStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def ask(
        self, at: Address, flow: Flow, subject: int, prompt: str | None = None, **data: str
    ) -> None:
        """The next text at `at` answers `flow` about `subject` (replacing any other question)."""
        await self.store.expect(at, flow.value, subject, prompt, data, self.clock.now())

    async def current(self, at: Address) -> Expectation | None:
        found = await self.store.expectation(at)
        if found is None:
            return None
        flow, subject, prompt, data = found
        try:
            return Expectation(Flow(flow), subject, prompt, data)
        except ValueError:  # a flow this version no longer knows: nothing to answer
            await self.store.forget(at, flow)
            return None

    async def forget(
        self, at: Address, flow: Flow | None = None, subject: int | None = None
    ) -> Expectation | None:
        """Drops the expectation at `at` (if it is this flow's / subject's); returns it."""
        found = await self.current(at)
        if found is None or flow not in (None, found.flow) or subject not in (None, found.subject):
            return None
        await self.store.forget(at, found.flow.value, found.subject)
        return found

    async def answered(self, at: Address, expectation: Expectation) -> None:
        """The answer was taken: drops it (unless another question has replaced it)."""
        await self.store.forget(at, expectation.flow.value, expectation.subject)


class MemoryExpectations:
    """An ExpectationStore in memory: for a channel that need not survive a restart, and tests."""

    def __init__(self) -> None:
        self.rows: dict[Address, Stored] = {}

    async def expectation(self, at: Address) -> Stored | None:
        return self.rows.get(at)

    async def expect(
        self,
        at: Address,
        flow: str,
        subject: int,
        prompt: str | None,
        data: Mapping[str, str],
        now: datetime,
    ) -> None:
        self.rows[at] = (flow, subject, prompt, dict(data))

    async def forget(
        self, at: Address, flow: str | None = None, subject: int | None = None
    ) -> bool:
        found = self.rows.get(at)
        if found is None or flow not in (None, found[0]) or subject not in (None, found[1]):
            return False
        del self.rows[at]
        return True
