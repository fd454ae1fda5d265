"""The chase, extension and digest services over a real SQLite file, without Telegram.

Outbox rows are read straight from the database: what would be sent, to whom, about what.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.bootstrap import sla_policy
from bot.config_files import load_calendar, load_catalog
from bot.domain.clock import FakeClock
from bot.domain.deadlines import WorkCalendar
from bot.domain.models import Draft, Event, Request, Urgency
from bot.sample import SamplePerson, load_sample
from bot.services.desk import Desk
from bot.services.digest import DigestService
from bot.services.extensions import Extensions
from bot.services.sweep import Sweep
from bot.settings import Settings, load_settings
from bot.storage.uow import Database

CQ = ZoneInfo("Asia/Shanghai")


def cq(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    """An instant on the county's clock."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=CQ)


@dataclass(frozen=True)
class Row:
    chat_id: int
    kind: str
    request_id: int | None
    params: dict[str, Any]
    edit_key: str | None
    urgent: bool


@dataclass
class Services:
    """A bot without Telegram: the services as the scheduler and the handlers call them."""

    path: Path
    clock: FakeClock
    settings: Settings
    calendar: WorkCalendar
    db: Database
    desk: Desk
    digests: DigestService
    sweep: Sweep
    extensions: Extensions

    @classmethod
    async def open(
        cls,
        path: Path,
        clock: FakeClock,
        calendar: WorkCalendar | None = None,
        **settings: Any,
    ) -> Services:
        s = load_settings(None, db=path, **settings)
        cal = calendar or load_calendar(None, s.tz)
        db = await Database.open(path)
        policy = sla_policy(s, cal)
        desk = Desk(db, clock, load_catalog(), policy)
        digests = DigestService(db, clock, policy)
        return cls(
            path,
            clock,
            s,
            cal,
            db,
            desk,
            digests,
            Sweep(desk, policy, digests),
            Extensions(desk, policy),
        )

    async def restart(self) -> Services:
        """A new process over the same database file (nothing carried over in memory)."""
        await self.db.close()
        return await Services.open(self.path, self.clock, self.calendar, **self._overrides())

    def _overrides(self) -> dict[str, Any]:
        return {"sla": self.settings.sla, "digest": self.settings.digest}

    async def close(self) -> None:
        await self.db.close()

    # ---- acting --------------------------------------------------------------------------

    async def at(self, when: datetime) -> None:
        self.clock.set(when)

    async def submit(
        self,
        owner: SamplePerson,
        category: str = "financing",
        urgent: bool = False,
        description: str = "需要贷款200万元用于灌装线改造",
    ) -> Request:
        draft = Draft(
            at=owner.address,
            step="confirm",
            category=category,
            description=description,
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        )
        await self.desk.save_draft(draft)
        return (await self.desk.submit(await self.pid(owner), owner.address)).request

    async def pid(self, person: SamplePerson) -> int:
        """The person id of a sample person (bound to their Telegram account)."""
        found = await self.desk.whoami(person.address)
        assert found is not None, person.name
        return found.id

    async def request(self, request_id: int) -> Request:
        view = await self.desk.view(request_id)
        assert view is not None
        return view.request

    # ---- reading -------------------------------------------------------------------------

    async def outbox(self, kind: str | None = None, chat_id: int | None = None) -> list[Row]:
        async with self.db.conn.execute("SELECT * FROM outbox ORDER BY id") as cur:
            rows = await cur.fetchall()
        out = [
            Row(
                int(r["address"]),
                r["kind"],
                r["request_id"],
                json.loads(r["params"]),
                r["edit_key"],
                bool(r["urgent"]),
            )
            for r in rows
        ]
        return [
            r
            for r in out
            if (kind is None or r.kind == kind) and (chat_id is None or r.chat_id == chat_id)
        ]

    async def events(self, kind: str | None = None) -> list[Event]:
        async with self.db.tx() as tx:
            events = await tx.events()
        return [e for e in events if kind is None or e.kind == kind]


async def open_services(
    tmp_path: Path, start: datetime, calendar: WorkCalendar | None = None, **settings: Any
) -> Services:
    services = await Services.open(tmp_path / "oncall.db", FakeClock(start), calendar, **settings)
    await load_sample(services.db, services.clock.now(), bind=True)
    return services


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
