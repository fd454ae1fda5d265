"""Abuse and fairness: per-person flood control and the cap on open requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.telegram import texts, texts_guard
from bot.channels.telegram.identity import address
from bot.domain.models import Urgency
from bot.sample import HERB_OWNER, LI, TROUT_OWNER
from bot.services.errors import Refusal
from tests.conftest import World, start_bot
from tests.i18n_support import zh
from tests.integration.flows import accepted_request, new_request, onboard
from tests.integration.guard_support import restart_with, settled, snapshot

WARNING = texts_guard.flood_warning("zh", 60)
TOO_MANY = texts.refusal(Refusal.TOO_MANY_OPEN, {"open": 2, "limit": 2}, "zh")
NO_REQUESTS = zh("You have no requests yet. Send /new to report a difficulty.")


async def test_a_flood_gets_one_warning_then_a_minute_of_silence(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    herb = await onboard(world, HERB_OWNER)
    world.clock.advance(timedelta(seconds=10))  # registering is not part of the burst
    for i in range(30):
        await owner.send(f"在吗 {i}")
    await herb.command("my")  # someone else is answered as usual meanwhile
    await herb.wait_for_message(NO_REQUESTS)
    await settled(world)

    said = [m.text for m in owner.messages()[-21:]]
    assert said == [texts.fallback("zh")] * 20 + [WARNING]

    world.clock.advance(timedelta(seconds=59))
    await owner.command("my")
    await settled(world)
    assert owner.messages()[-1].text == WARNING  # still muted: not answered

    world.clock.advance(timedelta(seconds=1))
    await owner.command("my")
    await owner.wait_for_message(NO_REQUESTS)
    world.sim.assert_no_errors()


async def test_a_backlog_from_while_the_bot_was_away_is_not_a_flood(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await world.runtime.close()
    for i in range(30):  # written while the bot was down
        await owner.send(f"在吗 {i}")
    # The bot comes back a minute after the last of them was written.
    world.clock.set(datetime.fromtimestamp(world.sim.wall_clock(), UTC) + timedelta(minutes=1))
    world.runtime = await start_bot(world.sim, world.db_path, world.clock)
    await settled(world)

    said = [m.text for m in owner.messages()[-30:]]
    assert said == [texts.fallback("zh")] * 30  # every one answered, no warning


async def test_taps_while_muted_are_answered_and_do_nothing(world: World) -> None:
    _owner, li, card, _taken = await accepted_request(world)
    world.clock.advance(timedelta(seconds=10))
    await li.command("lang")
    languages = await li.wait_for_message(lambda m: m.button("English") is not None)
    for i in range(19):
        await li.send(f"/mine {i}")
    warned = await li.tap("English", languages)  # the 21st update in ten seconds
    warning = await li.wait_answer(warned)
    assert warning == {"text": WARNING, "show_alert": True}
    before = snapshot(world)

    muted = await li.tap(zh("📝 Note"), card)
    assert await li.wait_answer(muted) == {
        "text": texts_guard.flood_muted("zh"),
        "show_alert": False,
    }
    await settled(world)
    assert snapshot(world) == before  # no note was asked for, the language stays
    assert (await world.runtime.desk.whoami(address(li.id))).language != "en"  # type: ignore[union-attr]


async def test_the_warning_is_in_the_senders_language_and_the_limits_are_settings(
    world: World,
) -> None:
    await restart_with(world, limits={"flood_updates": 3, "flood_window": 5, "flood_mute": "PT2M"})
    guest = world.sim.user(7401, "Guest", language_code="en")
    for _ in range(3):
        await guest.send("hello?")
    await settled(world)
    world.clock.advance(timedelta(seconds=5))  # the window slides: the first three are gone
    for _ in range(4):
        await guest.send("hello?")
    await settled(world)
    english = texts_guard.flood_warning("en", 120)
    assert [m.text for m in guest.messages()].count(english) == 1
    assert guest.messages()[-1].text == english
    assert len(guest.messages()) == 7

    world.clock.advance(timedelta(seconds=119))
    await guest.command("help")
    await settled(world)
    assert len(guest.messages()) == 7
    world.clock.advance(timedelta(seconds=1))
    await guest.command("help")
    await guest.wait_for_message("/start")


async def test_new_refuses_an_owner_at_the_open_request_limit(world: World) -> None:
    await restart_with(world, limits={"max_open_requests": 2})
    owner = await onboard(world, TROUT_OWNER)
    await onboard(world, LI)
    await new_request(owner, description="冷库扩建需要贷款两百万元")
    await new_request(owner, description="招聘十名养殖技术工人")

    await owner.command("new")
    refused = await owner.wait_for_message(TOO_MANY)
    assert refused.text == TOO_MANY
    assert not refused.buttons
    assert await world.runtime.desk.draft(address(owner.id)) is None
    world.sim.assert_no_errors()


async def test_submit_refuses_when_others_were_filed_meanwhile(world: World) -> None:
    await restart_with(world, limits={"max_open_requests": 2})
    owner = await onboard(world, TROUT_OWNER)
    await onboard(world, LI)
    await new_request(owner, description="冷库扩建需要贷款两百万元")
    await new_request(owner, description="申请冷水鱼品牌推广支持", submit=False)
    # Meanwhile one more of theirs opens (as a resolved request reopened would).
    desk = world.runtime.desk
    person = await desk.whoami(address(owner.id))
    assert person is not None
    async with world.runtime.db.tx() as tx:
        enterprise = (await tx.enterprises_of_contact(person.phone))[0]
        await tx.insert_request(
            enterprise.id, person.id, "tax", "税务咨询", Urgency.NORMAL, (), world.clock.now()
        )

    submit = await owner.tap(zh("✅ Submit"))
    answer = await owner.wait_answer(submit)
    assert answer == {"text": TOO_MANY, "show_alert": True}
    assert await desk.view(3) is None
    draft = await desk.draft(address(owner.id))
    assert draft is not None and draft.step == "confirm"  # kept, to submit once one closes
