"""Internal notes (staff only) and the kinds of content the form and the relay take."""

from __future__ import annotations

from bot.domain.kinds import EventKind
from bot.sample import LI, SUPERVISOR, TROUT_OWNER
from bot.simulator.driver import SimUser
from tests.conftest import World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import accepted_request, onboard

SECRET = "企业资金链紧张，放款前请先核实抵押物"

# What the reader sees, from the catalogs (tests/i18n_support.py).
NOTE_PROMPT = " Write the internal note on <b>#{n}</b> (staff only: the owner will not see it):"
NOTE_PASSED = "Internal note on #{n} passed to {names}; the owner does not see it."
YOUR_WORK = "<b>Your work</b>: requests you hold and those waiting for your tap"
NOT_ATTACHABLE = (
    "Stickers, polls, games and dice cannot be attached or passed on. Please send words, "
    "a photo, a file, a voice message, a video, an audio file, a location or a contact."
)


def chat_text(user: SimUser) -> str:
    """Everything the bot ever showed in this chat (texts, captions, and every edit)."""
    parts: list[str] = []
    for m in user.messages(include_deleted=True):
        if m.from_bot:
            parts += [m.text or "", m.caption or ""]
            parts += [(e.text or "") + (e.caption or "") for e in m.edits]
    return "\n".join(parts)


async def test_an_internal_note_reaches_holder_and_supervisors_never_the_owner(
    world: World,
) -> None:
    owner, li, card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    await li.wait_for_edit(card, lambda m: m.button(zh("🔒 Internal note")) is not None)

    await li.tap(zh("🔒 Internal note"), card)
    await li.wait_for_message(zh_part(NOTE_PROMPT))
    await li.send(SECRET)
    confirmation = await li.wait_for_message(zh_part(NOTE_PASSED))
    assert SUPERVISOR.name in (confirmation.text or "")
    note = await boss.wait_for_message(SECRET)
    assert "#1" in (note.text or "") and LI.name in (note.text or "")

    # The supervisor answers it: a reply to an internal note stays among staff.
    await boss.reply(note, "同意，先核实再放款")
    await li.wait_for_message("同意，先核实再放款")
    await boss.wait_for_message("企业看不到")

    await world.runtime.sender.drain()
    seen = chat_text(owner)
    assert SECRET not in seen and "同意，先核实再放款" not in seen
    assert "内部备注" not in seen
    kinds = [e.kind for e in await world.runtime.desk.events(1)]
    assert kinds.count(EventKind.INTERNAL_NOTE) == 2
    assert EventKind.RELAYED not in kinds
    world.sim.assert_no_errors()


async def test_the_timeline_shows_internal_notes_to_staff_only(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    await li.tap(zh("🔒 Internal note"), card)
    await li.wait_for_message(zh_part(NOTE_PROMPT))
    await li.send(SECRET)
    await li.wait_for_message(zh_part(NOTE_PASSED))
    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message("进展")
    await li.send("已联系农商行信贷部")
    await owner.wait_for_message("已联系农商行信贷部")

    await li.command("mine")
    mine = await li.wait_for_message(zh_part(YOUR_WORK))
    await li.tap("#1 ", mine)
    await li.wait_for_edit(mine, "#1")
    assert mine.button(zh("🔒 Internal note")) is not None
    assert zh_part("🔒 Latest internal note ({who}): {text}") in (mine.text or "") and SECRET in (
        mine.text or ""
    )
    await li.tap(zh("🕘 Timeline"), mine)
    await li.wait_for_edit(mine, zh_part("<b>#{n} timeline</b> — {status}"))
    staff_view = mine.text or ""
    assert SECRET in staff_view and "已联系农商行信贷部" in staff_view

    await owner.command("my")
    mine_owner = await owner.wait_for_message(zh_part("<b>Your requests</b>"))
    await owner.tap("#1 ", mine_owner)
    await owner.wait_for_edit(mine_owner, "#1")
    assert mine_owner.button(zh("🔒 Internal note")) is None
    card_text = mine_owner.text or ""
    assert (
        zh_part("📝 Latest progress ({who}): {text}") in card_text
        and "已联系农商行信贷部" in card_text
    )
    assert SECRET not in card_text and "内部备注" not in card_text
    await owner.tap(zh("🕘 Timeline"), mine_owner)
    await owner.wait_for_edit(mine_owner, zh_part("<b>#{n} timeline</b> — {status}"))
    owner_view = mine_owner.text or ""
    assert "已联系农商行信贷部" in owner_view  # progress notes are the owner's to see
    assert SECRET not in owner_view and "内部备注" not in owner_view
    await world.runtime.sender.drain()
    assert SECRET not in chat_text(owner)


async def test_a_supervisors_reply_stays_internal_until_they_send_it_to_the_owner(
    world: World,
) -> None:
    owner, li, _card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    await boss.command("open")
    listing = await boss.wait_for_message(lambda m: m.button("#1 ") is not None)
    await boss.tap("#1 ", listing)
    await boss.wait_for_edit(listing, "#1")

    await boss.reply(listing, "请本周内给企业答复")
    kept = await boss.wait_for_message("企业看不到")
    assert kept.button(zh("📣 Also send to the owner")) is not None
    relayed = await li.wait_for_message("请本周内给企业答复")
    assert (relayed.text or "").startswith("🔒")
    await world.runtime.sender.drain()
    assert "请本周内给企业答复" not in chat_text(owner)

    tap = await boss.tap(zh("📣 Also send to the owner"), kept)
    assert "#1" in str((await boss.wait_answer(tap)).get("text"))
    shared = await owner.wait_for_message("请本周内给企业答复")
    assert "#1" in (shared.text or "") and SUPERVISOR.name in (shared.text or "")
    await boss.wait_for_edit(kept, lambda m: m.button(zh("📣 Also send to the owner")) is None)

    # Once only: the same button (say, tapped again from an old screen) changes nothing.
    again = await boss.tap_data(kept, f"1:so:1:{_step(kept)}")
    assert (await boss.wait_answer(again)).get("show_alert") is True
    await world.runtime.sender.drain()
    assert chat_text(owner).count("请本周内给企业答复") == 1
    world.sim.assert_no_errors()


def _step(message: object) -> str:
    """The step the share button named (read from the confirmation's original markup)."""
    original = getattr(message, "original", None)
    markup = getattr(original, "reply_markup", None) or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            return str(button["callback_data"]).rsplit(":", 1)[1]
    raise AssertionError("no share button")


async def test_the_owner_cannot_write_an_internal_note(world: World) -> None:
    owner, _li, _card, _taken = await accepted_request(world)
    fake = await owner.tap_data(_taken, "1:in:1")
    assert (await owner.wait_answer(fake)).get("show_alert") is True
    kinds = [e.kind for e in await world.runtime.desk.events(1)]
    assert EventKind.INTERNAL_NOTE not in kinds


async def test_a_voice_message_in_new_reaches_the_commissioner(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)
    await owner.tap("融资")
    await owner.wait_for_message()
    await owner.send("需要贷款200万元用于灌装线改造")
    await owner.wait_for_message(lambda m: bool(m.buttons))
    await owner.send_voice(duration=7)
    await owner.wait_for_message("1")
    await owner.send_video_note()
    await owner.wait_for_message("2")
    await owner.send_contact("13700000009", "王会计")
    await owner.wait_for_message("3")
    await owner.send_sticker()
    await owner.wait_for_message(zh(NOT_ATTACHABLE))
    await owner.tap("完成")
    await owner.wait_for_message(lambda m: bool(m.buttons))
    await owner.tap("一般")
    await owner.wait_for_message(lambda m: bool(m.buttons))
    await owner.tap("提交")
    await owner.wait_for_message("#1")

    voice = await li.wait_for_message(lambda m: m.kind == "voice")
    assert "#1" in (voice.caption or "")
    assert voice.voice is not None and voice.voice["file_id"].startswith("SIMVOI")
    await li.wait_for_message(lambda m: m.kind == "video_note")
    contact = await li.wait_for_message(lambda m: m.kind == "contact")
    assert contact.contact == {"phone_number": "13700000009", "first_name": "王会计"}
    world.sim.assert_no_errors()


async def test_a_location_is_relayed_both_ways_with_captions_kept(world: World) -> None:
    owner, li, _card, taken = await accepted_request(world)
    await owner.send_location(29.35, 108.17, reply_to=taken)
    place = await li.wait_for_message(lambda m: m.kind == "location")
    assert place.location == {"latitude": 29.35, "longitude": 108.17}
    header = await li.wait_for_message(lambda m: m.reply_to is place)
    assert "#1" in (header.text or "") and TROUT_OWNER.name in (header.text or "")
    await owner.wait_for_message("已转达")

    await li.send_location(29.4, 108.2, reply_to=header)
    back = await owner.wait_for_message(lambda m: m.kind == "location")
    assert back.location == {"latitude": 29.4, "longitude": 108.2}
    await owner.wait_for_message(lambda m: m.reply_to is back and "#1" in (m.text or ""))

    last = [m for m in owner.messages() if m.from_bot and "#1" in (m.text or "")][-1]
    await owner.send_voice(caption="这是现场的声音", reply_to=last)
    voice = await li.wait_for_message(lambda m: m.kind == "voice")
    assert "这是现场的声音" in (voice.caption or "") and "#1" in (voice.caption or "")
    world.sim.assert_no_errors()


async def test_stickers_polls_and_dice_get_a_clear_answer(world: World) -> None:
    owner, li, _card, taken = await accepted_request(world)
    before = len([m for m in li.messages() if m.from_bot])
    await owner.send_sticker(reply_to=taken)
    await owner.wait_for_message(zh(NOT_ATTACHABLE))
    await owner.send_dice()
    await owner.wait_for_message(zh(NOT_ATTACHABLE))
    await owner.send_poll("哪天方便？", ["周一", "周二"], reply_to=taken)
    await owner.wait_for_message(zh(NOT_ATTACHABLE))
    await world.runtime.sender.drain()
    assert len([m for m in li.messages() if m.from_bot]) == before
    assert "relayed" not in [e.kind for e in await world.runtime.desk.events(1)]
