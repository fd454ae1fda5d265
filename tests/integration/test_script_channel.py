"""Issue 8 item 6: the seam is real. A second channel (tests/integration/script_channel.py: lines
of a script in, a recording channel out) drives the same use cases as Telegram over the real
SQLite storage and the channel-neutral outbox drainer, with nothing under bot/domain or
bot/services changed for it.
"""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.bootstrap import sla_policy
from bot.channels.drainer import OutboxDrainer
from bot.channels.fake import Delivery, RecordingChannel
from bot.config_files import load_calendar, load_catalog
from bot.domain.clock import FakeClock
from bot.domain.identity import Address
from bot.domain.kinds import EventKind as E
from bot.domain.kinds import MessageKind as M
from bot.domain.models import RequestStatus
from bot.sample import LI, SUPERVISOR, TROUT_OWNER, load_sample
from bot.services.cancel import Cancellation
from bot.services.desk import Desk
from bot.services.reach import Reachability
from bot.settings import load_settings
from bot.storage.uow import Database
from tests.conftest import START
from tests.integration import script_channel
from tests.integration.script_channel import ScriptChannel

OWNER, COMMISSIONER, BOSS = TROUT_OWNER.phone, LI.phone, SUPERVISOR.phone


@dataclass
class Rig:
    db: Database
    desk: Desk
    script: ScriptChannel
    telegram: RecordingChannel
    drainer: OutboxDrainer

    async def say(self, line: str) -> str:
        answer = await self.script.say(line)
        await self.drainer.drain()
        return answer

    def received(self, phone: str) -> list[tuple[str, M]]:
        """(send or edit, kind) of what the person at script:<phone> was shown, in order."""
        return [
            (d.action, d.out.message.kind) for d in self.script.out.deliveries if d.address == phone
        ]

    def last(self, phone: str, kind: M) -> Delivery:
        return [
            d for d in self.script.out.sent if d.address == phone and d.out.message.kind == kind
        ][-1]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = load_settings(None, db=tmp_path / "script.db")
    db = await Database.open(settings.db)
    clock = FakeClock(START)
    policy = sla_policy(settings, load_calendar(None, settings.tz))
    desk = Desk(db, clock, load_catalog(), policy)
    await load_sample(db, clock.now(), bind=False)  # nobody has an address yet
    script = ScriptChannel(desk, Cancellation(desk))
    telegram = RecordingChannel(name="telegram")
    drainer = OutboxDrainer(
        db,
        desk,
        clock,
        {script.out.name: script.out, telegram.name: telegram},
        Reachability(desk),
        per_chat_interval=0,
    )
    try:
        yield Rig(db, desk, script, telegram, drainer)
    finally:
        await db.close()


async def test_a_request_goes_round_the_loop_on_the_script_channel(rig: Rig) -> None:
    for phone in (BOSS, COMMISSIONER, OWNER):
        assert (await rig.say(f"someone:{phone} /start")).startswith("ok bound")
    assert await rig.say("stranger:13700000000 /start") == "refused: unknown phone"
    assert await rig.say("stranger:13700000000 /accept #1") == "refused: not_registered"

    answer = await rig.say(f"owner:{OWNER} /new financing normal 需要贷款200万元用于灌装线改造")
    assert answer == "ok #1 to commissioner"
    assert rig.received(COMMISSIONER) == [("send", M.CARD)]
    assert rig.received(OWNER) == [("send", M.RECEIVED)]

    assert await rig.say(f"commissioner:{COMMISSIONER} /accept #1") == "ok accepted #1"
    assert rig.received(COMMISSIONER)[-1] == ("edit", M.CARD)  # its buttons change in place
    assert rig.received(OWNER)[-1] == ("send", M.ACCEPTED)

    # The owner replies to the message that told them: it reaches the holder about #1.
    told = rig.last(OWNER, M.ACCEPTED).ref.message_id
    assert await rig.say(f"owner:{OWNER} > {told} 材料已补充") == "ok relayed #1 to 1"
    relayed = rig.last(COMMISSIONER, M.RELAY).out.message
    assert relayed.params["text"] == "材料已补充"

    assert (await rig.say(f"commissioner:{COMMISSIONER} /resolve #1 solved")).startswith("ok")
    assert await rig.say(f"commissioner:{COMMISSIONER} 贷款已发放") == "ok resolved #1"
    assert rig.received(OWNER)[-1] == ("send", M.RESOLVED)
    assert await rig.say(f"owner:{OWNER} /rate #1 5") == "ok rated #1"

    assert rig.received(OWNER) == [
        ("send", M.RECEIVED),
        ("send", M.ACCEPTED),
        ("send", M.RESOLVED),
        ("send", M.RATED),
    ]
    assert rig.received(COMMISSIONER) == [
        ("send", M.CARD),
        ("edit", M.CARD),
        ("send", M.RELAY),
        ("edit", M.CARD),
        ("send", M.RATED_HOLDER),
    ]
    assert rig.received(BOSS) == []  # nothing left its commissioner's hands
    assert rig.telegram.deliveries == []

    async with rig.db.read() as tx:
        request = await tx.request(1)
        events = [e.kind for e in await tx.events(1)]
        bound = await tx._all(
            "SELECT a.channel, a.address FROM person_addresses a ORDER BY a.address"
        )
        outbox = await tx._all("SELECT DISTINCT channel, status FROM outbox")
    assert request is not None
    assert (request.status, request.rating) == (RequestStatus.CLOSED, 5)
    assert events == [E.SUBMITTED, E.DISPATCHED, E.ACCEPTED, E.RELAYED, E.RESOLVED, E.RATED]
    assert [tuple(r) for r in bound] == [
        ("script", OWNER),
        ("script", BOSS),
        ("script", COMMISSIONER),
    ]
    assert [tuple(r) for r in outbox] == [("script", "sent")]


async def test_people_on_two_channels_work_one_request_together(rig: Rig) -> None:
    """The owner writes on the script channel, the commissioner is on Telegram: each hears on
    their own channel, from the same outbox."""
    li_telegram = LI.address
    assert await rig.desk.onboard(li_telegram, LI.phone, "zh") is not None
    assert (await rig.say(f"owner:{OWNER} /start")).startswith("ok bound")
    assert await rig.say(f"owner:{OWNER} /new financing urgent 冷库急需临时用电审批") == (
        "ok #1 to commissioner"
    )
    [card] = rig.telegram.sent
    assert (card.address, card.out.message.kind) == (li_telegram.value, M.CARD)
    li = await rig.desk.whoami(li_telegram)
    assert li is not None
    await rig.desk.accept(1, li.id)  # as the Telegram handler calls it
    await rig.desk.note(1, li.id, "已联系供电所")
    await rig.drainer.drain()
    assert rig.received(OWNER) == [("send", M.RECEIVED), ("send", M.ACCEPTED), ("send", M.NOTE)]
    assert [d.action for d in rig.telegram.deliveries] == ["send", "edit"]
    # The owner withdraws it on the script channel; the commissioner hears on Telegram.
    assert await rig.say(f"owner:{OWNER} /withdraw #1 已自行解决") == "ok withdrew #1"
    assert [d.out.message.kind for d in rig.telegram.deliveries][-2:] == [M.CARD, M.CANCELLED]


def test_the_script_channel_uses_the_core_as_it_is() -> None:
    """It imports the services, the domain and the channel seam — nothing of Telegram."""
    source = Path(script_channel.__file__).read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported, "no imports found"
    # The seam: the recording channel and the channel-neutral pending questions.
    seam = ("bot.channels.fake", "bot.channels.pending")
    allowed = ("__future__", "dataclasses", "bot.domain.", "bot.services.", *seam)
    assert all(m.startswith(allowed) for m in imported), imported
    assert not any("telegram" in m or m.startswith("bot.handlers") for m in imported)
    assert Address(script_channel.CHANNEL, OWNER) == script_channel.address(OWNER)
