"""The use cases a typed answer reaches, over the fakes: each takes the text as an argument.

What a tap asked for is kept by the channel (bot.channels.pending); the services hold no
"pending input" state. So each use case authorises again when the text comes: the person may
have lost the request between the question and the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.kinds import EventKind as E
from bot.domain.kinds import MessageKind as M
from bot.domain.models import Outcome, RequestStatus
from bot.sample import LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.services.directory import Directory
from bot.services.errors import Refusal, Refused
from tests.services.core import Core


@pytest.fixture
async def core() -> AsyncIterator[Core]:
    yield await Core.start()


async def accepted_by_li(core: Core) -> int:
    request = await core.submit(TROUT_OWNER)
    await core.desk.accept(request.id, core.pid(LI))
    core.forget_outbox()
    return request.id


async def closed_with(core: Core, stars: int) -> int:
    request_id = await accepted_by_li(core)
    await core.desk.resolve(request_id, core.pid(LI), Outcome.SOLVED, "贷款已发放")
    await core.desk.rate(request_id, core.pid(TROUT_OWNER), stars)
    core.forget_outbox()
    return request_id


async def test_a_hand_back_in_the_holders_words_asks_the_supervisors(core: Core) -> None:
    request_id = await accepted_by_li(core)
    asked = await core.desk.hand_back(request_id, core.pid(LI), "本周在外地出差")
    assert asked == 1
    [*_, event] = core.db.events(request_id)
    assert event.kind == E.HANDOFF_ASKED
    assert event.payload["reason"] == "本周在外地出差"
    [row] = [r for r in core.db.outbox("pending") if r.message.kind == M.HANDOFF]
    assert row.message.recipient_id == core.pid(SUPERVISOR)
    assert row.message.params["reason"] == "本周在外地出差"


async def test_a_hand_back_typed_after_the_request_moved_on_is_refused(core: Core) -> None:
    request_id = await accepted_by_li(core)
    # Between Li's "Other" and Li's text, a supervisor gives the request to Wang.
    await core.desk.reassign(request_id, core.pid(SUPERVISOR), WANG.phone)
    with pytest.raises(Refused) as refused:
        await core.desk.hand_back(request_id, core.pid(LI), "本周在外地出差")
    assert refused.value.reason == Refusal.NOT_ALLOWED
    assert E.HANDOFF_ASKED not in core.kinds(request_id)


async def test_a_decline_typed_after_someone_else_accepted_is_refused(core: Core) -> None:
    await core.desk.set_away(core.pid(LI), True)
    request = await core.submit(TROUT_OWNER)
    await core.desk.accept(request.id, core.pid(WANG))
    with pytest.raises(Refused) as refused:
        await core.desk.decline(request.id, core.pid(LI), "不属于我的职责范围")
    assert refused.value.reason in (Refusal.ALREADY_TAKEN, Refusal.NOT_ALLOWED)
    assert E.DECLINED not in core.kinds(request.id)
    assert core.request(request.id).holder_id == core.pid(WANG)


async def test_a_note_typed_after_the_request_was_resolved_is_refused(core: Core) -> None:
    request_id = await accepted_by_li(core)
    await core.desk.resolve(request_id, core.pid(LI), Outcome.SOLVED, "贷款已发放")
    with pytest.raises(Refused) as refused:
        await core.desk.note(request_id, core.pid(LI), "已联系县农商行")
    assert refused.value.reason == Refusal.NOT_ALLOWED
    assert E.NOTED not in core.kinds(request_id)


async def test_a_too_short_answer_changes_nothing(core: Core) -> None:
    request_id = await accepted_by_li(core)
    before = core.kinds(request_id)
    with pytest.raises(Refused) as refused:
        await core.desk.resolve(request_id, core.pid(LI), Outcome.SOLVED, " ")
    assert refused.value.reason == Refusal.BAD_INPUT
    assert refused.value.details["problem"] == "too_short"
    assert core.kinds(request_id) == before
    assert core.request(request_id).status == RequestStatus.ACCEPTED


async def test_a_reopen_in_the_owners_words_goes_back_to_the_holder(core: Core) -> None:
    request_id = await closed_with(core, 3)
    reopened = await core.desk.reopen(request_id, core.pid(TROUT_OWNER), "贷款只批了一半")
    assert reopened.status == RequestStatus.REOPENED
    [*_, event] = [e for e in core.db.events(request_id) if e.kind == E.REOPENED]
    assert event.payload["reason"] == "贷款只批了一半"
    with pytest.raises(Refused) as refused:
        await core.desk.reopen(request_id, core.pid(LI), "不是我的")
    assert refused.value.reason in (Refusal.NOT_ALLOWED, Refusal.NOT_WORKING)


async def test_a_comment_on_a_low_rating_reaches_the_supervisors_once(core: Core) -> None:
    request_id = await closed_with(core, 1)
    await core.desk.comment(request_id, core.pid(TROUT_OWNER), "等了很久才有人联系")
    [*_, event] = core.db.events(request_id)
    assert (event.kind, event.payload["comment"]) == (E.COMMENTED, "等了很久才有人联系")
    assert core.pid(SUPERVISOR) in [r.message.recipient_id for r in core.db.outbox("pending")]
    with pytest.raises(Refused):  # a second text is not a second comment
        await core.desk.comment(request_id, core.pid(TROUT_OWNER), "再说一次")


async def test_a_withdrawal_reason_typed_by_someone_else_is_refused(core: Core) -> None:
    request = await core.submit(TROUT_OWNER)
    with pytest.raises(Refused) as refused:
        await core.cancellation.cancel(core.pid(LI), request.id, "不需要了")
    assert refused.value.reason == Refusal.NOT_ALLOWED
    done = await core.cancellation.cancel(core.pid(TROUT_OWNER), request.id, "已自行解决")
    assert done.request.status == RequestStatus.CANCELLED
    assert core.db.events(request.id)[-1].payload["reason"] == "已自行解决"


async def test_a_new_phone_typed_by_a_supervisor_is_checked_and_kept(core: Core) -> None:
    directory = Directory(core.db, core.clock, core.desk.catalog, core.desk.deadlines)
    boss, li = core.pid(SUPERVISOR), core.pid(LI)
    with pytest.raises(Refused) as not_mobile:
        await directory.change_phone(boss, li, "12345")
    assert not_mobile.value.details["problem"] == "not_mobile"
    with pytest.raises(Refused) as taken:
        await directory.change_phone(boss, li, WANG.phone)
    assert taken.value.details["problem"] == "taken"
    with pytest.raises(Refused) as not_a_supervisor:
        await directory.change_phone(core.pid(WANG), li, "13900000099")
    assert not_a_supervisor.value.reason == Refusal.NOT_ALLOWED
    changed, previous = await directory.change_phone(boss, li, "+86 139 0000 0099")
    assert (changed.phone, previous) == ("13900000099", LI.phone)
    [*_, event] = core.db.events(None)
    assert (event.kind, event.payload["phone"]) == (E.PHONE_CHANGED, "13900000099")
