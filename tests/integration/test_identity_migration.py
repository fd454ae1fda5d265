"""A database written before addresses (schema 3: Telegram ids in people, outbox, refs, inbox,
drafts) migrates in place with nothing lost, and the bot carries on where it stopped.

Yesterday's database is made the way yesterday's code made it: migrations 0001-0003 applied by
the real migrate(), then rows in the shapes the schema-3 storage code wrote them (the people
in it also wrote to the simulated Telegram, so their chats exist and their updates were
handled).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.channels.telegram.identity import address
from bot.domain.clock import FakeClock, to_text
from bot.domain.identity import Address
from bot.domain.models import Attachment, RequestStatus
from bot.sample import HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG, SamplePerson
from bot.simulator.server import BotApiSimulator
from bot.storage.db import connect, migrate, migrations, schema_version
from tests.conftest import World, start_bot
from tests.i18n_support import zh, zh_part
from tests.integration.flows import TAKEN

TROUT_FARM = "91500230MA5UXR1T2K"
HERB_COMPANY = "91500230MA5UYB2H3L"
# Yesterday's outbox had handed out ids up to here (rows 4-9 since pruned).
OUTBOX_SEQ = 9


async def yesterday(conn: aiosqlite.Connection, now: datetime, photo: str, handled: int) -> None:
    """The rows a schema-3 bot left: #1 dispatched to 李专员 with his card still queued, and
    刘经理 halfway through /new (a photo added); `handled` updates were processed."""
    t = to_text(now - timedelta(minutes=10))
    people: list[tuple[SamplePerson, str, bool]] = [
        (SUPERVISOR, "supervisor", True),
        (LI, "commissioner", True),
        (WANG, "commissioner", True),
        (TROUT_OWNER, "owner", True),
        (HERB_OWNER, "owner", True),
    ]
    ids: dict[str, int] = {}
    for n, (person, role, bound) in enumerate(people, start=1):
        ids[person.phone] = n
        await conn.execute(
            "INSERT INTO people (id, name, phone, telegram_id, language, created_at) "
            "VALUES (?, ?, ?, ?, 'zh', ?)",
            (n, person.name, person.phone, person.telegram_id if bound else None, t),
        )
        await conn.execute("INSERT INTO person_roles (person_id, role) VALUES (?, ?)", (n, role))
        for team in person.teams:
            await conn.execute("INSERT INTO team_members VALUES (?, ?)", (n, team))
    li, trout = ids[LI.phone], ids[TROUT_OWNER.phone]
    for eid, (name, code, owner, commissioner) in enumerate(
        [
            ("清溪冷水鱼养殖场", TROUT_FARM, TROUT_OWNER, LI),
            ("仙草堂中药材有限公司", HERB_COMPANY, HERB_OWNER, WANG),
        ],
        start=1,
    ):
        await conn.execute(
            "INSERT INTO enterprises (id, name, credit_code, contact_name, contact_phone, "
            "commissioner_id) VALUES (?, ?, ?, ?, ?, ?)",
            (eid, name, code, owner.name, owner.phone, ids[commissioner.phone]),
        )
    await conn.execute(
        "INSERT INTO requests (id, enterprise_id, owner_id, category, description, urgency, "
        "status, created_at, dispatched_at) VALUES (1, 1, ?, 'financing', ?, 'normal', "
        "'dispatched', ?, ?)",
        (trout, "需要贷款200万元用于灌装线改造", t, t),
    )
    await conn.execute(
        "INSERT INTO attachments (request_id, kind, file_id, file_name) "
        "VALUES (1, 'photo', ?, NULL)",
        (photo,),
    )
    await conn.execute("INSERT INTO offers VALUES (1, ?, 'commissioner', ?, 1)", (li, t))
    for kind, before, after, payload in (
        ("submitted", None, "submitted", {"category": "financing", "attachments": 1}),
        ("dispatched", "submitted", "dispatched", {"tier": "commissioner", "to": str(li)}),
    ):
        await conn.execute(
            "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, "
            "at) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (trout, kind, before, after, json.dumps(payload), t),
        )
    outbox = "INSERT INTO outbox (id, recipient_id, chat_id, kind, request_id, params, status, "
    outbox += "not_before, created_at, sent_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)"
    received = json.dumps({"tier": "commissioner", "names": LI.name}, ensure_ascii=False)
    await conn.execute(
        outbox, (1, trout, TROUT_OWNER.telegram_id, "received", received, "sent", t, t, t)
    )
    # 李专员's card was committed but not sent when the old bot stopped.
    card = json.dumps({"fresh": True})
    await conn.execute(outbox, (3, li, LI.telegram_id, "card", card, "pending", t, t, None))
    await conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (OUTBOX_SEQ,))
    await conn.execute(
        "INSERT INTO message_refs VALUES (?, 1, 'm1', ?, 1)", (trout, TROUT_OWNER.telegram_id)
    )
    for update_id in range(1, handled + 1):
        await conn.execute(
            "INSERT INTO inbox (update_id, payload, received_at, processed_at, attempts) "
            "VALUES (?, '{}', ?, ?, 1)",
            (update_id, t, t),
        )
    draft = {
        "enterprise_id": 2,
        "category": "financing",
        "description": "中药材收购旺季，流动资金缺口50万元",
        "urgency": None,
        "attachments": [{"kind": "photo", "file_id": photo, "file_name": None}],
        "last_update": handled,
    }
    await conn.execute(
        "INSERT INTO drafts VALUES (?, 'intake', 'attachments', ?, ?)",
        (HERB_OWNER.telegram_id, json.dumps(draft, ensure_ascii=False), t),
    )


async def test_a_database_of_yesterday_migrates_in_place_and_the_bot_carries_on(
    sim: BotApiSimulator, tmp_path: Path, clock: FakeClock
) -> None:
    # Yesterday: everyone wrote to the bot; 刘经理 sent a photo for the form.
    users = {
        p.telegram_id: sim.user(p.telegram_id, p.name)
        for p in (SUPERVISOR, LI, WANG, TROUT_OWNER, HERB_OWNER)
    }
    for user in users.values():
        await user.command("start")
    herb = users[HERB_OWNER.telegram_id]
    sent = await herb.send_photo()
    assert sent.photo is not None
    photo = str(sent.photo[-1]["file_id"])
    db_path = tmp_path / "oncall.db"
    conn = await connect(db_path)
    try:
        assert await migrate(conn, upto=3) == 3
        await conn.execute("BEGIN")
        await yesterday(conn, clock.now(), photo, handled=len(users) + 1)
        await conn.execute("COMMIT")
    finally:
        await conn.close()

    # Today's bot opens the same file: it migrates on start and sends what was queued.
    world = World(sim, await start_bot(sim, db_path, clock), clock, db_path)
    try:
        li, owner = users[LI.telegram_id], users[TROUT_OWNER.telegram_id]
        card = await li.wait_for_message("#1")
        assert card.chat.id == LI.telegram_id and card.button(zh("✅ Accept")) is not None

        # The open request can be accepted from that card, and its owner is told.
        await li.tap(zh("✅ Accept"), card)
        await owner.wait_for_message(zh_part(TAKEN))
        view = await world.runtime.desk.view(1)
        assert view is not None and view.holder is not None and view.holder.name == LI.name
        assert view.request.status == RequestStatus.ACCEPTED
        assert view.request.attachments == (
            Attachment(kind="photo", channel="telegram", ref=photo),
        )

        # 刘经理's form goes on from its saved step, with yesterday's photo in it.
        draft = await world.runtime.desk.draft(address(HERB_OWNER.telegram_id))
        assert draft is not None and draft.step == "attachments"
        assert [a.ref for a in draft.attachments] == [photo]
        await herb.send_photo()
        await herb.wait_for_message(lambda m: m.button(zh("✔ Done")) is not None)
        await herb.tap(zh("✔ Done"))
        await herb.wait_for_message(lambda m: m.button(zh("Normal")) is not None)
        await herb.tap(zh("Normal"))
        await herb.wait_for_message(lambda m: m.button(zh("✅ Submit")) is not None)
        await herb.tap(zh("✅ Submit"))
        await herb.wait_for_message("#2")
        wang = users[WANG.telegram_id]
        await wang.wait_for_message("#2")
        await world.runtime.sender.drain()
        assert len([m for m in wang.messages() if m.photo]) == 2  # both photos reach him

        async with world.runtime.db.read() as tx:
            person = await tx.person_at(address(LI.telegram_id))
            assert person is not None and person.addresses == (Address("telegram", "2001"),)
            rows = await tx._all("SELECT id, channel, address, status FROM outbox ORDER BY id")
            refs = await tx._all("SELECT * FROM message_refs WHERE person_id = 4 AND key = 'm1'")
            inbox = await tx._all("SELECT seq FROM inbox WHERE channel = 'telegram' ORDER BY seq")
            columns = {r["name"] for r in await tx._all("PRAGMA table_info(people)")}
        # Nothing lost: yesterday's rows are there, addressed to the same chats; new rows
        # take ids after the highest ever handed out.
        assert [tuple(r) for r in rows[:2]] == [
            (1, "telegram", str(TROUT_OWNER.telegram_id), "sent"),
            (3, "telegram", str(LI.telegram_id), "sent"),
        ]
        assert all(r["id"] > OUTBOX_SEQ for r in rows[2:]) and len(rows) > 2
        assert [(r["address"], r["message_ref"]) for r in refs] == [("3001", "1")]
        assert [r["seq"] for r in inbox][:6] == [1, 2, 3, 4, 5, 6]
        assert "telegram_id" not in columns
    finally:
        await world.runtime.close()

    conn = await connect(db_path)
    try:
        assert await schema_version(conn) == len(migrations())
        assert list(await conn.execute_fetchall("PRAGMA foreign_key_check")) == []
        assert [tuple(r) for r in await conn.execute_fetchall("PRAGMA foreign_keys")] == [(1,)]
    finally:
        await conn.close()
