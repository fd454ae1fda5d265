"""Issue 4 in the real process: chased within 10 s, escalated within 15 s, kill -9 safe.

With ONCALL_SLA__ACCEPT_REMIND_AFTER=2, ACCEPT_ESCALATE_AFTER=5, CHECK_INTERVAL=1,
WORKING_DAYS=false and QUIET_HOURS= (empty), an unaccepted request is chased within 10 s and
reaches the team and the supervisors within 15 s, and a kill -9 in between changes neither.
"""

from __future__ import annotations

import asyncio

from bot.sample import CHEN, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.simulator.server import BotApiSimulator
from tests.e2e.support import (
    WAIT,
    BotProcess,
    assert_clean,
    load_sample_rosters,
    new_request,
    onboard,
    query,
    texts_to,
    wait_db,
)
from tests.i18n_support import zh_part

SENT = "SELECT COUNT(*) FROM outbox WHERE kind = '{kind}' AND status = 'sent'"
UNSENT = "SELECT COUNT(*) = 0 FROM outbox WHERE status = 'pending'"
FAST = {
    "ONCALL_SLA__ACCEPT_REMIND_AFTER": "2",
    "ONCALL_SLA__ACCEPT_ESCALATE_AFTER": "5",
    "ONCALL_SLA__CHECK_INTERVAL": "1",
    "ONCALL_SLA__WORKING_DAYS": "false",
    "ONCALL_SLA__QUIET_HOURS": "",
}


async def test_chased_and_escalated_on_time_and_kill_9_changes_neither(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    bot.env.update(FAST)
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)
    li = await onboard(sim, LI)
    wang = await onboard(sim, WANG)
    chen = await onboard(sim, CHEN)
    boss = await onboard(sim, SUPERVISOR)
    loop = asyncio.get_running_loop()

    await new_request(owner, "融资", "冷水鱼饲料款缺口30万元，想申请贷款")
    submitted = loop.time()
    await li.wait_for_message("#1", timeout=WAIT)
    await bot.wait(lambda: bool(texts_to(li, "⏰")), 10, "the reminder to the commissioner")
    assert loop.time() - submitted <= 10

    # kill -9 between the reminder and the escalation, then start again at once. (Killed
    # once the outbox has recorded the reminder as sent: a kill between Telegram accepting a
    # message and that record resends it — the outbox delivers at least once.)
    await wait_db(bot.db_path, SENT.format(kind="remind_accept"))
    await bot.kill()
    await bot.start()
    await bot.wait(
        lambda: bool(texts_to(wang, "#1") and texts_to(chen, "#1") and texts_to(boss, "#1")),
        max(0.1, 15 - (loop.time() - submitted)),
        "the team's cards and the supervisor's alert",
    )
    assert loop.time() - submitted <= 15

    # Another kill -9 after the escalation: the team's own reminder (2 s into its round)
    # still comes once, and nothing before it is repeated.
    await wait_db(bot.db_path, SENT.format(kind="escalated"))
    await wait_db(bot.db_path, UNSENT)
    await bot.kill()
    await bot.start()
    await bot.wait(
        lambda: bool(texts_to(wang, "⏰") and texts_to(chen, "⏰")),
        WAIT,
        "the team's reminder",
    )
    assert len(texts_to(li, "⏰")) == 1
    assert len(texts_to(wang, "🆕")) == 1 and len(texts_to(chen, "🆕")) == 1
    escalated = zh_part(
        "⚠️ <b>#{n}</b> ({enterprise}, {category}) was not accepted in time and "
        "has gone to {to}: {names}."
    )
    assert len(texts_to(boss, escalated)) == 1
    kinds = [r["kind"] for r in query(bot.db_path, "SELECT kind FROM events WHERE request_id = 1")]
    assert kinds.count("reminded_accept") == 2  # the commissioner's round and the team's
    assert kinds.count("escalated") == 1
    assert_clean(sim)
