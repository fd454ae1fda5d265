"""The services over the in-memory fakes: no SQLite, no HTTP, no sleeps (bot.channels.fake and
tests/services/fakes/), with the sample rosters bound to Telegram addresses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from bot.channels.drainer import OutboxDrainer
from bot.channels.fake import RecordingChannel
from bot.config_files import load_catalog
from bot.domain.clock import FakeClock
from bot.domain.deadlines import WorkCalendar
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.models import Catalog, Draft, Request, Urgency
from bot.sample import SamplePerson, load_sample
from bot.services.cancel import Cancellation
from bot.services.desk import Desk
from bot.services.digest import DigestService
from bot.services.extensions import Extensions
from bot.services.reach import Reachability
from bot.services.sla import SlaPolicy
from bot.services.sweep import Sweep
from tests.services.fakes import FakeUnitOfWork, OutboxEntry

CQ = ZoneInfo("Asia/Shanghai")
# A Wednesday morning in the county (09:30 local), a working day, outside quiet hours.
START = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def calendar() -> WorkCalendar:
    return WorkCalendar(tz=CQ)


def policy() -> SlaPolicy:
    return SlaPolicy(
        accept_remind_after=timedelta(minutes=30),
        accept_escalate_after=timedelta(hours=2),
        tz=CQ,
        calendar=calendar(),
        working_days=True,
    )


@dataclass
class Core:
    """The use cases as the handlers and the scheduler call them, over the fakes."""

    db: FakeUnitOfWork
    clock: FakeClock
    desk: Desk
    sweep: Sweep
    extensions: Extensions
    cancellation: Cancellation
    channel: RecordingChannel
    drainer: OutboxDrainer
    ids: dict[str, int]  # phone → person id

    @classmethod
    async def start(cls) -> Core:
        db = FakeUnitOfWork()
        clock = FakeClock(START)
        sla = policy()
        desk = Desk(db, clock, catalog(), sla)
        digests = DigestService(db, clock, sla)
        await load_sample(db, clock.now(), bind=True)
        channel = RecordingChannel(name="telegram")
        drainer = OutboxDrainer(
            db,
            desk,
            clock,
            {channel.name: channel},
            Reachability(desk),
            timer=lambda: clock.now().timestamp(),
        )
        ids = {p.phone: p.id for p in db.state.people.values()}
        return cls(
            db,
            clock,
            desk,
            Sweep(desk, sla, digests),
            Extensions(desk, sla),
            Cancellation(desk),
            channel,
            drainer,
            ids,
        )

    def pid(self, person: SamplePerson) -> int:
        return self.ids[person.phone]

    async def submit(
        self,
        owner: SamplePerson,
        category: str = "financing",
        description: str = "需要贷款200万元用于灌装线改造",
        urgency: Urgency = Urgency.NORMAL,
    ) -> Request:
        await self.desk.save_draft(
            Draft(
                at=owner.address,
                step="confirm",
                category=category,
                description=description,
                urgency=urgency,
            )
        )
        return (await self.desk.submit(self.pid(owner), owner.address)).request

    def request(self, request_id: int) -> Request:
        return self.db.row(request_id).request

    def kinds(self, request_id: int | None = None) -> list[EventKind]:
        return [e.kind for e in self.db.events(request_id)]

    def queued(self, *kinds: MessageKind) -> list[tuple[str, int, int | None]]:
        """(kind, recipient, request) of the pending outbox rows, of these kinds if given."""
        return [
            (r.message.kind.value, r.message.recipient_id, r.message.request_id)
            for r in self.db.outbox("pending")
            if not kinds or r.message.kind in kinds
        ]

    def rows_to(self, person: SamplePerson) -> list[OutboxEntry]:
        return [r for r in self.db.outbox() if r.message.recipient_id == self.pid(person)]

    def forget_outbox(self) -> None:
        """Marks everything queued so far as sent, so a test sees only what follows."""
        for key, row in list(self.db.state.outbox.items()):
            if row.status == "pending":
                self.db.state.outbox[key] = OutboxEntry(
                    row.id, row.message, row.address, row.created_at, row.not_before, "sent"
                )

    async def deliver(self) -> None:
        """Everything due goes out through the recording channel (paced by the fake clock)."""
        while await self.drainer.drain_once():
            await self.drainer.settle()
