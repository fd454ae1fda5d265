"""What handling an update costs the writer: one transaction when the use case records it, and
crash counting only on replay (issue 9, the request flow)."""

from __future__ import annotations

import json
from typing import Any

from bot.channels.telegram.identity import update_ref
from bot.domain.models import RequestStatus
from bot.sample import LI, TROUT_OWNER
from tests.conftest import World
from tests.i18n_support import zh
from tests.integration.flows import new_request, onboard


def help_update(update_id: int, user_id: int, message_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 1_764_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "张"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_an_accept_tap_is_marked_handled_in_the_use_cases_own_transaction(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await world.runtime.sender.drain()
    statements: list[str] = []
    await world.runtime.db.conn.set_trace_callback(statements.append)

    accepted = await li.tap(zh("✅ Accept"), card)
    await li.wait_answer(accepted)
    await owner.wait_for_message("#1")
    await world.runtime.db.conn.set_trace_callback(None)

    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ACCEPTED
    # Besides storing the tap on arrival: one statement on the inbox, no crash counter, no
    # second mark after the handler.
    inbox = [i for i, s in enumerate(statements) if "inbox" in s and "processed_at =" in s]
    assert len(inbox) == 1, [statements[i] for i in inbox]
    begin = max(i for i in range(inbox[0]) if statements[i].startswith("BEGIN IMMEDIATE"))
    commit = next(i for i in range(inbox[0], len(statements)) if statements[i] == "COMMIT")
    assert any("status = 'accepted'" in s for s in statements[begin:commit])


async def test_a_restart_counts_a_start_only_for_each_persons_first_unhandled_update(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    first, second = world.sim.reserve_update_id(), world.sim.reserve_update_id()
    user = TROUT_OWNER.telegram_id
    async with world.runtime.db.tx() as tx:
        await tx.store_updates(
            [
                (update_ref(first), json.dumps(help_update(first, user, 901))),
                (update_ref(second), json.dumps(help_update(second, user, 902))),
            ],
            world.clock.now(),
        )
    answered_before = len(owner.messages())

    await world.restart()

    # Both are handled, in order: two more help texts.
    await owner.wait_for(lambda: len(owner.messages()) >= answered_before + 2)
    async with world.runtime.db.read() as tx:
        rows = await tx._all(
            "SELECT seq, attempts, processed_at FROM inbox WHERE seq IN (?, ?) ORDER BY seq",
            (first, second),
        )
    assert [(r["seq"], r["attempts"]) for r in rows] == [(first, 1), (second, 0)]
