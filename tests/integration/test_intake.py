"""The /new form: every bad-input branch, attachments, cancel, and a restart mid-form."""

from __future__ import annotations

from bot.channels.telegram.identity import address
from bot.domain.models import RequestStatus
from bot.sample import LI, TROUT_OWNER
from bot.services.desk import DESCRIPTION_MAX
from tests.conftest import World
from tests.i18n_support import zh, zh_part, zh_plain
from tests.integration.flows import onboard

# What the owner sees, from the catalogs (tests/i18n_support.py).
NOT_ATTACHABLE = (
    "Stickers, polls, games and dice cannot be attached or passed on. Please send words, "
    "a photo, a file, a voice message, a video, an audio file, a location or a contact."
)
ATTACHABLE = (
    "Photos, documents, voice messages, videos, audio, locations and contacts can be "
    "attached. Send one, or tap <b>Skip</b>/<b>Done</b>."
)
ATTACHMENT_RECEIVED = "Attachment {count} received. Send more, or tap <b>Done</b>."
CHECK = (
    "<b>Please check your request</b>\nEnterprise: {enterprise}\nCategory: {category}\n"
    "Urgency: {urgency}\nAttachments: {files}\n\n{description}\n\nSubmit it?"
)


async def test_every_bad_input_gets_a_clear_answer_and_the_question_again(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)

    await owner.send("贷款")  # typed instead of tapping a category
    await owner.wait_for_message(zh("Please choose with the buttons above (or /cancel)."))
    assert (await world.runtime.desk.draft(address(owner.id))).step == "category"  # type: ignore[union-attr]

    await owner.tap("融资")
    await owner.wait_for_message("2/4")
    await owner.send("急")  # too short
    await owner.wait_for_message(
        zh_part("That is too short ({length} characters). Please write at least {min}.")
    )
    await owner.wait_for_message("2/4")
    await owner.send("长" * (DESCRIPTION_MAX + 1))  # too long
    await owner.wait_for_message(
        zh_part("That is too long ({length} characters). Please keep it within {max}.")
    )
    await owner.send_sticker()
    await owner.wait_for_message(zh("Please describe the difficulty in words (a text message)."))
    draft = await world.runtime.desk.draft(address(owner.id))
    assert draft is not None and draft.step == "description" and draft.description is None

    await owner.send("  养殖场扩建需要贷款80万元  ")
    await owner.wait_for_message("3/4")
    await owner.send_sticker()  # a location is an attachment now; a sticker never is
    await owner.wait_for_message(zh(NOT_ATTACHABLE))
    await owner.send("就这些")
    await owner.wait_for_message(zh_part(ATTACHABLE))
    await owner.send_photo()
    await owner.wait_for_message(zh_plain(ATTACHMENT_RECEIVED, count=1))
    await owner.send_document("营业执照.pdf")
    await owner.wait_for_message(zh_plain(ATTACHMENT_RECEIVED, count=2))
    await owner.tap(zh("✔ Done"))
    await owner.wait_for_message("4/4")
    await owner.send("紧急")  # typed instead of tapping
    await owner.wait_for_message(zh("Please choose with the buttons above (or /cancel)."))
    await owner.tap(zh("🔴 Urgent"))
    summary = await owner.wait_for_message(zh_part(CHECK))
    assert "养殖场扩建需要贷款80万元" in (summary.text or "")
    assert "附件：2" in (summary.text or "")
    await owner.tap(zh("✅ Submit"), summary)
    await owner.wait_for_message("#1")

    card = await li.wait_for_message("#1")
    assert zh("🔴 Urgent") in (card.text or "")
    attachments = [await li.wait_for_message("附件"), await li.wait_for_message("附件")]
    assert {m.kind for m in attachments} == {"photo", "document"}
    assert not card.disable_notification
    world.sim.assert_no_errors()


async def test_cancel_sends_nothing(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)
    await owner.tap("融资")
    await owner.wait_for_message("2/4")
    await owner.command("cancel")
    await owner.wait_for_message(zh("Cancelled. Nothing was sent."))
    assert await world.runtime.desk.draft(address(owner.id)) is None
    assert await world.runtime.desk.view(1) is None
    # The form is over: old buttons answer that they are stale, text gets the general help.
    await owner.send("还在吗")
    await owner.wait_for_message("/new")


async def test_a_restart_mid_form_resumes_at_the_same_step(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("用工") is not None)
    await owner.tap("用工")
    await owner.wait_for_message("2/4")
    await owner.send("招不到熟练的酿酒工人，需要对接培训")
    await owner.wait_for_message("3/4")

    await world.restart()

    await owner.send_photo()  # still in the attachments step
    await owner.wait_for_message(zh_plain(ATTACHMENT_RECEIVED, count=1))
    await owner.tap(zh("✔ Done"))
    await owner.wait_for_message("4/4")
    await owner.tap(zh("Normal"))
    await owner.wait_for_message(zh_part(CHECK))
    await owner.tap(zh("✅ Submit"))
    await owner.wait_for_message("#1")
    view = await world.runtime.desk.view(1)
    assert view is not None
    assert view.request.category == "labor"
    assert view.request.description == "招不到熟练的酿酒工人，需要对接培训"
    assert view.request.status == RequestStatus.DISPATCHED
    await li.wait_for_message("#1")


async def test_emoji_count_as_telegram_counts_them(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)
    await owner.tap("融资")
    await owner.wait_for_message("2/4")
    await owner.send("🐟" * 1001)  # 1,001 characters on screen, 2,002 for Telegram
    await owner.wait_for_message("2,002")
    await owner.send("🐟" * 1000)
    await owner.wait_for_message("3/4")
    await owner.tap(zh("⏭ Skip"))
    await owner.wait_for_message("4/4")
    await owner.tap(zh("Normal"))
    await owner.wait_for_message(zh_part(CHECK))
    await owner.tap(zh("✅ Submit"))
    card = await li.wait_for_message("#1")
    assert "🐟" * 1000 in (card.text or "")
    world.sim.assert_no_errors()
