"""A burst of owners filing at once: every tap is answered at once while the replies queue."""

from __future__ import annotations

from bot.channels.telegram.identity import address
from bot.domain.models import Enterprise, Role
from bot.sample import LI
from bot.simulator.driver import SimUser
from tests.conftest import World

# More owners than the update processor used to handle at once (32): each of them holds a
# handling slot while its reply waits for the overall pace (about 20 a second).
OWNERS = 48


async def owners_at_the_category_question(world: World, count: int) -> list[SimUser]:
    """`count` registered owners (each with an enterprise of 李专员's) who sent /new."""
    now = world.clock.now()
    async with world.runtime.db.tx() as tx:
        li = await tx.person_by_phone(LI.phone)
        assert li is not None
        for i in range(count):
            phone = f"137{i:08d}"
            await tx.upsert_person(f"老板{i}", phone, Role.OWNER, address(50_000 + i), now)
            await tx.upsert_enterprise(
                Enterprise(
                    id=0,
                    name=f"企业{i}",
                    credit_code=f"91500230BURST{i:05d}",
                    contact_name=f"老板{i}",
                    contact_phone=phone,
                    commissioner_id=li.id,
                )
            )
    owners = [world.sim.user(50_000 + i, f"老板{i}") for i in range(count)]
    for owner in owners:
        await owner.command("new")
    for owner in owners:
        await owner.wait_for_message(lambda m: m.button("融资") is not None, timeout=60)
    return owners


async def test_every_tap_of_a_burst_is_answered_before_its_messages_wait_for_the_pace(
    world: World,
) -> None:
    owners = await owners_at_the_category_question(world, OWNERS)

    # All tap at once; each tap's handler then edits the form and asks the next question,
    # twice as many messages as taps, which drain at the overall pace for seconds.
    taps = [await owner.tap("融资") for owner in owners]
    assert await world.sim.wait_until(lambda: all(t.answered for t in taps), 30)

    # Order, not speed (speed is bench/burst.py's): each tap is answered before the first
    # message its handler sends to that chat, so no answer waits behind the 30-a-second pace
    # that the burst's 96 messages queue for — and so none nears Telegram's 15 s expiry.
    for owner in owners:
        await owner.wait_for_message(timeout=60)  # the description question
    for tap in taps:
        after = [
            c.at
            for c in world.sim.calls
            if c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == tap.query.chat_id
            and c.at >= tap.query.at
        ]
        assert after, f"nothing was sent to chat {tap.query.chat_id} after its tap"
        assert tap.query.answered_at is not None and tap.query.answered_at <= min(after), (
            f"the tap in chat {tap.query.chat_id} was answered after its handler's first message"
        )
    world.sim.assert_no_errors()
