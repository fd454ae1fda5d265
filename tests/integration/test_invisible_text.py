"""Text that looks empty is refused ("write a little more"); text too long is told so."""

from __future__ import annotations

from bot.channels.telegram import texts, texts_extension, texts_intake
from bot.channels.telegram.identity import address
from bot.domain.models import RequestStatus
from bot.sample import LI, TROUT_OWNER
from bot.simulator import SimUser
from tests.conftest import World
from tests.i18n_support import zh, zh_part, zh_plain
from tests.integration.flows import accepted_request, decline_other, new_request, onboard
from tests.integration.guard_support import settled, snapshot

# Zero-width space, zero-width joiner, word joiner, BOM, soft hyphen, a direction mark.
EMPTY = "\u200b\u200d\u2060\ufeff\u00ad\u200e" * 3
TOO_SHORT = texts.too_short("zh")
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."


async def test_a_description_of_invisible_characters_is_too_short(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)
    await owner.tap("融资")
    await owner.wait_for_message("2/4")
    await owner.send(EMPTY)
    bad = texts_intake.description_bad("zh", 0)
    assert (await owner.wait_for_message(bad)).text == bad
    await owner.wait_for_message("2/4")  # asked again
    draft = await world.runtime.desk.draft(address(owner.id))
    assert draft is not None and draft.step == "description" and draft.description is None


async def decline_prompt(world: World) -> tuple[SimUser, SimUser]:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await decline_other(li, card)
    return owner, li


async def test_a_decline_reason_of_invisible_characters_is_refused(world: World) -> None:
    _owner, li = await decline_prompt(world)
    before = snapshot(world)
    await li.send(EMPTY)
    assert (await li.wait_for_message()).text == TOO_SHORT
    assert snapshot(world)["events"] == before["events"]
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.DISPATCHED


async def test_an_over_long_decline_reason_is_told_too_long(world: World) -> None:
    _owner, li = await decline_prompt(world)
    await li.send("忙" * 2001)
    answer = await li.wait_for_message()
    assert answer.text == texts.too_long("zh", 2001, 2000)
    assert "2,000" in (answer.text or "") and answer.text != TOO_SHORT
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.DISPATCHED


async def summary_prompt(world: World) -> SimUser:
    _owner, li, card, _taken = await accepted_request(world)
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY))
    return li


async def test_a_resolve_summary_of_invisible_characters_is_refused(world: World) -> None:
    li = await summary_prompt(world)
    await li.send(EMPTY)
    assert (await li.wait_for_message()).text == TOO_SHORT
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ACCEPTED


async def test_an_over_long_resolve_summary_is_told_too_long(world: World) -> None:
    li = await summary_prompt(world)
    await li.send("办" * 2600)
    answer = await li.wait_for_message()
    assert answer.text == texts.too_long("zh", 2600, 2000)
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ACCEPTED
    await li.send("已协调银行放款200万元")  # a right-sized summary is then taken
    await settled(world)
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.RESOLVED


async def test_a_note_of_invisible_characters_is_refused(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message(
        zh_plain("Send the progress note for <b>#{n}</b>; the owner will see it (or /cancel).", n=1)
    )
    seen = len(owner.messages())
    await li.send(EMPTY)
    assert (await li.wait_for_message()).text == TOO_SHORT
    assert "noted" not in [e.kind for e in await world.runtime.desk.events(1)]
    assert len(owner.messages()) == seen


async def test_an_extension_reason_of_invisible_characters_is_refused(world: World) -> None:
    _owner, li, _card, _taken = await accepted_request(world)
    await li.command("extend", f"#1 3 {EMPTY}")
    refused = await li.wait_for_message()
    assert refused.text == texts_extension.extension_refusal("reason", "zh", 1)
    await li.command("extend", "#1 3 " + "等" * 2001)
    too_long = await li.wait_for_message()
    assert too_long.text == texts.too_long("zh", 2001, 2000)
    kinds = [e.kind for e in await world.runtime.desk.events(1)]
    assert "extension_asked" not in kinds
