"""Issue 11 in the real process: resolve, a low rating with a comment, reopen, withdraw, /my.

`oncall-bot run` as a subprocess against the HTTP simulator. 李专员 resolves #1; 张老板 rates
it 1 star with a comment: the supervisor is alerted with both; he reopens it and it goes back to
李专员 with Accept; he files #2 and withdraws it, and its offer's buttons go away; /my lists both
with their cards. Auto-close needs three working days: it is proven with a FakeClock through
the real Application (tests/integration/test_aftercare.py), not by waiting here.
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
)
from tests.i18n_support import zh, zh_part

# What people see, from the catalogs (tests/i18n_support.py).
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
LOW_RATING = "⚠️ Low rating: <b>#{n}</b> was rated {stars}/5 by its owner.\nHandled by: {holder}"


async def test_rating_comment_reopen_withdraw_and_my_in_the_real_process(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    # A script taps far faster than a person: the flood guard (20 in 10 s) would mute it.
    bot.env.update({"ONCALL_LIMITS__FLOOD_UPDATES": "200"})
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)
    li = await onboard(sim, LI)
    boss = await onboard(sim, SUPERVISOR)

    await new_request(owner, "融资", "冷水鱼饲料款缺口30万元，想申请贷款")
    card = await li.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None, timeout=WAIT)
    await li.tap(zh("✅ Accept"), card)
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None, timeout=WAIT)
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None, timeout=WAIT)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY), timeout=WAIT)
    await li.send("已对接县农商行，贷款30万元已发放")
    rate = await owner.wait_for_message(
        lambda m: m.button(zh("↩ Reopen")) is not None, timeout=WAIT
    )

    # A 1-star rating alerts the supervisor at once; the comment follows it there.
    await owner.tap("1", rate)
    await owner.wait_for_edit(
        rate, lambda m: m.button(zh("💬 Add a comment")) is not None, timeout=WAIT
    )
    alert = await boss.wait_for_message(zh_part(LOW_RATING), timeout=WAIT)
    assert "#1" in (alert.text or "") and LI.name in (alert.text or "")
    await owner.tap(zh("💬 Add a comment"), rate)
    await owner.wait_for_message(
        zh_part("Your comment on #{n}? Reply with a short text."), timeout=WAIT
    )
    await owner.send("等了很久才有人联系")
    await boss.wait_for_message("等了很久才有人联系", timeout=WAIT)

    # Reopen: back to the same holder with Accept.
    await owner.tap(zh("↩ Reopen"), rate)
    await owner.wait_for_message(
        zh_part("Why do you want to reopen #{n}? Reply with the reason."), timeout=WAIT
    )
    await owner.send("贷款只批了一半，还差15万元")
    again = await li.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None, timeout=WAIT)
    assert "#1" in (again.text or "")
    status = query(bot.db_path, "SELECT status FROM requests WHERE id = 1")
    assert [r["status"] for r in status] == ["reopened"]

    # #2, withdrawn before anyone takes it: the offer loses its Accept button.
    await new_request(owner, "用工", "旺季需要临时招聘10名工人")
    offer = await li.wait_for_message(
        lambda m: "#2" in (m.text or "") and m.button(zh("✅ Accept")) is not None, timeout=WAIT
    )
    await owner.command("my")
    listing = await owner.wait_for_message(zh_part("<b>Your requests</b>"), timeout=WAIT)
    assert listing.button("#2 ") is not None and listing.button("#1 ") is not None
    await owner.tap("#2 ", listing)
    await owner.wait_for_edit(
        listing, lambda m: m.button(zh("✖ Cancel request")) is not None, timeout=WAIT
    )
    await owner.tap(zh("✖ Cancel request"), listing)
    await owner.wait_for_edit(
        listing, lambda m: m.button(zh("✖ Withdraw")) is not None, timeout=WAIT
    )
    await owner.tap(zh("✖ Withdraw"), listing)
    await owner.wait_for_edit(listing, lambda m: m.button(zh("⏭ Skip")) is not None, timeout=WAIT)
    await owner.tap(zh("⏭ Skip"), listing)
    await li.wait_for_edit(offer, lambda m: m.button(zh("✅ Accept")) is None, timeout=WAIT)
    status = query(bot.db_path, "SELECT status FROM requests WHERE id = 2")
    assert [r["status"] for r in status] == ["cancelled"]
    assert_clean(sim)
