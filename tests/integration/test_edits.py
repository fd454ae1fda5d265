"""Edited messages are never applied: in a form or a relay the sender is told, else ignored."""

from __future__ import annotations

from bot.channels.telegram import texts, texts_guard
from bot.channels.telegram.identity import address
from bot.domain.models import RequestStatus
from bot.sample import LI, TROUT_OWNER
from bot.storage.sqlite.expectations import SqliteExpectations
from tests.conftest import World
from tests.i18n_support import zh
from tests.integration.flows import accepted_request, decline_other, new_request, onboard
from tests.integration.guard_support import settled, snapshot

NOT_APPLIED = texts_guard.edit_not_applied("zh")


async def test_an_edit_in_the_new_form_is_not_applied_and_the_owner_is_told(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)
    await owner.tap("融资")
    await owner.wait_for_message("2/4")
    description = await owner.send("需要贷款200万元用于灌装线改造")
    await owner.wait_for_message("3/4")
    before = snapshot(world)

    await owner.edit(description, "需要贷款300万元用于灌装线改造")
    answer = await owner.wait_for_message()
    assert answer.text == NOT_APPLIED and answer.reply_to is description
    await settled(world)
    assert snapshot(world) == before
    draft = await world.runtime.desk.draft(address(owner.id))
    assert draft is not None and draft.step == "attachments"
    assert draft.description == "需要贷款200万元用于灌装线改造"


async def test_an_edit_while_a_decline_reason_is_asked_for_is_not_taken_as_the_reason(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await decline_other(li, card)
    short = await li.send("忙")
    await li.wait_for_message(texts.too_short("zh"))
    before = snapshot(world)

    await li.edit(short, "本周在外地出差，无法处理")
    assert (await li.wait_for_message()).text == NOT_APPLIED
    await settled(world)
    assert snapshot(world) == before
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.DISPATCHED
    stored = SqliteExpectations(world.runtime.db)
    assert await stored.expectation(address(li.id)) is not None  # the reason is still awaited


async def test_an_edited_relay_reply_is_not_relayed_again(world: World) -> None:
    owner, li, _card, taken = await accepted_request(world)
    reply = await owner.reply(taken, "明天上午我在养殖场")
    await li.wait_for_message("明天上午")
    await owner.wait_for_message(zh("Passed on ✔"))
    await settled(world)
    before = snapshot(world)
    li_seen = len(li.messages())

    await owner.edit(reply, "明天下午我在养殖场")
    assert (await owner.wait_for_message()).text == NOT_APPLIED
    await settled(world)
    assert snapshot(world) == before
    assert len(li.messages()) == li_seen


async def test_other_edits_are_ignored_silently(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    chat = await owner.send("你好")
    await owner.wait_for_message()
    command = await owner.command("my")
    await owner.wait_for_message(zh("You have no requests yet. Send /new to report a difficulty."))
    await settled(world)
    before = snapshot(world)
    seen = len(owner.messages())

    await owner.edit(chat, "您好")
    await owner.edit(command, "/new")  # an old message edited into a command starts nothing
    await settled(world)
    assert len(owner.messages()) == seen
    assert snapshot(world) == before
    assert await world.runtime.desk.draft(address(owner.id)) is None


async def test_the_answer_is_in_the_senders_language(world: World) -> None:
    owner, _li, _card, taken = await accepted_request(world)
    await owner.command("lang")
    choice = await owner.wait_for_message(lambda m: m.button("English") is not None)
    await owner.tap("English", choice)
    await owner.wait_for_edit(choice, "English")
    reply = await owner.reply(taken, "See you tomorrow")
    await owner.wait_for_message("Passed on")
    await owner.edit(reply, "See you on Friday")
    assert (await owner.wait_for_message()).text == texts_guard.edit_not_applied("en")
