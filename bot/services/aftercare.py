"""After resolution: the rating's comment, a low rating's alert, reopening, auto-close, replies.

* After rating 1–5 the owner may add a comment (a ``commented`` event beside the ``rated`` one,
  shown with it in the timeline). A rating of 1–2 alerts every supervisor at once with #N and
  the holder (`low_rating`, from `Work.rate`), and a comment that follows it alerts them again
  with the words (`rating_comment`).
* Reopening (重办): the owner of a resolved or closed request may reopen it within
  ONCALL_LIFECYCLE__REOPEN_DAYS of its resolution, with a reason. It becomes ``reopened``, is
  offered to its last holder again with Accept (who gets a fresh card, the reason and the last
  outcome), and an Accept gives it a new deadline; a ``reopened`` event records who and why.
  Is the holder gone (inactive or no longer a commissioner or supervisor), it is routed as a new
  request would be. While it waits, the chase treats the ``reopened`` event as an offer round.
* Auto-close: a resolved request nobody rated within ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS
  working days closes by itself (the sweep's ``auto_close`` step): a ``closed`` event with
  ``auto`` true, counted as closed unrated in the figures, never as satisfied; the owner is told.
* A reply to a message about a closed or cancelled request says so (`finished`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import to_text
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import REOPENABLE, Action, transition
from bot.domain.models import Person, Request, RequestStatus, Role
from bot.services.context import NOTE_MAX, REASON_MIN, check_text
from bot.services.dispatching import Dispatching
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction
from bot.services.work import LOW_RATING

REOPEN_TIER = "holder"  # the offer round of a reopened request (to its last holder)


@dataclass(frozen=True)
class Finished:
    """What a reply about a finished request is told."""

    request: Request
    may_reopen: bool


class Aftercare(Dispatching):
    """Comments on ratings, reopening, closing unrated requests, replies to finished ones."""

    # ---- reopening ------------------------------------------------------------------------

    def _reopenable(self, request: Request, person: Person, now: datetime) -> None:
        if request.owner_id != person.id:
            raise Refused(Refusal.NOT_ALLOWED, request_id=request.id)
        if request.status == RequestStatus.CANCELLED:
            raise Refused(Refusal.CANCELLED, request_id=request.id)
        if request.status not in REOPENABLE:
            raise Refused(Refusal.NOT_WORKING, request_id=request.id)
        if not self.may_reopen(request, now):
            days = self.deadlines.reopen_within.days
            raise Refused(Refusal.REOPEN_EXPIRED, request_id=request.id, days=days)

    def may_reopen(self, request: Request, now: datetime) -> bool:
        """Whether its owner may still reopen `request` at `now`."""
        resolved = request.resolved_at
        return (
            request.status in REOPENABLE
            and resolved is not None
            and now - resolved <= self.deadlines.reopen_within
        )

    async def authorise_reopen(self, request_id: int, person_id: int) -> Request:
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            self._reopenable(request, person, self.clock.now())
            return request

    async def reopen(
        self, request_id: int, person_id: int, reason: str, update: UpdateRef | None = None
    ) -> Request:
        """Reopens #N: back to its holder with Accept, or routed anew if the holder is gone."""
        reason = check_text(reason, "reason", REASON_MIN, NOTE_MAX)
        now = self.clock.now()
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            self._reopenable(request, person, now)
            holder = await tx.person(request.holder_id) if request.holder_id else None
            staff = {Role.COMMISSIONER, Role.SUPERVISOR}
            present = holder is not None and holder.active and bool(staff & holder.roles)
            after = transition(request.status, Action.REOPEN)
            if not await tx.move(
                request_id,
                [request.status],
                after,
                closed_at=None,
                due_at=None,
                holder_id=request.holder_id if present else None,
            ):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            await tx.withdraw_offers(request_id)
            if present and holder is not None:
                await tx.offer(request_id, [holder.id], REOPEN_TIER, now)
            await self.record(
                tx,
                request_id,
                person,
                EventKind.REOPENED,
                request.status,
                after,
                reason=reason,
                tier=REOPEN_TIER if present else None,
                to=str(holder.id) if present and holder else None,
            )
            if present and holder is not None:
                reopened = await self.request_of(tx, request_id)
                await self.notify(
                    tx, [holder], MessageKind.REOPENED, reopened, owner=person.name, reason=reason
                )
                await self.notify(tx, [holder], MessageKind.CARD, reopened, fresh=True)
            else:
                await self.dispatch(tx, request_id, person, after, reason=reason)
            reopened = await self.request_of(tx, request_id)
            back_to = holder.name if present and holder else None
            await self.notify(
                tx, [person], MessageKind.REOPENED, reopened, holder=back_to, reason=reason
            )
            return reopened

    # ---- the rating's comment -------------------------------------------------------------

    async def authorise_comment(self, request_id: int, person_id: int) -> Request:
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.owner_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.rating is None or await self._commented(tx, request_id):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            return request

    @staticmethod
    async def _commented(tx: Transaction, request_id: int) -> bool:
        events = await tx.events(request_id)
        rated = [i for i, e in enumerate(events) if e.kind == EventKind.RATED]
        return bool(rated) and any(e.kind == EventKind.COMMENTED for e in events[rated[-1] + 1 :])

    async def comment(
        self, request_id: int, person_id: int, text: str, update: UpdateRef | None = None
    ) -> Request:
        """The owner's words on their rating; a low rating's comment goes to the supervisors."""
        text = check_text(text, "comment", 1, NOTE_MAX)
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.owner_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.rating is None or await self._commented(tx, request_id):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            stars = request.rating
            await self.record(
                tx, request_id, person, EventKind.COMMENTED, stars=stars, comment=text
            )
            if stars <= LOW_RATING:
                holder = await tx.person(request.holder_id) if request.holder_id else None
                await self.notify(
                    tx,
                    await self.supervisors_of(tx),
                    MessageKind.RATING_COMMENT,
                    request,
                    stars=stars,
                    comment=text,
                    holder=holder.name if holder else None,
                )
            return request

    # ---- auto-close (a sweep step, inside the sweep's transaction) ---------------------------

    async def auto_close(self, tx: Transaction, request: Request, days: int) -> bool:
        """Closes a resolved request nobody rated; false if it changed meanwhile."""
        after = transition(request.status, Action.CLOSE)
        now = self.clock.now()
        if not await tx.move(request.id, [RequestStatus.RESOLVED], after, closed_at=to_text(now)):
            return False
        await self.record(tx, request.id, None, EventKind.CLOSED, request.status, after, auto=True)
        owner = await tx.person(request.owner_id)
        closed = await self.request_of(tx, request.id)
        # The rating buttons go (the message is edited), and the owner learns why.
        await self.notify(tx, [owner], MessageKind.AUTO_CLOSED, closed, edit_key="rate", days=days)
        return True

    # ---- replies about finished requests ----------------------------------------------------

    async def finished(self, request_id: int, person_id: int) -> Finished | None:
        """For a reply about #N: the request if it is closed or cancelled (else None)."""
        async with self.db.read() as tx:
            request = await tx.request(request_id)
            if request is None or request.status not in (
                RequestStatus.CLOSED,
                RequestStatus.CANCELLED,
            ):
                return None
            person = await tx.person(person_id)
            if person is None:
                return None
            parties = {request.owner_id, request.holder_id}
            if person.id not in parties and not person.has(Role.SUPERVISOR):
                return None  # not theirs: the relay refuses it as it always did
            owner = person.id == request.owner_id
            return Finished(request, owner and self.may_reopen(request, self.clock.now()))
