"""Issue 11 in the real process: resolve, a low rating with a comment, reopen, withdraw, /my.

`oncall-bot run` as a subprocess against the HTTP simulator. 李专员 resolves #1; 张老板 rates
it 1 star with a comment: the supervisor is alerted with both; he reopens it and it goes back to
李专员 with Accept; he files #2 and withdraws it, and its offer's buttons go away; /my lists both
with their cards; a reply about #2 then offers him a New request button that starts the form
(and only for him). #3 is resolved and never rated; the process runs through
tests/e2e/clocked.py, so its clock is moved past the auto-close (one working day here) and #3
closes by itself, unrated. `/stats` over those days then counts, as README defines: one reopened,
one cancelled, one closed unrated, and a satisfaction of 0% (0/1) — the 1-star rating counted,
the auto-closed request never.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

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
)
from tests.i18n_support import zh, zh_part, zh_pattern, zh_plain

# What people see, from the catalogs (tests/i18n_support.py).
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
AUTO_CLOSED = (
    "🔒 <b>#{n}</b> was closed without a rating after {days} working days. You "
    "can still reopen it if needed."
)
# /stats: a group's counts and rates (bot/channels/telegram/texts_stats.py, block()).
STATS_COUNTS = (
    "Received {received} · accepted {accepted} · resolved {resolved}{outcomes} · "
    "escalated {escalated} · reopened {reopened} · cancelled {cancelled} · "
    "closed unrated {unrated}"
)
STATS_RATES = (
    "Response (within {limit}) {response} · resolution {resolution} · satisfaction {satisfaction}"
)
LOW_RATING = "⚠️ Low rating: <b>#{n}</b> was rated {stars}/5 by its owner.\nHandled by: {holder}"

COUNTY = ZoneInfo("Asia/Shanghai")


async def test_rating_comment_reopen_withdraw_and_my_in_the_real_process(
    sim: BotApiSimulator, clocked_bot: BotProcess
) -> None:
    bot = clocked_bot
    # A script taps far faster than a person: the flood guard (20 in 10 s) would mute it.
    bot.env.update(
        {
            "ONCALL_LIMITS__FLOOD_UPDATES": "200",
            "ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS": "1",
            "ONCALL_SLA__CHECK_INTERVAL": "1",
        }
    )
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
    received = await new_request(owner, "用工", "旺季需要临时招聘10名工人")
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

    # A reply about the withdrawn #2 is not passed on; its owner gets a New request button,
    # which nobody else can use (the holder's tap is refused on the server) and which starts
    # the form for him.
    await owner.reply(received, "还想补充一点情况")
    finished = await owner.wait_for_message(
        zh("#{n} was withdrawn, so this message was not passed on.", n=2), timeout=WAIT
    )
    new = finished.button(zh("🆕 New request"))
    assert new is not None and finished.button(zh("↩ Reopen")) is None
    assert not texts_to(li, "还想补充一点情况")
    tap = await li.tap_data(again, str(new["callback_data"]))
    assert (await li.wait_answer(tap, timeout=WAIT)).get("show_alert") is True
    await owner.tap(zh("🆕 New request"), finished)
    form = await owner.wait_for_message(lambda m: m.button("融资") is not None, timeout=WAIT)
    assert "1/4" in (form.text or "")
    await owner.command("cancel")
    await owner.wait_for_message(timeout=WAIT)

    # #3 is resolved and never rated: days later, it has closed by itself, counted unrated.
    first_day = bot.now().astimezone(COUNTY).date()
    await new_request(owner, "销售", "想把冷水鱼卖进县城的超市")
    card = await li.wait_for_message(
        lambda m: "#3" in (m.text or "") and m.button(zh("✅ Accept")) is not None, timeout=WAIT
    )
    await li.tap(zh("✅ Accept"), card)
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None, timeout=WAIT)
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None, timeout=WAIT)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY), timeout=WAIT)
    await li.send("已对接县城两家超市的采购")
    unrated = await owner.wait_for_message(
        lambda m: "#3" in (m.text or "") and m.button("1") is not None, timeout=WAIT
    )
    # (Fifteen days: one working day comes after any holiday, Spring Festival's included.)
    bot.advance_clock(timedelta(days=15))
    # The rating question becomes the auto-close notice (Reopen stays).
    closed = await owner.wait_for_edit(unrated, lambda m: m.button("1") is None, timeout=WAIT)
    assert closed.button(zh("↩ Reopen")) is not None
    # days=1: ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS
    assert zh_plain(AUTO_CLOSED, n=3, days=1) in (closed.text or "")
    auto = query(bot.db_path, "SELECT payload FROM events WHERE kind = 'closed' AND request_id = 3")
    assert len(auto) == 1 and '"auto": true' in auto[0]["payload"]
    assert [
        r["status"] for r in query(bot.db_path, "SELECT status FROM requests WHERE id = 3")
    ] == ["closed"]

    # The figures of those days, as README defines them.
    last_day = bot.now().astimezone(COUNTY).date()
    await boss.command("stats", f"{first_day.isoformat()} {last_day.isoformat()}")
    stats = await boss.wait_for_message(zh_part(STATS_COUNTS), timeout=WAIT)
    text = stats.text or ""
    assert zh_pattern(STATS_COUNTS, reopened=1, cancelled=1, unrated=1).search(text), text
    # The 1-star rating; the auto-closed #3 not at all.
    assert zh_pattern(STATS_RATES, satisfaction="0% (0/1)").search(text), text
    assert_clean(sim)
