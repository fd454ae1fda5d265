"""Nothing lost, nothing twice: a crash between commit and send, and a redelivered update."""

from __future__ import annotations

import asyncio
import json

from telegram import Update

from bot.bootstrap import Runtime
from bot.domain.models import RequestStatus
from bot.sample import LI, TROUT_OWNER
from tests.conftest import World, start_bot
from tests.i18n_support import zh, zh_part
from tests.integration.flows import new_request, onboard


async def crash(runtime: Runtime) -> None:
    """Stops a runtime the way kill -9 would: no flush, no shutdown hooks, nothing drained."""
    runtime.poller.stop()
    await runtime.watchdog.stop()  # cancels the poller and the sender where they are
    await runtime.db.close()


async def test_messages_committed_but_not_sent_go_out_after_a_crash(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    # The sender dies first: the request is committed, its messages only queued.
    outbox_task = world.runtime.watchdog.release("sender")
    outbox_task.cancel()
    await asyncio.gather(outbox_task, return_exceptions=True)
    await new_request(owner, submit=False)
    submitted = await owner.tap(zh("✅ Submit"))
    assert "#1" in (await owner.wait_answer(submitted)).get("text", "")
    assert not [m for m in li.messages() if "#1" in (m.text or "")]
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.DISPATCHED

    await crash(world.runtime)
    world.runtime = await start_bot(world.sim, world.db_path, world.clock)

    await owner.wait_for_message("#1")
    card = await li.wait_for_message("#1")
    assert card.button(zh("✅ Accept")) is not None
    world.sim.assert_no_errors()


async def test_an_update_handled_before_a_crash_is_not_handled_again(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await onboard(world, LI)
    await new_request(owner)
    async with world.runtime.db.tx() as tx:
        rows = await tx._all("SELECT seq AS update_id, payload FROM inbox ORDER BY seq")
    submit = next(r for r in rows if '"1:sub"' in r["payload"])

    # Telegram redelivers the Submit tap (as after a crash before the offset was confirmed).
    app = world.runtime.app
    await app.update_queue.put(Update.de_json(json.loads(submit["payload"]), app.bot))
    await owner.command("help")  # same user: handled strictly after the redelivery
    await owner.wait_for_message("/my")

    assert await world.runtime.desk.view(2) is None
    receipt = zh_part(
        "✅ Request <b>#{n}</b> received and sent to {to}. You will be told here as soon as "
        "someone takes it. /my shows your requests."
    )
    received = [m for m in owner.messages() if receipt in (m.text or "")]
    assert len(received) == 1
    events = await world.runtime.desk.events(1)
    assert [e.kind for e in events].count("submitted") == 1


async def test_updates_stored_but_not_handled_are_handled_after_a_restart(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await crash(world.runtime)
    # While the bot is down the owner writes; the next start fetches, stores and handles it.
    await owner.command("my")
    world.runtime = await start_bot(world.sim, world.db_path, world.clock)
    await owner.wait_for_message(zh("You have no requests yet. Send /new to report a difficulty."))
