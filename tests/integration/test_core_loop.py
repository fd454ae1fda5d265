"""The spine: onboarding → /new → dispatch → one-tap Accept → Resolve → rating, over HTTP."""

from __future__ import annotations

import asyncio

from bot.domain.models import RequestStatus
from bot.sample import CHEN, DISTILLERY_OWNER, LI, TROUT_OWNER, WANG
from tests.conftest import World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import TAKEN, decline_other, new_request, onboard

# What people see, from the catalogs (tests/i18n_support.py).
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
RESOLVED = (
    "🏁 <b>#{n}</b> has been resolved by {holder}.\n"
    "Outcome: {outcome}\n"
    "Summary: {summary}\n"
    "\n"
    "How satisfied are you? Tap 1 (poor) to 5 (excellent)."
)


async def status_of(world: World, request_id: int) -> RequestStatus:
    view = await world.runtime.desk.view(request_id)
    assert view is not None
    return view.request.status


async def test_owner_request_reaches_commissioner_who_accepts_and_resolves(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)

    received = await new_request(owner, description="冷水鱼饲料款缺口30万元，想申请贷款")
    assert "#1" in (received.text or "") and "李专员" in (received.text or "")

    card = await li.wait_for_message("#1")
    text = card.text or ""
    for expected in ("清溪冷水鱼养殖场", "融资", "一般", "冷水鱼饲料款缺口30万元"):
        assert expected in text
    assert card.button(zh("✅ Accept")) is not None and card.button(zh("↩ Decline")) is not None

    tap = await li.tap(zh("✅ Accept"), card)
    answer = await li.wait_answer(tap)
    assert "#1" in answer.get("text", "")
    told = await owner.wait_for_message("李专员")
    assert "#1" in (told.text or "")
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None)
    assert card.button(zh("📝 Note")) is not None
    assert await status_of(world, 1) == RequestStatus.ACCEPTED

    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY))
    await li.send("已对接县农商行，贷款30万元已发放")
    resolved = await owner.wait_for_message(zh_part(RESOLVED))
    assert "已对接县农商行" in (resolved.text or "")
    assert [b for b in resolved.buttons if b.strip("⭐").isdigit()] == [
        f"{n}⭐" for n in range(1, 6)
    ]
    assert await status_of(world, 1) == RequestStatus.RESOLVED

    await owner.tap("5", resolved)
    await owner.wait_for_edit(resolved, lambda m: "5/5" in (m.text or ""))
    await li.wait_for_message("5/5")
    assert await status_of(world, 1) == RequestStatus.CLOSED
    world.sim.assert_no_errors()
    world.sim.assert_callbacks_answered()


async def test_a_stranger_tapping_accept_changes_nothing(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    accept_data = str(card.button(zh("✅ Accept"))["callback_data"])  # type: ignore[index]

    # 王专员 forges the Accept callback on a message of his own chat.
    own_message = wang.last_message()
    forged = await wang.tap_data(own_message, accept_data)
    answer = await wang.wait_answer(forged)
    assert answer.get("show_alert") is True
    assert "#1" in answer.get("text", "")
    assert await status_of(world, 1) == RequestStatus.DISPATCHED

    # Garbage callback data gets an alert too.
    junk = await wang.tap_data(own_message, "v9:evil:1")
    assert (await wang.wait_answer(junk)).get("show_alert") is True
    world.sim.assert_no_errors()


async def test_accept_twice_is_idempotent(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    first = await li.tap(zh("✅ Accept"), card)
    await li.wait_answer(first)
    await owner.wait_for_message("李专员")
    accept_data = str(first.data)
    again = await li.tap_data(card, accept_data)
    await li.wait_answer(again)
    events = await world.runtime.desk.events(1)
    assert [e.kind for e in events].count("accepted") == 1
    owner_msgs = [m for m in owner.messages() if zh_part(TAKEN) in (m.text or "")]
    assert len(owner_msgs) == 1


async def test_decline_passes_to_team_and_two_simultaneous_taps_have_one_winner(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    await new_request(owner, category="融资")
    card = await li.wait_for_message("#1")
    await decline_other(li, card)
    await li.send("本周在外地培训，请金融顾问团协助")
    await li.wait_for_message(zh_part("Thank you. #{n} has been passed on."))

    wang_card = await wang.wait_for_message("#1")
    chen_card = await chen.wait_for_message("#1")
    assert await status_of(world, 1) == RequestStatus.ESCALATED

    taps = await asyncio.gather(
        wang.tap(zh("✅ Accept"), wang_card), chen.tap(zh("✅ Accept"), chen_card)
    )
    answers = await asyncio.gather(wang.wait_answer(taps[0]), chen.wait_answer(taps[1]))
    winners = [a for a in answers if not a.get("show_alert")]
    losers = [a for a in answers if a.get("show_alert")]
    assert len(winners) == 1 and len(losers) == 1
    view = await world.runtime.desk.view(1)
    assert view is not None and view.holder is not None
    assert view.holder.name in losers[0]["text"]
    loser = chen if view.holder.name == "王专员" else wang
    loser_card = chen_card if loser is chen else wang_card
    await loser.wait_for_edit(loser_card, lambda m: view.holder.name in (m.text or ""))
    assert not loser_card.buttons
    world.sim.assert_no_errors()


async def test_html_in_a_description_is_shown_literally(world: World) -> None:
    owner = await onboard(world, DISTILLERY_OWNER)
    chen = await onboard(world, CHEN)
    nasty = '<b>急</b> & <script>alert("x")</script> <a href="http://x">点我</a>'
    await new_request(owner, category="销售", description=nasty)
    card = await chen.wait_for_message("#1")
    assert nasty in (card.text or "")
    assert all(e["type"] != "text_link" for e in card.entities)
    world.sim.assert_no_errors()
