"""Issue 11 in the real process: an owner with 30 requests pages through /my, opens a card and
its timeline.

The 30 requests are a history of the last days, written before the bot starts through the
same use cases the handlers call (submitted, accepted by 李专员; every third resolved and
rated); their messages count as delivered back then. Then `oncall-bot run` is driven over HTTP:
/my answers with 8 buttons a page and Next/Previous editing the same message; every request is
reachable exactly once, newest first; a tap shows the card, and Timeline its steps.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import sla_policy
from bot.config_files import load_calendar, load_catalog
from bot.domain.clock import FakeClock
from bot.domain.models import Draft, Outcome, Urgency
from bot.sample import COMMISSIONERS, LI, OWNERS, SUPERVISOR, TROUT_OWNER, load_sample
from bot.services.desk import Desk
from bot.settings import load_settings
from bot.simulator.models import SimMessage
from bot.simulator.server import BotApiSimulator
from bot.storage.uow import Database
from tests.e2e.support import WAIT, BotProcess, assert_clean
from tests.i18n_support import zh, zh_part, zh_plain

PREVIOUS, NEXT, TIMELINE = zh("◀ Previous"), zh("Next ▶"), zh("🕘 Timeline")
OWNER = TROUT_OWNER.name


def before_field(msgid: str, field: str, **fields: object) -> str:
    """The message as shown (tags dropped) up to where `field` is filled in (fields after it
    are filled with the same cut mark)."""
    cut = "\x00"
    names = re.findall(r"\{(\w+)\}", msgid)
    filled = {name: fields.get(name, cut) for name in names}
    return zh_plain(msgid, **{**filled, field: cut}).split(cut)[0]


COUNT = 30
PAGE = 8
NUMBER = re.compile(r"^#(\d+)\b")


async def seed_history(db_path: Path, count: int) -> None:
    """`count` requests of 张老板 over the last days, one an hour; every third closed."""
    db = await Database.open(db_path)
    try:
        clock = FakeClock(datetime.now(UTC) - timedelta(hours=count + 2))
        await load_sample(db, clock.now(), bind=True)
        settings = load_settings(None, db=db_path)
        policy = sla_policy(settings, load_calendar(None, settings.tz))
        desk = Desk(db, clock, load_catalog(), policy, max_open_requests=count)
        owner = await desk.whoami(TROUT_OWNER.address)
        li = await desk.whoami(LI.address)
        assert owner is not None and li is not None
        for i in range(1, count + 1):
            clock.advance(timedelta(hours=1))
            draft = Draft(
                at=TROUT_OWNER.address,
                step="confirm",
                category="financing",
                description=f"第{i}笔饲料款需要贷款",
                urgency=Urgency.NORMAL,
            )
            await desk.save_draft(draft)
            request = (await desk.submit(owner.id, TROUT_OWNER.address)).request
            await desk.accept(request.id, li.id)
            if i % 3 == 0:
                await desk.resolve(request.id, li.id, Outcome.SOLVED, f"第{i}笔贷款已发放")
                await desk.rate(request.id, owner.id, 5)
    finally:
        await db.close()
    # What those days sent was delivered then: the bot starts with an empty outbox.
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            conn.execute("UPDATE outbox SET status = 'sent', sent_at = created_at")
    finally:
        conn.close()


def numbers_on(message: SimMessage) -> list[int]:
    """The request numbers on a list page's buttons, top to bottom."""
    return [int(m.group(1)) for label in message.buttons if (m := NUMBER.match(label))]


async def test_an_owner_with_30_requests_pages_through_my_and_opens_a_card_and_its_timeline(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    bot.env.update({"ONCALL_LIMITS__FLOOD_UPDATES": "200"})
    await seed_history(bot.db_path, COUNT)
    # Everyone of that history has written to the bot before (Telegram lets a bot write only to
    # such chats): whatever the bot sends them meanwhile, the daily digest say, is delivered.
    for person in (SUPERVISOR, *COMMISSIONERS, *OWNERS):
        user = sim.user(person.telegram_id, person.name, language_code="zh-hans")
        await user.command("help")
    await bot.start()
    owner = sim.user(TROUT_OWNER.telegram_id, TROUT_OWNER.name, language_code="zh-hans")
    await owner.wait_for_message(timeout=WAIT)  # the answer to that /help

    await owner.command("my")
    listing = await owner.wait_for_message(zh_plain("<b>Your requests</b>"), timeout=WAIT)
    pages = [numbers_on(listing)]
    assert listing.button(PREVIOUS) is None  # the first page
    while listing.button(NEXT) is not None:
        await owner.tap(NEXT, listing)
        await owner.wait_for_edit(listing, timeout=WAIT)
        pages.append(numbers_on(listing))
        assert listing.button(PREVIOUS) is not None
    # One message, edited in place: 8, 8, 8 and 6, newest first, each request once.
    assert [len(p) for p in pages] == [PAGE, PAGE, PAGE, COUNT - 3 * PAGE]
    seen = [n for page in pages for n in page]
    assert seen == list(range(COUNT, 0, -1))
    assert len(owner.messages()) == 2  # /help's answer and the one list message

    # Previous goes back a page.
    await owner.tap(PREVIOUS, listing)
    await owner.wait_for_edit(listing, timeout=WAIT)
    assert numbers_on(listing) == pages[-2]

    # A closed request's card, then its timeline: every step in order, with who.
    label = next(b for b in listing.buttons if b.startswith("#9 "))
    await owner.tap(label, listing)
    await owner.wait_for_edit(listing, lambda m: m.button(TIMELINE) is not None, timeout=WAIT)
    card = listing.text or ""
    assert "#9" in card and "第9笔饲料款需要贷款" in card and "第9笔贷款已发放" in card
    await owner.tap(TIMELINE, listing)
    await owner.wait_for_edit(listing, zh_part("<b>#{n} timeline</b> — {status}"), timeout=WAIT)
    timeline = listing.text or ""
    steps = [
        before_field("📥 Submitted by {who} ({category}, {urgency})", "category", who=OWNER),
        before_field("✅ Accepted by {who}; resolve by {due}", "due", who=LI.name),
        before_field(
            "🏁 Resolved by {who}: {outcome} — {summary}",
            "summary",
            who=LI.name,
            outcome=zh("Solved"),
        ),
        zh_plain("⭐ Rated {stars}/5 by {who}", stars=5, who=OWNER),
    ]
    positions = [timeline.find(s) for s in steps]
    assert all(p >= 0 for p in positions), timeline
    assert positions == sorted(positions), timeline
    assert "第12笔" not in timeline  # only #9's own history
    assert_clean(sim)
