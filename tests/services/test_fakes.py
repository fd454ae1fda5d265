"""The fakes keep the contract of the ports: type-checked against the Protocols, and the same
repository behaviour as SQLite — each test below runs over both and asserts the same."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import mypy.api
import pytest

from bot.domain.clock import to_text
from bot.domain.identity import Address, UpdateRef
from bot.domain.kinds import MessageKind
from bot.domain.lifecycle import CLAIMABLE, WORKING
from bot.domain.models import Attachment, Message, RequestStatus, Role, Urgency
from bot.sample import CHEN, LI, TROUT_OWNER, WANG, load_sample
from bot.services.ports import UnitOfWork
from bot.storage.uow import Database
from tests.services.core import START
from tests.services.fakes import FakeUnitOfWork

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
DUE = START + timedelta(days=5)
S = RequestStatus


def test_the_fakes_type_check_against_the_ports() -> None:
    """mypy (strict) on the fakes: FakeTx is a Transaction and FakeUnitOfWork a UnitOfWork
    (fakes._implements); the service tests' rig and the script channel use the services as
    typed."""
    out, err, status = mypy.api.run(
        [
            "--strict",
            "--no-error-summary",
            str(HERE / "fakes"),
            str(HERE / "core.py"),
            str(ROOT / "tests" / "integration" / "script_channel.py"),
        ]
    )
    assert status == 0, out + err


@pytest.fixture(params=["fake", "sqlite"])
async def uow(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWork]:
    if request.param == "fake":
        fake = FakeUnitOfWork()
        await load_sample(fake, START, bind=True)
        yield fake
        return
    db = await Database.open(tmp_path / "contract.db")
    await load_sample(db, START, bind=True)
    try:
        yield db
    finally:
        await db.close()


async def ids(uow: UnitOfWork, *phones: str) -> list[int]:
    async with uow.read() as tx:
        found = [await tx.person_by_phone(p) for p in phones]
    return [p.id for p in found if p is not None]


async def new_request(uow: UnitOfWork) -> int:
    [owner] = await ids(uow, TROUT_OWNER.phone)
    async with uow.tx() as tx:
        [enterprise] = await tx.enterprises_of_contact(TROUT_OWNER.phone)
        photo = Attachment(kind="photo", channel="telegram", ref="F1")
        return await tx.insert_request(
            enterprise.id, owner, "financing", "需要贷款", Urgency.NORMAL, [photo], START
        )


async def test_conditional_writes_have_exactly_one_winner(uow: UnitOfWork) -> None:
    li, wang, chen = await ids(uow, LI.phone, WANG.phone, CHEN.phone)
    rid = await new_request(uow)
    async with uow.tx() as tx:
        assert await tx.move(rid, [S.SUBMITTED], S.ESCALATED, dispatched_at=to_text(START))
        assert not await tx.move(rid, [S.SUBMITTED], S.DISPATCHED)  # it left SUBMITTED
        await tx.offer(rid, [li, wang], "team", START)
        assert not await tx.claim(rid, chen, CLAIMABLE, START, DUE)  # not offered to Chen

    async def tap(person: int) -> bool:
        async with uow.tx() as tx:
            return await tx.claim(rid, person, CLAIMABLE, START, DUE)

    assert sorted(await asyncio.gather(tap(li), tap(wang))) == [False, True]
    async with uow.read() as tx:
        request = await tx.request(rid)
        assert await tx.offered(rid) == [li, wang]  # claiming does not withdraw the offers
    assert request is not None
    assert request.status == S.ACCEPTED and request.holder_id in (li, wang)
    assert (request.accepted_at, request.due_at) == (START, DUE)
    assert [a.ref for a in request.attachments] == ["F1"]
    async with uow.tx() as tx:
        assert await tx.move(rid, WORKING, S.RESOLVED, outcome="solved", resolution="好了")
        resolved = await tx.request(rid)
    assert resolved is not None and resolved.outcome == "solved" and resolved.resolution == "好了"


async def test_a_transaction_that_raises_leaves_nothing(uow: UnitOfWork) -> None:
    with pytest.raises(RuntimeError):
        async with uow.tx() as tx:
            await tx.upsert_person("临时", "13711112222", Role.OWNER, None, START)
            assert await tx.person_by_phone("13711112222") is not None  # seen inside
            raise RuntimeError("rolled back")
    async with uow.read() as tx:
        assert await tx.person_by_phone("13711112222") is None


async def test_writes_that_change_a_request_plan_it_at_once(uow: UnitOfWork) -> None:
    [li] = await ids(uow, LI.phone)
    rid = await new_request(uow)
    later = START + timedelta(hours=1)
    async with uow.tx() as tx:
        assert await tx.requests_due(START) == [rid]
        await tx.set_next_step(rid, later)
        assert await tx.requests_due(START) == []
        assert await tx.requests_due(later) == [rid]
        await tx.offer(rid, [li], "commissioner", START)
        assert await tx.requests_due(START) == [rid]
        await tx.set_next_step(rid, None)
        assert await tx.requests_due(later + timedelta(days=999)) == []
        await tx.withdraw_offers(rid, li)
        assert await tx.requests_due(START) == [rid]
        assert await tx.offered(rid) == [] and await tx.offered(rid, active_only=False) == [li]


async def test_each_address_keeps_its_order_in_the_outbox(uow: UnitOfWork) -> None:
    [owner] = await ids(uow, TROUT_OWNER.phone)
    a, b = Address("telegram", "1"), Address("wecom", "1")
    message = Message(recipient_id=owner, kind=MessageKind.RECEIVED)
    async with uow.tx() as tx:
        first, second, other = [await tx.enqueue(message, at, START) for at in (a, a, b)]
        assert [r.id for r in await tx.due_messages(START, 10)] == [first, other]
        await tx.defer(first, START + timedelta(seconds=10), "429")
        assert [r.id for r in await tx.due_messages(START, 10)] == [other]  # second waits
        await tx.mark_sent(other, START)
        assert await tx.next_head_due_at() == START + timedelta(seconds=10)
        [head] = await tx.due_messages(START + timedelta(seconds=10), 10)
        assert (head.id, head.attempts, head.address) == (first, 1, a)
        await tx.mark_failed(first, "400")
        assert [r.id for r in await tx.due_messages(START, 10)] == [second]


async def test_an_address_belongs_to_one_person_and_a_person_has_one_per_channel(
    uow: UnitOfWork,
) -> None:
    li, wang = await ids(uow, LI.phone, WANG.phone)
    wecom = Address("wecom", "desk")
    async with uow.tx() as tx:
        await tx.bind_address(li, wecom, "en")
        await tx.bind_address(li, Address("telegram", "9"), None)  # a new Telegram account
        person = await tx.person(li)
        assert person is not None
        assert person.addresses == (wecom, Address("telegram", "9"))
        assert person.language == "en"
        await tx.bind_address(wang, wecom, None)  # the address moves to Wang
        assert (await tx.person_at(wecom)) == await tx.person(wang)
        moved = await tx.person(li)
        assert moved is not None and moved.addresses == (Address("telegram", "9"),)


async def test_drafts_inbox_and_references(uow: UnitOfWork) -> None:
    [li] = await ids(uow, LI.phone)
    rid = await new_request(uow)
    async with uow.tx() as tx:
        await tx.save_draft(LI.address, "note", "text", {"request_id": rid}, START)
        await tx.save_draft(Address("wecom", "x"), "note", "text", {}, START)
        assert await tx.draft(LI.address, "note") == ("text", {"request_id": rid})
        await tx.delete_draft(LI.address, "note")
        assert await tx.drafts("note") == [(Address("wecom", "x"), "text")]
        five, six = UpdateRef("telegram", "5", 5), UpdateRef("telegram", "6", 6)
        assert await tx.store_updates([(five, "{}"), (six, "{}")], START) == [five, six]
        assert await tx.store_updates([(six, "{}")], START) == []
        assert await tx.unprocessed_updates("telegram") == [(five, "{}"), (six, "{}")]
        assert await tx.start_handling(five) == 1
        assert await tx.mark_processed(five, START) and not await tx.mark_processed(five, START)
        assert await tx.start_handling(five) is None
        assert await tx.add_dead_letter(six, "{}", "boom", START)
        assert await tx.unprocessed_updates("telegram") == []
        assert await tx.last_seq("telegram") == 6 and await tx.last_seq("wecom") is None
        await tx.save_ref(li, rid, "card", LI.address, "42")
        assert await tx.ref(li, rid, "card") == (LI.address, "42")
        assert await tx.request_of_message(LI.address, "42") == rid
        request = await tx.request(rid)
        assert request is not None
        lines, total = await tx.owner_lines(request.owner_id, 8, 0)
        assert ([line.id for line in lines], total) == ([rid], 1)
