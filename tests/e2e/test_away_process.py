"""Issue 10 in the real process: an away period with an end date, and a deactivation by --sync.

`oncall-bot run` as a subprocess against the HTTP simulator. The away test runs the process
through tests/e2e/clocked.py, so that days can pass while it runs: 李专员 holds #1 and #2 and
goes away until a date; the supervisor gets each with one-tap "give to…" pickers and gives #1
to 王专员; a new request of 李专员's enterprise goes to the category's team; past #2's deadline
nobody chases 李专员 (王专员 is chased for the same kind of deadline); at the date the period
ends by itself, 李专员 is chased again and new requests reach him again.
The deactivation test runs `oncall-bot import commissioners FILE --sync` beside the running
bot: 李专员's open request goes to the supervisors the same way, and his old card is dead.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.sample import CHEN, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.simulator.driver import SimUser
from bot.simulator.models import SimMessage
from bot.simulator.server import BotApiSimulator
from tests.e2e.support import (
    WAIT,
    BotProcess,
    assert_clean,
    load_sample_rosters,
    new_request,
    onboard,
    query,
    run_cli,
    texts_to,
    wait_db,
)

COUNTY = ZoneInfo("Asia/Shanghai")
ENV = {
    # A script taps far faster than a person: the flood guard (20 in 10 s) would mute it.
    "ONCALL_LIMITS__FLOOD_UPDATES": "200",
    "ONCALL_SLA__CHECK_INTERVAL": "1",
    "ONCALL_SLA__WORKING_DAYS": "false",
    "ONCALL_SLA__QUIET_HOURS": "",
    # Deadlines an hour after acceptance: the clock passes them in one step.
    "ONCALL_SLA__RESOLVE_WITHIN_NORMAL": "3600",
}


def holder_of(bot: BotProcess, request_id: int) -> str | None:
    rows = query(
        bot.db_path,
        "SELECT p.name FROM requests r LEFT JOIN people p ON p.id = r.holder_id WHERE r.id = ?",
        request_id,
    )
    return rows[0]["name"] if rows else None


def event_ids(bot: BotProcess, kind: str, request_id: int | None = None) -> list[int]:
    if request_id is None:
        rows = query(bot.db_path, "SELECT id FROM events WHERE kind = ? ORDER BY id", kind)
    else:
        rows = query(
            bot.db_path,
            "SELECT id FROM events WHERE kind = ? AND request_id = ? ORDER BY id",
            kind,
            request_id,
        )
    return [r["id"] for r in rows]


async def accept_offer(user: SimUser, n: int) -> SimMessage:
    """Waits for #n on offer to `user`, taps 接单, returns the card once it shows 办结."""
    card = await user.wait_for_message(
        lambda m: f"#{n}" in (m.text or "") and m.button("接单") is not None, timeout=WAIT
    )
    await user.tap("接单", card)
    return await user.wait_for_edit(card, lambda m: m.button("办结") is not None, timeout=WAIT)


async def test_away_until_a_date_routes_past_them_is_not_chased_and_ends_by_itself(
    sim: BotApiSimulator, clocked_bot: BotProcess
) -> None:
    bot = clocked_bot
    bot.env.update(ENV)
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)  # 清溪冷水鱼养殖场, 李专员's enterprise
    li = await onboard(sim, LI)
    wang = await onboard(sim, WANG)
    chen = await onboard(sim, CHEN)
    boss = await onboard(sim, SUPERVISOR)

    await new_request(owner, "融资", "冷水鱼饲料款缺口30万元，想申请贷款")
    await accept_offer(li, 1)
    await new_request(owner, "融资", "新建冷库需要设备融资租赁")
    await accept_offer(li, 2)

    # Away until the day after tomorrow (county time): ends at that day's local midnight.
    back_on = (bot.now().astimezone(COUNTY) + timedelta(days=2)).date()
    await li.command("away", f"until {back_on.isoformat()} 外出培训")
    await li.wait_for_message(back_on.isoformat(), timeout=WAIT)
    notice = await boss.wait_for_message("外出培训", timeout=WAIT)
    assert "#1" in (notice.text or "") and "#2" in (notice.text or "")
    assert "外出培训" in (notice.text or "")
    questions = {}
    for n in (1, 2):
        questions[n] = await boss.wait_for_message(
            lambda m, n=n: f"#{n}" in (m.text or "") and m.button("改派给个人") is not None,
            timeout=WAIT,
        )
        assert questions[n].button("金融顾问团") is not None  # a team with one tap, too

    # A new request of his enterprise goes to the category's team (金融顾问团), not to him.
    await new_request(owner, "融资", "申请创业担保贷款")
    await accept_offer(wang, 3)
    await chen.wait_for_message("#3", timeout=WAIT)
    assert not texts_to(li, "#3")

    # One tap gives #1 to a person from the paged list; they get it with Accept.
    await boss.tap("改派给个人", questions[1])
    await boss.wait_for_edit(questions[1], lambda m: m.button("王专员") is not None, timeout=WAIT)
    assert questions[1].button("李专员") is None  # the away person is not offered
    await boss.tap("王专员", questions[1])
    await boss.wait_for_edit(questions[1], lambda m: not m.buttons, timeout=WAIT)
    await accept_offer(wang, 1)
    assert holder_of(bot, 1) == "王专员"
    assert holder_of(bot, 2) == "李专员"  # the supervisor has not decided #2: still his

    # Tomorrow 09:00 (still away): #1, #2 and #3 are all past their deadlines, and it is past
    # the morning from which overdue requests are chased. 王专员 is chased for his; 李专员,
    # away, is not chased for #2: the sweep looks at #2 and plans no step for it.
    planned = "SELECT next_step_at IS NULL FROM requests WHERE id = 2"
    assert not query(bot.db_path, planned)[0][0]  # #2's deadline is planned, as any
    tomorrow = bot.now().astimezone(COUNTY).date() + timedelta(days=1)
    bot.advance_clock(datetime.combine(tomorrow, time(9, 0), COUNTY) - bot.now())
    await bot.wait(
        lambda: all(any("已逾期" in t for t in texts_to(wang, f"#{n}")) for n in (1, 3)),
        WAIT,
        "王专员's overdue chases of #1 and #3",
    )
    await wait_db(bot.db_path, planned)  # the sweep has passed over #2 (nothing more planned)
    assert event_ids(bot, "overdue_chased", 2) == []
    assert not [t for t in texts_to(li, "#2") if "已逾期" in t]

    # The date comes: the period ends by itself at the next sweep; both are told.
    midnight = datetime.combine(back_on, time(0), COUNTY)
    bot.advance_clock(midnight - bot.now() + timedelta(seconds=5))
    await li.wait_for_message("暂离期已结束", timeout=WAIT)
    await boss.wait_for_message("暂离期已结束", timeout=WAIT)
    back_set = event_ids(bot, "back_set")
    assert len(back_set) == 1
    people = query(bot.db_path, "SELECT away, away_until FROM people WHERE name = '李专员'")
    assert [(r["away"], r["away_until"]) for r in people] == [(0, None)]

    # From then on he is chased again for #2 (an overdue request is chased once a local day,
    # from the morning: 08:00) …
    morning = datetime.combine(back_on, time(8, 5), COUNTY)
    bot.advance_clock(morning - bot.now())
    await li.wait_for_message(
        lambda m: "已逾期" in (m.text or "") and "#2" in (m.text or ""), timeout=WAIT
    )
    chased = event_ids(bot, "overdue_chased", 2)
    assert chased and min(chased) > back_set[0]
    # … and a new request of his enterprise reaches him again.
    await new_request(owner, "融资", "扩建鱼塘需要贷款")
    await accept_offer(li, 4)
    assert not texts_to(wang, "#4") and not texts_to(chen, "#4")
    assert_clean(sim)


async def test_deactivation_by_sync_import_hands_open_requests_to_the_supervisors(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    bot.env.update(ENV)
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)
    li = await onboard(sim, LI)
    wang = await onboard(sim, WANG)
    boss = await onboard(sim, SUPERVISOR)
    await new_request(owner, "融资", "冷水鱼饲料款缺口30万元，想申请贷款")
    held = await accept_offer(li, 1)
    await new_request(owner, "融资", "新建冷库需要设备融资租赁")
    offered = await li.wait_for_message(
        lambda m: "#2" in (m.text or "") and m.button("接单") is not None, timeout=WAIT
    )
    resolve = str((held.button("办结") or {})["callback_data"])
    accept = str((offered.button("接单") or {})["callback_data"])

    # The operator imports the commissioners' roster without 李专员, beside the running bot.
    roster = bot.workdir / "commissioners.csv"
    roster.write_text(
        "name,phone,teams,telegram_id\n"
        f"{WANG.name},{WANG.phone},finance;promotion,\n"
        f"{CHEN.name},{CHEN.phone},finance;talent,\n",
        encoding="utf-8",
    )
    result = await run_cli(
        "import", "commissioners", str(roster), "--sync", cwd=bot.workdir, env=bot.env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "停用：1" in result.stdout  # Deactivated: 1
    roles = query(
        bot.db_path,
        "SELECT r.active FROM person_roles r JOIN people p ON p.id = r.person_id "
        "WHERE p.name = '李专员' AND r.role = 'commissioner'",
    )
    assert [r["active"] for r in roles] == [0]  # deactivated, never deleted

    # Each of his open requests (held and on offer) reaches the supervisors with the pickers.
    questions = {}
    for n in (1, 2):
        questions[n] = await boss.wait_for_message(
            lambda m, n=n: f"#{n}" in (m.text or "") and m.button("金融顾问团") is not None,
            timeout=WAIT,
        )
        assert "李专员" in (questions[n].text or "")
        assert questions[n].button("改派给个人") is not None
    asked = query(
        bot.db_path,
        "SELECT request_id, payload FROM events WHERE kind = 'handoff_asked' ORDER BY id",
    )
    assert [r["request_id"] for r in asked] == [1, 2]
    assert all("deactivated" in r["payload"] for r in asked)

    # A tap gives #1 to a person; the list no longer offers 李专员.
    await boss.tap("改派给个人", questions[1])
    await boss.wait_for_edit(questions[1], lambda m: m.button("王专员") is not None, timeout=WAIT)
    assert questions[1].button("李专员") is None
    await boss.tap("王专员", questions[1])
    await accept_offer(wang, 1)
    assert holder_of(bot, 1) == "王专员"
    # The other goes to the team with one tap, and is not orphaned either.
    await boss.tap("金融顾问团", questions[2])
    await accept_offer(wang, 2)
    assert holder_of(bot, 2) == "王专员"

    # 李专员's old cards are dead: each tap gets an alert and changes nothing.
    events_before = query(bot.db_path, "SELECT COUNT(*) AS n FROM events")[0]["n"]
    for message, data in ((held, resolve), (offered, accept)):
        tap = await li.tap_data(message, data)
        answer = await li.wait_answer(tap, timeout=WAIT)
        assert answer.get("show_alert") is True, answer
    assert query(bot.db_path, "SELECT COUNT(*) AS n FROM events")[0]["n"] == events_before
    assert holder_of(bot, 1) == "王专员" and holder_of(bot, 2) == "王专员"
    assert_clean(sim)
