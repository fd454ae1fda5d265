"""Intake: the owner's draft, saved at every step, and submitting it as request #N."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.identity import Address, UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import OPEN_STATUSES, Action, transition
from bot.domain.models import (
    Draft,
    Person,
    Request,
    RequestStatus,
)
from bot.domain.routing import Tier
from bot.services.context import check_text
from bot.services.dispatching import Dispatching
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction

DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
MAX_ATTACHMENTS = 10
INTAKE = "intake"


@dataclass(frozen=True)
class Submitted:
    request: Request
    tier: Tier
    recipients: tuple[Person, ...]


class Intake(Dispatching):
    """The /new form: a draft per conversation, then one transaction that files and dispatches."""

    async def draft(self, at: Address) -> Draft | None:
        """The intake draft of the conversation at this address."""
        async with self.db.read() as tx:
            found = await tx.draft(at, INTAKE)
        return Draft(at=at, step=found[0], **found[1]) if found else None

    async def save_draft(self, draft: Draft) -> None:
        data: dict[str, Any] = draft.model_dump(mode="json", exclude={"at", "step"})
        async with self.unit() as tx:
            await tx.save_draft(draft.at, INTAKE, draft.step, data, self.clock.now())

    async def drop_draft(self, at: Address, flow: str = INTAKE) -> bool:
        async with self.unit() as tx:
            existed = await tx.draft(at, flow) is not None
            await tx.delete_draft(at, flow)
            return existed

    async def intake_steps(self) -> dict[Address, str]:
        """Every owner's current intake step, for the conversation handler after a restart."""
        async with self.db.read() as tx:
            return dict(await tx.drafts(INTAKE))

    @staticmethod
    def check_description(text: str) -> str:
        return check_text(text, "description", DESCRIPTION_MIN, DESCRIPTION_MAX)

    async def check_can_file(self, person_id: int) -> None:
        """Refuses (TOO_MANY_OPEN) an owner who already has the most open requests allowed."""
        async with self.db.read() as tx:
            await self._check_open_limit(tx, await self.person_of(tx, person_id))

    async def _check_open_limit(self, tx: Transaction, owner: Person) -> None:
        count = len(await tx.requests_where("owner_id", owner.id, OPEN_STATUSES))
        if count >= self.max_open_requests:
            raise Refused(Refusal.TOO_MANY_OPEN, open=count, limit=self.max_open_requests)

    async def submit(
        self, person_id: int, at: Address, update: UpdateRef | None = None
    ) -> Submitted:
        """Turns the owner's finished draft (in the conversation at `at`) into request #N and
        dispatches it."""
        now = self.clock.now()
        async with self.unit(update) as tx:
            owner = await self.person_of(tx, person_id)
            found = await tx.draft(at, INTAKE)
            if found is None:
                raise Refused(Refusal.NOT_FOUND)
            draft = Draft(at=at, step=found[0], **found[1])
            if draft.category is None or draft.description is None or draft.urgency is None:
                raise Refused(Refusal.BAD_INPUT, field="draft")
            # Checked again here: other requests may have been filed since /new.
            await self._check_open_limit(tx, owner)
            enterprises = await tx.enterprises_of_contact(owner.phone)
            enterprise = next(
                (e for e in enterprises if e.id == draft.enterprise_id),
                enterprises[0] if enterprises else None,
            )
            if enterprise is None:
                raise Refused(Refusal.NO_ENTERPRISE)
            request_id = await tx.insert_request(
                enterprise.id,
                owner.id,
                draft.category,
                draft.description,
                draft.urgency,
                draft.attachments,
                now,
            )
            submitted = transition(None, Action.SUBMIT)
            await self.record(
                tx,
                request_id,
                owner,
                EventKind.SUBMITTED,
                None,
                submitted,
                category=draft.category,
                urgency=draft.urgency.value,
                attachments=len(draft.attachments),
            )
            await tx.delete_draft(at, INTAKE)
            tier, recipients = await self.dispatch(tx, request_id, owner, RequestStatus.SUBMITTED)
            request = await self.request_of(tx, request_id)
            await self.notify(
                tx,
                [owner],
                MessageKind.RECEIVED,
                request,
                tier=tier.value,
                names="\n".join(p.name for p in recipients),  # one a line; the renderer joins
            )
            return Submitted(request, tier, tuple(recipients))
