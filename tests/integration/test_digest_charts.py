"""The digest's chart reaches the supervisors as a photo; the weekly chart by team and the
commissioners' summary go out once a week; `oncall-bot digest --png` writes a PNG."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from bot.domain.kpis import Rate, ranked
from bot.export.charts import HEIGHT_PX, WIDTH_PX
from bot.sample import LI, SUPERVISOR
from bot.simulator.models import SimMessage
from tests.conftest import World
from tests.integration.flows import accepted_request, onboard
from tests.integration.sla_support import Services, cq


def _png(world: World, message: SimMessage) -> Image.Image:
    assert message.photo, message
    data = world.sim.files[message.photo[-1]["file_id"]].data
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def test_the_digest_chart_and_the_weekly_report_reach_their_readers(world: World) -> None:
    # Before digest time: the sweep that runs at start (whenever it gets to) has nothing to send
    # the supervisor onboarded below; the digests of this test are the ones it asks for.
    world.clock.set(cq(2026, 11, 25, 7, 0))
    await accepted_request(world)
    li = world.sim.user(LI.telegram_id, LI.name)
    boss = await onboard(world, SUPERVISOR, lang="en")
    sweep = world.runtime.sweep
    assert sweep is not None
    # Monday 2026-11-30, at digest time: the digest, its chart, and the week's report.
    world.clock.set(cq(2026, 11, 30, 8, 30))
    ran = await sweep.run()
    assert ran.digest_sent and ran.weekly_sent
    text = await boss.wait_for_message("Daily digest, 2026-11-30")
    chart = await boss.wait_for_message(lambda m: "last 30 days" in (m.caption or ""))
    assert chart.message_id > text.message_id
    assert _png(world, chart).size == (WIDTH_PX, HEIGHT_PX)
    teams = await boss.wait_for_message(lambda m: "Weekly report" in (m.caption or ""))
    assert "2026-11-23 to 2026-11-29" in (teams.caption or "")
    assert _png(world, teams).size == (WIDTH_PX, HEIGHT_PX)
    week = await li.wait_for_message("本周提醒")
    assert "1 件在办，0 件逾期" in (week.text or "")

    # Once per day and per week, also across a restart.
    await world.restart()
    sweep = world.runtime.sweep
    assert sweep is not None
    again = await sweep.run()
    assert not again.digest_sent and not again.weekly_sent
    # Tuesday: the digest and its chart again, no weekly report.
    world.clock.set(cq(2026, 12, 1, 8, 30))
    tuesday = await sweep.run()
    assert tuesday.digest_sent and not tuesday.weekly_sent
    await boss.wait_for_message("Daily digest, 2026-12-01")
    await world.runtime.sender.drain()
    photos = [m for m in boss.messages() if m.photo]
    assert len(photos) == 3  # Monday's two charts and Tuesday's one
    assert len([m for m in li.messages() if "本周提醒" in (m.text or "")]) == 1
    world.sim.assert_no_errors()


async def test_cli_digest_writes_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.domain.clock import FakeClock

    services = await Services.open(tmp_path / "oncall.db", FakeClock(cq(2026, 11, 25, 9)))
    await services.db.close()
    monkeypatch.setenv("ONCALL_DB", str(tmp_path / "oncall.db"))
    png = tmp_path / "digest.png"
    assert await asyncio.to_thread(main, ["digest", "--date", "2026-11-25", "--png", str(png)]) == 0
    assert "2026-11-25" in capsys.readouterr().out
    image = Image.open(png)
    image.load()
    assert image.size == (WIDTH_PX, HEIGHT_PX)


def test_ranked_needs_volume_and_splits_best_from_worst() -> None:
    rates = {
        "1": Rate(hits=3, total=3),
        "2": Rate(hits=2, total=4),
        "3": Rate(hits=1, total=2),  # too few
        "4": Rate(hits=0, total=3),
        "5": Rate(hits=3, total=4),
        "6": Rate(hits=2, total=3),
        "7": Rate(hits=1, total=5),
        "": Rate(hits=9, total=9),  # nobody's
    }
    assert ranked(rates) == (["1", "5", "6"], ["4", "7", "2"])
    assert ranked({"1": Rate(hits=1, total=3), "2": Rate(hits=3, total=3)}) == (["2", "1"], [])
