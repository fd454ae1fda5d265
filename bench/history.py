"""Synthetic history for the benchmark: the ONE module that knows the schema (adapt it here).

The file is created and migrated by the project's own migrations (bot.storage), then filled
with seeded bulk inserts (INSERT … SELECT over recursive CTEs, columns named explicitly):

* a roster like the sample one: supervisors, commissioners (two of the ten teams each),
  enterprises with one owner each, everyone bound to a chat;
* `closed` requests spread over the 400 days before NOW (submitted, dispatched, accepted,
  resolved, and rated for 60 % of them: 4–5 events), and `open` ones accepted within the
  last 20 days (submitted, dispatched, accepted: 3 events, plus the chase step already taken
  today for those overdue or due today, so that a sweep at NOW has nothing to do);
* the digest of NOW's local date already sent (likewise).

Other engineers are moving the chase to an indexed ``next_step_at`` (migration 0005), the
reports to SQL and ``people.telegram_id`` to ``person_addresses``. Where those columns exist the
generator already fills them (``requests.next_step_at`` as the sweep would plan it; a
``person_addresses`` row per person; outbox ``channel``/``address`` instead of ``chat_id``) —
check that against the merged migrations. When anything else moves, change `_fill` (and
`enqueue_notes`, `bound_chats`) here; nothing else in bench/ names a column but the anchor
queries at the end of this module.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite

from bot.storage.sqlite.report_facts import FILL_KEYS, FILL_MARKS, MARK_PREVIOUS
from bot.storage.uow import Database, rebuild_report_facts

# Wednesday 25 November 2026, 10:00 in Asia/Shanghai (after the 08:00 due reminders and the
# 08:30 digest): the instant every measurement runs at (a FakeClock).
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
LOCAL_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving time
TELEGRAM_BASE = 1_000_000  # a person's chat id is TELEGRAM_BASE + their id
SUPERVISORS = 3
CATEGORIES = ("financing", "labor", "sales", "permits", "land", "policy", "legal", "tax", "talent")
TEAMS = (
    "party_guidance",
    "mass_org",
    "finance",
    "tax",
    "legal",
    "mentors",
    "promotion",
    "relief",
    "policy",
    "talent",
)
DAY = 86_400
DUE_REMINDER_HOUR = 8  # bot.services.sla.DUE_REMINDER_TIME, local


@dataclass(frozen=True)
class Roster:
    """How many of each kind of person and enterprise a history holds, and their ids."""

    enterprises: int
    commissioners: int
    supervisors: int = SUPERVISORS

    @property
    def first_commissioner(self) -> int:
        return self.supervisors + 1

    @property
    def first_owner(self) -> int:
        return self.supervisors + self.commissioners + 1

    def owner_of(self, enterprise: int) -> int:
        return self.first_owner + enterprise - 1

    def commissioner_of(self, enterprise: int) -> int:
        return self.first_commissioner + (enterprise - 1) % self.commissioners

    @staticmethod
    def chat_of(person_id: int) -> int:
        return TELEGRAM_BASE + person_id

    @classmethod
    def for_history(cls, closed: int) -> Roster:
        """About 20 requests per enterprise over the 400 days, 40 enterprises a commissioner."""
        enterprises = max(30, closed // 20)
        return cls(enterprises, max(3, enterprises // 40))


@dataclass(frozen=True)
class History:
    path: Path
    closed: int
    open: int
    roster: Roster
    events: int
    seconds: float


async def create(path: Path) -> None:
    """A fresh database file with the project's schema, through its own migrations."""
    if path.exists():
        path.unlink()
    db = await Database.open(path)
    await db.close()


def generate(
    path: Path, closed: int, open_: int, seed: int = 7, roster: Roster | None = None
) -> History:
    """Creates `path` and fills it with the roster and the requests; returns what it wrote."""
    started = time.monotonic()
    # In a thread of its own, so that it also works from inside a running event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create(path)).result()
    roster = roster or Roster.for_history(closed)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MB while loading
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN")
        _fill(conn, closed, open_, seed, roster)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        (events,) = conn.execute("SELECT count(*) FROM events").fetchone()
    finally:
        conn.close()
    return History(path, closed, open_, roster, int(events), time.monotonic() - started)


async def fold_facts(path: Path) -> int:
    """request_facts and ratings rebuilt from the event log by the project (bot.storage.uow):
    what `_fill_facts` writes must be the same rows."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA synchronous=OFF")
        await conn.execute("PRAGMA cache_size=-262144")
        return await rebuild_report_facts(conn)


def _text(expr: str) -> str:
    """SQL turning epoch seconds into the stored UTC text form (2026-11-25T02:00:00.000000Z)."""
    return f"strftime('%Y-%m-%dT%H:%M:%S', {expr}, 'unixepoch') || '.000000Z'"


def _local_day(expr: str) -> str:
    return f"date({expr}, 'unixepoch', '+{LOCAL_OFFSET_HOURS} hours')"


def _fill(conn: sqlite3.Connection, closed: int, open_: int, seed: int, roster: Roster) -> None:
    now = int(NOW.timestamp())
    stamp = _text(str(now - 30 * DAY))
    sup, com, ent = roster.supervisors, roster.commissioners, roster.enterprises
    people = sup + com + ent
    # Bound to a chat: people.telegram_id today; person_addresses once identity moves (wt-id).
    telegram_column = "telegram_id" in columns(conn, "people")
    conn.execute(
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?) "
        "INSERT INTO people (id, name, phone, language, active, away, created_at"
        f"{', telegram_id' if telegram_column else ''}) "
        "SELECT i, CASE WHEN i <= ?2 THEN '主任' || i WHEN i <= ?2 + ?3 THEN '专员' || i "
        "ELSE '老板' || i END, "
        "CASE WHEN i <= ?2 THEN '139' WHEN i <= ?2 + ?3 THEN '137' ELSE '138' END "
        f"|| printf('%08d', i), 'zh-hans', 1, 0, {stamp}"
        f"{f', {TELEGRAM_BASE} + i' if telegram_column else ''} FROM seq",
        (people, sup, com),
    )
    if columns(conn, "person_addresses"):
        conn.execute(
            "INSERT INTO person_addresses (person_id, channel, address) "
            f"SELECT id, 'telegram', CAST({TELEGRAM_BASE} + id AS TEXT) FROM people"
        )
    conn.execute(
        "INSERT INTO person_roles (person_id, role, active) SELECT id, CASE "
        "WHEN id <= ?1 THEN 'supervisor' WHEN id <= ?1 + ?2 THEN 'commissioner' ELSE 'owner' "
        "END, 1 FROM people",
        (sup, com),
    )
    teams = ",".join(f"({n}, '{t}')" for n, t in enumerate(TEAMS))
    conn.execute(
        f"WITH t(n, team) AS (VALUES {teams}) "
        "INSERT INTO team_members (person_id, team) SELECT p.id, t.team FROM people p JOIN t "
        "ON t.n IN ((p.id * 3) % 10, (p.id * 3 + 1) % 10) WHERE p.id > ?1 AND p.id <= ?1 + ?2",
        (sup, com),
    )
    conn.execute(
        "WITH RECURSIVE seq(e) AS (SELECT 1 UNION ALL SELECT e + 1 FROM seq WHERE e < ?3) "
        "INSERT INTO enterprises (id, name, credit_code, industry, chain, contact_name, "
        "contact_phone, commissioner_id, active) "
        "SELECT e, '基准企业' || e || '有限公司', '91500230' || printf('%010d', e), "
        "CASE e % 3 WHEN 0 THEN '水产养殖' WHEN 1 THEN '中药材' ELSE '白酒酿造' END, "
        "CASE e % 3 WHEN 0 THEN '冷水鱼' WHEN 1 THEN '中药材' ELSE '酒类' END, "
        "'老板' || (?1 + ?2 + e), '138' || printf('%08d', ?1 + ?2 + e), "
        "?1 + 1 + (e - 1) % ?2, 1 FROM seq",
        (sup, com, ent),
    )
    # One row per request with everything drawn for it (a seeded integer hash, no random()).
    cats = ",".join(f"({n}, '{c}')" for n, c in enumerate(CATEGORIES))
    total = closed + open_
    if total == 0:
        return
    h = f"((i * 2654435761 + {seed} * 40503 + salt * 97) % 4294967291) / 7"
    conn.execute(
        "CREATE TEMP TABLE gen (i INTEGER PRIMARY KEY, ent INTEGER, cat TEXT, urgent INTEGER, "
        "created INTEGER, accepted INTEGER, due INTEGER, resolved INTEGER, rated INTEGER, "
        "stars INTEGER, outcome TEXT)"
    )
    span = 390 * DAY
    conn.execute(
        f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2), "
        f"c(n, cat) AS (VALUES {cats}), "
        "r AS (SELECT i, "
        f"{h.replace('salt', '1')} AS h1, {h.replace('salt', '2')} AS h2, "
        f"{h.replace('salt', '3')} AS h3, {h.replace('salt', '4')} AS h4 FROM seq), "
        # accept within 0–90 minutes (a third after the 30-minute reminder), resolve in 0–8 days
        "d AS (SELECT i, h1, h2, h3, h4, 60 + h2 % 5400 AS to_accept, "
        "CASE WHEN h3 % 10 = 0 THEN 1 ELSE 0 END AS urgent FROM r), "
        "t AS (SELECT d.*, CASE WHEN i <= ?1 "
        f"THEN {now} - 400 * {DAY} + (i - 1) * {span} / max(?1, 1) + h4 % 3600 + to_accept "
        f"ELSE {now} - 60 - h4 % (20 * {DAY}) END AS accepted FROM d) "
        "INSERT INTO gen (i, ent, cat, urgent, created, accepted, due, resolved, rated, stars, "
        "outcome) SELECT i, 1 + h1 % ?3, (SELECT cat FROM c WHERE n = (h1 / 64) % "
        f"{len(CATEGORIES)}), urgent, accepted - to_accept, accepted, "
        f"accepted + CASE urgent WHEN 1 THEN {DAY} ELSE 5 * {DAY} END, "
        f"CASE WHEN i <= ?1 THEN accepted + 600 + h3 % (8 * {DAY}) END, "
        f"CASE WHEN i <= ?1 AND h2 % 10 < 6 THEN accepted + 3600 + h3 % (8 * {DAY}) END, "
        "3 + h4 % 3, CASE h1 % 7 WHEN 0 THEN 'referred' ELSE 'solved' END FROM t",
        (closed, total, ent),
    )
    owner = f"{roster.first_owner - 1} + g.ent"
    holder = f"{sup} + 1 + (g.ent - 1) % {com}"
    conn.execute(
        "INSERT INTO requests (id, enterprise_id, owner_id, category, description, urgency, "
        "status, holder_id, created_at, dispatched_at, accepted_at, resolved_at, closed_at, "
        "due_at, outcome, resolution, rating) "
        f"SELECT g.i, g.ent, {owner}, g.cat, '基准测试：企业经营中遇到的困难第' || g.i || '号', "
        "CASE g.urgent WHEN 1 THEN 'urgent' ELSE 'normal' END, "
        "CASE WHEN g.resolved IS NULL THEN 'accepted' WHEN g.rated IS NULL THEN 'resolved' "
        f"ELSE 'closed' END, {holder}, {_text('g.created')}, {_text('g.created')}, "
        f"{_text('g.accepted')}, "
        f"CASE WHEN g.resolved IS NOT NULL THEN {_text('g.resolved')} END, "
        f"CASE WHEN g.rated IS NOT NULL THEN {_text('max(g.rated, g.resolved)')} END, "
        f"{_text('g.due')}, CASE WHEN g.resolved IS NOT NULL THEN g.outcome END, "
        "CASE WHEN g.resolved IS NOT NULL THEN '已办结' END, "
        "CASE WHEN g.rated IS NOT NULL THEN g.stars END FROM gen g ORDER BY g.i"
    )
    conn.execute(
        "INSERT INTO offers (request_id, person_id, tier, offered_at, active) "
        f"SELECT g.i, {holder}, 'commissioner', {_text('g.created')}, 0 FROM gen g ORDER BY g.i"
    )
    # The events, request by request in step order (CROSS JOIN keeps gen as the outer loop).
    today = _local_day(str(now))
    to_status = (
        "CASE s.k WHEN 0 THEN 'submitted' WHEN 1 THEN 'dispatched' WHEN 2 THEN 'accepted' "
        "WHEN 3 THEN CASE WHEN g.resolved IS NOT NULL THEN 'resolved' END "
        "WHEN 4 THEN 'closed' END"
    )
    from_status = (
        "CASE s.k WHEN 1 THEN 'submitted' WHEN 2 THEN 'dispatched' "
        "WHEN 3 THEN CASE WHEN g.resolved IS NOT NULL THEN 'accepted' END "
        "WHEN 4 THEN 'resolved' END"
    )
    chased = chased_at(now)
    chase = (
        f"CASE WHEN g.due < {now} THEN 'overdue_chased' "
        f"WHEN {_local_day('g.due')} = {today} THEN 'reminded_due' END"
    )
    conn.execute(
        "WITH s(k) AS (VALUES (0), (1), (2), (3), (4)) "
        "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, at) "
        f"SELECT g.i, CASE WHEN s.k IN (0, 1, 4) THEN {owner} "
        f"WHEN s.k = 2 OR g.resolved IS NOT NULL THEN {holder} END, "
        "CASE s.k WHEN 0 THEN 'submitted' WHEN 1 THEN 'dispatched' WHEN 2 THEN 'accepted' "
        f"WHEN 3 THEN coalesce(CASE WHEN g.resolved IS NOT NULL THEN 'resolved' END, {chase}) "
        f"WHEN 4 THEN 'rated' END, {from_status}, {to_status}, "
        "CASE s.k WHEN 0 THEN json_object('attachments', 0, 'category', g.cat, 'urgency', "
        "CASE g.urgent WHEN 1 THEN 'urgent' ELSE 'normal' END) "
        f"WHEN 1 THEN json_object('reason', NULL, 'tier', 'commissioner', 'to', "
        f"CAST({holder} AS TEXT)) "
        f"WHEN 2 THEN json_object('due_at', {_text('g.due')}) "
        "WHEN 3 THEN CASE WHEN g.resolved IS NOT NULL THEN json_object('outcome', g.outcome, "
        "'summary', '已办结') "
        f"WHEN g.due < {now} THEN json_object('day', {today}, 'days_late', "
        f"({now} - g.due + {DAY} - 1) / {DAY}, 'due_at', {_text('g.due')}) "
        f"ELSE json_object('due_at', {_text('g.due')}) END "
        "WHEN 4 THEN json_object('stars', g.stars) END, "
        f"CASE s.k WHEN 0 THEN {_text('g.created')} WHEN 1 THEN {_text('g.created')} "
        f"WHEN 2 THEN {_text('g.accepted')} "
        f"WHEN 3 THEN coalesce({_text('g.resolved')}, {_text(str(chased))}) "
        f"WHEN 4 THEN {_text('max(g.rated, g.resolved)')} END "
        "FROM gen g CROSS JOIN s WHERE s.k < 3 "
        f"OR (s.k = 3 AND (g.resolved IS NOT NULL OR {chase} IS NOT NULL)) "
        "OR (s.k = 4 AND g.rated IS NOT NULL)"
    )
    conn.execute(
        "INSERT INTO events (request_id, actor_id, kind, payload, at) "
        "VALUES (NULL, NULL, 'digest_sent', json_object('date', "
        f"{today}, 'recipients', ?), {_text(str(now - 5400))})",
        (sup,),
    )
    if "next_step_at" in columns(conn, "requests"):
        # The chase's indexed next step (wt-sweep, migration 0005), as Sweep.plan would find it:
        # overdue and chased today → tomorrow's 08:00 chase; due today, reminded → the deadline;
        # due later → 08:00 local on the day it falls due. Closed ones have none.
        shift, morning = LOCAL_OFFSET_HOURS * 3600, (DUE_REMINDER_HOUR - LOCAL_OFFSET_HOURS) * 3600
        tomorrow = f"(({now} + {shift}) / {DAY} + 1) * {DAY} + {morning}"
        due_morning = f"((g.due + {shift}) / {DAY}) * {DAY} + {morning}"
        conn.execute(
            "UPDATE requests SET next_step_at = (SELECT CASE "
            f"WHEN g.due < {now} THEN {_text(tomorrow)} "
            f"WHEN {_local_day('g.due')} = {today} THEN {_text('g.due')} "
            f"ELSE {_text(due_morning)} END FROM gen g WHERE g.i = requests.id) "
            "WHERE status = 'accepted'"
        )
    _fill_facts(conn, holder)
    conn.execute("DROP TABLE gen")
    # Requests submitted since — AUTOINCREMENT continues after the generated ids.
    conn.execute(
        "INSERT OR REPLACE INTO sqlite_sequence (name, seq) VALUES ('requests', ?)", (total,)
    )


def chased_at(now: int) -> int:
    """When today's chase step was taken: the sweep's 08:00 local run, before the 08:30 digest
    (so the digest's "as of 08:30" finds no event after it for the chased requests)."""
    return (now + LOCAL_OFFSET_HOURS * 3600) // DAY * DAY + (
        DUE_REMINDER_HOUR - LOCAL_OFFSET_HOURS
    ) * 3600


def _fill_facts(conn: sqlite3.Connection, holder: str) -> None:
    """The report facts (migration 0007) of the generated events, as `fact_of` folds them.

    The same rows `rebuild_report_facts` computes from the event log (tests/test_bench.py
    checks that), written in bulk: folding millions of events in Python takes minutes.
    """
    if not columns(conn, "request_facts"):
        return
    us = "* 1000000"
    last = (
        "CASE WHEN g.rated IS NOT NULL THEN max(g.rated, g.resolved) "
        "WHEN g.resolved IS NOT NULL THEN g.resolved "
        "ELSE g.accepted END"
    )
    # Who resolved it and how (migration 0012): the holder, with the generated outcome.
    credit = "resolver_id" in columns(conn, "request_facts")
    conn.execute(
        "INSERT INTO request_facts (request_id, submitted_us, first_offer_us, first_accept_us, "
        "resolved_us, deadline_us, cancelled_before_accept, status, holder_id, work_due_us, "
        "last_event_us"
        + (", resolver_id, outcome) " if credit else ") ")
        + f"SELECT g.i, g.created {us}, g.created {us}, g.accepted {us}, g.resolved {us}, "
        f"g.due {us}, 0, CASE WHEN g.rated IS NOT NULL THEN 'closed' "
        "WHEN g.resolved IS NOT NULL THEN 'resolved' ELSE 'accepted' END, "
        f"{holder}, CASE WHEN g.resolved IS NULL THEN g.due {us} END, ({last}) {us}"
        + (
            f", CASE WHEN g.resolved IS NOT NULL THEN {holder} END, "
            "CASE WHEN g.resolved IS NOT NULL THEN g.outcome END "
            if credit
            else " "
        )
        + "FROM gen g ORDER BY g.i"
    )
    conn.execute(
        "INSERT INTO ratings (request_id, at_us, stars) "
        f"SELECT g.i, max(g.rated, g.resolved) {us}, g.stars FROM gen g "
        "WHERE g.rated IS NOT NULL ORDER BY g.i"
    )
    if "credit" in columns(conn, "request_facts"):
        # Every cut's key (migration 0015), by the definitions the bot computes them with.
        conn.execute(FILL_KEYS)
    if columns(conn, "report_marks"):
        # The marks the counts by cut read (migration 0016), from the events and the facts.
        conn.execute(FILL_MARKS)
        conn.execute(MARK_PREVIOUS)


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}


def enqueue_notes(path: Path, chats: int, messages: int, request_id: int = 1) -> None:
    """`messages` progress notes on `request_id`, round robin to the first `chats` owners."""
    now = _text(str(int(NOW.timestamp())))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        (first_owner,) = conn.execute(
            "SELECT min(person_id) FROM person_roles WHERE role = 'owner'"
        ).fetchone()
        # Addressed by chat id today; by channel and text address once identity moves (wt-id).
        if "chat_id" in columns(conn, "outbox"):
            where, to = "chat_id", f"{TELEGRAM_BASE} + ?2 + i % ?3"
        else:
            where = "channel, address"
            to = f"'telegram', CAST({TELEGRAM_BASE} + ?2 + i % ?3 AS TEXT)"
        conn.execute(
            "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ? - 1) "
            f"INSERT INTO outbox (recipient_id, {where}, kind, request_id, params, urgent, "
            "not_before, created_at) "
            f"SELECT ?2 + i % ?3, {to}, 'note', ?4, "
            f"json_object('holder', '专员', 'text', '基准测试进展' || i), 0, {now}, {now} "
            "FROM seq",
            (messages, first_owner, chats, request_id),
        )
    finally:
        conn.close()


def bound_chats(path: Path) -> list[int]:
    """The chat ids of everyone bound to a chat (anyone may tap a language button)."""
    conn = sqlite3.connect(path)
    try:
        if columns(conn, "person_addresses"):
            rows = conn.execute("SELECT address FROM person_addresses WHERE channel = 'telegram'")
        else:
            rows = conn.execute("SELECT telegram_id FROM people WHERE telegram_id IS NOT NULL")
        return [int(chat) for (chat,) in rows]
    finally:
        conn.close()


def owner_chats(roster: Roster, count: int) -> list[int]:
    """The chat ids of the first `count` owners."""
    return [roster.chat_of(roster.owner_of(e)) for e in range(1, count + 1)]


# ---- anchors: the least an answer can cost on this schema (plain SQL, one indexed read) ----

REPORT_ANCHOR = (
    "SELECT count(*) FROM events INDEXED BY events_kind_at_request "
    "WHERE kind = 'submitted' AND at >= ?"
)
OVERDUE_ANCHOR = "SELECT count(*) FROM requests WHERE status IN ('accepted', 'reopened')"


def expected(path: Path) -> tuple[int, int]:
    """What the generator made for NOW: (requests due for a chase step, overdue requests)."""
    now = _text(str(int(NOW.timestamp())))
    conn = sqlite3.connect(path)
    try:
        (due,) = conn.execute(
            f"SELECT count(*) FROM requests WHERE next_step_at <= {now}"
        ).fetchone()
        (overdue,) = conn.execute(
            "SELECT count(*) FROM requests WHERE status IN ('accepted', 'reopened') "
            f"AND due_at < {now}"
        ).fetchone()
        return int(due), int(overdue)
    finally:
        conn.close()


BIG_TABLES = ("requests", "events", "offers", "outbox", "inbox", "people", "enterprises")
