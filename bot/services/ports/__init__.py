"""What the use cases need from the outside, as protocols: the unit of work and its repositories.

One Protocol per aggregate, with the methods the services (and the channels, which are handed
the same unit of work) call; `Transaction` is all of them over one transaction. The SQLite
implementation (bot/storage/sqlite/) is checked against these by mypy; a fake can be too.
The repositories live by aggregate in this package's modules (people, requests, reports,
messages); everything is imported from here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.clock import Clock
from bot.domain.models import Urgency
from bot.services.ports.messages import (
    ChatNoticeRepository,
    DeadLetterRepository,
    DeliveryRepository,
    DraftRepository,
    HealthRepository,
    InboxRepository,
    MessageRefRepository,
    OutboxRepository,
    OutboxRow,
)
from bot.services.ports.people import (
    EnterpriseRepository,
    PeopleRepository,
)
from bot.services.ports.reports import (
    ReportRepository,
    RetentionRepository,
)
from bot.services.ports.requests import (
    EventRepository,
    ListRepository,
    RequestRepository,
)

__all__ = [
    "ChatNoticeRepository",
    "Clock",
    "DeadLetterRepository",
    "DeadlinePolicy",
    "DeliveryRepository",
    "DraftRepository",
    "EnterpriseRepository",
    "EventRepository",
    "HealthRepository",
    "InboxRepository",
    "ListRepository",
    "MessageRefRepository",
    "OutboxRepository",
    "OutboxRow",
    "PeopleRepository",
    "ReportRepository",
    "RequestRepository",
    "RetentionRepository",
    "Transaction",
    "UnitOfWork",
    "Wakeup",
]


class Transaction(
    PeopleRepository,
    EnterpriseRepository,
    RequestRepository,
    ListRepository,
    EventRepository,
    ReportRepository,
    OutboxRepository,
    DeliveryRepository,
    MessageRefRepository,
    InboxRepository,
    RetentionRepository,
    DeadLetterRepository,
    DraftRepository,
    HealthRepository,
    ChatNoticeRepository,
    Protocol,
):
    """Every repository, over one transaction: a use case's state, events and outbox rows."""


class UnitOfWork(Protocol):
    def tx(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-write transaction: commits when the block ends, rolls back if it raises."""
        ...

    def read(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-only snapshot that does not wait for writers."""
        ...

    def each(self) -> AbstractAsyncContextManager[Transaction]:
        """Writes where each statement commits on its own (no BEGIN/COMMIT): only for a block
        whose every statement stands alone, like marking an update handled."""
        ...


class DeadlinePolicy(Protocol):
    def resolve_due(self, accepted_at: datetime, urgency: Urgency) -> datetime: ...

    @property
    def reopen_within(self) -> timedelta: ...


Wakeup = Callable[[], None]
"""Called after a commit that queued messages, so the sender looks at once."""
