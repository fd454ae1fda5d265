"""Industry chains through the real Application: the chain committee receives and accepts
产业链对接 requests, sees its chain's requests (/chain); a commissioner who is also an
enterprise's contact is never dispatched that enterprise's requests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.models import Enterprise, RequestStatus, Role
from bot.sample import (
    CHEN,
    DISTILLERY_OWNER,
    HERB_OWNER,
    LI,
    MA,
    SUPERVISOR,
    TAN,
    TROUT_OWNER,
    WANG,
    load_committees,
)
from tests.conftest import World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import TAKEN, decline_other, new_request, onboard
from tests.integration.sla_support import cq, open_services

CHAIN = "产业链对接"
T0 = cq(2026, 11, 25, 10, 0)


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
    await tan.tap(zh("✅ Accept"), card)
    taken = await owner.wait_for_message(zh_part(TAKEN))
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
    assert card.button(zh("✅ Accept")) is not None
    assert await offered_to(world, 1) == {SUPERVISOR.phone}
    assert not [m for m in chen.messages() if "#1" in (m.text or "")]


async def test_a_commissioner_who_is_the_contact_is_not_dispatched_their_own_request(
    world: World,
) -> None:
    async with world.runtime.db.tx() as tx:
        li = await tx.person_by_phone(LI.phone)
        assert li is not None
        await tx.set_teams(li.id, ["finance", "relief"])  # the very team it goes to
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
    assert card.button(zh("✅ Accept")) is not None
    assert await offered_to(world, 1) == {WANG.phone}  # 陈专员 has not onboarded
    offers = [m for m in li_user.messages() if m.button(zh("✅ Accept")) is not None]
    assert not offers, "the contact was offered their own enterprise's request"


async def test_a_committee_member_lists_their_chains_requests_with_chain(world: World) -> None:
    await load_committees(world.runtime.db, world.clock.now())
    owner = await onboard(world, TROUT_OWNER)
    herbs = await onboard(world, HERB_OWNER)
    tan = await onboard(world, TAN)
    await new_request(owner, category=CHAIN, description="想找本县的饲料供应商合作")
    await new_request(owner, category="融资", description="需要贷款200万元用于扩建鱼塘")
    await new_request(herbs, category=CHAIN, description="想对接中药饮片加工厂")  # 中药材

    await tan.command("chain")
    listed = await tan.wait_for_message(zh_part("<b>Your chains' requests</b>"))

    labels = listed.buttons
    assert any("#1" in label for label in labels) and any("#2" in label for label in labels)
    assert not any("#3" in label for label in labels)
    await tan.tap(next(label for label in labels if "#2" in label), listed)
    card = await tan.wait_for_edit(listed, lambda m: "#2" in (m.text or ""))
    assert card.button(zh("✅ Accept")) is None  # seen, not offered to the committee
    foreign = await tan.tap_data(listed, "1:cd:3:chain.0")
    answer = await tan.wait_answer(foreign)
    assert answer.get("show_alert") is True


async def test_a_supervisor_picks_a_chain_and_sees_its_enterprises_and_open_requests(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, category="融资", description="需要贷款200万元用于扩建鱼塘")

    await boss.command("chain")
    picker = await boss.wait_for_message(lambda m: m.button("冷水鱼") is not None)
    assert picker.button("中药材") is not None and picker.button("酒类") is not None
    await boss.tap("冷水鱼", picker)
    shown = await boss.wait_for_edit(picker, lambda m: "清溪冷水鱼养殖场" in (m.text or ""))

    assert "产业链：冷水鱼" in (shown.text or "")
    assert any("#1" in label for label in shown.buttons)
    await boss.tap(zh("◀ Chains"), shown)
    await boss.wait_for_edit(picker, lambda m: m.button("酒类") is not None)


async def test_chain_is_refused_to_an_owner_and_a_commissioner(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    for user in (owner, li):
        await user.command("chain")
        refused = await user.wait_for_message("/chain")
        assert "行业党委" in (refused.text or "")
    picker_tap = await li.tap_data(refused, "1:ls::chain.0.0")
    assert (await li.wait_answer(picker_tap)).get("show_alert") is True


async def test_a_new_account_sharing_the_phone_moves_the_binding_and_tells_supervisors(
    world: World,
) -> None:
    boss = await onboard(world, SUPERVISOR)
    old = await onboard(world, LI)
    new = world.sim.user(2999, LI.name, language_code="zh-hans")

    await new.command("start")
    await new.wait_for_message()
    await new.share_contact(LI.phone)
    await new.wait_for_message(lambda m: LI.name in (m.text or ""))

    told = await boss.wait_for_message("🔁")
    assert LI.name in (told.text or "") and LI.phone in (told.text or "")
    await old.command("mine")
    refused = await old.wait_for_message(lambda m: "/start" in (m.text or ""))
    assert "手机号" in (refused.text or "")
    async with world.runtime.db.read() as tx:
        li = await tx.person_by_phone(LI.phone)
    assert li is not None and [a.value for a in li.addresses] == ["2999"]


async def test_a_committee_decline_sends_a_chain_request_to_the_supervisors(world: World) -> None:
    await load_committees(world.runtime.db, world.clock.now())
    owner = await onboard(world, TROUT_OWNER)
    tan = await onboard(world, TAN)
    boss = await onboard(world, SUPERVISOR)
    wang = await onboard(world, WANG)  # promotion team: never asked for a chain request
    await new_request(owner, category=CHAIN, description="想找本县的饲料供应商合作")
    card = await tan.wait_for_message("#1")

    await decline_other(tan, card)
    await tan.send("这家企业不在本产业链，请督导另行安排")
    await tan.wait_for_message(zh_part("Thank you. #{n} has been passed on."))

    offered = await boss.wait_for_message(lambda m: "#1" in (m.text or "") and bool(m.buttons))
    assert offered.button(zh("✅ Accept")) is not None
    assert await offered_to(world, 1) == {TAN.phone, SUPERVISOR.phone}
    assert not [m for m in wang.messages() if "#1" in (m.text or "")]


async def test_an_unaccepted_chain_request_escalates_to_the_supervisors(tmp_path: Path) -> None:
    svc = await open_services(tmp_path, T0)
    try:
        await load_committees(svc.db, svc.clock.now(), bind=True)
        request = await svc.submit(TROUT_OWNER, category="supply_chain")
        assert (await svc.request(request.id)).status == RequestStatus.DISPATCHED

        await svc.at(T0 + timedelta(hours=2))
        report = await svc.sweep.run()

        assert report.escalated == [request.id]
        async with svc.db.read() as tx:
            offered = await tx.offered(request.id)
            people = [await tx.person(i) for i in offered]
        assert [p.name for p in people if p] == [SUPERVISOR.name]
    finally:
        await svc.close()


async def test_a_committee_member_gets_stats_for_their_chain_only(world: World) -> None:
    await load_committees(world.runtime.db, world.clock.now())
    owner = await onboard(world, TROUT_OWNER)  # 冷水鱼
    herbs = await onboard(world, HERB_OWNER)  # 中药材
    tan = await onboard(world, TAN)  # 冷水鱼's committee
    await new_request(owner, category=CHAIN, description="想找本县的饲料供应商合作")
    await new_request(owner, category="融资", description="需要贷款200万元用于扩建鱼塘")
    await new_request(herbs, category=CHAIN, description="想对接中药饮片加工厂")

    await tan.command("stats")
    answer = await tan.wait_for_message(zh("Your industry chains only."))
    text = answer.text or ""
    received = zh(
        "Received {received} · accepted {accepted} · resolved {resolved}{outcomes} · "
        "escalated {escalated} · reopened {reopened} · cancelled {cancelled} · "
        "closed unrated {unrated}",
        received=2,
        accepted=0,
        resolved=0,
        outcomes="",
        escalated=1,  # the loan request: its commissioner has not onboarded, so to the team
        reopened=0,
        cancelled=0,
        unrated=0,
    )
    # Both of the trout farm's requests, under its chain; nothing of 中药材, no county total.
    assert "冷水鱼" in text and received in text
    assert "中药材" not in text and zh("County total") not in text


async def test_a_committee_member_with_no_chain_on_file_gets_no_county_figures(
    world: World,
) -> None:
    await load_committees(world.runtime.db, world.clock.now())
    owner = await onboard(world, TROUT_OWNER)
    tan = await onboard(world, TAN)
    await new_request(owner, category="融资", description="需要贷款200万元用于扩建鱼塘")
    async with world.runtime.db.tx() as tx:
        member = await tx.person_by_phone(TAN.phone)
        assert member is not None
        await tx.set_chains(member.id, [])  # still on the committee, no chain on file

    await tan.command("stats")
    answer = await tan.wait_for_message(zh("Your industry chains only."))
    text = answer.text or ""
    assert zh("County total") not in text and "冷水鱼" not in text
    received = zh_part(
        "Received {received} · accepted {accepted} · resolved {resolved}{outcomes} · "
        "escalated {escalated} · reopened {reopened} · cancelled {cancelled} · "
        "closed unrated {unrated}"
    )
    assert received not in text  # no group at all
