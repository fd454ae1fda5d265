"""The sweep does not chase an away holder, and chases them again once they are back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sample import LI, TROUT_OWNER
from tests.integration.sla_support import Services, cq, open_services

T0 = cq(2026, 11, 25, 10, 0)  # a Wednesday in the county, a working day


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    services = await open_services(tmp_path, T0)
    try:
        yield services
    finally:
        await services.close()


async def test_an_away_holder_is_not_chased_until_the_period_ends(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)  # → 李专员
    li = await svc.pid(LI)
    await svc.desk.accept(request.id, li)
    due = (await svc.request(request.id)).due_at
    assert due is not None
    back_on = due + timedelta(days=3)
    await svc.desk.go_away(li, back_on, "外出培训")

    # Past the deadline, every day while away: no reminder, no overdue chase.
    for day in range(3):
        await svc.at(due + timedelta(days=day, minutes=1))
        report = await svc.sweep.run()
        assert report.reminded_due == [] and report.overdue == []
    assert await svc.outbox("overdue") == []

    # The period ends by itself at its date; the next run chases the overdue request.
    await svc.at(back_on)
    report = await svc.sweep.run()
    assert report.overdue == [request.id]
    ended = [r for r in await svc.outbox("away_notice") if r.params.get("by_itself")]
    assert {r.chat_id for r in ended} >= {LI.telegram_id}  # the person and the supervisors
    assert all(r.params["away"] is False for r in ended)
    view = await svc.desk.view(request.id)
    assert view is not None and view.holder is not None and not view.holder.away
