"""Private chats only: in groups, supergroups and channels the bot only says "message me
privately" (at most once an hour per chat), reveals nothing and changes nothing."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.bootstrap import KNOWN_COMMANDS
from bot.channels.telegram import texts_guard
from bot.channels.telegram.callback_data import Callback, Op
from bot.sample import LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.simulator import SimGroup, SimMessage, SimUser
from tests.conftest import World
from tests.i18n_support import zh
from tests.integration.flows import accepted_request, onboard
from tests.integration.guard_support import settled, snapshot

GROUP = -4001
SUPERGROUP = -1001234567890
CHANNEL = -1009876543210
ARGS = {"extend": "#1 3 等待银行审批", "reassign": "#1 13900000012", "lang": "", "new": ""}
NOTICE = texts_guard.private_only("zh")
LINK = "https://t.me/oncall_demo_bot"


def notices(chat: SimGroup) -> list[SimMessage]:
    return [m for m in chat.messages() if m.text == NOTICE]


def assert_notice(message: SimMessage) -> None:
    assert message.text == NOTICE
    assert message.inline_keyboard == [[{"text": zh("Message me privately"), "url": LINK}]]


async def people(world: World) -> tuple[SimUser, SimUser, SimUser]:
    """张老板 (owner) with #1 taken by 李专员 (commissioner), and the supervisor."""
    owner, li, _card, _taken = await accepted_request(world)
    supervisor = await onboard(world, SUPERVISOR)
    await onboard(world, WANG)  # the /reassign target exists
    return owner, li, supervisor


async def test_every_command_in_groups_changes_nothing_and_reveals_nothing(world: World) -> None:
    owner, li, supervisor = await people(world)
    staff = (owner, li, supervisor)
    group = world.sim.group(GROUP, "清溪镇企业服务群", staff)
    supergroup = world.sim.group(SUPERGROUP, "全县企业家交流群", staff, kind="supergroup")
    before = snapshot(world)
    private_before = {u.id: len(u.messages()) for u in staff}

    for chat in (group, supergroup):
        for person in staff:
            for name in KNOWN_COMMANDS:
                await chat.command(person, name, ARGS.get(name, ""))
            await chat.command(person, "my", mention=True)  # /my@oncall_demo_bot
    await settled(world)

    assert snapshot(world) == before
    assert {u.id: len(u.messages()) for u in staff} == private_before
    for chat in (group, supergroup):
        assert len(chat.messages()) == 1
        assert_notice(chat.messages()[0])
    # Nothing about any request went anywhere, not even a spreadsheet.
    assert not world.sim.calls_to("sendDocument")
    world.sim.assert_no_errors()


async def test_relay_replies_and_taps_in_a_group_do_nothing(world: World) -> None:
    owner, li, supervisor = await people(world)
    group = world.sim.group(GROUP, "清溪镇企业服务群", (owner, li, supervisor))
    bot = world.runtime.app.bot
    # Messages the bot may have left in a group before it kept to private chats.
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    zh("🏁 Resolve"), callback_data=Callback(Op.RESOLVE, 1).encode()
                ),
                InlineKeyboardButton(zh("📝 Note"), callback_data=Callback(Op.NOTE, 1).encode()),
            ]
        ]
    )
    card = await bot.send_message(GROUP, "🛠 #1 清溪冷水鱼养殖场 · 融资", reply_markup=buttons)
    old = next(m for m in group.messages() if m.message_id == card.message_id)
    before = snapshot(world)
    private_before = {u.id: len(u.messages()) for u in (owner, li, supervisor)}

    await group.reply(owner, old, "请尽快处理，谢谢")  # a relay reply to a message naming #1
    resolve = await group.tap(li, zh("🏁 Resolve"), old)
    note = await group.tap(li, zh("📝 Note"), old)
    await group.reply(li, old, "已联系银行")
    await settled(world)

    for tap in (resolve, note):
        answer = await li.wait_answer(tap)
        assert answer == {"text": texts_guard.private_only_alert("zh"), "show_alert": True}
    assert snapshot(world) == before
    assert {u.id: len(u.messages()) for u in (owner, li, supervisor)} == private_before
    assert len(notices(group)) == 1  # the reply got it; the second reply is within the hour
    assert_notice(notices(group)[0])


async def test_one_notice_per_chat_per_hour_even_across_a_restart(world: World) -> None:
    owner, li, _supervisor = await people(world)
    group = world.sim.group(GROUP, "清溪镇企业服务群", (owner, li))
    supergroup = world.sim.group(SUPERGROUP, "全县企业家交流群", (owner, li), kind="supergroup")
    await group.command(owner, "help")
    await supergroup.command(li, "my")
    await settled(world)
    assert len(notices(group)) == len(notices(supergroup)) == 1

    world.clock.advance(timedelta(minutes=59))
    await world.restart()
    await group.command(li, "mine")
    await supergroup.command(owner, "new")
    await settled(world)
    assert len(notices(group)) == len(notices(supergroup)) == 1

    world.clock.advance(timedelta(minutes=1))
    await group.command(li, "mine")
    await supergroup.command(owner, "new")
    await settled(world)
    assert len(notices(group)) == len(notices(supergroup)) == 2
    assert_notice(notices(supergroup)[-1])


async def test_added_to_a_group_it_says_so_once_and_removed_it_says_nothing(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    group = world.sim.group(GROUP, "新建企业群", (owner, li), bot=None)
    group.add_bot(owner)
    assert_notice(await group.wait_for_message())
    await group.command(li, "help")
    group.remove_bot(owner)
    await settled(world)
    assert len(group.messages()) == 1
    # Added back within the hour: still only the one notice.
    group.add_bot(li)
    await settled(world)
    assert len(group.messages()) == 1
    world.sim.assert_no_errors()


async def test_a_channel_post_gets_the_notice_once_and_nothing_else(world: World) -> None:
    owner, _li, _supervisor = await people(world)
    channel = world.sim.group(CHANNEL, "县企业服务中心通知", (owner,), kind="channel", bot=None)
    before = snapshot(world)
    channel.add_bot(owner, admin=True)
    await channel.post("#1 /my /export")
    await channel.post("/new")
    await settled(world)
    assert snapshot(world) == before
    assert len(channel.messages()) == 1
    assert_notice(channel.messages()[0])
    world.clock.advance(timedelta(hours=1))
    await channel.post("政策宣讲会今天下午三点")
    assert_notice(await channel.wait_for_message())


async def test_english_speakers_get_the_notice_in_english(world: World) -> None:
    guest = world.sim.user(7301, "Guest", language_code="en")
    group = world.sim.group(GROUP, "Visitors", (guest,))
    await group.command(guest, "start")
    notice = await group.wait_for_message()
    assert notice.text == texts_guard.private_only("en")
    assert notice.inline_keyboard == [[{"text": "Message me privately", "url": LINK}]]
