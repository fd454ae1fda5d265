"""In-memory fakes of bot/services/ports.py: a UnitOfWork whose transactions keep the state in
dicts, so service tests run without SQLite (milliseconds each).

`FakeTx` implements every repository Protocol of `Transaction` (mypy checks `_implements` below,
run by tests/services/test_fakes.py), one module per group of aggregates as in
bot/storage/sqlite/. Each method does what the SQL of bot/storage/sqlite does, including its
conditional writes (a move or claim from a status the request left changes nothing and returns
False) and `next_step_at` set to "plan at once" by every write that changes
a request's status, holder, offers or deadline.

Transactions: `tx()` works on a copy of the state and puts it in place only when the block ends
without an exception (copy-on-write: every stored value is immutable, so a shallow copy of the
containers is enough); writers take turns on a lock, as on SQLite's one writer connection.
`read()` is a snapshot whose changes are dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.domain.models import Event
from bot.services.ports import Transaction, UnitOfWork
from tests.services.fakes.messages import FakeMessages
from tests.services.fakes.people import FakePeople
from tests.services.fakes.reports import FakeReports
from tests.services.fakes.requests import FakeRequests
from tests.services.fakes.state import (
    PLAN_AT_ONCE,
    FakeState,
    OutboxEntry,
    RequestRow,
)

__all__ = ["PLAN_AT_ONCE", "FakeState", "FakeTx", "FakeUnitOfWork", "OutboxEntry", "RequestRow"]


class FakeTx(FakePeople, FakeRequests, FakeMessages, FakeReports):
    """Every repository of bot.services.ports over one FakeState (one transaction)."""


class FakeUnitOfWork:
    """The fake database: transactions on a copy, put in place on success; one writer at a time."""

    def __init__(self, state: FakeState | None = None) -> None:
        self.state = state or FakeState()
        self._lock = asyncio.Lock()
        self.commits = 0
        self.rollbacks = 0

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Transaction]:
        async with self._lock:
            working = self.state.copy()
            try:
                yield FakeTx(working)
            except BaseException:
                self.rollbacks += 1
                raise
            self.state = working
            self.commits += 1

    @asynccontextmanager
    async def each(self) -> AsyncIterator[Transaction]:
        """Statements that each stand alone: here simply a transaction."""
        async with self.tx() as tx:
            yield tx

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Transaction]:
        """A snapshot of the last commit; whatever is written to it is dropped."""
        yield FakeTx(self.state.copy())

    # ---- what tests look at (the committed state) --------------------------------------------

    def outbox(self, status: str | None = None) -> list[OutboxEntry]:
        return [r for _, r in sorted(self.state.outbox.items()) if status in (None, r.status)]

    def events(self, request_id: int | None = None) -> list[Event]:
        return [e for e in self.state.events if request_id is None or e.request_id == request_id]

    def row(self, request_id: int) -> RequestRow:
        return self.state.requests[request_id]


def _implements(tx: FakeTx, uow: FakeUnitOfWork) -> tuple[Transaction, UnitOfWork]:
    # mypy checks here that the fakes have every method of every Protocol, typed alike.
    return tx, uow
