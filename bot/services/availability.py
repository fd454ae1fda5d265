"""Availability: /away [until DATE] [reason] and /back, and away periods that end by themselves.

While someone is away, routing passes them over (bot.domain.routing.reachable), the sweep does
not chase them (bot.services.sweep), and their open requests are put in front of the
supervisors with one-tap "give to…" pickers (bot.services.handoff). The supervisors are told
when someone goes away and when they are back; a period with an end date ends at that instant
on the sweep's next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import to_text
from bot.domain.handoff import Why
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.models import Person, Role
from bot.services.context import NOTE_MAX, check_text
from bot.services.errors import Refusal, Refused
from bot.services.handoff import Handoffs, ask_supervisors, staff_requests
from bot.services.ports import Transaction


@dataclass(frozen=True)
class Away:
    person: Person
    requests: tuple[int, ...]  # the open requests put in front of the supervisors


class Availability(Handoffs):
    """Going away, coming back, and away periods ending at their date."""

    async def go_away(
        self,
        person_id: int,
        until: datetime | None = None,
        reason: str | None = None,
        update: UpdateRef | None = None,
    ) -> Away:
        now = self.clock.now()
        if until is not None and until <= now:
            raise Refused(Refusal.BAD_INPUT, field="until")
        if reason:
            reason = check_text(reason, "reason", 1, NOTE_MAX)
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            if not person.has(Role.COMMISSIONER):
                raise Refused(Refusal.NOT_ALLOWED)
            await tx.set_away(person.id, True, until, reason or None)
            await self.record(
                tx,
                None,
                person,
                EventKind.AWAY_SET,
                until=to_text(until) if until else None,
                reason=reason or None,
            )
            requests = await staff_requests(tx, person)
            numbers = [r.id for r in requests]
            # The notice first, then one question with pickers per open request.
            await self.notify(
                tx,
                [s for s in await self.supervisors_of(tx) if s.id != person.id],
                MessageKind.AWAY_NOTICE,
                None,
                name=person.name,
                away=True,
                until=to_text(until) if until else None,
                reason=reason or None,
                requests=",".join(str(n) for n in numbers),
            )
            for request in requests:
                await ask_supervisors(tx, self.clock.now(), request, person, Why.AWAY, reason)
            updated = await tx.person(person.id)
            assert updated is not None
            return Away(updated, tuple(numbers))

    async def come_back(self, person_id: int, update: UpdateRef | None = None) -> Person:
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            if not person.has(Role.COMMISSIONER):
                raise Refused(Refusal.NOT_ALLOWED)
            return await self._back(tx, person, by_itself=False)

    async def end_away_periods(self, now: datetime) -> list[int]:
        """Ends every away period whose date has come (the sweep calls this each run)."""
        async with self.db.read() as tx:
            due = await tx.away_ended(now)
        ended: list[int] = []
        for person_id in due:
            async with self.unit() as tx:
                person = await tx.person(person_id)
                if person is None or not person.away or person.away_until is None:
                    continue
                if person.away_until > now:
                    continue
                await self._back(tx, person, by_itself=True)
                ended.append(person_id)
        return ended

    async def _back(self, tx: Transaction, person: Person, by_itself: bool) -> Person:
        was_away = person.away
        await tx.set_away(person.id, False)
        await self.record(tx, None, person, EventKind.BACK_SET, by_itself=by_itself)
        # Their requests were not chased while away: plan them again now.
        await tx.replan_requests_of(person.id)
        if was_away:
            told = [s for s in await self.supervisors_of(tx) if s.id != person.id]
            if by_itself:
                told.append(person)
            await self.notify(
                tx,
                told,
                MessageKind.AWAY_NOTICE,
                None,
                name=person.name,
                away=False,
                by_itself=by_itself,
            )
        updated = await tx.person(person.id)
        assert updated is not None
        return updated
