"""Issue 11 items 1–2 without HTTP: list keys within 64 bytes, paging rules, indexed list queries,
and the figures of a request withdrawn in work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.channels.telegram import keyboards_lists as kb
from bot.channels.telegram import texts_lists
from bot.channels.telegram.callback_data import Callback, Op, decode
from bot.config_files import load_catalog
from bot.domain.clock import to_text
from bot.domain.kpis import Rate, day_period, rates, timelines
from bot.domain.lifecycle import Action, transition
from bot.domain.listing import (
    CANCELLABLE,
    AgeUnit,
    ListKey,
    ListKind,
    OpenFilter,
    Page,
    RequestLine,
    age,
    clamp_page,
)
from bot.domain.models import Event, RequestStatus, Urgency, text_length
from bot.services.browse import CardView, History, Step
from bot.services.desk import RequestView
from bot.storage.db import connect, migrate
from bot.storage.sqlite import lists as sql

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
CQ = ZoneInfo("Asia/Shanghai")
BIG = 999_999_999_999  # the largest #N the codec accepts (12 digits)


def test_every_list_key_round_trips_and_every_button_fits_in_64_bytes() -> None:
    catalog = load_catalog()
    keys = [ListKey(ListKind.MY, 99_999), ListKey(ListKind.MINE, 99_999)]
    keys += [ListKey(ListKind.OPEN, 99_999, f) for f in OpenFilter if f != OpenFilter.TEAM]
    keys += [ListKey(ListKind.OPEN, 99_999, OpenFilter.TEAM, t.key) for t in catalog.teams]
    for key in keys:
        assert kb.decode_key(kb.encode_key(key)) == key
        for cb in (
            Callback(Op.LIST, arg=kb.encode_key(key)),
            Callback(Op.CARD, BIG, kb.encode_key(key)),
            Callback(Op.WITHDRAW_YES, BIG, kb.encode_key(key)),
            Callback(Op.TIMELINE, BIG, f"9999.{kb.encode_key(key)}"),
        ):
            data = cb.encode()  # raises past 64 bytes
            assert decode(data) == cb
            assert kb.decode_timeline(f"3.{kb.encode_key(key)}") == (3, key)


def test_malformed_list_keys_are_refused() -> None:
    for bad in (
        "",
        "my",
        "my.x",
        "open.team.",
        "open.team.Bad-Team.0",
        "open.odd.0",
        "mine.123456",
    ):
        assert kb.decode_key(bad) is None, bad
    assert kb.decode_timeline("x.my.0") is None
    assert kb.decode_timeline("0.") == (0, None)


def test_pages_and_ages() -> None:
    lines = tuple(RequestLine(i, RequestStatus.ACCEPTED, NOW, Urgency.NORMAL) for i in range(8))
    page = Page(ListKey(ListKind.MY, 0), lines, total=30)
    assert (page.pages, page.has_previous, page.has_next) == (4, False, True)
    last = Page(ListKey(ListKind.MY, 3), lines[:6], total=30)
    assert (last.has_previous, last.has_next) == (True, False)
    assert clamp_page(7, 30) == 3 and clamp_page(-1, 30) == 0 and clamp_page(2, 0) == 0
    assert age(NOW - timedelta(days=3, hours=5), NOW) == (3, AgeUnit.DAYS)
    assert age(NOW - timedelta(hours=5, minutes=59), NOW) == (5, AgeUnit.HOURS)
    assert age(NOW - timedelta(minutes=12), NOW) == (12, AgeUnit.MINUTES)
    overdue = RequestLine(1, RequestStatus.ACCEPTED, NOW, Urgency.NORMAL, NOW - timedelta(1))
    assert overdue.overdue(NOW) and not overdue.overdue(NOW - timedelta(days=2))


def test_the_owner_may_withdraw_until_it_is_resolved() -> None:
    for status in CANCELLABLE:
        assert transition(status, Action.CANCEL) == RequestStatus.CANCELLED
    assert RequestStatus.RESOLVED not in CANCELLABLE and RequestStatus.CLOSED not in CANCELLABLE


async def test_list_queries_read_indexes_not_whole_tables(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "plan.db")
    try:
        await migrate(conn)
        staff = sql.STAFF_WHERE.format(working=":w0,:w1", claimable=":c0,:c1")
        statuses = {"w0": "accepted", "w1": "reopened", "c0": "dispatched", "c1": "escalated"}
        cases = [
            (sql.OWNER_WHERE, {"person": 1}),
            (staff, {"person": 1, **statuses}),
            (sql.OPEN_WHERE.format(statuses=":s0", categories=""), {"s0": "x", "due_before": None}),
        ]
        for where, params in cases:
            for query in (
                f"SELECT COUNT(*) {where}",
                f"SELECT r.id {where} ORDER BY r.id DESC LIMIT 8 OFFSET 8",
            ):
                async with conn.execute(f"EXPLAIN QUERY PLAN {query}", params) as cur:
                    plan = [str(row[3]) for row in await cur.fetchall()]
                assert not any(step.startswith("SCAN") for step in plan), (query, plan)
    finally:
        await conn.close()


def _ev(
    kind: str,
    when: datetime,
    before: RequestStatus | None,
    after: RequestStatus | None,
    **payload: str | None,
) -> Event:
    return Event(
        request_id=1,
        actor_id=3,
        kind=kind,
        from_status=before,
        to_status=after,
        payload=payload,
        at=when,
    )


def test_a_request_withdrawn_in_work_leaves_the_resolution_rate_unless_already_late() -> None:
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    due = start + timedelta(days=3)
    log = [
        _ev("submitted", start, None, RequestStatus.SUBMITTED),
        _ev("dispatched", start, RequestStatus.SUBMITTED, RequestStatus.DISPATCHED),
        _ev(
            "accepted",
            start + timedelta(minutes=5),
            RequestStatus.DISPATCHED,
            RequestStatus.ACCEPTED,
            due_at=to_text(due),
        ),
    ]
    period = day_period(date(2026, 11, 5), CQ)
    within = timedelta(minutes=30)
    cancel = RequestStatus.ACCEPTED, RequestStatus.CANCELLED
    early = [*log, _ev("cancelled", due - timedelta(days=1), *cancel, reason="不需要了")]
    late = [*log, _ev("cancelled", due + timedelta(hours=1), *cancel)]
    assert rates(timelines(log).values(), period, within).resolution == Rate(hits=0, total=1)
    assert rates(timelines(early).values(), period, within).resolution == Rate(hits=0, total=0)
    assert rates(timelines(late).values(), period, within).resolution == Rate(hits=0, total=1)
    # It was accepted, so it still counts for the response rate of its first offer.
    first = day_period(date(2026, 11, 2), CQ)
    assert rates(timelines(early).values(), first, within).response == Rate(hits=1, total=1)


def _history(steps: int, staff: bool) -> History:
    from bot.domain.models import Enterprise, Person, Request

    owner = Person(id=3, name="张老板", phone="13800000001")
    holder = Person(id=7, name="李专员", phone="13900000011")
    request = Request(
        id=BIG,
        enterprise_id=1,
        owner_id=3,
        category="financing",
        description="需" * 2000,
        urgency=Urgency.URGENT,
        status=RequestStatus.ACCEPTED,
        holder_id=7,
        created_at=NOW,
        due_at=NOW + timedelta(days=5),
    )
    view = RequestView(
        request, Enterprise(id=1, name="<养殖场>", credit_code="x"), owner, holder, ()
    )
    card = CardView(view, holder if staff else owner, not staff, staff, False, staff)
    long_note = "进展" * 1000  # a note of 2,000 characters
    events = [
        _ev("noted", NOW + timedelta(minutes=i), None, None, text=long_note) for i in range(steps)
    ]
    names = {3: "张老板", 7: "李专员"}
    return History(card, tuple(Step(e, "李专员", names) for e in events))


def test_a_long_timeline_is_paged_within_telegrams_limit_and_the_card_fits() -> None:
    catalog = load_catalog()
    tz = ZoneInfo("Asia/Shanghai")
    for lang in ("zh", "en"):
        history = _history(25, staff=True)
        pages = texts_lists.timeline_pages(history, catalog, lang, tz)
        assert len(pages) >= 3  # at most 10 steps, and 3,000 characters, a page
        assert sum(body.count("<b>2026-") for body in pages) == 25  # every step, once
        for n, body in enumerate(pages):
            text = texts_lists.timeline_text(history, body, n, len(pages), lang)
            assert text_length(text) <= 4096 and f"{n + 1}/{len(pages)}" in text
            markup = kb.timeline_markup(BIG, n, len(pages), ListKey(ListKind.MY, 12), lang)
            for row in markup.inline_keyboard:
                assert len(row) <= 8
                assert all(len(str(b.callback_data).encode()) <= 64 for b in row)
        for staff in (True, False):
            card = _history(0, staff).card
            assert text_length(texts_lists.card_text(card, catalog, lang, tz)) <= 4096
        assert "&lt;养殖场&gt;" in texts_lists.card_text(card, catalog, lang, tz)
