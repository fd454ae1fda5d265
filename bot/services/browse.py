"""What people browse: paged lists of requests, a request's card and its timeline.

Read-only use cases, each on one read snapshot. They take person ids and decide on every call
who may see what (a list button or a card button carries a key, never a permission):

* a list: ``my`` — anyone registered, their own requests; ``mine`` — commissioners, chain
  committee members and supervisors, what they hold and what is on offer to them; ``open`` —
  supervisors only; ``chain`` — a committee member: every request of their chains'
  enterprises; one chain's open requests: the supervisors and that chain's committee;
* a card and its timeline: the request's owner, its holder, whoever it is on offer to now,
  the enterprise's commissioner, its chain's committee members and the supervisors. The owner
  (unless also one of the staff) sees only the owner-facing steps of the timeline
  (bot.domain.listing.OWNER_STEPS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.access import INVOLVED_STAFF, Relation, allows, relations
from bot.domain.kinds import EventKind
from bot.domain.lifecycle import CLAIMABLE, OPEN_STATUSES, REOPENABLE, WORKING
from bot.domain.listing import (
    CANCELLABLE,
    OWNER_STEPS,
    PAGE_SIZE,
    UNACCEPTED,
    ListKey,
    ListKind,
    OpenFilter,
    Page,
    RequestLine,
    clamp_page,
)
from bot.domain.models import Catalog, Enterprise, Event, Person, RequestStatus, Role
from bot.services.desk import RequestView
from bot.services.errors import Refusal, Refused
from bot.services.ports import Clock, Transaction, UnitOfWork

# Payload fields of events that name people by id ("3" or "3,5").
PEOPLE_FIELDS = ("to", "previous", "holder", "offered")


@dataclass(frozen=True)
class CardView:
    """A request as one reader may see it now, with what they may do to it."""

    view: RequestView
    reader: Person
    owner: bool
    holder: bool
    offered: bool
    staff: bool  # sees the internal steps: holder, offered, commissioner or supervisor
    # The latest progress note (to the owner) and, for staff only, the latest internal note.
    last_note: Step | None = None
    last_internal: Step | None = None
    may_reopen: bool = False  # the owner, resolved or closed, within the reopen window

    @property
    def status(self) -> RequestStatus:
        return self.view.request.status

    @property
    def can_accept(self) -> bool:
        return self.offered and self.status in CLAIMABLE

    @property
    def can_work(self) -> bool:
        return self.holder and self.status in WORKING

    @property
    def can_rate(self) -> bool:
        return (
            self.owner
            and self.status == RequestStatus.RESOLVED
            and self.view.request.rating is None
        )

    @property
    def can_reopen(self) -> bool:
        return self.owner and self.may_reopen

    @property
    def can_cancel(self) -> bool:
        return self.owner and self.status in CANCELLABLE


@dataclass(frozen=True)
class ChainView:
    """An industry chain as a list shows it: its name and its enterprises."""

    index: int
    name: str
    enterprises: tuple[Enterprise, ...]


@dataclass(frozen=True)
class Step:
    """One step of a request's history, with the names of the people it mentions."""

    event: Event
    actor: str | None
    names: dict[int, str]

    def people(self, field: str) -> list[str]:
        """The names behind a payload field of ids ("3,5")."""
        raw = self.event.payload.get(field)
        ids = [int(x) for x in str(raw or "").split(",") if x.strip().isdigit()]
        return [self.names.get(i, "—") for i in ids]


@dataclass(frozen=True)
class History:
    card: CardView
    steps: tuple[Step, ...]


class Browse:
    """Lists, cards and timelines, authorised on the server at every call."""

    def __init__(
        self,
        db: UnitOfWork,
        clock: Clock,
        catalog: Catalog,
        page_size: int = PAGE_SIZE,
        reopen_within: timedelta = timedelta(days=7),
    ) -> None:
        self.reopen_within = reopen_within
        self.db = db
        self.clock = clock
        self.catalog = catalog
        self.page_size = page_size

    # ---- lists --------------------------------------------------------------------------

    async def page(self, person_id: int, key: ListKey) -> Page:
        """One page of one list; a page past the end becomes the last one."""
        async with self.db.read() as tx:
            person = await _person(tx, person_id)
            for _ in range(2):
                offset = key.page * self.page_size
                lines, total = await self._lines(tx, person, key, offset)
                page = clamp_page(key.page, total, self.page_size)
                if page == key.page:
                    return Page(key, tuple(lines), total, self.page_size)
                key = key.at(page)  # the list shrank since the tap: show its last page
            return Page(key, tuple(lines), total, self.page_size)

    async def _lines(
        self, tx: Transaction, person: Person, key: ListKey, offset: int
    ) -> tuple[list[RequestLine], int]:
        size = self.page_size
        if key.kind == ListKind.MY:
            return await tx.owner_lines(person.id, size, offset)
        if key.kind == ListKind.MINE:
            if not allows("/mine", relations(person)):
                raise Refused(Refusal.NOT_ALLOWED)
            return await tx.staff_lines(person.id, WORKING, CLAIMABLE, size, offset)
        if key.kind == ListKind.CHAIN:
            if key.chain is None:
                if not person.has(Role.COMMITTEE) or not person.chains:
                    raise Refused(Refusal.NOT_ALLOWED)
                return await tx.chain_lines(sorted(person.chains), None, size, offset)
            chain = await _chain_at(tx, person, key.chain)
            return await tx.chain_lines([chain], OPEN_STATUSES, size, offset)
        if not allows("/open", relations(person)):
            raise Refused(Refusal.NOT_ALLOWED)
        if key.filter == OpenFilter.OVERDUE:
            return await tx.open_lines(WORKING, size, offset, due_before=self.clock.now())
        if key.filter == OpenFilter.UNACCEPTED:
            return await tx.open_lines(UNACCEPTED, size, offset)
        if key.filter == OpenFilter.TEAM:
            if key.team is None or self.catalog.team(key.team) is None:
                raise Refused(Refusal.BAD_INPUT, field="team")
            categories = [c.key for c in self.catalog.categories if c.team == key.team]
            return await tx.open_lines(OPEN_STATUSES, size, offset, categories=categories)
        return await tx.open_lines(OPEN_STATUSES, size, offset)

    # ---- chains ---------------------------------------------------------------------------

    async def chains(self, person_id: int) -> list[str]:
        """Every industry chain, in order (their places are what chain buttons carry);
        supervisors only."""
        async with self.db.read() as tx:
            person = await _person(tx, person_id)
            if not person.has(Role.SUPERVISOR):
                raise Refused(Refusal.NOT_ALLOWED)
            return await tx.chains()

    async def chain(self, person_id: int, index: int) -> ChainView:
        """The chain at `index` and its enterprises, for the supervisors and its committee."""
        async with self.db.read() as tx:
            person = await _person(tx, person_id)
            name = await _chain_at(tx, person, index)
            return ChainView(index, name, tuple(await tx.enterprises_in_chain(name)))

    # ---- one request --------------------------------------------------------------------

    async def card(self, person_id: int, request_id: int) -> CardView:
        """The request as this person may see it; Refused(NOT_ALLOWED) if they may not."""
        async with self.db.read() as tx:
            return await self._card(tx, person_id, request_id)

    async def timeline(self, person_id: int, request_id: int) -> History:
        """Every step of the request in order (the owner: only the owner-facing ones)."""
        async with self.db.read() as tx:
            card = await self._card(tx, person_id, request_id)
            events = [e for e in await tx.events(request_id) if card.staff or e.kind in OWNER_STEPS]
            ids = {e.actor_id for e in events if e.actor_id is not None}
            for e in events:
                ids.update(_ids(e, PEOPLE_FIELDS))
            names = await _names(tx, ids)
            steps = tuple(
                Step(e, names.get(e.actor_id) if e.actor_id is not None else None, names)
                for e in events
            )
            return History(card, steps)

    async def _card(self, tx: Transaction, person_id: int, request_id: int) -> CardView:
        person = await _person(tx, person_id)
        request = await tx.request(request_id)
        if request is None:
            raise Refused(Refusal.NOT_FOUND, request_id=request_id)
        enterprise = await tx.enterprise(request.enterprise_id)
        owner = await tx.person(request.owner_id)
        assert enterprise is not None and owner is not None
        holder = await tx.person(request.holder_id) if request.holder_id else None
        offered_ids = await tx.offered(request_id) if request.status in CLAIMABLE else []
        offered = [p for p in [await tx.person(i) for i in offered_ids] if p is not None]
        standing = relations(
            person,
            request,
            offered_ids,
            assigned=enterprise.commissioner_id,
            chain=enterprise.chain,
        )
        is_owner = Relation.OWNER in standing
        is_holder = Relation.HOLDER in standing
        is_offered = Relation.OFFERED in standing
        staff = bool(standing & INVOLVED_STAFF)
        if not allows("card", standing):
            raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
        view = RequestView(request, enterprise, owner, holder, tuple(offered))
        notes = [EventKind.NOTED, *([EventKind.INTERNAL_NOTE] if staff else [])]
        found = {e.kind: e for e in await tx.events(request_id) if e.kind in notes}
        names = await _names(tx, {e.actor_id for e in found.values() if e.actor_id is not None})
        latest = {
            kind: Step(e, names.get(e.actor_id) if e.actor_id is not None else None, names)
            for kind, e in found.items()
        }
        resolved = request.resolved_at
        may_reopen = (
            request.status in REOPENABLE
            and resolved is not None
            and self.clock.now() - resolved <= self.reopen_within
        )
        return CardView(
            view,
            person,
            is_owner,
            is_holder,
            is_offered,
            staff,
            last_note=latest.get(EventKind.NOTED),
            last_internal=latest.get(EventKind.INTERNAL_NOTE),
            may_reopen=may_reopen,
        )


async def _person(tx: Transaction, person_id: int) -> Person:
    person = await tx.person(person_id)
    if person is None or not person.active:
        raise Refused(Refusal.NOT_REGISTERED)
    return person


async def _chain_at(tx: Transaction, person: Person, index: int) -> str:
    """The chain at `index` among all chains, if this person may see it (Refused if not: a
    supervisor sees every chain, a committee member their own; a stale index is BAD_INPUT)."""
    chains = await tx.chains()
    if not 0 <= index < len(chains):
        raise Refused(Refusal.BAD_INPUT, field="chain")
    chain = chains[index]
    if not (person.has(Role.SUPERVISOR) or (person.has(Role.COMMITTEE) and chain in person.chains)):
        raise Refused(Refusal.NOT_ALLOWED)
    return chain


def _ids(event: Event, fields: Iterable[str]) -> set[int]:
    found: set[int] = set()
    for field in fields:
        raw = event.payload.get(field)
        if isinstance(raw, bool) or raw is None:
            continue
        found.update(int(x) for x in str(raw).split(",") if x.strip().isdigit())
    return found


async def _names(tx: Transaction, ids: Iterable[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for i in ids:
        person = await tx.person(i)
        if person is not None:
            names[i] = person.name
    return names
