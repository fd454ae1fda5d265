"""The outbox sender: pacing, 429 retry_after, transient and permanent errors, taps under load."""

from __future__ import annotations

import itertools
from datetime import timedelta

from bot.channels.telegram.identity import address
from bot.domain.models import Message, Role
from bot.sample import LI, TROUT_OWNER
from bot.simulator.driver import SimUser
from tests.conftest import World
from tests.i18n_support import zh
from tests.integration.flows import new_request, onboard


async def extra_people(world: World, count: int, first_id: int = 9000) -> list[SimUser]:
    """People who wrote to the bot (so Telegram lets it write back) and are on a roster."""
    users = []
    for i in range(count):
        user = world.sim.user(first_id + i, f"Owner{i}")
        await user.command("help")
        users.append(user)
    for user in users:
        await user.wait_for_message()
    async with world.runtime.db.tx() as tx:
        for i, user in enumerate(users):
            await tx.upsert_person(
                f"Owner{i}", f"1370000{i:04d}", Role.OWNER, address(user.id), world.clock.now()
            )
    return users


async def queue_notes(world: World, users: list[SimUser], per_user: int = 1) -> None:
    """Commits progress notes about #1 for each user, as a use case would."""
    async with world.runtime.db.tx() as tx:
        for user in users:
            person = await tx.person_at(address(user.id))
            assert person is not None
            for n in range(per_user):
                message = Message(
                    recipient_id=person.id,
                    kind="note",
                    request_id=1,
                    params={"holder": "李专员", "text": f"进展 {n + 1}"},
                )
                await tx.enqueue(message, address(user.id), world.clock.now())
    world.runtime.sender.wake()


async def request_one(world: World) -> tuple[SimUser, SimUser]:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    await li.wait_for_message("#1")
    return owner, li


async def test_429_defers_the_chat_by_retry_after_and_keeps_its_order(world: World) -> None:
    owner, _li = await request_one(world)
    world.sim.fail_next("sendMessage", 429, retry_after=30)
    before = len(world.sim.calls_to("sendMessage"))
    await queue_notes(world, [owner], per_user=2)
    sender = world.runtime.sender
    await owner.wait_for(lambda: len(world.sim.throttled) == 1 and not sender.busy)
    async with world.runtime.db.tx() as tx:
        due_now = await tx.due_messages(world.clock.now(), 10)
    assert due_now == []  # the whole chat waits: its second note may not overtake the first
    # One attempt, then silence until retry_after has passed: no tight loop.
    assert len(world.sim.calls_to("sendMessage")) == before + 1

    world.clock.advance(timedelta(seconds=30))
    world.runtime.sender.wake()
    first = await owner.wait_for_message("进展 1")
    second = await owner.wait_for_message("进展 2")
    assert first.message_id < second.message_id


async def test_a_blocked_user_fails_once_and_the_others_still_receive(world: World) -> None:
    await request_one(world)
    users = await extra_people(world, 3)
    users[0].block()
    await queue_notes(world, users)
    for user in users[1:]:
        await user.wait_for_message("进展 1")
    sender = world.runtime.sender
    await users[0].wait_for(lambda: sender.failed == 1 and not sender.busy)
    attempts = [c for c in world.sim.calls_to("sendMessage") if c.chat_id == users[0].id]
    assert [c.status for c in attempts] == [200, 403]  # the /help answer, then one try
    async with world.runtime.db.tx() as tx:
        counts = await tx.outbox_counts()
    assert counts.get("failed") == 1 and counts.get("pending", 0) == 0


async def test_a_server_error_is_retried_after_a_delay_not_in_a_loop(world: World) -> None:
    owner, _li = await request_one(world)
    world.sim.fail_next("sendMessage", 502)
    await queue_notes(world, [owner])
    sender = world.runtime.sender
    await owner.wait_for(lambda: any(c.status == 502 for c in world.sim.calls) and not sender.busy)
    async with world.runtime.db.tx() as tx:
        assert await tx.due_messages(world.clock.now(), 10) == []
        assert await tx.pending_count() == 1
    world.clock.advance(timedelta(seconds=1))
    world.runtime.sender.wake()
    await owner.wait_for_message("进展 1")
    attempts = [c for c in world.sim.calls_to("sendMessage") if c.chat_id == owner.id]
    assert [c.status for c in attempts[-2:]] == [502, 200]


async def test_overall_pace_stays_within_thirty_messages_in_any_second(world: World) -> None:
    await request_one(world)
    users = await extra_people(world, 45)
    world.sim.calls.clear()
    await queue_notes(world, users)
    await world.runtime.sender.drain()
    assert len(world.sim.calls_to("sendMessage")) == 45
    assert world.sim.max_calls_in_window(1.0) <= 30
    world.sim.assert_no_errors()


async def test_one_chat_gets_about_one_message_a_second(world: World) -> None:
    owner, _li = await request_one(world)
    world.runtime.sender.per_chat_interval = 1.0
    world.sim.calls.clear()
    await queue_notes(world, [owner], per_user=3)
    await world.runtime.sender.drain()
    times = world.sim.call_times(chat_id=owner.id)
    assert len(times) == 3
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(times))


async def test_taps_are_answered_while_a_backlog_drains(world: World) -> None:
    _owner, li = await request_one(world)
    users = await extra_people(world, 120)
    card = li.messages()[-1]
    await queue_notes(world, users)
    tap = await li.tap(zh("✅ Accept"), card)
    await li.wait_answer(tap)
    async with world.runtime.db.tx() as tx:
        still_queued = await tx.pending_count()
    assert still_queued > 30  # the answer did not wait for the backlog
    await world.runtime.sender.drain()
    world.sim.assert_no_errors()
