"""Hand-backs and availability through the real Application (issue 10, items 3 and 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.telegram.identity import address
from bot.domain.handoff import Reason, Why
from bot.domain.kinds import EventKind
from bot.domain.models import RequestStatus, Role
from bot.roster_files import roster_from_bytes
from bot.sample import CHEN, HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.services.importer import RosterKind, import_roster
from bot.simulator.driver import SimUser, TapHandle
from bot.simulator.models import SimMessage
from tests.conftest import World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import accepted_request, new_request, onboard

HANDED_BACK = (
    "↩ <b>#{n}</b> is handed back. The supervisors decide where it goes; "
    "it stays with you until then."
)

Events = list[tuple[str, int | None, dict[str, object]]]


async def events(world: World, request_id: int) -> Events:
    async with world.runtime.db.read() as tx:
        return [(e.kind, e.actor_id, dict(e.payload)) for e in await tx.events(request_id)]


async def answered(world: World, tap: TapHandle) -> dict[str, object]:
    assert await world.sim.wait_until(lambda: tap.answered, 10)
    return dict(tap.answer or {})


async def test_decline_with_a_reason_button_passes_it_on_with_that_reason(world: World) -> None:
    owner = await onboard(world, HERB_OWNER)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, category="融资")
    card = await wang.wait_for_message("#1")
    await wang.tap(zh("↩ Decline"), card)
    reasons = await wang.wait_for_message(lambda m: m.button(zh("Not my enterprise")) is not None)
    assert len(reasons.buttons) == len(Reason)
    await wang.tap(zh("Not my enterprise"), reasons)
    await wang.wait_for_edit(reasons, zh_part("Thank you. #{n} has been passed on."))
    await chen.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    alert = await boss.wait_for_message("#1")
    assert zh("Not my enterprise") in (alert.text or "")
    declined = [p for k, _a, p in await events(world, 1) if k == EventKind.DECLINED]
    assert declined == [{"reason": Reason.NOT_MINE.value}]
    world.sim.assert_no_errors()


Handed = tuple[SimUser, SimUser, SimUser, SimUser, SimUser, SimMessage]


async def _handed_back(world: World) -> Handed:
    """李专员 accepts #1 and hands it back (needs another team); 周主任 gets the pickers."""
    owner, li, card, _taken = await accepted_request(world)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    await li.tap(zh("↩ Hand back"), card)
    reasons = await li.wait_for_message(lambda m: m.button(zh("Needs another team")) is not None)
    await li.tap(zh("Needs another team"), reasons)
    await li.wait_for_edit(
        reasons,
        zh_part(HANDED_BACK),
    )
    question = await boss.wait_for_message(lambda m: m.button("金融顾问团") is not None)
    assert "李专员" in (question.text or "") and zh("Needs another team") in (question.text or "")
    assert question.button(zh("↩ Back to {holder}", holder="李专员")) is not None
    return owner, li, wang, chen, boss, question


async def test_a_hand_back_sent_to_a_team_reaches_its_members_and_everyone_is_told(
    world: World,
) -> None:
    owner, li, wang, chen, boss, question = await _handed_back(world)
    view = await world.runtime.desk.view(1)
    assert view is not None and view.holder is not None and view.holder.name == "李专员"
    tap = await boss.tap("金融顾问团", question)
    assert "金融顾问团" in str((await answered(world, tap)).get("text"))
    await boss.wait_for_edit(question, lambda m: not m.buttons and "金融顾问团" in (m.text or ""))
    await li.wait_for_message(
        lambda m: "金融顾问团" in (m.text or "") and "周主任" in (m.text or "")
    )
    wang_card = await wang.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    await chen.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    # A second tap on the same question (a stale button) is refused and changes nothing.
    again = await boss.tap_data(question, tap.data)
    assert (await answered(world, again)).get("show_alert")
    await wang.tap(zh("✅ Accept"), wang_card)
    await owner.wait_for_message("王专员")
    kinds = [k for k, _a, _p in await events(world, 1)]
    assert kinds.count(EventKind.HANDOFF_DECIDED) == 1 and EventKind.REASSIGNED in kinds
    asked = [p for k, _a, p in await events(world, 1) if k == EventKind.HANDOFF_ASKED]
    assert asked[0]["why"] == Why.HANDBACK and asked[0]["reason"] == Reason.OTHER_TEAM
    # The timeline shows who handed it back, why, and where it went.
    await wang.command("mine")
    mine = await wang.wait_for_message(
        zh_part("<b>Your work</b>: requests you hold and those waiting for your tap")
    )
    await wang.tap("#1 ", mine)
    await wang.wait_for_edit(mine, "#1")
    await wang.tap(zh("🕘 Timeline"), mine)
    await wang.wait_for_edit(mine, zh_part("<b>#{n} timeline</b> — {status}"))
    timeline = mine.text or ""
    assert (
        zh("↩ Handed back by {who}", who="李专员") in timeline
        and zh("Needs another team") in timeline
    )
    assert zh("🧭 {who} sent it to {name}", who="周主任", name="金融顾问团") in timeline
    world.sim.assert_no_errors()


async def test_a_hand_back_given_to_a_person_from_the_paged_list(world: World) -> None:
    owner, _li, _wang, chen, boss, question = await _handed_back(world)
    await boss.tap(zh("👤 Give to a person…"), question)
    await boss.wait_for_edit(question, lambda m: m.button("陈专员") is not None)
    await boss.tap(zh("🏢 Teams"), question)  # back to the teams, and "Back to 李专员" with them
    await boss.wait_for_edit(
        question, lambda m: m.button(zh("↩ Back to {holder}", holder="李专员")) is not None
    )
    await boss.tap(zh("👤 Give to a person…"), question)
    await boss.wait_for_edit(question, lambda m: m.button("陈专员") is not None)
    await boss.tap("陈专员", question)
    card = await chen.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    await chen.tap(zh("✅ Accept"), card)
    await owner.wait_for_message("陈专员")
    view = await world.runtime.desk.view(1)
    assert view is not None and view.holder is not None and view.holder.name == "陈专员"
    world.sim.assert_no_errors()


async def test_a_hand_back_sent_back_to_the_holder_stays_with_them(world: World) -> None:
    _owner, li, _wang, _chen, boss, question = await _handed_back(world)
    await boss.tap(zh("↩ Back to {holder}", holder="李专员"), question)
    await li.wait_for_message(
        zh_part("↩ <b>#{n}</b>: {by} gave it back to you; please keep working on it.")
    )
    await boss.wait_for_edit(question, lambda m: not m.buttons)
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ACCEPTED
    assert view.holder is not None and view.holder.name == "李专员"
    decided = [p for k, _a, p in await events(world, 1) if k == EventKind.HANDOFF_DECIDED]
    assert decided[0]["to"] == "holder"
    world.sim.assert_no_errors()


async def test_reassign_without_a_phone_offers_the_pickers(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    wang = await onboard(world, WANG)
    boss = await onboard(world, SUPERVISOR)
    await li.command("reassign", "#1")
    await li.wait_for_message(zh("This is not for you."))
    await boss.command("reassign", "#1")
    picker = await boss.wait_for_message(lambda m: m.button(zh("👤 Give to a person…")) is not None)
    await boss.tap(zh("👤 Give to a person…"), picker)
    await boss.wait_for_edit(picker, lambda m: m.button("王专员") is not None)
    await boss.tap("王专员", picker)
    await li.wait_for_edit(card, lambda m: not m.buttons)
    new_card = await wang.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    await wang.tap(zh("✅ Accept"), new_card)
    await owner.wait_for_message("王专员")
    view = await world.runtime.desk.view(1)
    assert view is not None and view.holder is not None and view.holder.name == "王专员"
    world.sim.assert_no_errors()


async def test_away_until_a_date_routes_to_the_team_is_not_chased_and_ends_by_itself(
    world: World,
) -> None:
    assert world.runtime.sweep is not None
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, category="政策咨询", description="鱼塘增氧设备补贴政策咨询")
    await li.wait_for_message("#1")  # offered to 李专员, not yet accepted

    await li.command("away", "until 2026-11-27 外出培训")
    await li.wait_for_message("2026-11-27")
    notice = await boss.wait_for_message(zh_part("🏖 {name} is away until {day}."))
    assert "李专员" in (notice.text or "") and "#1" in (notice.text or "")
    question = await boss.wait_for_message(lambda m: m.button("金融顾问团") is not None)
    assert "#1" in (question.text or "")

    # Not chased while away: no accept reminder to 李专员 after 30 minutes.
    li.mark()
    world.clock.advance(timedelta(minutes=31))
    report = await world.runtime.sweep.run()
    assert report.reminded_accept == []
    # New dispatches go to the category's team (政策宣讲团 has only 李专员: the supervisors).
    await new_request(owner, category="融资", description="需要贷款200万元用于灌装线改造")
    await wang.wait_for_message(
        lambda m: "#2" in (m.text or "") and m.button(zh("✅ Accept")) is not None
    )
    await chen.wait_for_message(lambda m: "#2" in (m.text or ""))
    assert not [m for m in li.messages() if "#2" in (m.text or "")]

    # The supervisor gives #1 to a team with one tap.
    await boss.tap("金融顾问团", question)
    await wang.wait_for_message(
        lambda m: "#1" in (m.text or "") and m.button(zh("✅ Accept")) is not None
    )

    # 27 November, 00:00 in the county: the period ends by itself at the next sweep.
    world.clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    await world.runtime.sweep.run()
    await boss.wait_for_message(
        zh_part("👋 {name}'s away period has ended: new requests reach them again.")
    )
    await li.wait_for_message(
        zh_part("👋 {name}'s away period has ended: new requests reach them again.")
    )
    person = await world.runtime.desk.whoami(address(li.id))
    assert person is not None and not person.away and person.away_until is None
    world.sim.assert_no_errors()


async def test_deactivation_by_import_hands_open_requests_to_the_supervisors(
    world: World,
) -> None:
    await accepted_request(world)
    wang = await onboard(world, WANG)
    boss = await onboard(world, SUPERVISOR)
    csv = (
        "name,phone,teams,telegram_id\n"
        f"{WANG.name},{WANG.phone},finance;promotion,{WANG.telegram_id}\n"
        f"{CHEN.name},{CHEN.phone},finance;talent,{CHEN.telegram_id}\n"
    ).encode()
    teams = frozenset(t.key for t in world.runtime.desk.catalog.teams)
    report = await import_roster(
        world.runtime.db,
        world.clock,
        RosterKind.COMMISSIONERS,
        roster_from_bytes("commissioners.csv", csv),
        teams,
        sync=True,
    )
    assert report.deactivated == 1
    world.runtime.sender.wake()
    question = await boss.wait_for_message(lambda m: m.button("金融顾问团") is not None)
    assert "李专员" in (question.text or "") and "#1" in (question.text or "")
    await boss.tap(zh("👤 Give to a person…"), question)
    await boss.wait_for_edit(question, lambda m: m.button("王专员") is not None)
    assert question.button("李专员") is None  # no longer a commissioner
    await boss.tap("王专员", question)
    await wang.wait_for_message(
        lambda m: "#1" in (m.text or "") and m.button(zh("✅ Accept")) is not None
    )
    async with world.runtime.db.read() as tx:
        assert [p.name for p in await tx.people_with_role(Role.COMMISSIONER)] == [
            "王专员",
            "陈专员",
        ]
    world.sim.assert_no_errors()


async def test_a_hand_back_with_the_reason_in_the_holders_own_words(world: World) -> None:
    _owner, li, card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    await li.tap(zh("↩ Hand back"), card)
    reasons = await li.wait_for_message(lambda m: m.button(zh("Other (write it)")) is not None)
    await li.tap(zh("Other (write it)"), reasons)
    await li.wait_for_message(
        zh_part(
            "Why are you handing <b>#{n}</b> back? Send the reason in one message (or /cancel)."
        )
    )
    await li.send("企业已迁出本县，需要移交")
    await li.wait_for_message(zh_part(HANDED_BACK))
    question = await boss.wait_for_message(lambda m: m.button("金融顾问团") is not None)
    assert "企业已迁出本县，需要移交" in (question.text or "")
    # A second hand-back while the first waits is refused with an alert.
    again = await li.tap(zh("↩ Hand back"), card)
    assert (await answered(world, again)).get("show_alert")
    asked = [p for k, _a, p in await events(world, 1) if k == EventKind.HANDOFF_ASKED]
    assert [a["reason"] for a in asked] == ["企业已迁出本县，需要移交"]
    world.sim.assert_no_errors()
