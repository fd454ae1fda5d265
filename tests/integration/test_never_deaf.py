"""Never deaf: bad updates are set aside, failures are retried, ended tasks are restarted."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable
from typing import Any

import aiosqlite
import pytest
from telegram import Update

from bot.channels.telegram import texts, texts_onboarding
from bot.channels.telegram.identity import update_ref
from bot.channels.telegram.inbox import Inbox, OrderedUpdateProcessor
from bot.sample import SUPERVISOR, TROUT_OWNER
from bot.services.dead_letters import MAX_HANDLING_ATTEMPTS
from bot.simulator.driver import SimUser
from tests.conftest import World
from tests.integration.flows import onboard

# Python-telegram-bot cannot read these: a message without its date, a message that is text.
UNREADABLE = {"message_id": 7, "chat": {"id": 5, "type": "private"}}


async def dead_letters(world: World) -> list[tuple[int, str]]:
    async with world.runtime.db.read() as tx:
        rows = await tx._all("SELECT seq, reason FROM dead_letters ORDER BY seq")
    return [(int(r["seq"]), str(r["reason"])) for r in rows]


async def help_is_answered(user: SimUser) -> None:
    user.mark()
    await user.command("help")
    await user.wait_for_message("/cancel")


def notices(supervisor: SimUser, update_id: int) -> list[str]:
    return [m.text or "" for m in supervisor.messages() if f"update {update_id}" in (m.text or "")]


async def test_an_update_that_cannot_be_read_is_set_aside_and_the_next_ones_are_answered(
    world: World,
) -> None:
    supervisor = await onboard(world, SUPERVISOR)
    owner = await onboard(world, TROUT_OWNER)

    poison = world.sim.inject_raw_update("message", UNREADABLE)
    await help_is_answered(owner)

    [(update_id, reason)] = await dead_letters(world)
    assert update_id == poison and "unreadable update" in reason and "KeyError" in reason
    await supervisor.wait_for_message(f"update {poison}")
    assert len(notices(supervisor, poison)) == 1
    # Across a restart it stays set aside: not handled, not reported again.
    await world.restart()
    await help_is_answered(owner)
    await world.runtime.sender.drain()
    assert len(notices(supervisor, poison)) == 1
    assert await dead_letters(world) == [(poison, reason)]


async def test_a_stored_update_that_cannot_be_read_does_not_stop_the_next_start(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    stored = world.sim.reserve_update_id()  # as if fetched before a crash
    bad = json.dumps({"update_id": stored, "message": "x"})
    async with world.runtime.db.tx() as tx:
        await tx.store_updates([(update_ref(stored), bad)], world.clock.now())

    await world.restart()  # the replay meets it first

    await help_is_answered(owner)
    [(update_id, reason)] = await dead_letters(world)
    assert update_id == stored and "AttributeError" in reason


async def test_an_update_whose_handling_never_finished_three_times_is_set_aside(
    world: World,
) -> None:
    supervisor = await onboard(world, SUPERVISOR)
    owner = await onboard(world, TROUT_OWNER)
    # /help from the owner, stored and started three times, each time the process died.
    stored = world.sim.reserve_update_id()
    payload = {
        "update_id": stored,
        "message": {
            "message_id": 999,
            "date": 1_764_000_000,
            "chat": {"id": TROUT_OWNER.telegram_id, "type": "private"},
            "from": {"id": TROUT_OWNER.telegram_id, "is_bot": False, "first_name": "张"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    async with world.runtime.db.tx() as tx:
        await tx.store_updates([(update_ref(stored), json.dumps(payload))], world.clock.now())
        await tx._run(
            "UPDATE inbox SET attempts = ? WHERE seq = ?", (MAX_HANDLING_ATTEMPTS, stored)
        )
    answers_before = len(owner.messages())

    await world.restart()

    await supervisor.wait_for_message(f"update {stored}")
    [(update_id, reason)] = await dead_letters(world)
    assert update_id == stored and "never finished" in reason
    await world.runtime.sender.drain()
    assert len(owner.messages()) == answers_before  # set aside, not handled a fourth time
    await help_is_answered(owner)  # the owner's next message is answered as usual


async def test_a_handler_that_fails_leaves_a_dead_letter_and_the_person_an_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = await onboard(world, SUPERVISOR)
    owner = await onboard(world, TROUT_OWNER)
    real_help = texts_onboarding.help_text
    calls = 0

    def failing_once(*args: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("injected handler bug")
        return real_help(*args)

    monkeypatch.setattr(texts_onboarding, "help_text", failing_once)
    owner.mark()
    await owner.command("help")
    await owner.wait_for_message(texts.error("zh"))
    await supervisor.wait_for_message("injected handler bug")

    [(_update_id, reason)] = await dead_letters(world)
    assert "handler failed" in reason and "injected handler bug" in reason
    await help_is_answered(owner)


async def test_the_poller_survives_a_failure_it_does_not_expect(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    inbox: Inbox = world.runtime.inbox
    real_take = inbox.take
    failures = 0

    async def locked_once(raw: Any) -> list[Update]:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise sqlite3.OperationalError("database is locked")
        return await real_take(raw)

    world.runtime.poller.backoff = 0.05
    monkeypatch.setattr(inbox, "take", locked_once)

    await help_is_answered(owner)  # fetched again after the failure, nothing lost
    assert failures == 1 and world.runtime.poller.failures == 1
    assert not world.runtime.watchdog.task("poller").done()


async def test_the_watchdog_restarts_the_poller_and_the_sender_when_they_end(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    watchdog = world.runtime.watchdog
    for name in ("poller", "sender"):
        task = watchdog.task(name)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert sorted(await watchdog.check()) == ["poller", "sender"]

    await help_is_answered(owner)
    async with world.runtime.db.read() as tx:
        restarts = await tx.restarts()
    assert restarts == {"poller": 1, "sender": 1}
    assert await watchdog.check() == []  # nothing more to do


async def test_the_watchdog_restarts_a_stopped_scheduler(world: World) -> None:
    jobs = world.runtime.app.job_queue
    assert jobs is not None
    await jobs.stop(wait=False)
    assert not jobs.scheduler.running

    assert await world.runtime.watchdog.check() == ["scheduler"]

    assert jobs.scheduler.running and jobs.jobs()


async def test_reads_do_not_wait_for_a_writer_in_another_process(world: World) -> None:
    await onboard(world, TROUT_OWNER)
    async with aiosqlite.connect(world.db_path, timeout=5) as other:
        await other.execute("BEGIN IMMEDIATE")  # e.g. an import holding the write lock
        person = await asyncio.wait_for(world.runtime.desk.whoami(TROUT_OWNER.address), timeout=2)
        assert person is not None and person.name == TROUT_OWNER.name
        await other.rollback()


async def test_one_persons_waiting_updates_do_not_hold_up_another_persons(world: World) -> None:
    processor = OrderedUpdateProcessor(
        world.runtime.db, world.clock, world.runtime.inbox.dead, max_concurrent_updates=2
    )
    bot = world.runtime.app.bot
    release = asyncio.Event()
    done: list[str] = []

    def update(update_id: int, user_id: int) -> Update:
        return Update.de_json(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": 1_764_000_000,
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": user_id, "is_bot": False, "first_name": "x"},
                    "text": "hello",
                },
            },
            bot,
        )

    async def stuck(name: str) -> None:
        await release.wait()  # e.g. a reply waiting out a 429 for this chat
        done.append(name)

    async def quick(name: str) -> None:
        done.append(name)

    def run(update_id: int, user_id: int, work: Awaitable[None]) -> asyncio.Task[None]:
        return asyncio.create_task(processor.process_update(update(update_id, user_id), work))

    flood = [run(800_000 + i, 1, stuck(f"a{i}")) for i in range(10)]
    other = run(800_100, 2, quick("b"))

    await asyncio.wait_for(other, timeout=5)
    assert done == ["b"]
    release.set()
    await asyncio.gather(*flood)
    assert done == ["b"] + [f"a{i}" for i in range(10)]  # and the flood kept its order
