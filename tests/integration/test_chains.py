"""Industry chains through the real Application: the chain committee receives and accepts
产业链对接 requests, sees its chain's requests (/chain); a commissioner who is also an
enterprise's contact is never dispatched that enterprise's requests."""

from __future__ import annotations

from bot.domain.models import Enterprise, Role
from bot.sample import (
    CHEN,
    DISTILLERY_OWNER,
    LI,
    MA,
    SUPERVISOR,
    TAN,
    TROUT_OWNER,
    WANG,
    load_committees,
)
from tests.conftest import World
from tests.integration.flows import new_request, onboard

CHAIN = "产业链对接"


async def offered_to(world: World, request_id: int) -> set[str]:
    """The phones of everyone the request was ever offered to."""
    async with world.runtime.db.read() as tx:
        ids = await tx.offered(request_id, active_only=False)
        return {p.phone for p in [await tx.person(i) for i in ids] if p is not None}


async def test_a_chain_request_goes_to_the_chain_committee_and_a_member_accepts(
    world: World,
) -> None:
    await load_committees(world.runtime.db, world.clock.now())
    owner = await onboard(world, TROUT_OWNER)
    tan = await onboard(world, TAN)  # 冷水鱼's committee
    ma = await onboard(world, MA)  # 中药材's: not this enterprise's chain
    li = await onboard(world, LI)  # the trout farm's commissioner

    received = await new_request(owner, category=CHAIN, description="想找本县的饲料供应商合作")

    assert "产业链" in (received.text or "") and TAN.name in (received.text or "")
    card = await tan.wait_for_message("#1")
    await tan.tap("接单", card)
    taken = await owner.wait_for_message("已接单")
    assert TAN.name in (taken.text or "")
    assert await offered_to(world, 1) == {TAN.phone}
    assert not [m for m in ma.messages() if "#1" in (m.text or "")]
    assert not [m for m in li.messages() if "#1" in (m.text or "")]


async def test_a_chain_request_without_a_committee_goes_to_the_supervisors(
    world: World,
) -> None:
    await load_committees(world.runtime.db, world.clock.now())
    owner = await onboard(world, DISTILLERY_OWNER)  # 酒类: no committee
    boss = await onboard(world, SUPERVISOR)
    chen = await onboard(world, CHEN)

    await new_request(owner, category=CHAIN, description="想找本县的玻璃瓶供应商")

    card = await boss.wait_for_message(lambda m: "#1" in (m.text or "") and bool(m.buttons))
    assert card.button("接单") is not None
    assert await offered_to(world, 1) == {SUPERVISOR.phone}
    assert not [m for m in chen.messages() if "#1" in (m.text or "")]


async def test_a_commissioner_who_is_the_contact_is_not_dispatched_their_own_request(
    world: World,
) -> None:
    async with world.runtime.db.tx() as tx:
        li = await tx.person_by_phone(LI.phone)
        assert li is not None
        await tx.upsert_person(LI.name, LI.phone, Role.OWNER, None, world.clock.now())
        await tx.upsert_enterprise(
            Enterprise(
                id=0,
                name="李家农家乐",
                credit_code="91500230MA5UZZ9X1A",
                chain="乡村旅游",
                contact_name=LI.name,
                contact_phone=LI.phone,
                commissioner_id=li.id,
            )
        )
    li_user = await onboard(world, LI)
    wang = await onboard(world, WANG)  # finance team

    received = await new_request(li_user, category="融资", description="想贷款扩建农家乐客房")

    assert "#1" in (received.text or "")
    card = await wang.wait_for_message(lambda m: "#1" in (m.text or "") and bool(m.buttons))
    assert card.button("接单") is not None
    assert await offered_to(world, 1) == {WANG.phone}  # 陈专员 has not onboarded
    offers = [m for m in li_user.messages() if m.button("接单") is not None]
    assert not offers, "the contact was offered their own enterprise's request"
