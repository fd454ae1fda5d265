"""/roster through the real Application: supervisors page through people by role, see who has
onboarded, and change a phone; nobody else may."""

from __future__ import annotations

from bot.domain.models import Role
from bot.sample import HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.storage.sqlite.expectations import SqliteExpectations
from tests.conftest import World
from tests.i18n_support import zh, zh_plain
from tests.integration.flows import onboard


async def add_commissioners(world: World, n: int) -> None:
    async with world.runtime.db.tx() as tx:
        for i in range(n):
            person_id = await tx.upsert_person(
                f"专员{i:02d}", f"1370000{i:04d}", Role.COMMISSIONER, None, world.clock.now()
            )
            await tx.set_teams(person_id, ["tax"])


async def test_a_supervisor_pages_through_people_by_role(world: World) -> None:
    await add_commissioners(world, 10)  # 13 commissioners in all: two pages of eight
    boss = await onboard(world, SUPERVISOR)
    await onboard(world, LI)

    await boss.command("roster")
    page = await boss.wait_for_message(zh("Commissioners"))

    assert "13" in (page.text or "") and "1/2" in (page.text or "")
    assert len([b for b in page.buttons if b.startswith(("✅", "⬜"))]) == 8
    li = next(b for b in page.buttons if LI.name in b)
    assert li.startswith("✅") and "纾困解难团" in li  # onboarded, with their teams
    assert next(b for b in page.buttons if WANG.name in b).startswith("⬜")
    await boss.tap(zh("Next ▶"), page)
    second = await boss.wait_for_edit(page, lambda m: "2/2" in (m.text or ""))
    assert len([b for b in second.buttons if b.startswith(("✅", "⬜"))]) == 5
    await boss.tap(zh("Owners"), second)
    owners = await boss.wait_for_edit(page, lambda m: TROUT_OWNER.name in " ".join(m.buttons))
    assert HERB_OWNER.name in " ".join(owners.buttons)


async def test_a_supervisor_changes_a_phone_and_the_person_onboards_with_it(
    world: World,
) -> None:
    boss = await onboard(world, SUPERVISOR)
    await boss.command("roster")
    page = await boss.wait_for_message(zh("Commissioners"))
    await boss.tap(WANG.name, page)
    entry = await boss.wait_for_edit(page, lambda m: WANG.phone in (m.text or ""))
    await boss.tap(zh("📱 Change phone"), entry)
    await boss.wait_for_message(WANG.name)

    await boss.send("12345")
    await boss.wait_for_message(
        zh("That is not a mobile number (11 digits starting with 1). Send it again, or /cancel.")
    )
    await boss.send(LI.phone)
    await boss.wait_for_message(LI.name)
    await boss.send("+86 139 1111 2222")
    changed = await boss.wait_for_message("13911112222")

    assert WANG.phone in (changed.text or "")
    wang = world.sim.user(WANG.telegram_id, WANG.name, language_code="zh-hans")
    await wang.command("start")
    await wang.wait_for_message()
    await wang.share_contact("13911112222")
    await wang.wait_for_message(lambda m: WANG.name in (m.text or ""))
    async with world.runtime.db.read() as tx:
        person = await tx.person_by_phone("13911112222")
        old = await tx.person_by_phone(WANG.phone)
    assert person is not None and person.name == WANG.name and person.addresses
    assert old is None


async def test_cancel_keeps_the_phone(world: World) -> None:
    boss = await onboard(world, SUPERVISOR)
    await boss.command("roster")
    page = await boss.wait_for_message(zh("Commissioners"))
    await boss.tap(WANG.name, page)
    entry = await boss.wait_for_edit(page, lambda m: WANG.phone in (m.text or ""))
    await boss.tap(zh("📱 Change phone"), entry)
    await boss.wait_for_message(WANG.name)

    await boss.command("cancel")
    await boss.wait_for_message(zh("The phone was not changed."))
    await boss.send("13911112222")

    async with world.runtime.db.read() as tx:
        assert await tx.person_by_phone("13911112222") is None


async def test_roster_is_for_supervisors_only(world: World) -> None:
    li = await onboard(world, LI)
    owner = await onboard(world, TROUT_OWNER)
    for user in (owner, li):
        await user.command("roster")
        refused = await user.wait_for_message("/roster")
        assert zh_plain(
            "Only the service center's supervisors can use /{command}.", command="roster"
        ) in (refused.text or "")
    wang_id = 3  # a forged tap on someone's entry and on Change phone
    for data in (f"1:rp:{wang_id}:c.0", f"1:rh:{wang_id}:c.0", "1:rs::c.0"):
        tap = await li.tap_data(refused, data)
        assert (await li.wait_answer(tap)).get("show_alert") is True, data
    assert await SqliteExpectations(world.runtime.db).expectation(LI.address) is None
