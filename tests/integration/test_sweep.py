"""The chase: reminders, escalation, deadlines, overdue, extensions, quiet hours."""

from __future__ import annotations

import asyncio
import time as systime
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config_files import load_calendar
from bot.domain.clock import to_text
from bot.domain.models import RequestStatus
from bot.sample import CHEN, HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.services.errors import Refusal, Refused
from bot.services.sla import ACCEPT_TIMEOUT
from tests.conftest import World, start_bot
from tests.i18n_support import zh, zh_part, zh_plain
from tests.integration.flows import new_request, onboard
from tests.integration.sla_support import CQ, Services, cq, minutes, open_services

ACCEPT = zh("✅ Accept")

# Wednesday 25 November 2026, 10:00 in the county: a working day, outside quiet hours.
T0 = cq(2026, 11, 25, 10, 0)


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    services = await open_services(tmp_path, T0)
    try:
        yield services
    finally:
        await services.close()


# ---- accept: remind, escalate --------------------------------------------------------------


async def test_reminder_and_escalation_fire_at_the_exact_boundaries(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)  # → 李专员, the trout farm's commissioner
    n = request.id

    await svc.at(T0 + minutes(30) - timedelta(seconds=1))  # 29:59
    assert not (await svc.sweep.run()).chased
    await svc.at(T0 + minutes(30))  # 30:00
    report = await svc.sweep.run()
    assert report.reminded_accept == [n]
    [reminder] = await svc.outbox("remind_accept")
    assert reminder.chat_id == LI.telegram_id and reminder.request_id == n
    assert reminder.params["waited"] == 30 * 60
    # Every later tick of the same round leaves it alone.
    for offset in (30, 31, 90, 119):
        await svc.at(T0 + minutes(offset))
        assert not (await svc.sweep.run()).chased

    await svc.at(T0 + timedelta(hours=2) - timedelta(seconds=1))  # 1:59:59
    assert not (await svc.sweep.run()).chased
    assert (await svc.request(n)).status == RequestStatus.DISPATCHED
    await svc.at(T0 + timedelta(hours=2))  # 2:00:00
    report = await svc.sweep.run()
    assert report.escalated == [n]
    assert (await svc.request(n)).status == RequestStatus.ESCALATED
    # The financing team (王专员, 陈专员) gets fresh cards with Accept buttons …
    cards = [r for r in await svc.outbox("card") if r.params.get("fresh")]
    assert sorted(r.chat_id for r in cards) == [LI.telegram_id, WANG.telegram_id, CHEN.telegram_id]
    # … 李专员's card is edited to say where it went, and the supervisor is alerted.
    [gone] = await svc.outbox("taken_away")
    assert (gone.chat_id, gone.edit_key, gone.params["tier"]) == (LI.telegram_id, "card", "team")
    [alert] = await svc.outbox("escalated")
    assert alert.chat_id == SUPERVISOR.telegram_id and alert.params["reason"] == ACCEPT_TIMEOUT
    [escalated] = await svc.events("escalated")
    assert escalated.payload["reason"] == ACCEPT_TIMEOUT and escalated.payload["tier"] == "team"
    assert not (await svc.sweep.run()).chased

    # The team's own round: a reminder after 30 minutes, the supervisors told after 2 hours.
    await svc.at(T0 + timedelta(hours=2, minutes=30))
    assert (await svc.sweep.run()).reminded_accept == [n]
    team_reminders = await svc.outbox("remind_accept")
    assert sorted(r.chat_id for r in team_reminders[1:]) == [WANG.telegram_id, CHEN.telegram_id]
    await svc.at(T0 + timedelta(hours=4))
    assert (await svc.sweep.run()).unaccepted_reported == [n]
    [unaccepted] = await svc.outbox("unaccepted")
    assert unaccepted.chat_id == SUPERVISOR.telegram_id
    await svc.at(T0 + timedelta(hours=9))
    assert not (await svc.sweep.run()).chased
    assert len(await svc.events("escalated")) == 1
    assert len(await svc.events("reminded_accept")) == 2


async def test_ten_hours_of_downtime_then_one_catch_up(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    await svc.at(T0 + minutes(30))
    assert (await svc.sweep.run()).reminded_accept == [request.id]

    # Down from 10:31 to 20:31; APScheduler coalesces the missed ticks, and even ten runs
    # in a row (one per missed tick) do the escalation once and nothing else.
    svc = await svc.restart()
    await svc.at(T0 + minutes(31) + timedelta(hours=10))
    reports = [await svc.sweep.run() for _ in range(10)]
    assert [r.escalated for r in reports] == [[request.id]] + [[]] * 9
    assert all(not r.reminded_accept for r in reports)
    assert len(await svc.outbox("remind_accept")) == 1  # the one before the downtime
    assert len(await svc.events("escalated")) == 1
    # The team's round starts at the catch-up, so its reminder comes 30 minutes later.
    await svc.at(T0 + minutes(61) + timedelta(hours=10))
    assert (await svc.sweep.run()).reminded_accept == [request.id]
    await svc.close()


async def test_downtime_over_both_deadlines_skips_the_stale_reminder(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    svc = await svc.restart()
    await svc.at(T0 + timedelta(hours=10))
    report = await svc.sweep.run()
    # The escalation supersedes a reminder 李专员 can no longer act on.
    assert report.escalated == [request.id] and report.reminded_accept == []
    assert await svc.outbox("remind_accept") == []
    await svc.close()


async def test_a_restart_between_reminder_and_escalation_changes_neither(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    await svc.at(T0 + minutes(45))
    assert (await svc.sweep.run()).reminded_accept == [request.id]
    svc = await svc.restart()
    assert not (await svc.sweep.run()).chased
    await svc.at(T0 + minutes(121))
    assert (await svc.sweep.run()).escalated == [request.id]
    svc = await svc.restart()
    assert not (await svc.sweep.run()).chased
    assert len(await svc.outbox("remind_accept")) == 1
    assert len(await svc.events("escalated")) == 1
    await svc.close()


async def test_a_tap_between_plan_and_act_wins_over_the_escalation(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    await svc.at(T0 + timedelta(hours=2))
    # 李专员 accepts at the same moment the sweep runs: the sweep re-checks in its transaction.
    await asyncio.gather(svc.desk.accept(request.id, await svc.pid(LI)), svc.sweep.run())
    assert (await svc.request(request.id)).status == RequestStatus.ACCEPTED
    assert (await svc.request(request.id)).holder_id is not None


async def test_away_commissioner_request_waiting_at_the_team_is_reported_once(
    svc: Services,
) -> None:
    await svc.desk.set_away(await svc.pid(WANG), True)
    request = await svc.submit(HERB_OWNER, category="labor")  # 王专员 away → talent team (陈专员)
    assert (await svc.request(request.id)).status == RequestStatus.ESCALATED
    await svc.at(T0 + timedelta(hours=3))
    report = await svc.sweep.run()
    assert report.reminded_accept == [request.id]
    assert report.unaccepted_reported == [request.id]
    assert report.escalated == []
    await svc.at(T0 + timedelta(hours=30))
    assert not (await svc.sweep.run()).chased


async def test_a_reassignment_starts_a_new_round(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    await svc.desk.accept(request.id, await svc.pid(LI))
    await svc.at(T0 + timedelta(days=2))
    await svc.desk.reassign(request.id, await svc.pid(SUPERVISOR), WANG.phone)
    # Two days after the first dispatch, but the offer to 王专员 is new: nothing is due yet.
    assert not (await svc.sweep.run()).chased
    await svc.at(T0 + timedelta(days=2, minutes=30))
    assert (await svc.sweep.run()).reminded_accept == [request.id]
    assert (await svc.outbox("remind_accept"))[-1].chat_id == WANG.telegram_id
    await svc.at(T0 + timedelta(days=2, hours=2))
    report = await svc.sweep.run()
    assert report.unaccepted_reported == [request.id] and report.escalated == []


# ---- resolution deadlines through accept() ----------------------------------------------------


async def accept_at(svc: Services, when: datetime, urgent: bool = False) -> datetime:
    await svc.at(when)
    request = await svc.submit(TROUT_OWNER, urgent=urgent)
    accepted = await svc.desk.accept(request.id, await svc.pid(LI))
    assert accepted.request.due_at is not None
    [event] = [e for e in await svc.events("accepted") if e.request_id == request.id]
    assert event.payload["due_at"] == to_text(accepted.request.due_at)
    return accepted.request.due_at


async def test_deadlines_across_national_day_2026(svc: Services) -> None:
    # P5D from Tue 29 Sep 10:00: Sep 30 (1), [Oct 1–7 off], Oct 8 (2), Oct 9 (3),
    # Sat Oct 10 make-up workday (4), Mon Oct 12 (5).
    assert await accept_at(svc, cq(2026, 9, 29, 10, 0)) == cq(2026, 10, 12, 10, 0)
    # Urgent P1D from Wed 30 Sep 15:00: the next working day is Thu 8 Oct.
    assert await accept_at(svc, cq(2026, 9, 30, 15, 0), urgent=True) == cq(2026, 10, 8, 15, 0)
    # Accepted on a holiday (Sat 3 Oct 14:00): counted from Thu 8 Oct 09:00, five working
    # days on: Oct 9, Oct 10 (make-up), Oct 12, 13, 14.
    assert await accept_at(svc, cq(2026, 10, 3, 14, 0)) == cq(2026, 10, 14, 9, 0)


async def test_deadlines_across_spring_festival_2027_from_the_package(svc: Services) -> None:
    # The package only estimates 2027 (Feb 5–10 off, no make-up workdays):
    # from Wed 3 Feb 10:00: Feb 4 (1), Feb 11 (2), Feb 12 (3), Feb 15 (4), Feb 16 (5).
    assert await accept_at(svc, cq(2027, 2, 3, 10, 0)) == cq(2027, 2, 16, 10, 0)


async def test_operator_override_of_the_2027_calendar(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(
        '[holidays]\nadd = ["2027-02-11", "2027-02-12"]\n'
        '[workdays]\nadd = ["2027-02-20"]\n[years]\nconfirmed = [2027]\n',
        encoding="utf-8",
    )
    calendar = load_calendar(path, CQ)
    svc = await open_services(tmp_path, T0, calendar)
    try:
        # Feb 11–12 off as well: Feb 4 (1), Feb 15 (2), 16 (3), 17 (4), 18 (5).
        assert await accept_at(svc, cq(2027, 2, 3, 10, 0)) == cq(2027, 2, 18, 10, 0)
        # Sat Feb 20 a make-up workday: from Tue 16 Feb: 17, 18, 19, 20 (Sat), 22.
        assert await accept_at(svc, cq(2027, 2, 16, 10, 0)) == cq(2027, 2, 22, 10, 0)
        assert calendar.is_schedule_known(2027)
    finally:
        await svc.close()


async def test_plain_clock_deadlines_without_working_days(tmp_path: Path) -> None:
    svc = await open_services(tmp_path, T0, sla={"working_days": False})
    try:
        assert await accept_at(svc, cq(2026, 9, 29, 10, 0)) == cq(2026, 10, 4, 10, 0)
    finally:
        await svc.close()


# ---- due-day and overdue reminders ------------------------------------------------------------


async def test_due_morning_then_overdue_daily_and_reported_once_a_day(svc: Services) -> None:
    due = await accept_at(svc, T0)  # Wed 25 Nov 10:00 → Wed 2 Dec 10:00
    assert due == cq(2026, 12, 2, 10, 0)
    await svc.at(cq(2026, 12, 2, 7, 59))
    assert not (await svc.sweep.run()).chased
    await svc.at(cq(2026, 12, 2, 8, 0))
    assert (await svc.sweep.run()).reminded_due == [1]
    [remind] = await svc.outbox("remind_due")
    assert remind.chat_id == LI.telegram_id and remind.params["due_at"] == to_text(due)
    await svc.at(cq(2026, 12, 2, 10, 0))  # at the deadline: not overdue yet
    assert not (await svc.sweep.run()).chased
    await svc.at(cq(2026, 12, 2, 10, 1))
    assert (await svc.sweep.run()).overdue == [1]
    [holder] = await svc.outbox("overdue")
    [boss] = await svc.outbox("overdue_report")
    assert (holder.chat_id, holder.params["days"]) == (LI.telegram_id, 1)
    assert (boss.chat_id, boss.params["holder"]) == (SUPERVISOR.telegram_id, LI.name)
    await svc.at(cq(2026, 12, 2, 23, 0))
    assert not (await svc.sweep.run()).chased
    await svc.at(cq(2026, 12, 3, 7, 59))  # a new local day, but before the morning
    assert not (await svc.sweep.run()).chased
    await svc.at(cq(2026, 12, 3, 8, 0))
    assert (await svc.sweep.run()).overdue == [1]
    # Three days down: one chase on the day it comes back, not one per missed day.
    svc = await svc.restart()
    await svc.at(cq(2026, 12, 7, 9, 0))
    assert [(await svc.sweep.run()).overdue for _ in range(3)] == [[1], [], []]
    days = [r.params["days"] for r in await svc.outbox("overdue")]
    assert days == [1, 1, 5]  # 10:01 Dec 2 → 1; 08:00 Dec 3 → 1 (22 h); 09:00 Dec 7 → 5
    assert len(await svc.outbox("overdue_report")) == 3
    await svc.close()


async def test_no_due_morning_reminder_for_a_request_accepted_that_morning(
    tmp_path: Path,
) -> None:
    svc = await open_services(tmp_path, T0, sla={"resolve_within_normal": "PT4H"})
    try:
        due = await accept_at(svc, cq(2026, 11, 25, 9, 0))
        assert due == cq(2026, 11, 25, 13, 0)
        await svc.at(cq(2026, 11, 25, 12, 0))
        assert not (await svc.sweep.run()).chased
    finally:
        await svc.close()


# ---- extensions -------------------------------------------------------------------------------


async def test_extension_asked_before_due_and_approved_moves_the_deadline(svc: Services) -> None:
    due = await accept_at(svc, T0)  # due Wed 2 Dec 10:00
    await svc.at(cq(2026, 12, 1, 16, 0))
    asked = await svc.extensions.ask(1, await svc.pid(LI), 3, "等待银行审批结果")
    # Three working days after Wed 2 Dec 10:00: Thu 3, Fri 4, Mon 7 Dec.
    assert asked.new_due == cq(2026, 12, 7, 10, 0) and asked.supervisors == 1
    [ask] = await svc.outbox("extension_asked")
    assert ask.chat_id == SUPERVISOR.telegram_id and ask.params["reason"] == "等待银行审批结果"
    with pytest.raises(Refused) as pending:
        await svc.extensions.ask(1, await svc.pid(LI), 1, "再等一天")
    assert pending.value.details["field"] == "pending"
    with pytest.raises(Refused) as stranger:
        await svc.extensions.decide(1, await svc.pid(LI), 1, True)
    assert stranger.value.reason == Refusal.NOT_ALLOWED

    decided = await svc.extensions.decide(1, await svc.pid(SUPERVISOR), 1, True)
    assert decided.approved and decided.due == cq(2026, 12, 7, 10, 0)
    assert (await svc.request(1)).due_at == cq(2026, 12, 7, 10, 0)
    [approved] = await svc.events("extension_approved")
    assert approved.payload["due_at"] == to_text(cq(2026, 12, 7, 10, 0))
    assert approved.payload["previous_due_at"] == to_text(due)
    [edit] = await svc.outbox("extension_decided")
    assert (edit.chat_id, edit.edit_key) == (SUPERVISOR.telegram_id, "ext1")
    assert [r.chat_id for r in await svc.outbox("extension_result")] == [LI.telegram_id]
    assert [r.chat_id for r in await svc.outbox("deadline_extended")] == [TROUT_OWNER.telegram_id]
    # A second tap (another supervisor, or the same one again) changes nothing.
    with pytest.raises(Refused) as again:
        await svc.extensions.decide(1, await svc.pid(SUPERVISOR), 1, False)
    assert again.value.reason == Refusal.DUPLICATE and again.value.details["by"] == SUPERVISOR.name
    # The old deadline passing no longer makes it overdue; the new one does.
    await svc.at(cq(2026, 12, 2, 11, 0))
    assert not (await svc.sweep.run()).chased
    await svc.at(cq(2026, 12, 7, 8, 0))
    assert (await svc.sweep.run()).reminded_due == [1]


async def test_extension_refused_and_asked_too_late(svc: Services) -> None:
    await accept_at(svc, T0)
    await svc.extensions.ask(1, await svc.pid(LI), 2, "企业资料未齐")
    decided = await svc.extensions.decide(1, await svc.pid(SUPERVISOR), 1, False)
    assert not decided.approved
    assert (await svc.request(1)).due_at == cq(2026, 12, 2, 10, 0)
    assert len(await svc.events("extension_refused")) == 1
    # After a refusal a new ask is allowed; after the deadline it is not.
    await svc.extensions.ask(1, await svc.pid(LI), 1, "补充材料中")
    await svc.at(cq(2026, 12, 2, 10, 0))
    await svc.extensions.decide(1, await svc.pid(SUPERVISOR), 2, False)
    with pytest.raises(Refused) as late:
        await svc.extensions.ask(1, await svc.pid(LI), 1, "还需要时间")
    assert late.value.details["field"] == "past_due"
    with pytest.raises(Refused) as not_holder:
        await svc.extensions.ask(1, await svc.pid(WANG), 1, "不是我的")
    assert not_holder.value.reason == Refusal.NOT_ALLOWED


# ---- time zones ---------------------------------------------------------------------------------


@pytest.fixture
def machine_in_utc(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    systime.tzset()
    yield None
    monkeypatch.undo()
    systime.tzset()


@pytest.mark.usefixtures("machine_in_utc")
async def test_machine_clock_in_utc_county_in_shanghai(tmp_path: Path) -> None:
    assert systime.strftime("%Z") == "UTC"
    # 16:30 UTC on 25 Nov is 00:30 on 26 Nov in the county.
    svc = await open_services(tmp_path, datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    try:
        request = await svc.submit(TROUT_OWNER)
        accepted = await svc.desk.accept(request.id, await svc.pid(LI))
        # P5D counted on the county's calendar: Thu 26 Nov 00:30 → Thu 3 Dec 00:30 local.
        assert accepted.request.due_at == cq(2026, 12, 3, 0, 30)
        # The due-day reminder is at 08:00 local = 00:00 UTC — after the deadline here, so
        # the chase goes straight to overdue at 00:30:01 local.
        await svc.at(datetime(2026, 12, 2, 16, 30, 1, tzinfo=UTC))
        assert (await svc.sweep.run()).overdue == [request.id]
        # The digest is due at 08:30 local = 00:30 UTC, and names the local date.
        await svc.at(datetime(2026, 12, 3, 0, 29, 59, tzinfo=UTC))
        assert not (await svc.sweep.run()).digest_sent
        await svc.at(datetime(2026, 12, 3, 0, 30, tzinfo=UTC))
        assert (await svc.sweep.run()).digest_sent
        [sent] = await svc.events("digest_sent")
        assert sent.payload["date"] == "2026-12-03"
        digest = await svc.digests.for_date()
        assert digest.report_date.isoformat() == "2026-12-03"
        # Submitted 16:30 UTC 25 Nov = 26 Nov local: the digest of 27 Nov counts it.
        assert (await svc.digests.for_date(cq(2026, 11, 27).date())).counts.received == 1
        assert (await svc.digests.for_date(cq(2026, 11, 26).date())).counts.received == 0
    finally:
        await svc.close()


# ---- through Telegram: the real application, the simulator and the scheduler job ----------------


async def test_escalation_first_tap_wins_and_restarts_change_nothing(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    start = world.clock.now()
    await new_request(owner)
    card = await li.wait_for_message("#1")

    world.clock.set(start + minutes(30))
    assert world.runtime.sweep is not None
    assert (await world.runtime.sweep.run()).reminded_accept == [1]
    reminder = await li.wait_for_message(lambda m: "#1" in m.body and "⏰" in m.body)
    assert reminder.button(ACCEPT) is not None

    # A restart between the reminder and the escalation: the scheduler's first tick at
    # start-up finds nothing to do.
    await world.restart()
    assert world.runtime.sweep is not None
    assert not (await world.runtime.sweep.run()).chased

    # Down over the escalation time: the first tick after the restart (the scheduler job,
    # not the test) escalates to the financing team and alerts the supervisor.
    await world.runtime.close()
    world.clock.set(start + timedelta(hours=2, minutes=5))
    world.runtime = await start_bot(world.sim, world.db_path, world.clock)
    wang_card = await wang.wait_for_message("#1")
    chen_card = await chen.wait_for_message("#1")
    alert = await boss.wait_for_message("#1")
    escalated = zh_part(
        "⚠️ <b>#{n}</b> ({enterprise}, {category}) was not accepted in time and "
        "has gone to {to}: {names}."
    )
    assert escalated in alert.body
    await li.wait_for_edit(card, lambda m: not m.buttons)
    # The reminder's Accept buttons go too: the offer to 李专员 has ended.
    await li.wait_for_edit(reminder, lambda m: not m.buttons)
    assert wang_card.button(ACCEPT) is not None and chen_card.button(ACCEPT) is not None

    taps = await asyncio.gather(wang.tap(ACCEPT, wang_card), chen.tap(ACCEPT, chen_card))
    answers = await asyncio.gather(wang.wait_answer(taps[0]), chen.wait_answer(taps[1]))
    assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True]
    view = await world.runtime.desk.view(1)
    assert view is not None and view.holder is not None
    loser, loser_card = (chen, chen_card) if view.holder.name == WANG.name else (wang, wang_card)
    await loser.wait_for_edit(loser_card, lambda m: view.holder.name in m.body)

    counts = {u.name: len(u.messages()) for u in (li, wang, chen, boss)}
    await world.restart()
    assert world.runtime.sweep is not None
    assert not (await world.runtime.sweep.run()).chased
    await world.runtime.sender.drain()
    assert {u.name: len(u.messages()) for u in (li, wang, chen, boss)} == counts
    kinds = [e.kind for e in await world.runtime.desk.events(1)]
    assert kinds.count("reminded_accept") == 1 and kinds.count("escalated") == 1
    world.sim.assert_no_errors()
    world.sim.assert_callbacks_answered()


async def test_quiet_hours_across_midnight_silence_all_but_urgent(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    await onboard(world, CHEN)
    world.clock.set(cq(2026, 11, 25, 22, 40))
    await new_request(owner)  # #1, normal
    card = await li.wait_for_message("#1")
    assert card.disable_notification
    await new_request(owner, urgent=True)  # #2, urgent
    urgent_card = await li.wait_for_message("#2")
    assert not urgent_card.disable_notification

    sweep = world.runtime.sweep
    assert sweep is not None
    world.clock.set(cq(2026, 11, 25, 23, 10))
    assert sorted((await sweep.run()).reminded_accept) == [1, 2]
    normal = await li.wait_for_message(lambda m: "⏰" in m.body and "#1" in m.body)
    urgent = await li.wait_for_message(lambda m: "⏰" in m.body and "#2" in m.body)
    assert normal.disable_notification is True
    assert urgent.disable_notification is False

    # After midnight it is still quiet: the escalation at 00:40 reaches the team silently.
    world.clock.set(cq(2026, 11, 26, 0, 40))
    assert sorted((await sweep.run()).escalated) == [1, 2]
    team_normal = await wang.wait_for_message("#1")
    team_urgent = await wang.wait_for_message("#2")
    assert team_normal.disable_notification is True
    assert team_urgent.disable_notification is False
    # From 07:30 messages notify again.
    world.clock.set(cq(2026, 11, 26, 7, 30))
    wang.mark()
    await sweep.run()
    morning = await wang.wait_for_message(lambda m: "⏰" in m.body)
    assert morning.disable_notification is False
    world.sim.assert_no_errors()


async def test_extend_command_and_one_tap_approval(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    boss = await onboard(world, SUPERVISOR)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await li.wait_answer(await li.tap(ACCEPT, card))
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None)

    await li.command("extend", "#1 x")
    usage = await li.wait_for_message("/extend")
    assert (
        zh_plain(
            "To ask for more time, send /extend #N DAYS REASON, for example:\n"
            "/extend #12 3 waiting for the bank's approval"
        )
        in usage.body
    )
    await li.command("extend", "#1 3 等待银行审批<结果>")
    sent = await li.wait_for_message("#1")
    assert "2026-12-07" in sent.body  # Wed 2 Dec + 3 working days
    ask = await boss.wait_for_message("#1")
    assert "等待银行审批<结果>" in ask.body
    refuse = ask.button(zh("✖ Refuse"))
    assert refuse is not None
    await boss.wait_answer(await boss.tap(zh("✅ Approve"), ask))
    await boss.wait_for_edit(ask, lambda m: not m.buttons)
    assert SUPERVISOR.name in ask.body
    result = await li.wait_for_message("#1")
    assert "2026-12-07 09:30" in result.body
    await li.wait_for_edit(card, lambda m: "2026-12-07 09:30" in m.body)
    told = await owner.wait_for_message("2026-12-07")
    assert "#1" in told.body
    # A stale second tap on the same ask is answered and changes nothing.
    again = await boss.tap_data(ask, str(refuse["callback_data"]))
    answer = await boss.wait_answer(again)
    assert answer.get("show_alert") is True
    events = [e.kind for e in await world.runtime.desk.events(1)]
    assert events.count("extension_approved") == 1 and "extension_refused" not in events
    world.sim.assert_no_errors()
    world.sim.assert_callbacks_answered()
