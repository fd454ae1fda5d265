"""Every family of use cases over the in-memory fakes: state, events and outbox rows.

No SQLite, no HTTP, no sleeps (tests/services/fakes/, bot/channels/fake.py): each test runs
in milliseconds. The same use cases over SQLite and Telegram are in tests/integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.channels.base import Permanent, SentRef
from bot.channels.fake import Recorded, RecordingChannel
from bot.domain.identity import Address, UpdateRef
from bot.domain.kinds import EventKind as E
from bot.domain.kinds import MessageKind as M
from bot.domain.listing import ListKey, ListKind, OpenFilter
from bot.domain.models import Outcome, Person, RequestStatus, Role, Urgency
from bot.domain.routing import Tier
from bot.sample import CHEN, HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.services.browse import Browse
from bot.services.desk import Accepted
from bot.services.errors import Refusal, Refused
from tests.services.core import START, Core
from tests.services.fakes import PLAN_AT_ONCE
from tests.services.fakes.people import FakePeople


@pytest.fixture
async def core() -> AsyncIterator[Core]:
    yield await Core.start()


async def team_request(core: Core) -> int:
    """A financing request of the trout farm, whose commissioner (Li) is away: it goes to the
    finance team (Wang and Chen), first tap wins."""
    await core.desk.set_away(core.pid(LI), True)
    request = await core.submit(TROUT_OWNER)
    core.forget_outbox()
    return request.id


async def accepted_by_li(core: Core) -> int:
    request = await core.submit(TROUT_OWNER)
    await core.desk.accept(request.id, core.pid(LI))
    core.forget_outbox()
    return request.id


# ---- people ----------------------------------------------------------------------------------


async def test_a_rostered_phone_binds_the_address_it_was_shared_from(core: Core) -> None:
    wecom = Address("wecom", "li.zhuanyuan")
    onboarded = await core.desk.onboard(wecom, "+86 139-0000-0011", "en")
    assert onboarded is not None
    assert onboarded.person.id == core.pid(LI)
    assert onboarded.person.addresses == (LI.address, wecom)
    assert onboarded.person.language == "en"
    assert (await core.desk.whoami(wecom)) == onboarded.person
    [bound] = core.db.events()
    assert (bound.kind, bound.actor_id) == (E.PERSON_BOUND, core.pid(LI))
    assert bound.payload == {"channel": "wecom", "address": "li.zhuanyuan"}
    assert core.db.outbox() == []


async def test_an_unknown_phone_binds_nothing(core: Core) -> None:
    stranger = Address("wecom", "stranger")
    assert await core.desk.onboard(stranger, "13700000000", "zh") is None
    assert await core.desk.whoami(stranger) is None
    assert core.db.events() == [] and core.db.outbox() == []


async def test_an_address_moves_to_whoever_binds_it_last(core: Core) -> None:
    shared = Address("wecom", "front-desk")
    await core.desk.onboard(shared, WANG.phone, None)
    await core.desk.onboard(shared, CHEN.phone, None)
    found = await core.desk.whoami(shared)
    assert found is not None and found.id == core.pid(CHEN)
    async with core.db.read() as tx:
        wang = await tx.person(core.pid(WANG))
    assert wang is not None and wang.addresses == (WANG.address,)


# ---- intake and dispatching -------------------------------------------------------------------


async def test_a_submitted_request_goes_to_the_enterprises_commissioner(core: Core) -> None:
    request = await core.submit(TROUT_OWNER)
    assert request.status == RequestStatus.DISPATCHED
    assert core.request(request.id).owner_id == core.pid(TROUT_OWNER)
    async with core.db.read() as tx:
        assert await tx.offered(request.id) == [core.pid(LI)]
    assert core.kinds(request.id) == [E.SUBMITTED, E.DISPATCHED]
    assert core.db.events(request.id)[1].payload["tier"] == Tier.COMMISSIONER
    assert core.queued() == [
        ("card", core.pid(LI), request.id),
        ("received", core.pid(TROUT_OWNER), request.id),
    ]
    assert core.db.state.drafts == {}  # the draft became the request
    assert core.db.row(request.id).next_step_at == PLAN_AT_ONCE


async def test_a_request_its_commissioner_takes_reads_no_roster(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a city's size the staff are thousands: a submit the commissioner takes must not read
    them (it did, twice, on every submit); one that goes to the team reads them once."""
    read: list[Role] = []
    original = FakePeople.people_with_role

    async def counted(self: FakePeople, role: Role) -> list[Person]:
        read.append(role)
        return await original(self, role)

    monkeypatch.setattr(FakePeople, "people_with_role", counted)
    request = await core.submit(TROUT_OWNER)
    async with core.db.read() as tx:
        assert await tx.offered(request.id) == [core.pid(LI)]
    assert read == []
    await core.desk.set_away(core.pid(LI), True)
    escalated = await core.submit(TROUT_OWNER)
    assert core.request(escalated.id).status == RequestStatus.ESCALATED
    assert sorted(read) == sorted([Role.COMMISSIONER, Role.SUPERVISOR, Role.SUPERVISOR])


async def test_a_request_goes_to_the_team_when_the_commissioner_is_away(core: Core) -> None:
    request_id = await team_request(core)
    assert core.request(request_id).status == RequestStatus.ESCALATED
    async with core.db.read() as tx:
        assert await tx.offered(request_id) == [core.pid(WANG), core.pid(CHEN)]
    assert core.kinds() == [E.AWAY_SET, E.SUBMITTED, E.ESCALATED]
    [*_, escalated] = core.db.events(request_id)
    assert escalated.payload["tier"] == Tier.TEAM
    rows = [
        (r.message.kind, r.message.recipient_id, r.message.params.get("tier"))
        for r in core.db.outbox()
    ]
    assert rows == [
        (M.CARD, core.pid(WANG), None),
        (M.CARD, core.pid(CHEN), None),
        (M.ESCALATED, core.pid(SUPERVISOR), "team"),
        (M.RECEIVED, core.pid(TROUT_OWNER), "team"),
    ]


async def test_an_owner_with_too_many_open_requests_is_refused(core: Core) -> None:
    core.desk.max_open_requests = 1
    await core.submit(TROUT_OWNER)
    events, rows = len(core.db.events()), len(core.db.outbox())
    with pytest.raises(Refused) as refused:
        await core.submit(TROUT_OWNER)
    assert refused.value.reason == Refusal.TOO_MANY_OPEN
    assert len(core.db.events()) == events and len(core.db.outbox()) == rows


# ---- work ------------------------------------------------------------------------------------


async def test_of_two_taps_on_accept_exactly_one_wins(core: Core) -> None:
    request_id = await team_request(core)
    results = await asyncio.gather(
        core.desk.accept(request_id, core.pid(WANG)),
        core.desk.accept(request_id, core.pid(CHEN)),
        return_exceptions=True,
    )
    [winner] = [r for r in results if isinstance(r, Accepted)]
    [loser] = [r for r in results if isinstance(r, Refused)]
    assert loser.reason == Refusal.ALREADY_TAKEN
    assert loser.details["holder"] == winner.holder.name
    request = core.request(request_id)
    assert request.status == RequestStatus.ACCEPTED
    assert request.holder_id == winner.holder.id and request.due_at is not None
    assert core.kinds(request_id).count(E.ACCEPTED) == 1
    async with core.db.read() as tx:
        assert await tx.offered(request_id) == []
    assert core.queued(M.ACCEPTED) == [("accepted", core.pid(TROUT_OWNER), request_id)]
    cards = [r for r in core.db.outbox("pending") if r.message.kind == M.CARD]
    assert {r.message.recipient_id for r in cards} == {core.pid(WANG), core.pid(CHEN)}
    assert all(r.message.edit_key == "card" for r in cards)


async def test_the_same_person_tapping_accept_again_changes_nothing(core: Core) -> None:
    request_id = await accepted_by_li(core)
    again = await core.desk.accept(request_id, core.pid(LI))
    assert again.again
    assert core.kinds(request_id).count(E.ACCEPTED) == 1 and core.queued() == []


async def test_someone_not_offered_the_request_cannot_accept_it(core: Core) -> None:
    request = await core.submit(TROUT_OWNER)
    with pytest.raises(Refused) as refused:
        await core.desk.accept(request.id, core.pid(WANG))
    assert refused.value.reason == Refusal.NOT_ALLOWED
    assert core.request(request.id).status == RequestStatus.DISPATCHED


async def test_a_decline_passes_the_request_on_to_the_team(core: Core) -> None:
    request = await core.submit(TROUT_OWNER)
    core.forget_outbox()
    tier, people = await core.desk.decline(request.id, core.pid(LI), "不属于我的职责范围")
    assert tier == Tier.TEAM
    assert [p.id for p in people] == [core.pid(WANG), core.pid(CHEN)]
    assert core.request(request.id).status == RequestStatus.ESCALATED
    assert core.kinds(request.id)[-2:] == [E.DECLINED, E.ESCALATED]
    assert core.db.events(request.id)[-2].payload["reason"] == "不属于我的职责范围"
    assert core.queued(M.CARD) == [
        ("card", core.pid(LI), request.id),
        ("card", core.pid(WANG), request.id),
        ("card", core.pid(CHEN), request.id),
    ]
    assert core.db.outbox("pending")[0].message.edit_key == "card"  # Li's card loses buttons
    with pytest.raises(Refused) as refused:
        await core.desk.accept(request.id, core.pid(LI))
    assert refused.value.reason == Refusal.NOT_ALLOWED


async def test_resolving_and_rating_close_the_request(core: Core) -> None:
    request_id = await accepted_by_li(core)
    resolved = await core.desk.resolve(request_id, core.pid(LI), Outcome.SOLVED, "贷款已发放")
    assert resolved.status == RequestStatus.RESOLVED
    assert (resolved.outcome, resolved.resolution) == (Outcome.SOLVED, "贷款已发放")
    assert core.queued(M.RESOLVED) == [("resolved", core.pid(TROUT_OWNER), request_id)]
    with pytest.raises(Refused) as refused:
        await core.desk.rate(request_id, core.pid(HERB_OWNER), 5)
    assert refused.value.reason == Refusal.NOT_ALLOWED
    closed = await core.desk.rate(request_id, core.pid(TROUT_OWNER), 5)
    assert (closed.status, closed.rating) == (RequestStatus.CLOSED, 5)
    assert core.db.row(request_id).closed_at == START
    assert core.kinds(request_id)[-2:] == [E.RESOLVED, E.RATED]
    assert core.db.events(request_id)[-1].payload == {"stars": 5}
    assert core.queued(M.RATED, M.RATED_HOLDER) == [
        ("rated", core.pid(TROUT_OWNER), request_id),
        ("rated_holder", core.pid(LI), request_id),
    ]
    with pytest.raises(Refused) as again:
        await core.desk.rate(request_id, core.pid(TROUT_OWNER), 4)
    assert again.value.reason == Refusal.NOT_WORKING
    assert core.request(request_id).rating == 5


async def test_a_note_from_the_holder_reaches_the_owner(core: Core) -> None:
    request_id = await accepted_by_li(core)
    owner = await core.desk.note(request_id, core.pid(LI), "已联系县农商行")
    assert owner is not None and owner.id == core.pid(TROUT_OWNER)
    assert core.kinds(request_id)[-1] == E.NOTED
    [row] = core.db.outbox("pending")
    assert (row.message.kind, row.message.recipient_id) == (M.NOTE, owner.id)
    assert row.message.params["text"] == "已联系县农商行"
    with pytest.raises(Refused):
        await core.desk.note(request_id, core.pid(WANG), "不是我的")


# ---- relay and supervision ---------------------------------------------------------------------


async def test_a_relay_from_the_owner_reaches_the_holder_only(core: Core) -> None:
    request_id = await accepted_by_li(core)
    recipients = await core.desk.relay(request_id, core.pid(TROUT_OWNER), "补充材料已上传")
    assert [p.id for p in recipients] == [core.pid(LI)]
    assert core.kinds(request_id)[-1] == E.RELAYED
    assert core.queued() == [("relay", core.pid(LI), request_id)]
    with pytest.raises(Refused) as refused:
        await core.desk.relay(request_id, core.pid(HERB_OWNER), "我也想说")
    assert refused.value.reason == Refusal.NOT_ALLOWED


async def test_a_supervisor_reassigns_a_request_to_another_commissioner(core: Core) -> None:
    request_id = await accepted_by_li(core)
    with pytest.raises(Refused):
        await core.desk.reassign(request_id, core.pid(LI), WANG.phone)
    target = await core.desk.reassign(request_id, core.pid(SUPERVISOR), WANG.phone)
    assert target.id == core.pid(WANG)
    request = core.request(request_id)
    assert (request.status, request.holder_id, request.due_at) == (
        RequestStatus.DISPATCHED,
        None,
        None,
    )
    async with core.db.read() as tx:
        assert await tx.offered(request_id) == [core.pid(WANG)]
    [*_, event] = core.db.events(request_id)
    assert event.kind == E.REASSIGNED
    assert event.payload == {"to": core.pid(WANG), "previous": core.pid(LI)}
    assert [(r.message.recipient_id, r.message.edit_key) for r in core.db.outbox("pending")] == [
        (core.pid(LI), "card"),
        (core.pid(WANG), None),
    ]
    await core.desk.accept(request_id, core.pid(WANG))
    assert core.request(request_id).holder_id == core.pid(WANG)


async def test_an_approved_extension_moves_the_deadline(core: Core) -> None:
    request_id = await accepted_by_li(core)
    due = core.request(request_id).due_at
    assert due is not None
    asked = await core.extensions.ask(request_id, core.pid(LI), 3, "等待银行审批")
    assert asked.ask == 1 and asked.new_due > due and asked.supervisors == 1
    assert core.queued() == [("extension_asked", core.pid(SUPERVISOR), request_id)]
    core.forget_outbox()
    decided = await core.extensions.decide(request_id, core.pid(SUPERVISOR), 1, approve=True)
    assert decided.due == asked.new_due == core.request(request_id).due_at
    assert core.kinds(request_id)[-2:] == [E.EXTENSION_ASKED, E.EXTENSION_APPROVED]
    assert core.db.row(request_id).next_step_at == PLAN_AT_ONCE
    assert core.queued() == [
        ("extension_decided", core.pid(SUPERVISOR), request_id),
        ("extension_result", core.pid(LI), request_id),
        ("deadline_extended", core.pid(TROUT_OWNER), request_id),
        ("card", core.pid(LI), request_id),
    ]
    with pytest.raises(Refused) as twice:
        await core.extensions.decide(request_id, core.pid(SUPERVISOR), 1, approve=False)
    assert twice.value.reason == Refusal.DUPLICATE


async def test_an_owner_withdraws_a_request_and_whoever_had_it_is_told(core: Core) -> None:
    request_id = await team_request(core)
    cancelled = await core.cancellation.cancel(core.pid(TROUT_OWNER), request_id, "已自行解决")
    assert cancelled.request.status == RequestStatus.CANCELLED
    assert {p.id for p in cancelled.told} == {core.pid(WANG), core.pid(CHEN)}
    [*_, event] = core.db.events(request_id)
    assert (event.kind, event.payload["reason"]) == (E.CANCELLED, "已自行解决")
    assert sorted(core.queued()) == sorted(
        (kind, core.pid(p), request_id) for kind in ("card", "cancelled") for p in (WANG, CHEN)
    )
    with pytest.raises(Refused) as stale:
        await core.desk.accept(request_id, core.pid(WANG))
    assert stale.value.reason == Refusal.CANCELLED


# ---- the chase and the digest -----------------------------------------------------------------


async def test_the_sweep_reminds_then_escalates_an_unaccepted_request(core: Core) -> None:
    request = await core.submit(TROUT_OWNER)
    await core.sweep.run()  # plans it (and sends the morning's digest)
    core.forget_outbox()
    assert core.db.row(request.id).next_step_at == START + timedelta(minutes=30)
    core.clock.advance(timedelta(minutes=29))
    assert not (await core.sweep.run()).chased
    core.clock.advance(timedelta(minutes=1))
    report = await core.sweep.run()
    assert report.reminded_accept == [request.id]
    assert core.queued() == [("remind_accept", core.pid(LI), request.id)]
    assert core.kinds(request.id)[-1] == E.REMINDED_ACCEPT
    assert core.db.row(request.id).next_step_at == START + timedelta(hours=2)
    core.forget_outbox()
    core.clock.set(START + timedelta(hours=2))
    report = await core.sweep.run()
    assert report.escalated == [request.id]
    assert core.request(request.id).status == RequestStatus.ESCALATED
    assert sorted(core.queued()) == sorted(
        [
            ("taken_away", core.pid(LI), request.id),
            ("card", core.pid(WANG), request.id),
            ("card", core.pid(CHEN), request.id),
            ("escalated", core.pid(SUPERVISOR), request.id),
        ]
    )
    assert core.kinds(request.id)[-1] == E.ESCALATED
    assert not (await core.sweep.run()).chased  # each step once


async def test_the_sweep_reminds_on_the_due_morning_and_chases_once_overdue(core: Core) -> None:
    request_id = await accepted_by_li(core)
    due = core.request(request_id).due_at
    assert due is not None
    policy = core.sweep.policy
    morning = policy.at_local(policy.local(due).date(), policy.due_reminder_time)
    core.clock.set(morning)
    assert (await core.sweep.run()).reminded_due == [request_id]
    assert core.queued(M.REMIND_DUE) == [("remind_due", core.pid(LI), request_id)]
    core.clock.set(due + timedelta(minutes=1))
    assert (await core.sweep.run()).overdue == [request_id]
    assert core.queued(M.OVERDUE, M.OVERDUE_REPORT) == [
        ("overdue", core.pid(LI), request_id),
        ("overdue_report", core.pid(SUPERVISOR), request_id),
    ]
    assert core.kinds(request_id)[-2:] == [E.REMINDED_DUE, E.OVERDUE_CHASED]
    core.clock.advance(timedelta(hours=1))
    assert not (await core.sweep.run()).overdue  # once a day


async def test_the_digest_goes_out_once_a_day(core: Core) -> None:
    first = await core.sweep.run()
    second = await core.sweep.run()
    assert first.digest_sent and not second.digest_sent
    assert core.queued(M.DIGEST) == [("digest", core.pid(SUPERVISOR), None)]
    [sent] = [e for e in core.db.events() if e.kind == E.DIGEST_SENT]
    assert sent.payload["recipients"] == 1
    core.clock.advance(timedelta(days=1))
    assert (await core.sweep.run()).digest_sent
    assert len(core.queued(M.DIGEST)) == 2


# ---- one transaction per use case --------------------------------------------------------------


async def test_a_use_case_that_fails_half_way_leaves_nothing_behind(core: Core) -> None:
    request = await core.submit(TROUT_OWNER)
    events, rows = len(core.db.events()), len(core.db.outbox())
    with pytest.raises(RuntimeError):
        async with core.desk.unit() as tx:
            moved = await tx.move(request.id, [RequestStatus.DISPATCHED], RequestStatus.CANCELLED)
            assert moved
            await core.desk.record(tx, request.id, None, E.CANCELLED)
            await core.desk.notify(tx, [await tx.person(core.pid(LI))], M.CARD, request)
            raise RuntimeError("the process dies here")
    assert core.request(request.id).status == RequestStatus.DISPATCHED
    assert len(core.db.events()) == events and len(core.db.outbox()) == rows


# A tap as any channel would record it: the core never reads inside the reference.
TAP = UpdateRef("wecom", "msg-77f3", 77)


async def test_a_redelivered_update_is_handled_once(core: Core) -> None:
    request_id = await team_request(core)
    await core.desk.accept(request_id, core.pid(WANG), update=TAP)
    with pytest.raises(Refused) as refused:
        await core.desk.accept(request_id, core.pid(WANG), update=TAP)
    assert refused.value.reason == Refusal.DUPLICATE
    assert core.kinds(request_id).count(E.ACCEPTED) == 1


# ---- delivery through the channel-neutral drainer --------------------------------------------


async def test_queued_messages_reach_the_recording_channel_and_cards_are_edited(
    core: Core,
) -> None:
    request = await core.submit(TROUT_OWNER, urgency=Urgency.URGENT)
    await core.deliver()
    assert sorted((d.address, d.out.message.kind) for d in core.channel.sent) == sorted(
        [(str(LI.telegram_id), M.CARD), (str(TROUT_OWNER.telegram_id), M.RECEIVED)]
    )
    assert core.db.outbox("pending") == []
    card = next(d for d in core.channel.sent if d.out.message.kind == M.CARD)
    assert not card.silent  # urgent
    async with core.db.read() as tx:
        assert await tx.request_of_message(LI.address, card.ref.message_id) == request.id
    await core.desk.accept(request.id, core.pid(LI))
    await core.deliver()
    edits = [d for d in core.channel.deliveries if d.action == "edit"]
    assert [(d.ref, d.out.message.kind) for d in edits] == [(card.ref, M.CARD)]


@dataclass
class Blocking(RecordingChannel):
    """A recording channel on which some addresses have blocked the bot."""

    blocked: set[str] = field(default_factory=set)

    async def send(self, address: str, out: Recorded, *, silent: bool) -> SentRef | None:
        if address in self.blocked:
            raise Permanent("403 blocked by the user", unreachable=True)
        return await super().send(address, out, silent=silent)


async def test_a_commissioner_who_blocked_the_bot_is_passed_over_at_once(core: Core) -> None:
    channel = Blocking(name="telegram", blocked={LI.address.value})
    core.drainer.channels["telegram"] = channel
    request = await core.submit(TROUT_OWNER)
    await core.deliver()
    async with core.db.read() as tx:
        li = await tx.person(core.pid(LI))
        assert await tx.offered(request.id) == [core.pid(WANG), core.pid(CHEN)]
    assert li is not None and li.unreachable
    assert core.request(request.id).status == RequestStatus.ESCALATED
    assert [e.kind for e in core.db.events()][-2:] == [E.PERSON_UNREACHABLE, E.ESCALATED]
    assert {(d.address, d.out.message.kind) for d in channel.sent} >= {
        (WANG.address.value, M.CARD),
        (CHEN.address.value, M.CARD),
        (SUPERVISOR.address.value, M.UNREACHABLE_REPORT),
    }
    assert [r.status for r in core.rows_to(LI)] == ["failed"]


async def test_each_person_browses_only_what_they_may_see(core: Core) -> None:
    browse = Browse(core.db, core.clock, core.desk.catalog)
    first = await core.submit(TROUT_OWNER)
    await core.desk.accept(first.id, core.pid(LI))
    second = await core.submit(TROUT_OWNER, category="permits", description="冷库扩建需要办证")
    mine = await browse.page(core.pid(TROUT_OWNER), ListKey(ListKind.MY))
    assert ([line.id for line in mine.items], mine.total) == ([second.id, first.id], 2)
    held = await browse.page(core.pid(LI), ListKey(ListKind.MINE))
    assert [line.id for line in held.items] == [second.id, first.id]  # on offer, and held
    new = await browse.page(
        core.pid(SUPERVISOR), ListKey(ListKind.OPEN, filter=OpenFilter.UNACCEPTED)
    )
    assert [line.id for line in new.items] == [second.id]
    with pytest.raises(Refused):
        await browse.page(core.pid(TROUT_OWNER), ListKey(ListKind.OPEN))
    card = await browse.card(core.pid(LI), first.id)
    assert card.can_work and not card.can_accept
    with pytest.raises(Refused) as refused:
        await browse.card(core.pid(HERB_OWNER), first.id)
    assert refused.value.reason == Refusal.NOT_ALLOWED
    owner_sees = await browse.timeline(core.pid(TROUT_OWNER), first.id)
    assert [s.event.kind for s in owner_sees.steps] == [E.SUBMITTED, E.ACCEPTED]
    staff_sees = await browse.timeline(core.pid(LI), first.id)
    assert [s.event.kind for s in staff_sees.steps] == [E.SUBMITTED, E.DISPATCHED, E.ACCEPTED]
    assert staff_sees.steps[1].people("to") == [LI.name]
