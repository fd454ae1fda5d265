"""In the real process: a question a tap asked before a kill -9 is still answered after it.

李专员 holds #1, taps Hand back → Other, and is asked for the reason; the bot is killed (no
shutdown, nothing flushed) and 李专员 types the reason while it is down. The restarted bot takes
that text as the answer: the supervisor is asked where #1 should go, with the reason, once.
"""

from __future__ import annotations

from bot.sample import LI, SUPERVISOR, TROUT_OWNER
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
    wait_all_updates_handled,
    wait_db,
)
from tests.i18n_support import zh, zh_part

HANDBACK_PROMPT = (
    "Why are you handing <b>#{n}</b> back? Send the reason in one message (or /cancel)."
)


async def test_a_reason_asked_before_a_kill_9_is_answered_after_it(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)
    li = await onboard(sim, LI)
    boss = await onboard(sim, SUPERVISOR)
    await new_request(owner, "融资", "冷水鱼饲料款缺口30万元，想申请贷款")
    card = await li.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None, timeout=WAIT)
    await li.tap(zh("✅ Accept"), card)
    await li.wait_for_edit(card, lambda m: m.button(zh("↩ Hand back")) is not None, timeout=WAIT)
    await li.tap(zh("↩ Hand back"), card)
    reasons = await li.wait_for_message(
        lambda m: m.button(zh("Other (write it)")) is not None, timeout=WAIT
    )
    await li.tap(zh("Other (write it)"), reasons)
    await li.wait_for_message(zh_part(HANDBACK_PROMPT), timeout=WAIT)

    await wait_all_updates_handled(bot.db_path)
    await bot.kill()
    await li.send("本周在外地出差，无法处理")  # waits at Telegram while the bot is down
    await bot.start()

    question = await boss.wait_for_message(
        lambda m: m.button("金融顾问团") is not None, timeout=WAIT
    )
    assert "本周在外地出差" in (question.text or "")
    await li.wait_for_message("#1", timeout=WAIT)
    asked = query(bot.db_path, "SELECT payload FROM events WHERE kind = 'handoff_asked'")
    assert len(asked) == 1 and "本周在外地出差" in asked[0]["payload"]
    # The reply to 李专员 goes out before the handler drops the answered question: wait for it.
    await wait_db(bot.db_path, "SELECT COUNT(*) = 0 FROM expectations")
    assert query(bot.db_path, "SELECT * FROM expectations") == []
    assert len(texts_to(boss, "本周在外地出差")) == 1
    assert_clean(sim)
