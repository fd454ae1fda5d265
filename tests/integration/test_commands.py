"""Everyone's commands, the relay, notes, and routing past the team to the supervisors."""

from __future__ import annotations

from bot.domain.models import RequestStatus
from bot.sample import CHEN, HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from tests.conftest import World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import accepted_request, decline_other, new_request, onboard

# What the reader sees, from the catalogs (tests/i18n_support.py).
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
YOUR_WORK = zh_part("<b>Your work</b>: requests you hold and those waiting for your tap")
TAKEN = zh_part(
    "👤 <b>{holder}</b> has taken <b>#{n}</b> and will be in touch soon. "
    "Reply to this message to write to them."
)
NOT_UNDERSTOOD = (
    "I did not understand that. Send /new to report a difficulty, or /help for commands. "
    "To write about a request, reply to my message that names its #N."
)
RESOLVED = zh_part(
    "🏁 <b>#{n}</b> has been resolved by {holder}.\n"
    "Outcome: {outcome}\n"
    "Summary: {summary}\n"
    "\n"
    "How satisfied are you? Tap 1 (poor) to 5 (excellent)."
)
REASSIGN_USAGE = (
    "Usage: /reassign #N (pick a team or a person) or /reassign #N PHONE — "
    "for example /reassign #12 13900000012"
)


async def test_help_differs_by_role(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    stranger = world.sim.user(7100, "Stranger")
    await owner.command("help")
    owner_help = (await owner.wait_for_message(zh_part("<b>Commands</b>"))).text or ""
    await li.command("help")
    li_help = (await li.wait_for_message(zh_part("<b>Commands</b>"))).text or ""
    await stranger.command("help")
    stranger_help = (await stranger.wait_for_message(zh_part("<b>Commands</b>"))).text or ""
    assert "/new" in owner_help and "/mine" not in owner_help
    assert "/mine" in li_help and "/away" in li_help
    assert "/start" in stranger_help and "/new" not in stranger_help


async def test_lang_switches_every_later_message_to_english(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await owner.command("lang")
    choice = await owner.wait_for_message(lambda m: m.button("English") is not None)
    await owner.tap("English", choice)
    await owner.wait_for_edit(choice, "English")
    await owner.command("my")
    await owner.wait_for_message("no requests yet")
    li = await onboard(world, LI)
    await new_request(owner, category="Financing", submit=False, english=True)
    await owner.tap("Submit")
    received = await owner.wait_for_message("#1")
    assert "received" in (received.text or "")
    card = await li.wait_for_message("#1")  # 李专员 keeps Chinese
    assert card.button(zh("✅ Accept")) is not None


async def test_my_and_mine_list_open_requests(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner, description="鱼塘增氧设备需要补贴政策咨询")
    card = await li.wait_for_message("#1")
    await li.command("mine")
    waiting = await li.wait_for_message(YOUR_WORK)
    assert waiting.button(f"#1 · {zh('to accept')}") is not None
    await li.tap(zh("✅ Accept"), card)
    await owner.wait_for_message(TAKEN)
    await li.command("mine")
    held = await li.wait_for_message(YOUR_WORK)
    assert held.button(f"#1 · {zh('in progress')}") is not None
    await owner.command("my")
    mine = await owner.wait_for_message(zh_part("<b>Your requests</b>"))
    assert mine.button(f"#1 · {zh('in progress')}") is not None
    await owner.command("mine")  # owners hold nothing: told so, not shown others' work
    await owner.wait_for_message(zh("This is not for you."))


async def test_relay_both_ways_and_notes_reach_the_owner(world: World) -> None:
    owner, li, card, accepted = await accepted_request(world)

    await owner.reply(accepted, "明天上午我在养殖场 <等您>")
    relayed = await li.wait_for_message("张老板")
    assert "明天上午我在养殖场 <等您>" in (relayed.text or "")
    await owner.wait_for_message(zh("Passed on ✔"))

    await li.reply(relayed, "好的，九点到")
    back = await owner.wait_for_message("九点到")
    assert "#1" in (back.text or "")

    await owner.send_photo(caption="鱼塘现场", reply_to=back)
    photo = await li.wait_for_message(lambda m: m.kind == "photo")
    assert "鱼塘现场" in (photo.caption or "")

    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message("进展")
    await li.send("已联系农商行信贷部")
    note = await owner.wait_for_message("已联系农商行信贷部")
    assert "#1" in (note.text or "")
    world.sim.assert_no_errors()


async def test_a_stranger_replying_to_a_message_naming_the_request_is_refused(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    herb = await onboard(world, HERB_OWNER)
    await onboard(world, LI)
    await new_request(owner)
    # 刘经理 replies to one of her own bot messages, edited to mention #1 by her typing it.
    await herb.command("help")
    own = await herb.wait_for_message()
    own.text = "#1"  # what she could forge is the text she replies to, never the authority
    await herb.reply(own, "让我看看别人的诉求")
    await herb.wait_for_message(zh_part("#{n} is not yours to act on."))
    events = await world.runtime.desk.events(1)
    assert "relayed" not in [e.kind for e in events]


async def test_when_nobody_on_the_team_is_left_the_supervisors_get_it(world: World) -> None:
    owner = await onboard(world, HERB_OWNER)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, category="融资")
    card = await wang.wait_for_message("#1")
    await decline_other(wang, card)
    await wang.send("企业暂不符合贷款条件")
    team_card = await chen.wait_for_message("#1")
    alert = await boss.wait_for_message("#1")
    assert "服务团" in (alert.text or "")
    await decline_other(chen, team_card)
    await chen.send("本月额度已用完")
    sup_card = await boss.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ESCALATED
    await boss.tap(zh("✅ Accept"), sup_card)
    await owner.wait_for_message("周主任")
    world.sim.assert_no_errors()


async def test_away_sends_new_requests_to_the_team(world: World) -> None:
    owner = await onboard(world, HERB_OWNER)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    await wang.command("away")
    await wang.wait_for_message("暂离")
    await new_request(owner, category="融资")
    await chen.wait_for_message("#1")
    assert not [m for m in wang.messages() if "#1" in (m.text or "")]
    await wang.command("back")
    await wang.wait_for_message(zh_part("👋 Welcome back: new requests reach you again."))


async def test_cancel_clears_a_pending_decline_reason(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await decline_other(li, card)
    await li.command("cancel")
    await li.wait_for_message(zh("Cancelled. Nothing was sent."))
    await li.send("随便说一句")
    await li.wait_for_message(zh_part(NOT_UNDERSTOOD))
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.DISPATCHED


async def test_a_supervisor_reassigns_and_exports(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner, description="鱼苗运输途中损失，需要保险理赔协助")
    card = await li.wait_for_message("#1")
    await li.tap(zh("✅ Accept"), card)
    await owner.wait_for_message(TAKEN)

    await li.command("reassign", "#1 13900000013")  # not a supervisor
    await li.wait_for_message(zh("This is not for you."))
    await boss.command("reassign")
    await boss.wait_for_message(zh_part(REASSIGN_USAGE))
    await boss.command("reassign", "#1 13712345678")
    await boss.wait_for_message("13712345678")
    await boss.command("reassign", "#1 139-0000-0013")
    await boss.wait_for_message("陈专员")
    await li.wait_for_edit(card, lambda m: not m.buttons)
    new_card = await chen.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    await chen.tap(zh("✅ Accept"), new_card)
    await owner.wait_for_message("陈专员")
    view = await world.runtime.desk.view(1)
    assert view is not None and view.holder is not None and view.holder.name == "陈专员"

    await boss.command("export")
    sheet = await boss.wait_for_message(lambda m: m.kind == "document")
    assert (sheet.document or {}).get("file_name", "").endswith(".xlsx")
    await li.command("export")
    await li.wait_for_message(zh("This is not for you."))
    world.sim.assert_no_errors()


async def test_a_reply_elsewhere_is_relayed_not_taken_as_the_pending_answer(world: World) -> None:
    owner, li, card, accepted = await accepted_request(world)
    await owner.reply(accepted, "资料什么时候要？")
    question = await li.wait_for_message("资料什么时候要")
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: bool(m.buttons))
    await li.tap(zh("Partly solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY))
    await li.reply(question, "周五前发给我")  # answers the owner, not the summary prompt
    await owner.wait_for_message("周五前发给我")
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ACCEPTED
    await li.reply(outcomes, "已协调部分资金，剩余部分转交金融顾问团")
    await owner.wait_for_message(RESOLVED)
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.RESOLVED
    assert view.request.resolution == "已协调部分资金，剩余部分转交金融顾问团"


async def test_stats_shows_the_month_so_far_to_supervisors_and_commissioners_their_own(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await li.tap(zh("✅ Accept"), card)
    await owner.wait_for_message(TAKEN)
    await boss.command("stats")
    stats = (await boss.wait_for_message("统计")).text or ""
    assert zh("County total") in stats and "受理 1" in stats and "接单 1" in stats
    assert "100% (1/1)" in stats  # accepted at once: within the 30 minutes
    await li.command("stats")
    own = (await li.wait_for_message("统计")).text or ""
    assert (
        zh("your own") in own and zh("County total") not in own
    )  # a commissioner's own figures only
    await owner.command("stats")
    await owner.wait_for_message(zh("Figures are for supervisors and commissioners."))


async def test_a_very_long_relayed_reply_still_arrives(world: World) -> None:
    owner, li, _card, accepted = await accepted_request(world)
    await owner.reply(accepted, "<" * 4000)  # the longest a person can send, all escaped
    relayed = await li.wait_for_message("#1")
    assert (relayed.text or "").count("<") >= 3700
    await owner.send_document("报表.pdf", caption="&" * 1024, reply_to=accepted)
    document = await li.wait_for_message(lambda m: m.kind == "document")
    assert "#1" in (document.caption or "")
    world.sim.assert_no_errors()
