"""Groups, supergroups and channels in the simulator; users editing their messages."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden

from bot.simulator import BOT_ID, BotApiSimulator, SimGroup, SimUser
from tests.simulator.support import tg_error

pytestmark = pytest.mark.asyncio

GROUP = -4001
SUPERGROUP = -1002000000001
CHANNEL = -1003000000001


def people(sim: BotApiSimulator) -> tuple[SimUser, SimUser, SimUser]:
    return sim.user(1001, "Alice"), sim.user(1002, "Bob"), sim.user(1003, "Carol")


async def test_a_group_has_a_negative_id_several_members_and_privacy_mode(
    sim: BotApiSimulator, bot: Bot
) -> None:
    alice, bob, _carol = people(sim)
    group = sim.group(GROUP, "Trout farmers", [alice, bob])
    await group.send(alice, "good morning everyone")  # privacy mode: not for the bot
    await group.command(bob, "help", mention=True)
    await group.send(alice, f"@{sim.bot.username} hello")

    updates = await bot.get_updates()
    assert [u.message.text for u in updates] == ["/help@oncall_demo_bot", "@oncall_demo_bot hello"]
    first = updates[0].message
    assert first.chat.id == GROUP and first.chat.type == "group"
    assert first.chat.title == "Trout farmers" and first.from_user.id == 1002
    assert first.entities[0].type == "bot_command"
    assert first.entities[0].length == len("/help@oncall_demo_bot")
    assert updates[1].message.from_user.id == 1001

    sent = await bot.send_message(GROUP, "hello <b>group</b>", parse_mode="HTML")
    assert sent.chat.id == GROUP
    assert [m.text for m in group.messages()] == ["hello group"]
    reply = await group.reply(alice, group.messages()[0], "thanks")
    latest = (await bot.get_updates(offset=updates[-1].update_id + 1))[-1].message
    assert latest.reply_to_message.message_id == group.messages()[0].message_id
    assert latest.message_id == reply.message_id
    assert "Alice in group «Trout farmers» → bot" in sim.transcript(GROUP)


async def test_only_members_act_in_a_group(sim: BotApiSimulator) -> None:
    alice, _bob, carol = people(sim)
    group = sim.group(GROUP, "Trout farmers", [alice])
    with pytest.raises(ValueError, match="not a member"):
        await group.send(carol, "/help")
    group.add_member(carol)
    await group.send(carol, "/help")
    with pytest.raises(ValueError, match="negative"):
        sim.group(4001, "Positive", [alice])
    with pytest.raises(ValueError, match="-100"):
        sim.group(-4002, "Not a supergroup id", [alice], kind="supergroup")


async def test_bot_added_and_removed_is_my_chat_member_and_sending_follows(
    sim: BotApiSimulator, bot: Bot
) -> None:
    alice, bob, _carol = people(sim)
    group = sim.group(SUPERGROUP, "County owners", [alice, bob], kind="supergroup", bot=None)
    with tg_error(BadRequest, "chat not found"):
        await bot.send_message(SUPERGROUP, "hello?")
    await group.command(alice, "help")  # the bot is not there: no update

    group.add_bot(alice)
    first = await bot.get_updates()
    assert len(first) == 1  # the /help sent before the bot was added never reached it
    added = first[0].my_chat_member
    assert added.chat.id == SUPERGROUP and added.chat.type == "supergroup"
    assert added.from_user.id == 1001
    assert isinstance(added.old_chat_member, ChatMemberLeft)
    assert isinstance(added.new_chat_member, ChatMemberMember)
    assert added.new_chat_member.user.id == BOT_ID
    await bot.send_message(SUPERGROUP, "hello all")

    group.add_bot(bob, admin=True)
    updates = await bot.get_updates()
    assert isinstance(updates[-1].my_chat_member.new_chat_member, ChatMemberAdministrator)
    group.remove_bot(bob)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert updates[-1].my_chat_member.new_chat_member.status == "left"
    with tg_error(Forbidden, "bot is not a member of the supergroup chat"):
        await bot.send_message(SUPERGROUP, "still here?")
    group.add_bot(alice)
    group.remove_bot(alice, kick=True)
    with tg_error(Forbidden, "bot was kicked from the supergroup chat"):
        await bot.send_message(SUPERGROUP, "still here?")


async def test_a_tap_in_a_group_comes_from_the_member_who_tapped(
    sim: BotApiSimulator, bot: Bot
) -> None:
    alice, bob, _carol = people(sim)
    group = sim.group(GROUP, "Trout farmers", [alice, bob])
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="a:1")]])
    await bot.send_message(GROUP, "#1", reply_markup=keyboard)
    tap = await group.tap(bob, "Accept")
    query = (await bot.get_updates())[-1].callback_query
    assert query.from_user.id == 1002 and query.message.chat.id == GROUP
    assert query.data == "a:1"
    await bot.answer_callback_query(query.id, "Private chats only", show_alert=True)
    assert tap.answered and tap.answer == {"text": "Private chats only", "show_alert": True}
    assert "Bob in group «Trout farmers» → taps [Accept]" in sim.transcript(GROUP)


async def test_channel_posts_reach_an_admin_bot_signed_by_the_channel(
    sim: BotApiSimulator, bot: Bot
) -> None:
    alice, _bob, _carol = people(sim)
    channel = sim.group(CHANNEL, "County news", [alice], kind="channel", bot=None)
    await channel.post("before the bot came")
    channel.add_bot(alice, admin=True)
    await channel.post("policy briefing at 3pm")
    updates = await bot.get_updates()
    assert updates[0].my_chat_member.chat.type == "channel"
    post = updates[1].channel_post
    assert post.text == "policy briefing at 3pm" and post.from_user is None
    assert post.sender_chat.id == CHANNEL and post.chat.type == "channel"
    await bot.send_message(CHANNEL, "I work in private chats")
    assert channel.messages()[0].text == "I work in private chats"
    channel.remove_bot(alice)
    with tg_error(BadRequest, "need administrator rights"):
        await bot.send_message(CHANNEL, "bye")


async def test_a_user_edits_a_message_in_a_private_chat_or_a_group(
    sim: BotApiSimulator, bot: Bot
) -> None:
    alice, bob, _carol = people(sim)
    sent = await alice.send("I need a loan of 2 million")
    await alice.edit(sent, "I need a loan of 3 million")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["I need a loan of 2 million"]
    edited = updates[-1].edited_message
    assert edited.text == "I need a loan of 3 million" and edited.message_id == sent.message_id
    assert edited.edit_date is not None and edited.chat.id == 1001
    assert "Alice ✎ edits their msg 1: I need a loan of 3 million" in sim.transcript(1001)

    group: SimGroup = sim.group(GROUP, "Trout farmers", [alice, bob])
    command = await group.command(bob, "my")
    await group.edit(bob, command, "/mine")
    edited = (await bot.get_updates(offset=updates[-1].update_id + 1))[-1].edited_message
    assert edited.chat.id == GROUP and edited.text == "/mine"
    assert edited.entities[0].type == "bot_command"
    with pytest.raises(AssertionError, match="not Alice's"):
        await alice.edit(command, "hijacked")


async def test_control_api_drives_groups_channels_and_edits(sim: BotApiSimulator, bot: Bot) -> None:
    async def call(path: str, **body: Any) -> tuple[int, Any]:
        async with http.post(f"{sim.url}/_sim/{path}", json=body) as resp:
            return resp.status, await resp.json()

    async with aiohttp.ClientSession() as http:
        status, made = await call(
            "groups", chat_id=SUPERGROUP, title="Owners", type="supergroup", member_ids=[1, 2]
        )
        assert status == 200 and made["result"] == {
            "id": SUPERGROUP,
            "type": "supergroup",
            "title": "Owners",
        }
        status, sent = await call("command", user_id=2, chat_id=SUPERGROUP, name="export")
        assert status == 200 and sent["result"]["text"] == "/export"
        status, _ = await call("send", user_id=1, chat_id=SUPERGROUP, text="/help")
        status, edited = await call(
            "edit", user_id=1, chat_id=SUPERGROUP, message_id=2, text="/start"
        )
        assert status == 200 and edited["result"]["text"] == "/start"
        await call("groups", chat_id=CHANNEL, title="News", type="channel", member_ids=[1])
        status, _ = await call("bot_status", chat_id=CHANNEL, status="administrator", user_id=1)
        assert status == 200
        status, _ = await call("channel_post", chat_id=CHANNEL, text="news")
        status, missing = await call("send", user_id=1, chat_id=-999, text="hi")
        assert status == 404 and missing["error"] == "no such group"
        status, chats = await call_get(http, sim, "chats")
        assert {c["type"] for c in chats["result"]} == {"private", "supergroup", "channel"}

    updates = await bot.get_updates()
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in updates]
    assert kinds == ["message", "message", "edited_message", "my_chat_member", "channel_post"]


async def call_get(http: aiohttp.ClientSession, sim: BotApiSimulator, path: str) -> tuple[int, Any]:
    async with http.get(f"{sim.url}/_sim/{path}") as resp:
        return resp.status, await resp.json()


async def test_every_update_the_simulator_makes_is_checked_against_the_spec(
    sim: BotApiSimulator,
) -> None:
    alice, _bob, _carol = people(sim)
    with pytest.raises(AssertionError, match=r"invalid update: .*phone_number"):
        sim.inject_user_message(alice.id, contact={"first_name": "A contact without a number"})
