"""What the use cases need from the outside, as protocols."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.domain.clock import Clock
from bot.domain.models import Urgency

if TYPE_CHECKING:
    # The transaction's shape is the storage adapter's; services only use its methods.
    from bot.storage.repositories import Tx

__all__ = ["Clock", "DeadlinePolicy", "UnitOfWork", "Wakeup"]


class UnitOfWork(Protocol):
    def tx(self) -> AbstractAsyncContextManager[Tx]:
        """A read-write transaction: commits when the block ends, rolls back if it raises."""
        ...

    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A read-only snapshot that does not wait for writers."""
        ...


class DeadlinePolicy(Protocol):
    def resolve_due(self, accepted_at: datetime, urgency: Urgency) -> datetime: ...


Wakeup = Callable[[], None]
"""Called after a commit that queued messages, so the sender looks at once."""
