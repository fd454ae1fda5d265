"""Retention: old handled updates and sent messages go, in small batches; nothing else does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.telegram.identity import update_ref
from bot.domain.clock import to_text
from bot.sample import DISTILLERY_OWNER, HERB_OWNER, TROUT_OWNER
from bot.scheduler import RETENTION_JOB
from bot.services.retention import Pruned, Retention
from bot.settings import load_settings
from bot.storage.uow import Database
from tests.conftest import START, World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import accepted_request
from tests.integration.guard_support import settled
from tests.integration.sla_support import open_services

ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
RESOLVED = (
    "🏁 <b>#{n}</b> has been resolved by {holder}.\n"
    "Outcome: {outcome}\n"
    "Summary: {summary}\n"
    "\n"
    "How satisfied are you? Tap 1 (poor) to 5 (excellent)."
)

KEEP = timedelta(days=30)


async def column(db: Database, sql: str) -> list[object]:
    async with db.conn.execute(sql) as cur:
        return [r[0] for r in await cur.fetchall()]


async def settle_outbox(db: Database, now: datetime) -> int:
    """Sends every queued message (the first one fails for good); returns how many settled."""
    settled_rows = 0
    while True:
        async with db.tx() as tx:
            due = await tx.due_messages(now, 100)
            for row in due:
                if settled_rows == 0:
                    await tx.mark_failed(row.id, "Forbidden: bot was blocked by the user")
                else:
                    await tx.mark_sent(row.id, now)
                settled_rows += 1
        if not due:
            return settled_rows


async def test_prunes_old_handled_updates_and_settled_messages_in_batches(
    tmp_path: Path,
) -> None:
    svc = await open_services(tmp_path, START)
    db, clock = svc.db, svc.clock
    try:
        async with db.tx() as tx:
            await tx.store_updates([(update_ref(n), "{}") for n in range(1, 7)], clock.now())
            for n in range(1, 6):
                await tx.mark_processed(update_ref(n), clock.now())  # 6 is never handled
        await svc.submit(TROUT_OWNER)
        await svc.submit(HERB_OWNER, category="policy")
        settled_rows = await settle_outbox(db, clock.now())
        await svc.submit(DISTILLERY_OWNER, category="labor")  # its messages stay pending
        pending = await column(db, "SELECT id FROM outbox WHERE status = 'pending'")
        assert settled_rows >= 4 and pending
        events = await column(db, "SELECT id FROM events")
        retention = Retention(db, clock, KEEP, batch=2)

        clock.advance(KEEP - timedelta(days=1))
        assert await retention.run() == Pruned(0, 0, 2)
        async with db.tx() as tx:
            await tx.store_updates([(update_ref(7), "{}")], clock.now())
            await tx.mark_processed(update_ref(7), clock.now())

        clock.advance(timedelta(days=2))
        # At most two rows a transaction: five handled updates in three, the messages in
        # one more than half their number.
        assert await retention.run() == Pruned(
            inbox=5, outbox=settled_rows, transactions=3 + settled_rows // 2 + 1
        )
        assert await column(db, "SELECT COUNT(*) FROM inbox") == [2]
        async with db.tx() as tx:
            assert await tx.unprocessed_updates("telegram") == [(update_ref(6), "{}")]
            # Within the window a redelivered update is still recognised.
            assert await tx.store_updates([(update_ref(7), "{}")], clock.now()) == []
            assert not await tx.mark_processed(update_ref(7), clock.now())
        # Pending messages stay however old; the event log is untouched.
        assert await column(db, "SELECT id FROM outbox") == pending
        assert await column(db, "SELECT id FROM events") == events

        # Long after: the newest update stays, so polling resumes after it.
        clock.advance(KEEP * 3)
        assert await retention.run() == Pruned(0, 0, 2)
        async with db.read() as tx:
            assert await tx.last_seq("telegram") == 7
    finally:
        await svc.close()


async def test_later_edits_and_replies_still_work_after_pruning(world: World) -> None:
    owner, li, card, taken = await accepted_request(world)
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None)
    await settled(world)
    world.clock.advance(timedelta(days=40))
    assert world.runtime.retention is not None
    pruned = await world.runtime.retention.run()
    assert pruned.inbox > 5 and pruned.outbox > 0
    # Every message of those days is gone (a sweep may have queued new ones since).
    old = to_text(START + timedelta(days=1))
    assert await column(world.runtime.db, f"SELECT id FROM outbox WHERE created_at < '{old}'") == []
    assert await column(world.runtime.db, "SELECT COUNT(*) FROM message_refs") != [0]

    # A reply to a message whose outbox row is gone still reaches the other side …
    await owner.reply(taken, "资料已备齐")
    await li.wait_for_message("资料已备齐")
    # … and the card shown 40 days ago is still edited in place when the request moves on.
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY))
    await li.send("已对接县农商行，贷款已发放")
    await owner.wait_for_message(zh_part(RESOLVED))
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is None)
    world.sim.assert_no_errors()


def test_retention_settings_have_a_floor_of_one_day() -> None:
    assert load_settings(None).retention.days == 30
    assert load_settings(None, retention={"days": 7}).retention.days == 7
    with pytest.raises(Exception, match="ONCALL_RETENTION__DAYS"):
        load_settings(None, retention={"days": 0})


async def test_the_bot_schedules_pruning_once_a_day_at_the_set_local_time(world: World) -> None:
    jobs = world.runtime.app.job_queue
    assert jobs is not None
    [job] = jobs.get_jobs_by_name(RETENTION_JOB)
    nxt = job.next_t
    assert nxt is not None
    local = nxt.astimezone(world.runtime.settings.tz)
    assert (local.hour, local.minute) == (4, 0)
