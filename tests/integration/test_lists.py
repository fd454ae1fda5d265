"""Issue 11 items 1–2 over HTTP: /my, /mine, /open, cards, timelines, withdrawing a request."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.domain.kinds import EventKind
from bot.domain.models import RequestStatus, text_length
from bot.sample import HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER
from bot.simulator.driver import SimUser
from bot.simulator.models import SimMessage
from tests.conftest import World
from tests.i18n_support import zh, zh_part, zh_plain
from tests.integration.flows import accepted_request, new_request, onboard

# What the reader sees, from the catalogs (tests/i18n_support.py).
TIMELINE = zh("🕘 Timeline")
CANCEL = zh("✖ Cancel request")
YOUR_WORK = zh_part("<b>Your work</b>: requests you hold and those waiting for your tap")
NO_REQUESTS = zh_part("You have no requests yet. Send /new to report a difficulty.")
SENT_TO = zh_part("📤 Sent to {names}")
ESCALATED_TO = zh_part("⚠️ Escalated to {names}")
SUBMITTED_BY = "📥 Submitted by {who} ({category}, {urgency})"
ACCEPTED_BY = "✅ Accepted by {who}; resolve by {due}"
WITHDRAWN_BY = "✖ Withdrawn by {who}"
TAKEN = zh_part(
    "👤 <b>{holder}</b> has taken <b>#{n}</b> and will be in touch soon. "
    "Reply to this message to write to them."
)
WHY_WITHDRAW = zh_part(
    "Why are you withdrawing <b>#{n}</b>? Send the reason in a message, or tap <b>Skip</b>. "
    "/cancel keeps the request."
)
WITHDRAWN_NOTICE = "✖ <b>#{n}</b> has been withdrawn by its owner {owner}; nothing more to do."
REASON = "Reason: {reason}"
WITHDRAW = (
    "Withdraw request <b>#{n}</b>? Whoever is working on it will be told, "
    "and it cannot be taken up again."
)


def assert_within_limits(message: SimMessage) -> None:
    """Telegram's limits: text 1–4,096, callback_data 1–64 bytes, at most 8 buttons a row."""
    assert 1 <= text_length(message.text or "") <= 4096
    for row in message.inline_keyboard:
        assert len(row) <= 8
        for button in row:
            data = str(button.get("callback_data", ""))
            assert 1 <= len(data.encode()) <= 64, data


def item_ids(message: SimMessage) -> list[int]:
    """The #N of the list's item buttons, top to bottom."""
    return [int(b.split(" · ")[0].split("#")[1]) for b in message.buttons if "#" in b and "·" in b]


async def events(world: World, request_id: int) -> list[tuple[str, int | None, dict[str, object]]]:
    async with world.runtime.db.read() as tx:
        return [(e.kind, e.actor_id, dict(e.payload)) for e in await tx.events(request_id)]


async def status(world: World, request_id: int) -> RequestStatus:
    async with world.runtime.db.read() as tx:
        request = await tx.request(request_id)
    assert request is not None
    return request.status


async def owner_list(owner: SimUser) -> SimMessage:
    await owner.command("my")
    return await owner.wait_for_message(zh_part("<b>Your requests</b>"))


async def test_owner_pages_through_thirty_requests_and_opens_a_card_and_its_timeline(
    world: World,
) -> None:
    world.runtime.desk.max_open_requests = 40
    owner = await onboard(world, TROUT_OWNER)
    for n in range(1, 31):
        await new_request(owner, description=f"第{n}个诉求：冷库扩建需要贷款")
        world.clock.advance(timedelta(hours=1))

    before = len(owner.messages())
    listing = await owner_list(owner)
    assert_within_limits(listing)
    assert item_ids(listing) == list(range(30, 22, -1))  # newest first, 8 a page
    assert "30" in (listing.text or "") and "1/4" in (listing.text or "")
    assert "#30 · " in listing.buttons[0] and zh_part("{n} h") in listing.buttons[0]
    assert not any(zh("◀ Previous") in b for b in listing.buttons)

    seen = item_ids(listing)
    for page in (2, 3, 4):
        await owner.tap(zh("Next ▶"), listing)
        await owner.wait_for_edit(listing, f"{page}/4")
        assert_within_limits(listing)
        seen += item_ids(listing)
    assert seen == list(range(30, 0, -1))
    assert not any(zh("Next ▶") in b for b in listing.buttons)  # the last page
    assert len(owner.messages()) == before + 1  # one list message, edited in place

    await owner.tap(zh("◀ Previous"), listing)
    await owner.wait_for_edit(listing, "3/4")
    await owner.tap("#12 ", listing)
    await owner.wait_for_edit(listing, "#12")
    text = listing.text or ""
    assert "第12个诉求" in text and "融资" in text
    assert listing.button(CANCEL) is not None and listing.button(TIMELINE) is not None
    assert listing.button(zh("✅ Accept")) is None and listing.button(zh("🏁 Resolve")) is None
    assert_within_limits(listing)

    await owner.tap(TIMELINE, listing)
    await owner.wait_for_edit(listing, zh_part("<b>#{n} timeline</b> — {status}"))
    timeline = listing.text or ""
    assert "#12" in timeline
    submitted = zh_plain(SUBMITTED_BY, who="张老板", category="融资", urgency=zh("Normal"))
    assert submitted in timeline, timeline
    assert "2026-11-25" in timeline  # local time
    assert ESCALATED_TO not in timeline and SENT_TO not in timeline  # internal steps stay internal
    assert_within_limits(listing)

    await owner.tap(zh("◀ Back to the request"), listing)
    await owner.wait_for_edit(listing, "第12个诉求")
    await owner.tap(zh("◀ Back to the list"), listing)
    await owner.wait_for_edit(listing, "3/4")
    assert 12 in item_ids(listing)


async def test_commissioner_mine_lists_offers_and_held_work_and_accepts_from_a_card(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner, category="政策咨询", description="鱼塘增氧设备需要补贴政策咨询")
    await new_request(owner, category="政策咨询", description="冷库用电能否享受优惠电价")
    await li.wait_for_message("#2")

    await li.command("mine")
    mine = await li.wait_for_message(YOUR_WORK)
    assert item_ids(mine) == [2, 1]
    assert all(zh("to accept") in b for b in mine.buttons if "#" in b)
    await li.tap("#1 ", mine)
    await li.wait_for_edit(mine, "鱼塘增氧设备")
    assert mine.button(zh("✅ Accept")) is not None and mine.button(TIMELINE) is not None
    assert mine.button(CANCEL) is None  # only the owner withdraws
    await li.tap(zh("✅ Accept"), mine)
    await owner.wait_for_message(TAKEN)

    await li.command("mine")
    again = await li.wait_for_message(YOUR_WORK)
    labels = dict(zip(item_ids(again), [b for b in again.buttons if "#" in b], strict=True))
    assert zh("in progress") in labels[1] and zh("to accept") in labels[2]
    await li.tap("#1 ", again)
    await li.wait_for_edit(again, "#1")
    assert again.button(zh("🏁 Resolve")) is not None and again.button(zh("📝 Note")) is not None
    await li.tap(TIMELINE, again)
    await li.wait_for_edit(again, zh_part("<b>#{n} timeline</b> — {status}"))
    staff_view = again.text or ""
    assert SENT_TO in staff_view and "李专员" in staff_view  # staff see every step

    await owner.command("mine")
    await owner.wait_for_message(zh("This is not for you."))


async def test_supervisor_open_filters_overdue_unaccepted_and_by_team(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, category="政策咨询", description="鱼塘增氧设备需要补贴政策咨询")
    card = await li.wait_for_message("#1")
    await li.tap(zh("✅ Accept"), card)
    await owner.wait_for_message(TAKEN)
    await new_request(owner, category="融资", description="冷库扩建需要贷款两百万元")
    world.clock.advance(timedelta(days=12))

    await boss.command("open")
    listing = await boss.wait_for_message(zh_part("<b>Open requests</b> · {filter}"))
    assert item_ids(listing) == [2, 1]
    assert_within_limits(listing)
    await boss.tap(zh("Overdue"), listing)
    await boss.wait_for_edit(listing, zh("Overdue"))
    assert item_ids(listing) == [1]
    assert "⏰" in listing.buttons[0]
    await boss.tap(zh("Unaccepted"), listing)
    await boss.wait_for_edit(listing, zh("Unaccepted"))
    assert item_ids(listing) == [2]
    await boss.tap(zh("By team"), listing)
    await boss.wait_for_edit(listing, zh_part("<b>Open requests</b> · choose a team:"))
    assert_within_limits(listing)
    await boss.tap("金融顾问团", listing)
    await boss.wait_for_edit(listing, "金融顾问团")
    assert item_ids(listing) == [2]
    await boss.tap("#2 ", listing)
    await boss.wait_for_edit(listing, "冷库扩建")
    assert listing.button(TIMELINE) is not None and listing.button(CANCEL) is None

    await li.command("open")
    # supervisors only
    await li.wait_for_message(
        zh("Only the service center's supervisors can use /{command}.", command="open")
    )


async def test_a_stranger_tapping_anothers_card_or_timeline_is_refused(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    stranger = await onboard(world, HERB_OWNER)
    await new_request(owner, description="冷库扩建需要贷款两百万元")
    await stranger.command("my")
    own_list = await stranger.wait_for_message(zh_part("<b>Your requests</b>"))
    assert NO_REQUESTS in (own_list.text or "")
    before, was = await events(world, 1), await status(world, 1)
    for data in ("1:cd:1:my.0", "1:tl:1:0.my.0", "1:wd:1:my.0", "1:ws:1"):
        tap = await stranger.tap_data(own_list, data)
        answer = await stranger.wait_answer(tap)
        assert answer.get("show_alert") is True, data
        assert "#1" in str(answer.get("text")), answer
    assert own_list.edits == []  # shown nothing
    assert await events(world, 1) == before and await status(world, 1) == was

    nobody = world.sim.user(7777, "Nobody")
    await nobody.command("help")
    helped = await nobody.wait_for_message("/start")
    tap = await nobody.tap_data(helped, "1:cd:1:my.0")
    answer = await nobody.wait_answer(tap)
    assert answer.get("show_alert") is True and "/start" in str(answer.get("text"))


async def test_withdrawing_before_acceptance_tells_the_offered_and_stops_the_chase(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner, category="政策咨询", description="鱼塘增氧设备需要补贴政策咨询")
    card = await li.wait_for_message("#1")
    assert card.button(zh("✅ Accept")) is not None

    listing = await owner_list(owner)
    await owner.tap("#1 ", listing)
    await owner.wait_for_edit(listing, "鱼塘增氧设备")
    await owner.tap(CANCEL, listing)
    await owner.wait_for_edit(listing, zh_part(WITHDRAW))
    await owner.tap(zh("✖ Withdraw"), listing)
    await owner.wait_for_edit(listing, WHY_WITHDRAW)
    await owner.send("问题已经自己解决了")
    await owner.wait_for_message(zh_part("✖ Request <b>#{n}</b> has been withdrawn."))
    await owner.wait_for_edit(listing, zh("withdrawn"))
    assert listing.button(CANCEL) is None and listing.button(TIMELINE) is not None

    notice = await li.wait_for_message(zh_part(WITHDRAWN_NOTICE))
    assert (notice.text or "") == "\n".join(
        (zh_plain(WITHDRAWN_NOTICE, n=1, owner="张老板"), zh(REASON, reason="问题已经自己解决了"))
    )
    await li.wait_for(lambda: not card.buttons)  # Accept / Decline are gone
    tap = await li.tap_data(card, "1:acc:1")
    answer = await li.wait_answer(tap)
    assert answer.get("show_alert") is True
    assert zh("#{n} was withdrawn by its owner.", n=1) in str(answer.get("text"))

    kinds = await events(world, 1)
    cancelled = [e for e in kinds if e[0] == EventKind.CANCELLED]
    assert len(cancelled) == 1 and cancelled[0][2]["reason"] == "问题已经自己解决了"
    assert await status(world, 1) == RequestStatus.CANCELLED

    li.mark()
    world.clock.advance(timedelta(hours=3))
    report = await world.runtime.sweep.run() if world.runtime.sweep else None
    assert report is not None and not report.chased
    assert [k for k, *_ in await events(world, 1)][-1] == EventKind.CANCELLED


async def test_withdrawing_after_acceptance_with_skip_clears_the_holders_buttons(
    world: World,
) -> None:
    owner, li, card, _taken = await accepted_request(world)
    await li.wait_for(lambda: card.button(zh("🏁 Resolve")) is not None)

    listing = await owner_list(owner)
    await owner.tap("#1 ", listing)
    await owner.wait_for_edit(listing, "李专员")
    await owner.tap(CANCEL, listing)
    await owner.wait_for_edit(listing, zh_part(WITHDRAW))
    await owner.tap(zh("Keep it"), listing)  # changes its mind first
    await owner.wait_for_edit(listing, zh("in progress"))
    assert await status(world, 1) == RequestStatus.ACCEPTED
    await owner.tap(CANCEL, listing)
    await owner.wait_for_edit(listing, zh_part(WITHDRAW))
    await owner.tap(zh("✖ Withdraw"), listing)
    await owner.wait_for_edit(listing, WHY_WITHDRAW)
    await owner.tap(zh("⏭ Skip"), listing)
    await owner.wait_for_edit(listing, zh("withdrawn"))

    notice = await li.wait_for_message(zh_part(WITHDRAWN_NOTICE))
    assert (notice.text or "") == zh_plain(WITHDRAWN_NOTICE, n=1, owner="张老板")  # no reason
    await li.wait_for(lambda: not card.buttons)  # Resolve / Note are gone
    tap = await li.tap_data(card, "1:res:1")
    answer = await li.wait_answer(tap)
    assert answer.get("show_alert") is True
    assert await status(world, 1) == RequestStatus.CANCELLED

    world.clock.advance(timedelta(days=10))  # long past the deadline: nobody is chased
    report = await world.runtime.sweep.run() if world.runtime.sweep else None
    assert report is not None and not report.chased

    await owner.tap(TIMELINE, listing)
    await owner.wait_for_edit(listing, zh_part("<b>#{n} timeline</b> — {status}"))
    steps = listing.text or ""
    assert zh_plain(WITHDRAWN_BY, who="张老板") in steps and zh_part(ACCEPTED_BY) in steps
    cancelled = [e for e in await events(world, 1) if e[0] == EventKind.CANCELLED]
    assert cancelled[0][2]["reason"] is None and json.dumps(cancelled[0][2])


async def test_in_english_and_cancel_command_keeps_the_request(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER, lang="en")
    await new_request(owner, category="Financing", description="We need a loan for a cold store")
    await owner.command("my")
    listing = await owner.wait_for_message("Your requests")
    assert listing.buttons[0].startswith("#1 · ") and "min" in listing.buttons[0]
    await owner.tap("#1 ", listing)
    await owner.wait_for_edit(listing, "cold store")
    assert listing.button("Timeline") is not None and listing.button("Back to the list")
    await owner.tap("Cancel request", listing)
    await owner.wait_for_edit(listing, "Withdraw request")
    await owner.tap("Withdraw", listing)
    await owner.wait_for_edit(listing, "Why are you withdrawing")
    assert listing.button("Skip") is not None
    await owner.command("cancel")
    await owner.wait_for_message("is kept")
    await owner.send("just chatting")  # no longer taken as a reason
    await owner.wait_for_message("did not understand")
    assert await status(world, 1) != RequestStatus.CANCELLED
    assert EventKind.CANCELLED not in [k for k, *_ in await events(world, 1)]
