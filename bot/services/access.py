"""Asks the access policy (bot.domain.access) about a person and a request, inside a use case."""

from __future__ import annotations

from bot.domain.access import Relation, allows, relations
from bot.domain.models import Catalog, Person, Request, Role
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction


async def standing(
    tx: Transaction,
    catalog: Catalog,
    person: Person | None,
    request: Request | None = None,
    was_offered: bool = False,
) -> frozenset[Relation]:
    """How `person` stands to `request` now (`was_offered`: an offer withdrawn still counts)."""
    if request is None or person is None:
        return relations(person, request)
    offered = await tx.offered(request.id, active_only=not was_offered)
    enterprise = await tx.enterprise(request.enterprise_id)
    category = catalog.category(request.category)
    in_team = (
        category is not None and person.has(Role.COMMISSIONER) and category.team in person.teams
    )
    return relations(
        person,
        request,
        offered=offered,
        team_members=(person.id,) if in_team else (),
        assigned=enterprise.commissioner_id if enterprise else None,
    )


async def authorise(
    tx: Transaction,
    catalog: Catalog,
    action: str,
    person: Person | None,
    request: Request | None = None,
    was_offered: bool = False,
) -> frozenset[Relation]:
    """How `person` stands to `request`, or Refused(NOT_ALLOWED) if the policy refuses `action`."""
    found = await standing(tx, catalog, person, request, was_offered)
    if not allows(action, found):
        if request is None:
            raise Refused(Refusal.NOT_ALLOWED)
        raise Refused(Refusal.NOT_ALLOWED, request_id=request.id)
    return found
