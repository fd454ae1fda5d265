"""Issues 10 and 11 in the real process: a hand-back routed by a supervisor, an internal note.

`oncall-bot run` as a subprocess against the HTTP simulator, driven as people would: 李专员
accepts #1, hands it back (needs another team), 周主任 sends it to 金融顾问团 with one tap, 王专员
accepts it; an internal note by the new holder reaches the supervisor and never the owner.
The other routes (to a person, back to the holder, away periods, deactivation) are proven
through the real Application in tests/integration/test_handoff.py.
"""

from __future__ import annotations

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
)
from tests.i18n_support import zh, zh_part

# What people see, from the catalogs (tests/i18n_support.py).
TAKEN = (
    "👤 <b>{holder}</b> has taken <b>#{n}</b> and will be in touch soon. "
    "Reply to this message to write to them."
)
ACCEPT, HAND_BACK, INTERNAL_NOTE = zh("✅ Accept"), zh("↩ Hand back"), zh("🔒 Internal note")
NOTE_PROMPT = " Write the internal note on <b>#{n}</b> (staff only: the owner will not see it):"


async def test_a_hand_back_goes_where_the_supervisor_sends_it_and_notes_stay_internal(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)
    li = await onboard(sim, LI)
    wang = await onboard(sim, WANG)
    chen = await onboard(sim, CHEN)
    boss = await onboard(sim, SUPERVISOR)

    await new_request(owner, "销售", "想把冷水鱼卖进县城的超市，需要对接渠道")
    card = await li.wait_for_message(lambda m: m.button(ACCEPT) is not None, timeout=WAIT)
    await li.tap(ACCEPT, card)
    await owner.wait_for_message(zh_part(TAKEN), timeout=WAIT)
    card = await li.wait_for_edit(card, lambda m: m.button(HAND_BACK) is not None, timeout=WAIT)

    # 退单 with a reason button; the supervisors get the pickers.
    await li.tap(HAND_BACK, card)
    reasons = await li.wait_for_message(
        lambda m: m.button(zh("Needs another team")) is not None, timeout=WAIT
    )
    await li.tap(zh("Needs another team"), reasons)
    question = await boss.wait_for_message(
        lambda m: m.button("金融顾问团") is not None, timeout=WAIT
    )
    assert "李专员" in (question.text or "")

    # One tap sends it to the team: its members get Accept, the first to tap holds it.
    await boss.tap("金融顾问团", question)
    await boss.wait_for_edit(question, lambda m: not m.buttons, timeout=WAIT)
    offer = await wang.wait_for_message(lambda m: m.button(ACCEPT) is not None, timeout=WAIT)
    await chen.wait_for_message(lambda m: m.button(ACCEPT) is not None, timeout=WAIT)
    await wang.tap(ACCEPT, offer)
    await owner.wait_for_message("王专员", timeout=WAIT)
    holder = query(bot.db_path, "SELECT p.name FROM requests r JOIN people p ON p.id = r.holder_id")
    assert [row["name"] for row in holder] == ["王专员"]
    kinds = [r["kind"] for r in query(bot.db_path, "SELECT kind FROM events ORDER BY id")]
    assert "handoff_asked" in kinds and "handoff_decided" in kinds

    # An internal note: the supervisor reads it, the owner never does.
    work = await wang.wait_for_edit(
        offer, lambda m: m.button(INTERNAL_NOTE) is not None, timeout=WAIT
    )
    await wang.tap(INTERNAL_NOTE, work)
    await wang.wait_for_message(zh_part(NOTE_PROMPT), timeout=WAIT)
    secret = "超市采购经理下周三才有空，先别告诉企业"
    await wang.send(secret)
    await boss.wait_for_message(secret, timeout=WAIT)
    assert not [m for m in owner.messages() if secret in (m.text or m.caption or "")]
    assert not texts_to(owner, secret)
    assert_clean(sim)
