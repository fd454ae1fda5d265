"""The daily digest: every figure against a hand computation; once a day, late once, restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.channels.telegram import texts_digest, texts_sla
from bot.cli import main
from bot.config_files import load_calendar
from bot.domain.clock import FakeClock
from bot.domain.kpis import Counts, Digest, Rate
from bot.domain.models import Outcome
from bot.sample import (
    CHEN,
    DISTILLERY_OWNER,
    HERB_OWNER,
    LI,
    SUPERVISOR,
    TROUT_OWNER,
    WANG,
    SamplePerson,
    load_sample,
)
from bot.scheduler import warn_unconfirmed_years
from tests.conftest import World
from tests.integration.flows import onboard
from tests.integration.sla_support import CQ, Services, cq, open_services

REPORT = date(2026, 11, 25)  # Wednesday; the digest shows Tuesday 24 November 2026
DIGEST_AT = cq(2026, 11, 25, 8, 30)


async def resolve(svc: Services, n: int, holder: SamplePerson) -> None:
    await svc.desk.resolve(n, await svc.pid(holder), Outcome.SOLVED, "已办结")


async def build_history(svc: Services) -> None:
    """Nine requests from late October to the night before the report (local times).

    Working days: November 2026 has no holidays; Oct 30 is a Friday, Nov 24 a Tuesday.
    """
    d = svc.desk
    # #1 trout farm (李专员): accepted after 10 min; P5D → due Fri 6 Nov 10:10; resolved on
    # time on 5 Nov, rated 5.
    await svc.at(cq(2026, 10, 30, 10, 0))
    await svc.submit(TROUT_OWNER)
    await svc.at(cq(2026, 10, 30, 10, 10))
    await d.accept(1, await svc.pid(LI))
    await svc.at(cq(2026, 11, 5, 11, 0))
    await resolve(svc, 1, LI)
    await svc.at(cq(2026, 11, 5, 12, 0))
    await d.rate(1, await svc.pid(TROUT_OWNER), 5)
    # #2 trout farm: accepted after 20 min → due Tue 17 Nov 10:20; resolved 16 Nov, rated 5.
    await svc.at(cq(2026, 11, 10, 10, 0))
    await svc.submit(TROUT_OWNER)
    await svc.at(cq(2026, 11, 10, 10, 20))
    await d.accept(2, await svc.pid(LI))
    # #3 distillery (陈专员), labour: accepted after 10 min → due Thu 19 Nov 09:10.
    await svc.at(cq(2026, 11, 12, 9, 0))
    await svc.submit(DISTILLERY_OWNER, category="labor")
    await svc.at(cq(2026, 11, 12, 9, 10))
    await d.accept(3, await svc.pid(CHEN))
    # #4 herb company (王专员), policy: accepted after 20 min → due Fri 20 Nov 14:20.
    await svc.at(cq(2026, 11, 13, 14, 0))
    await svc.submit(HERB_OWNER, category="policy")
    await svc.at(cq(2026, 11, 13, 14, 20))
    await d.accept(4, await svc.pid(WANG))
    await svc.at(cq(2026, 11, 16, 15, 0))
    await resolve(svc, 2, LI)
    await svc.at(cq(2026, 11, 16, 16, 0))
    await d.rate(2, await svc.pid(TROUT_OWNER), 5)
    # #3: two more working days approved (19 Nov → Fri 20, Mon 23 Nov 09:10), resolved on
    # Fri 20 Nov: late against the first deadline, on time against the approved one.
    await svc.at(cq(2026, 11, 18, 10, 0))
    await svc.extensions.ask(3, await svc.pid(CHEN), 2, "等待社保部门回复")
    await svc.at(cq(2026, 11, 18, 10, 30))
    await svc.extensions.decide(3, await svc.pid(SUPERVISOR), 1, True)
    await svc.at(cq(2026, 11, 20, 11, 0))
    await resolve(svc, 3, CHEN)
    await svc.at(cq(2026, 11, 20, 12, 0))
    await d.rate(3, await svc.pid(DISTILLERY_OWNER), 3)
    # #5 herb company, urgent: accepted after 5 min on Mon 23 Nov → P1D due Tue 24 Nov 16:05;
    # never resolved.
    await svc.at(cq(2026, 11, 23, 16, 0))
    await svc.submit(HERB_OWNER, category="policy", urgent=True)
    await svc.at(cq(2026, 11, 23, 16, 5))
    await d.accept(5, await svc.pid(WANG))
    # Tuesday 24 November ("yesterday").
    # #6 herb company: reminded at 09:30, accepted at 09:45 (45 min).
    await svc.at(cq(2026, 11, 24, 9, 0))
    await svc.submit(HERB_OWNER)
    await svc.at(cq(2026, 11, 24, 9, 30))
    await svc.sweep.run()
    await svc.at(cq(2026, 11, 24, 9, 45))
    await d.accept(6, await svc.pid(WANG))
    # #7 trout farm: nobody accepts; the sweep escalates it to the financing team at 12:00
    # and 陈专员 accepts at 12:10 (130 min after the first offer).
    await svc.at(cq(2026, 11, 24, 10, 0))
    await svc.submit(TROUT_OWNER)
    await svc.at(cq(2026, 11, 24, 10, 5))
    await resolve(svc, 4, WANG)  # #4 resolved 4 days late
    await svc.at(cq(2026, 11, 24, 10, 30))
    await svc.sweep.run()
    await svc.at(cq(2026, 11, 24, 11, 0))
    await d.rate(4, await svc.pid(HERB_OWNER), 4)
    await svc.at(cq(2026, 11, 24, 12, 0))
    assert (await svc.sweep.run()).escalated == [7]
    await svc.at(cq(2026, 11, 24, 12, 10))
    await d.accept(7, await svc.pid(CHEN))
    # #8 trout farm: 李专员 declines after 10 min, 王专员 (team) accepts 20 min after the offer.
    await svc.at(cq(2026, 11, 24, 15, 0))
    await svc.submit(TROUT_OWNER)
    await svc.at(cq(2026, 11, 24, 15, 10))
    await d.decline(8, await svc.pid(LI), "本周外出培训")
    await svc.at(cq(2026, 11, 24, 15, 20))
    await d.accept(8, await svc.pid(WANG))
    # #9 distillery: submitted 23:50, accepted 00:10 on the report day (20 min).
    await svc.at(cq(2026, 11, 24, 23, 50))
    await svc.submit(DISTILLERY_OWNER, category="labor")
    await svc.at(cq(2026, 11, 25, 0, 10))
    await d.accept(9, await svc.pid(CHEN))


# The digest of Wed 25 Nov 2026 at 08:30, computed by hand from the history above.
# Yesterday = Tue 24 Nov:
#   received  #6 #7 #8 #9                                     = 4
#   accepted  #6 (09:45) #7 (12:10) #8 (15:20); #9 is on the 25th = 3
#   resolved  #4                                              = 1
#   escalated #7 (timeout) #8 (declined)                      = 2
#   overdue at the end of the day: #5 (due 24 Nov 16:05)      = 1
COUNTS = Counts(received=4, accepted=3, resolved=1, escalated=2, overdue=1)
# Response, first offered on the 24th: #6 45 min ✗, #7 130 min ✗, #8 20 min ✓, #9 20 min ✓.
DAY_RESPONSE = Rate(hits=2, total=4)
# Resolution, deadline on the 24th: #5 (16:05, unresolved) ✗.
DAY_RESOLUTION = Rate(hits=0, total=1)
# Satisfaction, ratings on the 24th: #4 4★.
DAY_SATISFACTION = Rate(hits=1, total=1)
# MTTA, first accepted on the 24th: (45 + 130 + 20) / 3 = 65 min.
DAY_MTTA = 65 * 60.0
# MTTR, resolved on the 24th: #4 from Fri 13 Nov 14:00 to Tue 24 Nov 10:05 = 260 h 5 min.
DAY_MTTR = 260 * 3600.0 + 5 * 60
# The month, 1–24 Nov:
# Response, first offered: #2 20 ✓, #3 10 ✓, #4 20 ✓, #5 5 ✓, #6 ✗, #7 ✗, #8 ✓, #9 ✓
# (#1 was first offered in October).
MONTH_RESPONSE = Rate(hits=6, total=8)
# Resolution, deadline in the month: #1 6 Nov ✓ (5 Nov), #2 17 Nov ✓ (16 Nov),
# #3 23 Nov, the approved deadline ✓ (20 Nov; against 19 Nov it would be late),
# #4 20 Nov ✗ (24 Nov), #5 24 Nov ✗ (open).
MONTH_RESOLUTION = Rate(hits=3, total=5)
# Satisfaction, ratings in the month: #1 5, #2 5, #3 3, #4 4.
MONTH_SATISFACTION = Rate(hits=3, total=4)
# MTTA: #2 20 + #3 10 + #4 20 + #5 5 + #6 45 + #7 130 + #8 20 = 250 min over 7.
MONTH_MTTA = 250 * 60 / 7
# MTTR: #1 145 h (30 Oct 10:00 → 5 Nov 11:00) + #2 149 h (10 Nov 10:00 → 16 Nov 15:00)
#       + #3 194 h (12 Nov 09:00 → 20 Nov 11:00) + #4 260 h 5 min, over 4.
MONTH_MTTR = ((145 + 149 + 194 + 260) * 3600 + 5 * 60) / 4
# Overdue at 08:30 on the 25th: #5, 16 h 25 min past its deadline → 1 day late.
OVERDUE = [(5, "仙草堂中药材有限公司", WANG.name, cq(2026, 11, 24, 16, 5), 1)]


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[Services]:
    svc = await open_services(tmp_path, cq(2026, 10, 30, 9, 0))
    await build_history(svc)
    try:
        yield svc
    finally:
        await svc.close()


def check(d: Digest) -> None:
    assert d.report_date == REPORT and d.day == date(2026, 11, 24)
    assert d.month_start == date(2026, 11, 1)
    assert d.counts == COUNTS
    assert d.day_rates.response == DAY_RESPONSE
    assert d.day_rates.resolution == DAY_RESOLUTION
    assert d.day_rates.satisfaction == DAY_SATISFACTION
    assert d.day_rates.mtta_seconds == pytest.approx(DAY_MTTA)
    assert d.day_rates.mttr_seconds == pytest.approx(DAY_MTTR)
    assert d.month_rates.response == MONTH_RESPONSE
    assert d.month_rates.resolution == MONTH_RESOLUTION
    assert d.month_rates.satisfaction == MONTH_SATISFACTION
    assert d.month_rates.mtta_seconds == pytest.approx(MONTH_MTTA)
    assert d.month_rates.mttr_seconds == pytest.approx(MONTH_MTTR)
    got = [(o.request_id, o.enterprise, o.holder, o.due_at, o.days_late) for o in d.overdue]
    assert got == OVERDUE
    assert d.unconfirmed_years == ()


async def test_every_digest_figure_equals_the_hand_computation(history: Services) -> None:
    svc = history
    await svc.at(DIGEST_AT)
    check(await svc.digests.for_date())
    # The copy the sweep sends to the supervisor carries the same figures.
    assert (await svc.sweep.run()).digest_sent
    [row] = [r for r in await svc.outbox("digest") if "2026-11-25" in r.params["digest"][:60]]
    assert row.chat_id == SUPERVISOR.telegram_id
    check(Digest.model_validate_json(row.params["digest"]))
    # Recomputed later (the figures are the event log's, the overdue list is as of 08:30).
    await svc.at(cq(2026, 11, 27, 15, 0))
    check(await svc.digests.for_date(REPORT))
    # As the supervisors read it.
    zh = texts_sla.plain(texts_digest.digest(await svc.digests.for_date(REPORT), "zh"))
    for text in (
        "每日汇总 2026-11-25",
        "受理 4 · 接单 3 · 办结 1 · 转交 2 · 逾期 1",
        "响应率（30 分钟内接单）：50% (2/4) / 75% (6/8)",
        "办结率（期限内办结）：0% (0/1) / 60% (3/5)",
        "满意率（4–5 星）：100% (1/1) / 75% (3/4)",
        "平均接单用时：1 小时 5 分钟 / 36 分钟",
        "平均办结用时：10 天 20 小时 / 7 天 19 小时",
        "#5 · 仙草堂中药材有限公司 · 王专员 · 逾期 1 天",
    ):
        assert text in zh, text
    en = texts_sla.plain(texts_digest.digest(await svc.digests.for_date(REPORT), "en"))
    assert "Response (accepted within 30 min): 50% (2/4) / 75% (6/8)" in en
    assert "#5 · 仙草堂中药材有限公司 · 王专员 · 1 day late" in en


async def test_digest_exactly_once_a_day_across_restarts_and_late_once(
    history: Services,
) -> None:
    svc = history
    sent_before = len(await svc.events("digest_sent"))  # the 24th's, sent at 09:30 that day
    await svc.at(DIGEST_AT - timedelta(seconds=1))
    assert not (await svc.sweep.run()).digest_sent
    await svc.at(DIGEST_AT)
    assert (await svc.sweep.run()).digest_sent
    await svc.at(DIGEST_AT + timedelta(minutes=1))
    assert not (await svc.sweep.run()).digest_sent
    svc = await svc.restart()
    assert not (await svc.sweep.run()).digest_sent
    await svc.at(cq(2026, 11, 25, 23, 59))
    assert not (await svc.sweep.run()).digest_sent
    # Thursday: down from before 08:30 until 15:00 — sent late, once.
    svc = await svc.restart()
    await svc.at(cq(2026, 11, 26, 15, 0))
    assert [(await svc.sweep.run()).digest_sent for _ in range(3)] == [True, False, False]
    dates = [e.payload["date"] for e in await svc.events("digest_sent")][sent_before:]
    assert dates == ["2026-11-25", "2026-11-26"]
    await svc.close()


async def test_digest_waits_for_a_supervisor_on_telegram(tmp_path: Path) -> None:
    svc = await Services.open(tmp_path / "oncall.db", FakeClock(DIGEST_AT))
    await load_sample(svc.db, svc.clock.now(), bind=False)
    try:
        assert not (await svc.sweep.run()).digest_sent
        assert await svc.events("digest_sent") == []
        await svc.desk.onboard(SUPERVISOR.address, SUPERVISOR.phone, "zh")
        assert (await svc.sweep.run()).digest_sent
    finally:
        await svc.close()


async def test_calendar_warning_from_december(tmp_path: Path) -> None:
    svc = await open_services(tmp_path, cq(2026, 11, 30, 9, 0))
    try:
        assert (await svc.digests.for_date()).unconfirmed_years == ()
        await svc.at(cq(2026, 12, 1, 9, 0))
        warned = await svc.digests.for_date()
        assert warned.unconfirmed_years == (2027,)
        zh, en = texts_digest.digest(warned, "zh"), texts_digest.digest(warned, "en")
        assert texts_sla.schedule_warning(2027, "config/calendar.toml", "zh") in zh
        assert texts_sla.schedule_warning(2027, "config/calendar.toml", "en") in en
        assert "2027 年" in zh and "config/calendar.toml" in zh
    finally:
        await svc.close()
    confirmed = tmp_path / "calendar.toml"
    confirmed.write_text("[years]\nconfirmed = [2027]\n", encoding="utf-8")
    svc = await open_services(tmp_path / "c", cq(2026, 12, 1, 9, 0), load_calendar(confirmed, CQ))
    try:
        assert (await svc.digests.for_date()).unconfirmed_years == ()
    finally:
        await svc.close()


def test_startup_warning_names_the_year_and_the_file(caplog: pytest.LogCaptureFixture) -> None:
    calendar = load_calendar(None, CQ)
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        assert warn_unconfirmed_years(calendar, cq(2026, 11, 30, 9, 0)) == []
        assert caplog.records == []
        assert warn_unconfirmed_years(calendar, cq(2026, 12, 1, 9, 0)) == [2027]
    [record] = caplog.records
    assert "2027" in record.getMessage() and "config/calendar.toml" in record.getMessage()


async def test_cli_prints_the_digest_of_a_date(
    history: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONCALL_DB", str(history.path))
    assert await _run_cli(["digest", "--date", "2026-11-25"]) == 0
    out = capsys.readouterr().out
    assert "每日汇总 2026-11-25" in out
    assert "受理 4 · 接单 3 · 办结 1 · 转交 2 · 逾期 1" in out
    assert "<b>" not in out
    assert await _run_cli(["digest", "--date", "25/11/2026"]) == 2


async def _run_cli(argv: list[str]) -> int:
    # main() runs its own event loop (asyncio.run): keep it off the test's loop.
    return await asyncio.to_thread(main, argv)


# ---- through Telegram ------------------------------------------------------------------------


async def test_digest_and_overdue_commands_for_supervisors_only(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    boss = await onboard(world, SUPERVISOR, lang="en")
    await owner.command("digest")
    refusal = await owner.wait_for_message("/digest")
    assert "督导" in refusal.body
    await li.command("overdue")
    assert "/overdue" in (await li.wait_for_message("/overdue")).body
    await boss.command("digest")
    digest = await boss.wait_for_message("Daily digest")
    assert "Received 0" in digest.body and "Nothing is overdue" in digest.body
    await boss.command("overdue")
    assert "Nothing is overdue" in (await boss.wait_for_message("overdue")).body

    # The scheduled digest reaches the supervisor once, also across a restart.
    assert world.runtime.sweep is not None
    world.clock.set(cq(2026, 11, 26, 8, 30))
    assert (await world.runtime.sweep.run()).digest_sent
    scheduled = await boss.wait_for_message("Daily digest, 2026-11-26")
    assert not scheduled.disable_notification
    await world.restart()
    assert world.runtime.sweep is not None
    assert not (await world.runtime.sweep.run()).digest_sent
    await world.runtime.sender.drain()
    assert len([m for m in boss.messages() if "Daily digest, 2026-11-26" in m.body]) == 1
    world.sim.assert_no_errors()
