"""Outages lose nothing, and people who blocked the bot are handled (issue 7, items 2 and 3).

Everything runs through the real Application and the HTTP simulator; time is a FakeClock,
advanced in steps while the sender keeps trying and the chase sweeps run.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from datetime import datetime, timedelta

from telegram import Update

from bot.channels.telegram import texts, texts_reach, texts_sla
from bot.channels.telegram.identity import address
from bot.domain.models import Message, Person, RequestStatus
from bot.i18n import translator
from bot.sample import CHEN, HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG, SamplePerson
from bot.services.reach import (
    PARTY_UNREACHABLE,
    PERSON_REACHABLE,
    PERSON_UNREACHABLE,
    RELAY_UNDELIVERED,
    UNREACHABLE_REPORT,
)
from bot.simulator.models import RecordedCall
from tests.conftest import World
from tests.i18n_support import zh
from tests.integration.flows import accepted_request, decline_other, new_request, onboard

ZH = translator("zh")
DELIVERY = ("sendMessage", "sendPhoto", "sendDocument", "editMessageText")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


async def tick(world: World, step: timedelta = timedelta(seconds=30), sweep: bool = True) -> None:
    """Simulated time moves on by `step`: the chase runs, the sender sends what is due."""
    world.clock.advance(step)
    if sweep:
        assert world.runtime.sweep is not None
        await world.runtime.sweep.run()
    await world.runtime.sender.drain()


async def outbox(world: World) -> list[dict[str, object]]:
    async with world.runtime.db.read() as tx:
        rows = await tx._all("SELECT * FROM outbox ORDER BY id")
    # The Telegram chat each row goes to, as the rows named it before they had addresses.
    return [{**dict(r), "chat_id": int(r["address"])} for r in rows]


async def person(world: World, who: SamplePerson) -> Person:
    found = await world.runtime.desk.whoami(who.address)
    assert found is not None
    return found


async def event_kinds(world: World) -> list[str]:
    async with world.runtime.db.read() as tx:
        return [e.kind for e in await tx.events()]


def delivered(world: World, chat_id: int) -> list[RecordedCall]:
    """Successful sends and edits to one chat, in the order they were made."""
    return [c for c in world.sim.calls if c.chat_id == chat_id and c.method in DELIVERY and c.ok]


def attempts(world: World, chat_id: int) -> list[RecordedCall]:
    return [c for c in world.sim.calls if c.chat_id == chat_id and c.method in DELIVERY]


def plain(text: str) -> str:
    return texts_sla.plain(text)


# ---- item 2: outages lose nothing ------------------------------------------------------------


async def test_a_sixty_minute_outage_loses_nothing_and_repeats_nothing(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)  # 张老板: his commissioner is 李专员
    herb = await onboard(world, HERB_OWNER)  # 刘经理: 王专员
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    start = world.clock.now()
    await new_request(owner)  # #1 → 李专员
    li_card = await li.wait_for_message("#1")
    world.clock.set(start + minutes(60))
    assert world.runtime.sweep is not None
    assert (await world.runtime.sweep.run()).reminded_accept == [1]
    await new_request(herb, category="销售")  # #2 → 王专员
    await wang.wait_for_message("#2")
    await world.runtime.sender.drain()

    # 11:10 local: Telegram goes down for an hour. 张老板's question on #1 was committed just
    # as it began (the relay handler's transaction), and nothing gets out.
    world.clock.set(start + minutes(70))
    world.sim.set_outage(502)
    calls_before = len(world.sim.calls)
    await world.runtime.desk.relay(
        1, (await person(world, TROUT_OWNER)).id, "请问贷款需要哪些材料？"
    )
    while world.clock.now() < start + minutes(130):
        await tick(world)
    during = world.sim.calls[calls_before:]
    during = [c for c in during if c.method in DELIVERY]  # (a long poll begun before may end)
    assert during and all(c.status == 502 for c in during)
    # Meanwhile #2's reminder fell due (11:30) and #1 went to the finance team (12:00).
    assert [e for e in await event_kinds(world) if e in ("reminded_accept", "escalated")] == [
        "reminded_accept",  # #1, 30 minutes in, before the outage
        "reminded_accept",  # #2, during it
        "escalated",  # #1, during it
    ]
    pending = [r for r in await outbox(world) if r["status"] == "pending"]
    assert {r["kind"] for r in pending} >= {"relay", "remind_accept", "card", "escalated"}
    assert not [r for r in await outbox(world) if r["status"] == "failed"]

    # Telegram is back: within one capped backoff (five minutes) everything goes out.
    queued = {int(str(r["id"])) for r in pending}
    world.sim.set_outage(None)
    calls_after = len(world.sim.calls)
    for _ in range(11):
        await tick(world)
    rows = await outbox(world)
    assert [r for r in rows if r["status"] != "sent"] == []

    # Exactly once: one successful send or edit per message queued in the outage, chat by chat.
    sent_per_chat = Counter(int(str(r["chat_id"])) for r in rows if r["id"] in queued)
    after = world.sim.calls[calls_after:]
    assert not [c for c in after if not c.ok]
    for user in (owner, herb, li, wang, chen, boss):
        made = [c for c in after if c.chat_id == user.id and c.method in DELIVERY]
        assert len(made) == sent_per_chat[user.id], user.name
    # In order per chat: 王专员 gets #2's reminder before #1's card, 李专员 the question
    # before his card changes to say where #1 went.
    wang_texts = [m.text or "" for m in wang.messages()]
    reminder = [i for i, t in enumerate(wang_texts) if "#2" in t and "⏰" in t]
    card = [i for i, t in enumerate(wang_texts) if "#1" in t]
    assert len(reminder) == 1 and len(card) == 1 and reminder[0] < card[0]
    [question] = [m for m in li.messages() if "请问贷款需要哪些材料" in (m.text or "")]
    [moved] = [e for e in li_card.edits if "#1" in (e.text or "")]
    assert question.seq < moved.seq
    assert len([m for m in chen.messages() if "#1" in (m.text or "")]) == 1
    # The reminder that fell due during the outage went out once; nothing was chased twice.
    assert (await event_kinds(world)).count("reminded_accept") == 2
    remind_rows = [r for r in rows if r["kind"] == "remind_accept"]
    assert [int(str(r["chat_id"])) for r in remind_rows] == [li.id, wang.id]
    assert len([m for m in boss.messages() if "#1" in (m.text or "")]) == 1


async def test_retries_during_an_outage_back_off_to_five_minutes_and_never_give_up(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    await li.wait_for_message("#1")
    await world.runtime.sender.drain()
    world.sim.set_outage(502)
    await world.runtime.desk.relay(1, (await person(world, TROUT_OWNER)).id, "现场情况如下")
    step = timedelta(seconds=10)
    tried_at: list[datetime] = []
    before = len(attempts(world, li.id))
    await world.runtime.sender.drain()
    if len(attempts(world, li.id)) > before:
        tried_at.append(world.clock.now())
    # A second message waits behind the deferred first (order): the sender sleeps until the
    # first is due again instead of looking every few milliseconds.
    await world.runtime.desk.relay(1, (await person(world, TROUT_OWNER)).id, "补充一句")
    await world.runtime.sender.drain()
    idle = await world.runtime.sender._idle_delay(asyncio.get_running_loop().time())
    assert idle >= 0.5
    for _ in range(6 * 60):  # an hour, in ten-second steps
        before = len(attempts(world, li.id))
        await tick(world, step, sweep=False)
        tries = len(attempts(world, li.id)) - before
        assert tries <= 1  # never more than one try per chat in a step: no tight loop
        if tries:
            tried_at.append(world.clock.now())
    # Bounded: 360 chances to try, about twenty tries (1, 2, 4 … 256 s, then every 5 minutes).
    assert 15 <= len(tried_at) <= 25
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tried_at)]
    assert max(gaps) <= 300 + step.total_seconds()
    assert gaps[:3] == [step.total_seconds()] * 3  # the first retries come quickly
    # Never given up: still pending after an hour, still being tried near its end.
    rows = await outbox(world)
    relay = next(r for r in rows if r["kind"] == "relay")
    assert relay["status"] == "pending" and relay["attempts"] == len(tried_at)
    assert (world.clock.now() - tried_at[-1]).total_seconds() <= 300

    world.sim.set_outage(None)
    for _ in range(31):  # at most one capped backoff later
        await tick(world, step, sweep=False)
    [question] = [m for m in li.messages() if "现场情况如下" in (m.text or "")]
    assert len([c for c in delivered(world, li.id) if "现场情况如下" in str(c.params)]) == 1
    assert question.text


async def test_a_chat_that_keeps_failing_does_not_hold_up_another(world: World) -> None:
    owner = await onboard(world, TROUT_OWNER)
    herb = await onboard(world, HERB_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    received = await new_request(owner)
    await li.wait_for_message("#1")
    # 李专员's chat is stuck on a photo Telegram keeps failing (5xx) …
    world.sim.fail_next("sendPhoto", 502, count=4)
    await owner.send_photo("现场照片", reply_to=received)
    await owner.reply(received, "照片已发，请查收")
    await li.wait_for(lambda: len(world.sim.calls_to("sendPhoto")) >= 1)
    # … while 刘经理 files #2 and 王专员 gets it at once, without the clock moving.
    await new_request(herb, category="销售")
    await wang.wait_for_message("#2")
    assert not [m for m in li.messages() if "照片已发" in (m.text or "")]  # order kept
    for _ in range(5):
        await tick(world, sweep=False)
    photo = await li.wait_for_message(lambda m: m.kind == "photo")
    text = await li.wait_for_message("照片已发")
    assert photo.message_id < text.message_id
    assert [c.status for c in world.sim.calls_to("sendPhoto")] == [502, 502, 502, 502, 200]


async def test_an_edit_that_can_no_longer_be_applied_is_sent_as_a_new_message(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner)
    card = await li.wait_for_message("#1")
    await decline_other(li, card)
    card.deleted = True  # 李专员 deletes the card before answering
    await li.send("本周出差，请团队处理")
    moved = await li.wait_for_message("↩")  # the changed card comes as a new message
    assert moved.message_id > card.message_id
    await world.runtime.sender.drain()  # its reference is saved once the send has returned
    li_id = (await person(world, LI)).id
    async with world.runtime.db.read() as tx:
        ref = await tx.ref(li_id, 1, "card")
    assert ref == (address(li.id), str(moved.message_id))
    # Telegram refusing the edit outright ("can't be edited") does the same.
    world.sim.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    await enqueue(world, LI, Message(recipient_id=0, kind="card", request_id=1, edit_key="card"))
    again = await li.wait_for_message("↩")
    assert again.message_id > moved.message_id
    # "Message is not modified" is success: the same card once more changes nothing.
    before = len(li.messages())
    await enqueue(world, LI, Message(recipient_id=0, kind="card", request_id=1, edit_key="card"))
    await world.runtime.sender.drain()
    assert len(li.messages()) == before
    assert {r["status"] for r in await outbox(world)} == {"sent"}


async def enqueue(world: World, who: SamplePerson, message: Message) -> None:
    """Commits one outbox row for `who`, as a use case would."""
    async with world.runtime.db.tx() as tx:
        found = await tx.person_at(who.address)
        assert found is not None
        await tx.enqueue(
            message.model_copy(update={"recipient_id": found.id}),
            who.address,
            world.clock.now(),
        )
    world.runtime.sender.wake()


async def test_our_own_bad_request_is_failed_without_blaming_the_person(world: World) -> None:
    await accepted_request(world)
    await world.runtime.sender.drain()
    world.sim.fail_next("sendMessage", 400, "Bad Request: can't parse entities: unclosed tag")
    await enqueue(
        world,
        TROUT_OWNER,
        Message(
            recipient_id=0, kind="note", request_id=1, params={"holder": "李专员", "text": "x"}
        ),
    )
    await world.runtime.sender.drain()
    [row] = [r for r in await outbox(world) if r["status"] == "failed"]
    assert "can't parse entities" in str(row["last_error"]).lower()
    assert not (await person(world, TROUT_OWNER)).unreachable
    assert PERSON_UNREACHABLE not in await event_kinds(world)
    assert [r["kind"] for r in await outbox(world) if r["kind"] == PARTY_UNREACHABLE] == []


# ---- item 3: unreachable people --------------------------------------------------------------


async def test_an_owner_who_blocked_the_bot_the_holder_is_told_the_truth(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    owner.block()
    await li.reply(card, "请补充营业执照复印件")
    # The reply could not reach 张老板: 李专员 hears so, with the number to call instead.
    notice = await li.wait_for_message(TROUT_OWNER.phone)
    assert "#1" in (notice.text or "") and TROUT_OWNER.name in (notice.text or "")
    assert ZH("Your last message was not delivered.") in (notice.text or "")
    zhang = await person(world, TROUT_OWNER)
    assert zhang.unreachable
    # Whoever is shown #1's card from now on sees it too.
    view = await world.runtime.desk.view(1)
    assert view is not None and view.owner.unreachable
    shown, _buttons = texts.card(
        view, await person(world, LI), world.runtime.desk.catalog, "zh", world.runtime.settings.tz
    )
    assert "📵" in shown and TROUT_OWNER.phone in shown
    report = await boss.wait_for_message(TROUT_OWNER.phone)
    assert "#1" in (report.text or "")
    # The failed reply was tried once (403 is final), and the row is failed with why.
    await tick(world, minutes(60))
    assert [c.status for c in attempts(world, owner.id)][-1:] == [403]
    assert len([c for c in attempts(world, owner.id) if c.status == 403]) == 1
    [failed] = [r for r in await outbox(world) if r["status"] == "failed"]
    assert failed["kind"] == "relay" and str(failed["last_error"]).startswith("403")

    # A second reply is not queued for him at all, and 李专员 is told it was not delivered.
    calls = len(world.sim.calls)
    await li.reply(card, "请尽快回复")
    receipt = await li.wait_for_message(TROUT_OWNER.phone)
    assert plain(texts_reach.relayed("zh", [zhang])) == receipt.text
    assert plain(texts.relayed("zh", 1)) != receipt.text
    await world.runtime.sender.drain()
    assert not [c for c in world.sim.calls[calls:] if c.chat_id == owner.id]
    # The supervisors were told once, not again.
    await tick(world, minutes(10))
    reports = [m for m in boss.messages() if (m.text or "").startswith(f"📵 {TROUT_OWNER.name}")]
    assert len(reports) == 1  # (the daily digest that went out meanwhile lists him too)
    assert (await event_kinds(world)).count(PERSON_UNREACHABLE) == 1
    kinds = [r["kind"] for r in await outbox(world)]
    assert kinds.count(UNREACHABLE_REPORT) == 1 and kinds.count(PARTY_UNREACHABLE) == 1


async def test_a_holder_who_blocked_the_bot_the_owner_is_told_the_center_follows_up(
    world: World,
) -> None:
    owner, li, _card, taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    li.block()
    await owner.reply(taken, "请问什么时候能来现场？")
    # "Passed on" first (李专员 was not known to be unreachable yet), then the truth.
    notice = await owner.wait_for_message("📵")
    assert LI.name in (notice.text or "")
    assert ZH("Your last message was not delivered.") in (notice.text or "")
    assert LI.phone not in (notice.text or "")  # the center follows up; no number to chase
    report = await boss.wait_for_message(LI.phone)
    assert "#1" in (report.text or "") and ZH("service commissioner") in (report.text or "")
    assert (await person(world, LI)).unreachable
    # A progress note can no longer reach anyone either way: the owner's next relay says so.
    await owner.reply(taken, "还在吗？")
    receipt = await owner.wait_for_message(LI.name)
    assert plain(texts_reach.relayed("zh", [await person(world, LI)])) == receipt.text


async def test_an_unreachable_commissioner_gets_no_dispatches_until_they_write_again(
    world: World,
) -> None:
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    wang = await onboard(world, WANG)
    chen = await onboard(world, CHEN)
    boss = await onboard(world, SUPERVISOR)
    li.block()
    # #1's card cannot reach 李专员: it goes on to the finance team at once, as if he were away.
    await new_request(owner)
    await wang.wait_for_message("#1")
    await chen.wait_for_message("#1")
    assert (await person(world, LI)).unreachable
    view = await world.runtime.desk.view(1)
    assert view is not None and view.request.status == RequestStatus.ESCALATED
    report = await boss.wait_for_message(LI.phone)
    assert "#1" in (report.text or "")
    # #2 does not even try him.
    tries = len(attempts(world, li.id))
    await new_request(owner, description="需要招聘十名冷水鱼养殖工人")
    await wang.wait_for_message("#2")
    await world.runtime.sender.drain()
    assert len(attempts(world, li.id)) == tries
    assert [c.status for c in attempts(world, li.id)].count(403) == 1
    [dispatched] = [
        e for e in await world.runtime.desk.events(2) if e.kind in ("dispatched", "escalated")
    ]
    assert dispatched.payload["tier"] == "team"

    # He writes to the bot again: reachable, and #3 comes to him.
    await li.command("help")
    await li.wait_for_message()
    assert not (await person(world, LI)).unreachable
    assert (await event_kinds(world)).count(PERSON_REACHABLE) == 1
    await new_request(owner, description="需要办理排污许可证延续")
    await li.wait_for_message("#3")
    # Writing again when nothing is marked costs no event.
    await li.command("help")
    await li.wait_for_message()
    assert (await event_kinds(world)).count(PERSON_REACHABLE) == 1


async def test_a_chat_that_is_gone_is_permanent_and_a_note_says_so(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    # 张老板 deleted his account: Telegram no longer knows the chat (400 chat not found).
    world.sim.chat(owner.id).started = False
    await li.reply(card, "资料已收到")
    notice = await li.wait_for_message(TROUT_OWNER.phone)
    assert ZH("Your last message was not delivered.") in (notice.text or "")
    assert (await person(world, TROUT_OWNER)).unreachable
    # The Note button's answer tells the truth too.
    await li.tap(zh("📝 Note"), card)
    await li.wait_for_message()
    await li.send("已联系银行，下周一放款")
    answer = await li.wait_for_message(TROUT_OWNER.phone)
    zhang = await person(world, TROUT_OWNER)
    assert answer.text == plain(texts_reach.noted("zh", 1, zhang))
    # Neither the reply nor the note was tried again: one 400, and nothing since.
    await tick(world, minutes(30), sweep=False)
    assert [c.status for c in attempts(world, owner.id) if not c.ok] == [400]
    assert not [m for m in owner.messages() if "下周一放款" in (m.text or "")]


async def test_telegram_saying_someone_blocked_the_bot_marks_them_at_once(world: World) -> None:
    owner, li, _card, _taken = await accepted_request(world)
    update = {
        "update_id": 900001,
        "my_chat_member": {
            "chat": {"id": owner.id, "type": "private", "first_name": owner.name},
            "from": {"id": owner.id, "is_bot": False, "first_name": owner.name},
            "date": int(world.clock.now().timestamp()),
            "old_chat_member": {"status": "member", "user": _bot(world)},
            "new_chat_member": {"status": "kicked", "user": _bot(world), "until_date": 0},
        },
    }
    await world.runtime.app.update_queue.put(Update.de_json(update, world.runtime.app.bot))
    notice = await li.wait_for_message(TROUT_OWNER.phone)
    assert ZH("Your last message was not delivered.") not in (notice.text or "")
    assert (await person(world, TROUT_OWNER)).unreachable


def _bot(world: World) -> dict[str, object]:
    return json.loads(json.dumps(world.sim.bot.to_api()))


async def test_the_digest_lists_unreachable_people(world: World) -> None:
    owner, li, card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    owner.block()
    await li.reply(card, "请补充材料")
    await li.wait_for_message(TROUT_OWNER.phone)
    assert world.runtime.sweep is not None
    built = await world.runtime.sweep.digests.for_date()
    assert [(u.name, u.phone, u.roles) for u in built.unreachable] == [
        (TROUT_OWNER.name, TROUT_OWNER.phone, ("owner",))
    ]
    await boss.command("digest")
    digest = await boss.wait_for_message(
        plain(ZH("📵 <b>Cannot be reached in the chat</b> ({k})")).format(k=1)
    )
    assert TROUT_OWNER.name in (digest.text or "") and TROUT_OWNER.phone in (digest.text or "")


async def test_whoever_relayed_something_that_did_not_arrive_is_told(world: World) -> None:
    owner, li, _card, _taken = await accepted_request(world)
    boss = await onboard(world, SUPERVISOR)
    # Both replies were queued before anyone knew: 李专员's, then the supervisor's.
    owner.block()
    await world.runtime.desk.relay(1, (await person(world, LI)).id, "第一条")
    await world.runtime.desk.relay(1, (await person(world, SUPERVISOR)).id, "第二条", to_owner=True)
    await li.wait_for_message(TROUT_OWNER.phone)
    await world.runtime.sender.drain()
    rows = await outbox(world)
    # 李专员 (the holder) hears it once, with "your message was not delivered"; the
    # supervisor gets the report and, for his own reply, that it did not arrive.
    [holder_notice] = [r for r in rows if r["kind"] == PARTY_UNREACHABLE]
    assert json.loads(str(holder_notice["params"]))["undelivered"] is True
    [undelivered] = [r for r in rows if r["kind"] == RELAY_UNDELIVERED]
    assert undelivered["chat_id"] == boss.id
    assert len([r for r in rows if r["kind"] == UNREACHABLE_REPORT]) == 1
    told = [m.text or "" for m in boss.messages() if TROUT_OWNER.phone in (m.text or "")]
    assert len(told) == 2  # the report, and "your message … was not delivered"
    assert [c.status for c in attempts(world, owner.id)][-2:] == [403, 403]
