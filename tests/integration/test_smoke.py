"""Smoke: /start reaches the real Application through the simulator and is answered."""

from __future__ import annotations

from tests.conftest import World


async def test_start_asks_for_the_phone_number(world: World) -> None:
    user = world.sim.user(5001, "Visitor")
    await user.command("start")
    msg = await user.wait_for_message("发送手机号")
    assert msg.keyboard is not None
