"""Smoke: /start reaches the real Application through the simulator and is answered."""

from __future__ import annotations

from tests.conftest import World
from tests.i18n_support import zh_plain

START = zh_plain(
    "<b>Welcome to the enterprise service desk</b> — whatever you need, we come at once.\n\n"
    "To begin, tap <b>Share my phone number</b> below so we can find your enterprise "
    "or your role."
)


async def test_start_asks_for_the_phone_number(world: World) -> None:
    user = world.sim.user(5001, "Visitor")
    await user.command("start")
    msg = await user.wait_for_message(START)
    assert msg.keyboard is not None
