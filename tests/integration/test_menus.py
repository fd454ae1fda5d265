"""Command menus by role: each person's chat lists what they may do, in their language."""

from __future__ import annotations

import json

from bot.domain.models import Role
from bot.handlers.menus import BY_ROLE, DESCRIPTIONS, STRANGER
from bot.i18n import translator
from bot.sample import LI, SUPERVISOR, TROUT_OWNER
from bot.simulator.driver import SimUser
from tests.conftest import World

WAIT = 10.0


def _of(role: Role) -> list[str]:
    """A role's commands in menu order."""
    return [name for name in DESCRIPTIONS if name in BY_ROLE[role]]


def _menu(world: World, chat_id: int | None, language_code: str = "") -> list[str] | None:
    """The command names the simulator holds for a chat (None: the default scope)."""
    scope = {"type": "default"} if chat_id is None else {"type": "chat", "chat_id": chat_id}
    commands = world.sim.commands.get((json.dumps(scope, sort_keys=True), language_code))
    return None if commands is None else [c["command"] for c in commands]


def _descriptions(world: World, chat_id: int) -> list[str]:
    scope = json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True)
    return [c["description"] for c in world.sim.commands[(scope, "")]]


async def _menu_becomes(world: World, chat_id: int, names: list[str] | None) -> None:
    ok = await world.sim.wait_until(lambda: _menu(world, chat_id) == names, WAIT)
    assert ok, f"menu of {chat_id}: {_menu(world, chat_id)} (wanted {names})"


async def _onboard(world: World, user: SimUser, phone: str) -> None:
    await user.command("start")
    await user.wait_for_message()
    await user.share_contact(phone)
    await user.wait_for_message()


async def test_strangers_see_the_default_menu_in_both_languages(world: World) -> None:
    assert _menu(world, None) == list(STRANGER)
    assert _menu(world, None, "en") == list(STRANGER)
    stranger = world.sim.user(7001, "Stranger")
    await stranger.command("help")
    await stranger.wait_for_message()
    assert world.runtime.menus is not None
    await world.runtime.menus.settled()
    assert _menu(world, 7001) is None  # no menu of their own: the default one applies


async def test_an_owner_gets_the_owners_menu_once_onboarded(world: World) -> None:
    owner = world.sim.user(TROUT_OWNER.telegram_id, "张", language_code="zh-hans")
    await _onboard(world, owner, TROUT_OWNER.phone)
    await _menu_becomes(world, TROUT_OWNER.telegram_id, _of(Role.OWNER))
    _ = translator("zh")
    assert _descriptions(world, TROUT_OWNER.telegram_id)[0] == _(DESCRIPTIONS["new"])
    assert "digest" not in (_menu(world, TROUT_OWNER.telegram_id) or [])


async def test_the_menu_follows_the_language_chosen(world: World) -> None:
    owner = world.sim.user(TROUT_OWNER.telegram_id, "张", language_code="zh-hans")
    await _onboard(world, owner, TROUT_OWNER.phone)
    await _menu_becomes(world, TROUT_OWNER.telegram_id, _of(Role.OWNER))
    await owner.command("lang")
    await owner.tap("English", await owner.wait_for_message())
    english = DESCRIPTIONS["new"]
    ok = await world.sim.wait_until(
        lambda: _descriptions(world, TROUT_OWNER.telegram_id)[0] == english, WAIT
    )
    assert ok, _descriptions(world, TROUT_OWNER.telegram_id)


async def test_commissioners_and_supervisors_get_their_own_commands(world: World) -> None:
    li = world.sim.user(LI.telegram_id, "Li", language_code="en")
    boss = world.sim.user(SUPERVISOR.telegram_id, "Zhou")
    await _onboard(world, li, LI.phone)
    await _onboard(world, boss, SUPERVISOR.phone)
    await _menu_becomes(world, LI.telegram_id, _of(Role.COMMISSIONER))
    await _menu_becomes(world, SUPERVISOR.telegram_id, _of(Role.SUPERVISOR))
    assert "new" not in (_menu(world, LI.telegram_id) or [])
    assert {"digest", "overdue", "stats", "export"} <= set(
        _menu(world, SUPERVISOR.telegram_id) or []
    )
    assert _descriptions(world, LI.telegram_id)[0] == DESCRIPTIONS["mine"]  # in English


async def test_a_role_taken_away_takes_the_menu_with_it(world: World) -> None:
    owner = world.sim.user(TROUT_OWNER.telegram_id, "张")
    await _onboard(world, owner, TROUT_OWNER.phone)
    await _menu_becomes(world, TROUT_OWNER.telegram_id, _of(Role.OWNER))
    async with world.runtime.db.tx() as tx:  # as a roster import with --sync would
        await tx.deactivate_role_except(Role.OWNER, keep_phones=[])
    await owner.command("help")
    await owner.wait_for_message()
    await _menu_becomes(world, TROUT_OWNER.telegram_id, None)
    assert world.sim.calls_to("deleteMyCommands")


async def test_the_menu_is_set_once_while_nothing_changes(world: World) -> None:
    owner = world.sim.user(TROUT_OWNER.telegram_id, "张")
    await _onboard(world, owner, TROUT_OWNER.phone)
    await _menu_becomes(world, TROUT_OWNER.telegram_id, _of(Role.OWNER))
    for _ in range(3):
        await owner.command("help")
        await owner.wait_for_message()
    assert world.runtime.menus is not None
    await world.runtime.menus.settled()
    scoped = [c for c in world.sim.calls_to("setMyCommands") if "scope" in c.params]
    assert len(scoped) == 1
