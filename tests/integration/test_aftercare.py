"""Issue 11 items 3 and 6 over HTTP: rating comments, low-rating alerts, reopening, auto-close,
replies to finished requests."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.telegram import texts_intake
from bot.channels.telegram.identity import address
from bot.domain.kinds import EventKind
from bot.domain.models import Request, RequestStatus, Role
from bot.sample import CHEN, LI, SUPERVISOR, WANG
from bot.services.cancel import Cancellation
from bot.services.desk import INTAKE
from bot.simulator.driver import SimUser
from bot.simulator.models import SimMessage
from tests.conftest import World
from tests.i18n_support import zh, zh_part
from tests.integration.flows import accepted_request, onboard

# What the reader sees, from the catalogs (tests/i18n_support.py).
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
RESOLVED = zh_part(
    "🏁 <b>#{n}</b> has been resolved by {holder}.\n"
    "Outcome: {outcome}\n"
    "Summary: {summary}\n"
    "\n"
    "How satisfied are you? Tap 1 (poor) to 5 (excellent)."
)
LOW_RATING = "⚠️ Low rating: <b>#{n}</b> was rated {stars}/5 by its owner.\nHandled by: {holder}"
CLOSED_UNRATED = (
    "🔒 <b>#{n}</b> was closed without a rating after {days} working days. "
    "You can still reopen it if needed."
)


async def request(world: World, request_id: int = 1) -> Request:
    async with world.runtime.db.read() as tx:
        found = await tx.request(request_id)
    assert found is not None
    return found


async def events(
    world: World, request_id: int = 1
) -> list[tuple[str, int | None, dict[str, object]]]:
    async with world.runtime.db.read() as tx:
        return [(e.kind, e.actor_id, dict(e.payload)) for e in await tx.events(request_id)]


async def resolved(world: World) -> tuple[SimUser, SimUser, SimMessage, SimMessage]:
    """#1 reported by 张老板, taken and resolved by 李专员: (owner, li, li's card, the resolved
    message the owner rates)."""
    owner, li, card, _taken = await accepted_request(world)
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None)
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY))
    await li.send("已对接县农商行，贷款30万元已发放")
    message = await owner.wait_for_message(RESOLVED)
    assert message.button(zh("↩ Reopen")) is not None  # Reopen beside the rating
    return owner, li, card, message


async def sweep(world: World) -> None:
    assert world.runtime.sweep is not None
    await world.runtime.sweep.run()


async def test_a_low_rating_alerts_the_supervisors_and_its_comment_follows(world: World) -> None:
    boss = await onboard(world, SUPERVISOR)
    owner, _li, _card, rate = await resolved(world)
    await owner.tap("1", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("💬 Add a comment")) is not None)
    assert "1/5" in (rate.text or "") and rate.button(zh("No comment")) is not None

    alert = await boss.wait_for_message(zh_part(LOW_RATING))
    assert "#1" in (alert.text or "") and "1/5" in (alert.text or "")
    assert LI.name in (alert.text or "")

    await owner.tap(zh("💬 Add a comment"), rate)
    await owner.wait_for_message(zh_part("Your comment on #{n}? Reply with a short text."))
    await owner.send("等了很久才有人联系，<b>态度</b>一般")
    await owner.wait_for_message(zh_part("Thank you, your comment on #{n} is recorded."))
    said = await boss.wait_for_message("态度")
    assert "#1" in (said.text or "") and LI.name in (said.text or "")
    assert "<b>态度</b>" in (said.text or "")  # the owner's words are escaped, not markup
    await owner.wait_for(
        lambda: rate.button(zh("💬 Add a comment")) is None
    )  # the comment buttons go

    commented = [p for k, _a, p in await events(world) if k == EventKind.COMMENTED]
    assert commented == [{"stars": 1, "comment": "等了很久才有人联系，<b>态度</b>一般"}]
    # Shown in the owner's timeline next to the rating.
    await owner.command("my")
    listing = await owner.wait_for_message(zh_part("<b>Your requests</b>"))
    await owner.tap("#1 ", listing)
    await owner.wait_for_edit(listing, lambda m: m.button(zh("🕘 Timeline")) is not None)
    await owner.tap(zh("🕘 Timeline"), listing)
    await owner.wait_for_edit(listing, zh_part("💬 Comment on the rating by {who}: {comment}"))
    # A second comment is refused (stale button).
    tap = await owner.tap_data(rate, "1:cm:1")
    assert (await owner.wait_answer(tap)).get("show_alert") is True
    world.sim.assert_no_errors()


async def test_a_good_rating_does_not_alert_the_supervisors(world: World) -> None:
    boss = await onboard(world, SUPERVISOR)
    owner, _li, _card, rate = await resolved(world)
    boss.mark()
    await owner.tap("5", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("No comment")) is not None)
    await owner.tap(zh("No comment"), rate)
    await owner.wait_for(
        lambda: rate.button(zh("No comment")) is None and rate.button(zh("↩ Reopen")) is not None
    )
    assert not [m for m in boss.messages() if "低分" in (m.text or "")]


async def test_reopen_goes_back_to_the_same_holder_with_accept_and_a_new_deadline(
    world: World,
) -> None:
    boss = await onboard(world, SUPERVISOR)
    owner, li, _card, rate = await resolved(world)
    first_due = (await request(world)).due_at
    await owner.tap("4", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("💬 Add a comment")) is not None)
    assert (await request(world)).status == RequestStatus.CLOSED

    world.clock.advance(timedelta(days=6))  # within the 7 days
    await owner.tap(zh("↩ Reopen"), rate)
    await owner.wait_for_message(zh_part("Why do you want to reopen #{n}? Reply with the reason."))
    await owner.send("贷款只发放了一半，剩余部分没有下文")
    back = await owner.wait_for_message("退回")
    assert LI.name in (back.text or "")

    told = await li.wait_for_message("重新办理")
    assert "贷款只发放了一半" in (told.text or "") and "#1" in (told.text or "")
    offer = await li.wait_for_message(lambda m: m.button(zh("✅ Accept")) is not None)
    assert "#1" in (offer.text or "")
    reopened = await request(world)
    assert reopened.status == RequestStatus.REOPENED and reopened.holder_id is not None
    kinds = await events(world)
    reopen_event = [(a, p) for k, a, p in kinds if k == EventKind.REOPENED]
    assert (
        len(reopen_event) == 1
        and reopen_event[0][1]["reason"] == "贷款只发放了一半，剩余部分没有下文"
    )
    assert reopen_event[0][0] == reopened.owner_id

    await li.tap(zh("✅ Accept"), offer)
    await li.wait_for_edit(offer, lambda m: m.button(zh("🏁 Resolve")) is not None)
    taken = await request(world)
    assert taken.status == RequestStatus.ACCEPTED and taken.holder_id == reopened.holder_id
    assert taken.due_at is not None and first_due is not None and taken.due_at > first_due

    await boss.command("stats")
    stats = (await boss.wait_for_message("统计")).text or ""
    assert "重新办理 1" in stats
    world.sim.assert_no_errors()
    world.sim.assert_callbacks_answered()


async def test_a_reopen_after_seven_days_is_refused(world: World) -> None:
    owner, _li, _card, rate = await resolved(world)
    await owner.tap("3", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("💬 Add a comment")) is not None)
    world.clock.advance(timedelta(days=7, minutes=1))
    tap = await owner.tap(zh("↩ Reopen"), rate)
    answer = await owner.wait_answer(tap)
    assert answer.get("show_alert") is True and "7" in str(answer.get("text"))
    assert (await request(world)).status == RequestStatus.CLOSED
    # The card has no Reopen either.
    await owner.command("my")
    listing = await owner.wait_for_message(zh_part("<b>Your requests</b>"))
    await owner.tap("#1 ", listing)
    await owner.wait_for_edit(listing, lambda m: m.button(zh("🕘 Timeline")) is not None)
    assert listing.button(zh("↩ Reopen")) is None


async def test_an_unrated_request_closes_after_three_working_days_across_a_weekend(
    world: World,
) -> None:
    boss = await onboard(world, SUPERVISOR)
    owner, _li, _card, rate = await resolved(world)  # Wednesday 25 November, morning
    world.clock.advance(timedelta(days=4))  # Sunday: Thursday and Friday are two working days
    await sweep(world)
    assert (await request(world)).status == RequestStatus.RESOLVED
    world.clock.advance(timedelta(days=1, minutes=1))  # Monday, after the third working day
    await sweep(world)
    closed = await request(world)
    assert closed.status == RequestStatus.CLOSED and closed.rating is None
    auto = [p for k, _a, p in await events(world) if k == EventKind.CLOSED]
    assert auto == [{"auto": True}]
    await owner.wait_for_edit(rate, zh_part(CLOSED_UNRATED))
    assert rate.button("1⭐") is None and rate.button(zh("↩ Reopen")) is not None
    await sweep(world)  # nothing more to do
    assert [k for k, _a, _p in await events(world)].count(EventKind.CLOSED) == 1

    await boss.command("stats")
    stats = (await boss.wait_for_message("统计")).text or ""
    assert "未评价关闭 1" in stats
    assert "满意率 —" in stats  # never counted as satisfied
    world.sim.assert_no_errors()


async def test_a_reply_to_a_closed_request_says_so_and_offers_reopen(world: World) -> None:
    owner, li, _card, rate = await resolved(world)
    await owner.tap("5", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("💬 Add a comment")) is not None)
    li.mark()
    await owner.reply(rate, "还有一个问题想咨询")
    answer = await owner.wait_for_message(
        zh_part("#{n} is closed, so this message was not passed on.")
    )
    assert "#1" in (answer.text or "")
    assert zh("Tap Reopen to reopen it, or New request to open a new one.") in (answer.text or "")
    assert (
        answer.button(zh("↩ Reopen")) is not None
        and answer.button(zh("🆕 New request")) is not None
    )
    assert not [m for m in li.messages() if "还有一个问题" in (m.text or "")]

    world.clock.advance(timedelta(days=8))  # too late to reopen: only a new request
    await owner.reply(rate, "还有一个问题想咨询")
    late = await owner.wait_for_message(
        zh_part("#{n} is closed, so this message was not passed on.")
    )
    assert late.button(zh("↩ Reopen")) is None and late.button(zh("🆕 New request")) is not None


async def test_new_request_under_a_finished_reply_starts_the_form_for_its_owner_only(
    world: World,
) -> None:
    owner, li, card, rate = await resolved(world)
    await owner.tap("5", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("💬 Add a comment")) is not None)
    await owner.reply(rate, "还有一个问题想咨询")
    answer = await owner.wait_for_message(
        zh_part("#{n} is closed, so this message was not passed on.")
    )
    button = answer.button(zh("🆕 New request"))
    assert button is not None

    # The data names no one: anyone else tapping it (here the holder) is refused on the server.
    tap = await li.tap_data(card, str(button["callback_data"]))
    refused = await li.wait_answer(tap)
    assert refused.get("show_alert") is True and refused.get("text") == texts_intake.not_owner("zh")
    async with world.runtime.db.read() as tx:
        assert await tx.draft(address(li.id), INTAKE) is None

    # The owner's tap starts the form: the category buttons, then the usual steps.
    tap = await owner.tap(zh("🆕 New request"), answer)
    assert not (await owner.wait_answer(tap)).get("show_alert")
    question = await owner.wait_for_message(lambda m: m.button("融资") is not None)
    await owner.tap("融资", question)
    await owner.wait_for_message("2/4")
    async with world.runtime.db.read() as tx:
        draft = await tx.draft(address(owner.id), INTAKE)
    assert draft is not None


async def test_staff_replying_to_a_finished_request_get_no_owner_buttons(world: World) -> None:
    owner, li, card, rate = await resolved(world)
    await owner.tap("5", rate)
    await owner.wait_for_edit(rate, lambda m: m.button(zh("💬 Add a comment")) is not None)
    await li.reply(card, "后续有问题随时联系")
    answer = await li.wait_for_message(
        zh_part("#{n} is closed, so this message was not passed on.")
    )
    assert "#1" in (answer.text or "") and not answer.buttons


async def test_a_reply_to_a_withdrawn_request_says_so(world: World) -> None:
    owner, li, _card, taken = await accepted_request(world)
    found = await request(world)
    await Cancellation(world.runtime.desk).cancel(found.owner_id, 1, None)
    li.mark()
    await owner.reply(taken, "请问进展如何")
    answer = await owner.wait_for_message(
        zh_part("#{n} was withdrawn, so this message was not passed on.")
    )
    assert "#1" in (answer.text or "") and answer.button(zh("↩ Reopen")) is None
    assert answer.button(zh("🆕 New request")) is not None
    assert not [m for m in li.messages() if "请问进展" in (m.text or "")]


async def test_a_reopen_whose_holder_is_gone_is_routed_as_a_new_request(world: World) -> None:
    boss = await onboard(world, SUPERVISOR)
    owner, li, _card, rate = await resolved(world)
    holder = (await request(world)).holder_id
    async with world.runtime.db.tx() as tx:  # 李专员 leaves the commissioners' roster
        await tx.deactivate_role_except(Role.COMMISSIONER, [WANG.phone, CHEN.phone])
    li.mark()
    await owner.tap(zh("↩ Reopen"), rate)
    await owner.wait_for_message(zh_part("Why do you want to reopen #{n}? Reply with the reason."))
    await owner.send("问题又出现了，需要重新协调")
    await owner.wait_for_message(zh_part("🔁 <b>#{n}</b> is reopened and goes to a new handler."))
    moved = await request(world)
    assert moved.status in (RequestStatus.DISPATCHED, RequestStatus.ESCALATED)
    assert moved.holder_id is None
    async with world.runtime.db.read() as tx:
        offered = await tx.offered(1)
    assert offered and holder not in offered
    kinds = [k for k, _a, _p in await events(world)]
    assert kinds[-2:][0] == EventKind.REOPENED and kinds[-1] in (
        EventKind.DISPATCHED,
        EventKind.ESCALATED,
    )
    await boss.wait_for_message("#1")
    assert not [m for m in li.messages() if "问题又出现了" in (m.text or "")]
