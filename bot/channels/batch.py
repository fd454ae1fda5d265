"""What the outbox sends of one poll read: each request's view and each recipient once."""

from __future__ import annotations

import asyncio

from bot.channels.base import Views
from bot.domain.models import Person
from bot.services.desk import RequestView
from bot.services.ports import UnitOfWork


class Batch:
    """What the sends of one poll read: each request's view and each recipient once.

    One commit often queues several messages about one request (the card, the owner's receipt)
    and every message reads its recipient and its request's view; the rows of one poll are
    sent together, so each is read once for all of them — the first send that needs it reads
    it, the others wait for that read. Never kept beyond the poll: the next poll (after the
    next commit) reads everything afresh. The people of a view (owner, holder, offered) are
    the same rows a recipient read returns, so they serve as recipients too.
    """

    def __init__(self, db: UnitOfWork, views: Views) -> None:
        self._db = db
        self._views = views
        self._people: dict[int, asyncio.Future[Person | None]] = {}
        self._request_views: dict[int, asyncio.Future[RequestView | None]] = {}

    async def person(self, person_id: int) -> Person | None:
        found = self._people.get(person_id)
        if found is None:
            found = self._people[person_id] = asyncio.ensure_future(self._read_person(person_id))
        # Shielded: a send cancelled while it waits must not cancel the read others wait for.
        return await asyncio.shield(found)

    async def view(self, request_id: int) -> RequestView | None:
        found = self._request_views.get(request_id)
        if found is None:
            found = self._request_views[request_id] = asyncio.ensure_future(
                self._read_view(request_id)
            )
        return await asyncio.shield(found)

    async def _read_person(self, person_id: int) -> Person | None:
        async with self._db.read() as tx:  # a read: it need not wait for the writer
            return await tx.person(person_id)

    async def _read_view(self, request_id: int) -> RequestView | None:
        view = await self._views.view(request_id)
        if view is not None:
            for person in (view.owner, view.holder, *view.offered):
                if person is not None and person.id not in self._people:
                    known: asyncio.Future[Person | None] = (
                        asyncio.get_running_loop().create_future()
                    )
                    known.set_result(person)
                    self._people[person.id] = known
        return view
