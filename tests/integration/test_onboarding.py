"""Onboarding by shared contact: own contact binds, a foreign or unknown one binds nothing."""

from __future__ import annotations

from bot.channels.telegram.identity import address
from bot.domain.models import Role
from bot.sample import LI, TROUT_OWNER
from tests.conftest import World
from tests.i18n_support import zh_plain

START = zh_plain(
    "<b>Welcome to the enterprise service desk</b> — whatever you need, we come at once.\n\n"
    "To begin, tap <b>Share my phone number</b> below so we can find your enterprise "
    "or your role."
)
NOT_OWN = zh_plain(
    "That is someone else's contact. Please share <b>your own</b> phone number with the "
    "button below."
)


async def test_own_contact_binds_the_owner(world: World) -> None:
    user = world.sim.user(TROUT_OWNER.telegram_id, "张", language_code="zh-hans")
    await user.command("start")
    prompt = await user.wait_for_message(START)
    assert prompt.keyboard is not None
    assert prompt.keyboard["keyboard"][0][0]["request_contact"] is True
    await user.share_contact("+86 138-0000-0001")  # formatted as phones send it
    welcome = await user.wait_for_message("张老板")
    assert "清溪冷水鱼养殖场" in (welcome.text or "") and "/new" in (welcome.text or "")
    person = await world.runtime.desk.whoami(TROUT_OWNER.address)
    assert person is not None and Role.OWNER in person.roles


async def test_commissioner_is_bound_and_told_their_teams(world: World) -> None:
    user = world.sim.user(LI.telegram_id, "Li", language_code="en")
    await user.command("start")
    await user.wait_for_message("Share my phone number")
    await user.share_contact(LI.phone)
    welcome = await user.wait_for_message("李专员")
    assert "Relief" in (welcome.text or "") and "/mine" in (welcome.text or "")


async def test_someone_elses_contact_is_refused_and_binds_nothing(world: World) -> None:
    user = world.sim.user(7001, "Impostor")
    await user.command("start")
    await user.wait_for_message()
    await user.share_contact(TROUT_OWNER.phone, user_id=TROUT_OWNER.telegram_id)
    refusal = await user.wait_for_message(NOT_OWN)
    assert refusal.keyboard is not None  # the share button is offered again
    assert await world.runtime.desk.whoami(address(7001)) is None
    assert await world.runtime.desk.whoami(TROUT_OWNER.address) is None


async def test_a_contact_without_user_id_is_refused(world: World) -> None:
    user = world.sim.user(7002, "Typed")
    await user.share_contact(TROUT_OWNER.phone, include_user_id=False)
    await user.wait_for_message(NOT_OWN)
    assert await world.runtime.desk.whoami(address(7002)) is None


async def test_unknown_number_is_told_whom_to_contact(world: World) -> None:
    user = world.sim.user(7003, "Stranger", language_code="en")
    await user.share_contact("13712345678")
    refusal = await user.wait_for_message("not on our rosters")
    text = refusal.text or ""
    assert "13712345678" in text
    assert "service center" in text and "023-00000000" in text
    assert await world.runtime.desk.whoami(address(7003)) is None
    world.sim.assert_no_errors()


async def test_unregistered_people_cannot_use_new(world: World) -> None:
    user = world.sim.user(7004, "Nobody")
    await user.command("new")
    await user.wait_for_message("/start")
    assert await world.runtime.desk.draft(address(7004)) is None
