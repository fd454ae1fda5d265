"""The /new form: every bad-input branch, attachments, cancel, and a restart mid-form."""

from __future__ import annotations

from bot.channels.telegram.identity import address
from bot.domain.models import RequestStatus
from bot.sample import LI, TROUT_OWNER
from bot.services.desk import DESCRIPTION_MAX
from tests.conftest import World
from tests.integration.flows import onboard


async def test_every_bad_input_gets_a_clear_answer_and_the_question_again(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("融资") is not None)

    await owner.send("贷款")  # typed instead of tapping a category
    await owner.wait_for_message("按钮")
    assert (await world.runtime.desk.draft(address(owner.id))).step == "category"  # type: ignore[union-attr]

    await owner.tap("融资")
    await owner.wait_for_message("2/4")
    await owner.send("急")  # too short
    await owner.wait_for_message("太短")
    await owner.wait_for_message("2/4")
    await owner.send("长" * (DESCRIPTION_MAX + 1))  # too long
    await owner.wait_for_message("太长")
    await owner.send_sticker()
    await owner.wait_for_message("文字")
    draft = await world.runtime.desk.draft(address(owner.id))
    assert draft is not None and draft.step == "description" and draft.description is None

    await owner.send("  养殖场扩建需要贷款80万元  ")
    await owner.wait_for_message("3/4")
    await owner.send_sticker()  # a location is an attachment now; a sticker never is
    await owner.wait_for_message("无法添加或转达")
    await owner.send("就这些")
    await owner.wait_for_message("可以添加照片、文件、语音")
    await owner.send_photo()
    await owner.wait_for_message("第 1 个附件")
    await owner.send_document("营业执照.pdf")
    await owner.wait_for_message("第 2 个附件")
    await owner.tap("完成")
    await owner.wait_for_message("4/4")
    await owner.send("紧急")  # typed instead of tapping
    await owner.wait_for_message("按钮")
    await owner.tap("紧急")
    summary = await owner.wait_for_message("核对")
    assert "养殖场扩建需要贷款80万元" in (summary.text or "")
    assert "附件：2" in (summary.text or "")
    await owner.tap("提交", summary)
    await owner.wait_for_message("#1")

    card = await li.wait_for_message("#1")
    assert "紧急" in (card.text or "")
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
    await owner.wait_for_message("已取消")
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
    await owner.wait_for_message("第 1 个附件")
    await owner.tap("完成")
    await owner.wait_for_message("4/4")
    await owner.tap("一般")
    await owner.wait_for_message("核对")
    await owner.tap("提交")
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
    await owner.tap("跳过")
    await owner.wait_for_message("4/4")
    await owner.tap("一般")
    await owner.wait_for_message("核对")
    await owner.tap("提交")
    card = await li.wait_for_message("#1")
    assert "🐟" * 1000 in (card.text or "")
    world.sim.assert_no_errors()
