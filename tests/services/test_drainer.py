"""The channel-neutral outbox drainer over a real SQLite file, with a recording channel.

No HTTP, no sleeps: pacing and deferral run on a FakeClock, and each step waits only for the
sends it started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import Permanent, Transient
from bot.channels.drainer import BACKOFF_CAP, BACKOFF_JITTER, OutboxDrainer, backoff
from bot.channels.fake import Recorded, RecordingChannel
from bot.channels.telegram.identity import address
from bot.domain.clock import FakeClock, from_text
from bot.domain.identity import Address
from bot.domain.kinds import MessageKind
from bot.domain.models import Message, Person, Urgency
from bot.sample import DISTILLERY_OWNER, HERB_OWNER, TROUT_OWNER, load_sample
from bot.services.desk import RequestView
from bot.storage.uow import Database

NOW = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
KIND = next(iter(MessageKind))


@dataclass
class FakeReach:
    """Records what the drainer reports; gives the row up as Reachability does."""

    db: Database
    undeliverable_calls: list[tuple[int | None, str]] = field(default_factory=list)
    delivered_calls: list[int] = field(default_factory=list)

    async def undeliverable(self, outbox_id: int | None, message: Message, why: str) -> object:
        self.undeliverable_calls.append((outbox_id, why))
        if outbox_id is not None:
            async with self.db.tx() as tx:
                await tx.mark_failed(outbox_id, why)
        return None

    async def delivered(self, person_id: int) -> bool:
        self.delivered_calls.append(person_id)
        return True


@dataclass
class Views:
    db: Database
    calls: list[int] = field(default_factory=list)

    async def view(self, request_id: int) -> RequestView | None:
        self.calls.append(request_id)
        async with self.db.read() as tx:
            request = await tx.request(request_id)
            assert request is not None
            enterprise = await tx.enterprise(request.enterprise_id)
            owner = await tx.person(request.owner_id)
        assert enterprise is not None and owner is not None
        return RequestView(request, enterprise, owner, None, ())


@dataclass
class Setup:
    db: Database
    clock: FakeClock
    channel: RecordingChannel
    reach: FakeReach
    drainer: OutboxDrainer
    people: dict[int, int]  # chat id → person id
    views: Views

    async def queue(self, chat: int, request_id: int | None = None, **kw: object) -> int:
        message = Message(recipient_id=self.people[chat], kind=KIND, request_id=request_id, **kw)  # type: ignore[arg-type]
        async with self.db.tx() as tx:
            return await tx.enqueue(message, address(chat), self.clock.now())

    async def step(self) -> int:
        started = await self.drainer.drain_once()
        await self.drainer.settle()
        return started

    async def row(self, outbox_id: int) -> tuple[str, str, int]:
        async with self.db.conn.execute(
            "SELECT status, not_before, attempts FROM outbox WHERE id = ?", (outbox_id,)
        ) as cur:
            r = await cur.fetchone()
        assert r is not None
        return (r[0], r[1], r[2])

    async def not_before(self, outbox_id: int) -> datetime:
        return from_text((await self.row(outbox_id))[1])

    def sent_to(self, chat: int) -> list[int]:
        return [int(d.out.message.params["n"]) for d in self.channel.sent if d.address == str(chat)]  # type: ignore[arg-type]


A, B = TROUT_OWNER.telegram_id, HERB_OWNER.telegram_id


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    db = await Database.open(tmp_path / "drainer.db")
    await load_sample(db, NOW, bind=True)
    clock = FakeClock(NOW)
    channel = RecordingChannel(name="telegram")
    reach = FakeReach(db)
    people: dict[int, int] = {}
    async with db.tx() as tx:
        for owner in (TROUT_OWNER, HERB_OWNER, DISTILLERY_OWNER):
            person = await tx.person_by_phone(owner.phone)
            assert person is not None
            people[owner.telegram_id] = person.id
    views = Views(db)
    drainer = OutboxDrainer(
        db,
        views,
        clock,
        {"telegram": channel},
        reach,
        timer=lambda: clock.now().timestamp(),
    )
    try:
        yield Setup(db, clock, channel, reach, drainer, people, views)
    finally:
        await db.close()


async def test_each_address_gets_its_messages_one_at_a_time_in_order(setup: Setup) -> None:
    for n in (1, 2, 3):
        await setup.queue(A, params={"n": n})
    await setup.queue(B, params={"n": 1})
    assert await setup.step() == 2  # one in flight per address
    assert setup.sent_to(A) == [1] and setup.sent_to(B) == [1]
    await setup.step()
    await setup.step()
    assert setup.sent_to(A) == [1, 2, 3]
    assert setup.drainer.sent == 4 and not setup.drainer.busy


async def test_an_address_is_paced_by_the_channels_interval(setup: Setup) -> None:
    setup.channel.per_address_interval = 1.0
    await setup.queue(A, params={"n": 1})
    await setup.queue(A, params={"n": 2})
    await setup.queue(B, params={"n": 1})
    assert await setup.step() == 2
    assert await setup.step() == 0  # A's second message waits for the interval
    setup.clock.advance(timedelta(seconds=0.5))
    assert await setup.step() == 0
    setup.clock.advance(timedelta(seconds=0.5))
    assert await setup.step() == 1
    assert setup.sent_to(A) == [1, 2]


async def test_the_drainers_interval_overrides_the_channels(setup: Setup) -> None:
    setup.channel.per_address_interval = 60.0
    setup.drainer.per_chat_interval = 0
    await setup.queue(A, params={"n": 1})
    await setup.queue(A, params={"n": 2})
    await setup.step()
    await setup.step()
    assert setup.sent_to(A) == [1, 2]


async def test_transient_failures_are_retried_with_capped_backoff_and_never_given_up(
    setup: Setup,
) -> None:
    row = await setup.queue(A, params={"n": 1})
    later = await setup.queue(A, params={"n": 2})
    waits = []
    for _ in range(15):
        setup.channel.fail_next(Transient("timed out"))
        assert await setup.step() == 1
        status, _, _ = await setup.row(row)
        assert status == "pending"
        due = await setup.not_before(row)
        waits.append((due - setup.clock.now()).total_seconds())
        assert await setup.step() == 0  # not before its time; the address keeps its order
        setup.clock.set(due)
    assert all(0 < w <= BACKOFF_CAP for w in waits)
    assert waits[0] <= 1.0 and waits[-1] >= BACKOFF_CAP * (1 - BACKOFF_JITTER)
    assert await setup.step() == 1  # the channel is back
    assert (await setup.row(row))[0] == "sent"
    await setup.step()
    assert (await setup.row(later))[0] == "sent"
    assert setup.sent_to(A) == [1, 2]
    assert setup.drainer.failed == 0


def test_backoff_doubles_up_to_the_cap_less_some_jitter() -> None:
    for attempts, full in ((0, 1.0), (1, 2.0), (4, 16.0), (9, BACKOFF_CAP), (500, BACKOFF_CAP)):
        wait = backoff(attempts)
        assert full * (1 - BACKOFF_JITTER) <= wait <= full


async def test_a_rate_limit_defers_the_row_by_what_the_channel_said(setup: Setup) -> None:
    row = await setup.queue(A, params={"n": 1})
    setup.channel.fail_next(Transient("flood", retry_after=7))
    await setup.step()
    assert await setup.not_before(row) == NOW + timedelta(seconds=7)
    setup.clock.advance(timedelta(seconds=6))
    assert await setup.step() == 0
    setup.clock.advance(timedelta(seconds=1))
    await setup.step()
    assert (await setup.row(row))[0] == "sent"


async def test_a_permanent_failure_for_the_person_marks_them_unreachable(setup: Setup) -> None:
    row = await setup.queue(A, params={"n": 1})
    setup.channel.fail_next(Permanent("403 blocked", unreachable=True))
    await setup.step()
    assert setup.reach.undeliverable_calls == [(row, "403 blocked")]
    assert (await setup.row(row))[0] == "failed"
    assert setup.drainer.failed == 1


async def test_a_permanent_failure_of_ours_fails_the_row_only(setup: Setup) -> None:
    row = await setup.queue(A, params={"n": 1})
    nxt = await setup.queue(A, params={"n": 2})
    setup.channel.fail_next(Permanent("400 bad markup"))
    await setup.step()
    assert setup.reach.undeliverable_calls == []
    assert (await setup.row(row))[0] == "failed"
    await setup.step()  # the address is not stalled
    assert (await setup.row(nxt))[0] == "sent"


async def test_an_edit_that_cannot_be_applied_is_sent_as_a_new_message(setup: Setup) -> None:
    async with setup.db.tx() as tx:
        enterprise = (await tx.enterprises_of_contact(TROUT_OWNER.phone))[0]
        rid = await tx.insert_request(
            enterprise.id, setup.people[A], "x", "y", Urgency.NORMAL, (), NOW
        )
        await tx.save_ref(setup.people[A], rid, "card", address(A), "555")
    await setup.queue(A, request_id=rid, edit_key="card", params={"n": 1})
    setup.channel.edits_impossible = True
    await setup.step()
    [delivery] = setup.channel.deliveries
    assert delivery.action == "send"
    async with setup.db.read() as tx:
        assert await tx.ref(setup.people[A], rid, "card") == (address(A), delivery.ref.message_id)
    setup.channel.edits_impossible = False
    await setup.queue(A, request_id=rid, edit_key="card", params={"n": 2})
    await setup.step()
    assert [d.action for d in setup.channel.deliveries] == ["send", "edit"]


async def test_each_row_goes_out_through_the_channel_of_its_address(setup: Setup) -> None:
    """Two channels side by side: a row addressed in one never reaches the other; a row for a
    channel this process does not run fails without stalling anyone."""
    other = RecordingChannel(name="wecom")
    setup.drainer.channels["wecom"] = other
    message = Message(recipient_id=setup.people[A], kind=KIND, params={"n": 1})
    async with setup.db.tx() as tx:
        await tx.enqueue(message, Address("wecom", "zhang.laoban"), setup.clock.now())
        lost = await tx.enqueue(message, Address("sms", "13800000001"), setup.clock.now())
    await setup.queue(A, params={"n": 2})
    assert await setup.step() == 3
    assert [(d.address, d.out.message.params["n"]) for d in other.sent] == [("zhang.laoban", 1)]
    assert setup.sent_to(A) == [2]
    async with setup.db.read() as tx:
        [row] = await tx._all("SELECT status, last_error FROM outbox WHERE id = ?", (lost,))
    assert row["status"] == "failed" and "no channel 'sms'" in row["last_error"]


async def test_a_row_sent_while_another_poll_was_reading_is_not_sent_again(setup: Setup) -> None:
    """Two polls at once (the sender's loop and a wake): the slower one's snapshot may predate
    the first one's send; the row must not go out twice."""
    setup.drainer.per_chat_interval = 0  # no pacing to hide it
    await setup.queue(A, params={"n": 1})
    async with setup.db.read() as tx:
        stale = await tx.due_messages(setup.clock.now(), 10)
    assert len(stale) == 1
    go, reading = asyncio.Event(), asyncio.Event()
    real_read = setup.db.read
    held = [True]

    @asynccontextmanager
    async def read() -> AsyncIterator[Any]:
        if not held[0]:
            async with real_read() as tx:
                yield tx
            return
        held[0] = False

        class Stale:
            async def due_messages(self, *args: Any) -> Any:
                reading.set()
                await go.wait()  # this poll read before the other's send was marked
                return stale

        yield Stale()

    setup.db.read = read  # type: ignore[method-assign]
    slow = asyncio.create_task(setup.drainer.drain_once())
    await reading.wait()
    assert await setup.step() == 1  # the other poll sends the row and marks it sent
    go.set()
    assert await slow == 0
    await setup.drainer.settle()
    assert setup.sent_to(A) == [1]


@dataclass
class SeeingChannel(RecordingChannel):
    """Records what each render was given: the reader's language and the request's text."""

    seen: list[tuple[int, str | None, str | None]] = field(default_factory=list)

    def render(self, message: Message, reader: Person, view: RequestView | None) -> Recorded:
        self.seen.append((reader.id, reader.language, view.request.description if view else None))
        return super().render(message, reader, view)


async def _a_request(setup: Setup) -> int:
    async with setup.db.tx() as tx:
        enterprise = (await tx.enterprises_of_contact(TROUT_OWNER.phone))[0]
        return await tx.insert_request(
            enterprise.id, setup.people[A], "x", "first words", Urgency.NORMAL, (), NOW
        )


async def test_one_poll_reads_a_requests_view_once_for_all_its_messages(setup: Setup) -> None:
    channel = SeeingChannel(name="telegram")
    setup.drainer.channels["telegram"] = channel
    rid = await _a_request(setup)
    await setup.queue(A, request_id=rid, params={"n": 1})
    await setup.queue(B, request_id=rid, params={"n": 1})
    assert await setup.step() == 2
    assert setup.views.calls == [rid]
    assert set(channel.seen) == set(
        [(setup.people[A], None, "first words"), (setup.people[B], None, "first words")]
    )


async def test_a_person_or_request_changed_between_polls_is_read_afresh(setup: Setup) -> None:
    """The per-poll reads are never kept: what changed after one poll shows in the next."""
    channel = SeeingChannel(name="telegram")
    setup.drainer.channels["telegram"] = channel
    rid = await _a_request(setup)
    await setup.queue(A, request_id=rid, params={"n": 1})
    await setup.queue(B, params={"n": 1})
    await setup.step()
    async with setup.db.tx() as tx:
        await tx.set_language(setup.people[A], "en")
        await tx.set_language(setup.people[B], "en")
        await tx._run("UPDATE requests SET description = 'new words' WHERE id = ?", (rid,))
    await setup.queue(A, request_id=rid, params={"n": 2})
    await setup.queue(B, params={"n": 2})
    await setup.step()
    assert setup.views.calls == [rid, rid]
    assert set(channel.seen) == set(
        [
            (setup.people[A], None, "first words"),
            (setup.people[B], None, None),
            (setup.people[A], "en", "new words"),
            (setup.people[B], "en", None),
        ]
    )
