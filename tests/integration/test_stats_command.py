"""/stats through the real Application: periods and cuts, refused or limited by role, pages."""

from __future__ import annotations

import pytest

from bot.channels.telegram import texts_stats
from bot.sample import LI, SUPERVISOR
from tests.conftest import World
from tests.integration.flows import accepted_request, onboard


async def _resolved_by_li(world: World) -> None:
    """张老板's #1, taken and solved by 李专员 (the enterprise's own commissioner)."""
    owner, li, card, _taken = await accepted_request(world)
    await li.wait_for_edit(card, lambda m: m.button("办结") is not None)
    await li.tap("办结", card)
    outcomes = await li.wait_for_message(lambda m: m.button("已解决") is not None)
    await li.tap("已解决", outcomes)
    await li.wait_for_edit(outcomes, "说明")
    await li.send("已对接县农商行，贷款30万元已发放")
    await owner.wait_for_message("办结")


async def test_stats_periods_and_cuts_for_supervisors(world: World) -> None:
    await _resolved_by_li(world)
    boss = await onboard(world, SUPERVISOR, lang="en")
    await boss.command("stats", "week by team")
    week = await boss.wait_for_message("Figures")
    body = week.text or ""
    assert "2026-11-23 to 2026-11-25" in body and "by team" in body
    # The seed-style headline for the period: the enterprise's commissioner solved it.
    assert "Resolved: teams 0, commissioners 1, committees 0" in body
    assert "Received 1 · accepted 1 · resolved 1 (Solved 1)" in body
    assert "Response (within 30 min) 100% (1/1)" in body
    await boss.command("stats", "2026-11-01 2026-11-24 by commissioner")
    before = await boss.wait_for_message("2026-11-01 to 2026-11-24")
    assert "Received 0" in (before.text or "")
    await boss.command("stats", "yesterday")
    assert "Received 0" in ((await boss.wait_for_message("2026-11-24 to 2026-11-24")).text or "")
    await boss.command("stats", "2026-13-01 2026-11-02")
    assert "YYYY-MM-DD" in ((await boss.wait_for_message("2026-11-01")).text or "")
    await boss.command("stats", "2026-11-20 2026-11-01")
    assert "first date" in ((await boss.wait_for_message("first date")).text or "")
    await boss.command("stats", "month by colour")
    assert "team, commissioner" in ((await boss.wait_for_message("by team")).text or "")
    world.sim.assert_no_errors()


async def test_stats_for_commissioners_is_their_own_and_owners_are_refused(world: World) -> None:
    await _resolved_by_li(world)
    owner = world.sim.user(3001, "张老板")
    li = world.sim.user(LI.telegram_id, LI.name)
    await owner.command("stats")
    assert "仅供" in ((await owner.wait_for_message("仅供")).text or "")
    await li.command("stats", "by team")
    own = await li.wait_for_message("我的数据")
    text = own.text or ""
    assert "本人" in text and "受理 1 · 接单 1 · 办结 1" in text
    # Nobody else's figures, no county total, no headline.
    assert "全县合计" not in text and "服务团 0" not in text
    world.sim.assert_no_errors()


async def test_a_long_answer_comes_in_pages_with_buttons(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(texts_stats, "PAGE_CHARS", 50)
    await _resolved_by_li(world)
    boss = await onboard(world, SUPERVISOR, lang="en")
    await boss.command("stats", "month by category")
    first = await boss.wait_for_message("Figures")
    assert first.button("1/2") is not None and first.button("Next ▶") is not None
    assert "County total" in (first.text or "") and "Financing" not in (first.text or "")
    tap = await boss.tap("Next ▶", first)
    await boss.wait_answer(tap)
    second = await boss.wait_for_edit(first, lambda m: m.button("2/2") is not None)
    assert "County total" not in (second.text or "")
    assert second.button("◀ Previous") is not None
    world.sim.assert_no_errors()
    world.sim.assert_callbacks_answered()
