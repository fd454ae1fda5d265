"""The question a tap asks, kept by the channel, through the real Application.

One question per conversation (bot.channels.pending): it survives a restart between the ask and
the answer, a new question replaces it, /cancel or another command drops it, and the answer is
authorised again when it comes (the person may have lost the request meanwhile).
"""

from __future__ import annotations

import re

from bot.channels.pending import Expecting, Flow
from bot.channels.telegram import texts, texts_handoff
from bot.channels.telegram.identity import address
from bot.domain.kinds import EventKind
from bot.domain.models import RequestStatus
from bot.sample import LI, SUPERVISOR, WANG
from bot.services.errors import Refusal
from bot.storage.sqlite.expectations import SqliteExpectations
from tests.conftest import World
from tests.i18n_support import zh, zh_part, zh_plain
from tests.integration.flows import accepted_request, onboard
from tests.integration.guard_support import settled

HANDBACK_PROMPT = (
    "Why are you handing <b>#{n}</b> back? Send the reason in one message (or /cancel)."
)
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."
NOTE_PROMPT = "Send the progress note for <b>#{n}</b>; the owner will see it (or /cancel)."


def plain(html: str) -> str:
    """A text as the person reads it (the simulator keeps the text, not the tags)."""
    return re.sub(r"</?\w+>", "", html)


def expecting(world: World) -> Expecting:
    return Expecting(SqliteExpectations(world.runtime.db), world.clock)


async def kinds(world: World, request_id: int) -> list[str]:
    async with world.runtime.db.read() as tx:
        return [e.kind for e in await tx.events(request_id)]


async def test_a_hand_back_reason_asked_before_a_restart_is_answered_after_it(
    world: World,
) -> None:
    _owner, li, card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    await li.tap(zh("↩ Hand back"), card)
    reasons = await li.wait_for_message(lambda m: m.button(zh("Other (write it)")) is not None)
    await li.tap(zh("Other (write it)"), reasons)
    await li.wait_for_message(zh_part(HANDBACK_PROMPT))
    await settled(world)  # the question is stored once the tap's update is handled
    found = await expecting(world).current(address(LI.telegram_id))
    assert found is not None and (found.flow, found.subject) == (Flow.HANDBACK, 1)

    await world.restart()

    await li.send("本周在外地出差，无法处理")
    await li.wait_for_message(plain(texts_handoff.handed_back("zh", 1, 1)))
    question = await boss.wait_for_message(lambda m: m.button("金融顾问团") is not None)
    assert "本周在外地出差" in (question.text or "")
    assert EventKind.HANDOFF_ASKED in await kinds(world, 1)
    await settled(world)
    assert await expecting(world).current(address(LI.telegram_id)) is None
    world.sim.assert_no_errors()


async def test_a_new_question_replaces_the_unanswered_one(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY))
    await li.tap(zh("📝 Note"), card)  # a note, asked after the summary: the next text is the note
    await li.wait_for_message(zh_plain(NOTE_PROMPT, n=1))
    await li.send("已联系县农商行，下周一面谈")
    await owner.wait_for_message("已联系县农商行")
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ACCEPTED
    assert EventKind.NOTED in await kinds(world, 1)
    assert EventKind.RESOLVED not in await kinds(world, 1)


async def test_cancel_drops_the_question_and_the_next_text_is_no_answer(world: World) -> None:
    _owner, li, card, _taken = await accepted_request(world)
    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message(zh_plain(NOTE_PROMPT, n=1))
    await li.command("cancel")
    await li.wait_for_message(texts.cancelled("zh", True))
    await li.send("已联系县农商行")
    await li.wait_for_message(texts.fallback("zh"))
    assert EventKind.NOTED not in await kinds(world, 1)


async def test_another_command_drops_the_question_too(world: World) -> None:
    _owner, li, card, _taken = await accepted_request(world)
    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message(zh_plain(NOTE_PROMPT, n=1))
    await li.command("mine")
    await li.wait_for_message(lambda m: m.button("#1") is not None)
    await settled(world)
    assert await expecting(world).current(address(LI.telegram_id)) is None
    await li.send("已联系县农商行")
    await li.wait_for_message(texts.fallback("zh"))
    assert EventKind.NOTED not in await kinds(world, 1)


async def test_an_answer_from_someone_who_lost_the_request_meanwhile_is_refused(
    world: World,
) -> None:
    owner, li, card, _taken = await accepted_request(world)
    await onboard(world, WANG)
    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message(zh_plain(NOTE_PROMPT, n=1))
    # Between the question and the answer, a supervisor gives #1 to 王专员.
    await world.runtime.desk.reassign(1, await _pid(world, SUPERVISOR.phone), WANG.phone)
    await li.send("已联系县农商行")
    await li.wait_for_message(plain(texts.refusal(Refusal.NOT_ALLOWED, {"request_id": 1}, "zh")))
    assert EventKind.NOTED not in await kinds(world, 1)
    assert all("已联系县农商行" not in (m.text or "") for m in owner.messages())
    await settled(world)
    assert await expecting(world).current(address(LI.telegram_id)) is None


async def _pid(world: World, phone: str) -> int:
    async with world.runtime.db.read() as tx:
        person = await tx.person_by_phone(phone)
    assert person is not None
    return person.id
