"""The SQL report engine against bot.domain.kpis on a generated history, and its facts' rebuild.

The history (bench/reports.py, small) is replayed through the real event-append path, so the
facts are the ones kept in the same transaction as each event; every figure of every local
day and month (three time zones, one with summer time), of random periods, and the overdue
list at many instants must equal what kpis computes from the whole event log.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.domain import kpis
from bot.domain.clock import from_text, to_text
from bot.domain.kinds import EventKind
from bot.domain.kpis import Counts, Cut, Durations, Figures, Period, Tally
from bot.domain.models import Event, RequestStatus
from bot.storage.uow import Database, rebuild_report_facts, report_facts_version
from tests.integration.sla_support import cq, open_services
from tests.schema_support import roll_back_to

WITHIN = timedelta(minutes=30)
WORKING = (RequestStatus.ACCEPTED, RequestStatus.REOPENED)
ZONES = (ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC"), ZoneInfo("America/Los_Angeles"))


def _bench() -> ModuleType:
    path = Path(__file__).parents[2] / "bench" / "reports.py"
    spec = importlib.util.spec_from_file_location("bench_reports", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()
# One history for the whole module (built once, read by every test).
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class History:
    db: Database
    events: list[Event]
    categories: dict[int, str]
    enterprises: dict[int, str]  # request → enterprise name
    names: dict[int, str]  # person → name
    first: datetime
    now: datetime


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def history(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[History]:
    now = bench.NOW
    # Instants in whole 4 hours: many events, deadlines and local midnights (16:00 UTC in
    # Shanghai, 08:00 in Los Angeles in winter) coincide.
    requests = list(bench.history(500, 80, seed=11, now=now, grain=4 * 3600))
    db = await Database.open(tmp_path_factory.mktemp("reports") / "oncall.db")
    await db.conn.executemany(bench.PEOPLE_SQL, bench.people_rows(now))
    await db.conn.executemany(bench.ENTERPRISES_SQL, bench.enterprise_rows())
    await db.conn.executemany(bench.REQUESTS_SQL, [bench.request_row(r) for r in requests])
    # Teams (commissioners 2–29, two without a team) and committee members, for the cuts.
    await db.conn.executemany(
        "INSERT INTO team_members (person_id, team) VALUES (?, ?)",
        [(i, f"team{i % 10}") for i in range(2, bench.COMMISSIONERS - 1)],
    )
    await db.conn.executemany(
        "INSERT INTO person_roles (person_id, role, active) VALUES (?, 'committee', ?)",
        [(3, 1), (7, 1), (11, 0), (bench.COMMISSIONERS, 1)],
    )
    rows = sorted((e for r in requests for e in r.events), key=lambda e: e[6])  # stable: ties
    events = [
        Event(
            request_id=row[0],
            actor_id=row[1],
            kind=EventKind(row[2]),
            from_status=RequestStatus(row[3]) if row[3] else None,
            to_status=RequestStatus(row[4]) if row[4] else None,
            payload=json.loads(row[5]),
            at=from_text(row[6]),
        )
        for row in rows
    ]
    for i in range(0, len(events), 300):
        async with db.tx() as tx:
            for event in events[i : i + 300]:
                await tx.append(event)
    people = dict(await (await db.conn.execute("SELECT id, name FROM people")).fetchall())
    firms = dict(await (await db.conn.execute("SELECT id, name FROM enterprises")).fetchall())
    try:
        yield History(
            db,
            events,
            {r.id: r.category for r in requests},
            {r.id: firms[r.enterprise_id] for r in requests},
            people,
            events[0].at,
            now,
        )
    finally:
        await db.close()


def same(got: float | None, want: float | None) -> bool:
    """Equal means (SQL sums integers, Python floats: the last bits may differ)."""
    return got == want if got is None or want is None else got == pytest.approx(want, rel=1e-12)


def _periods(h: History) -> list[Period]:
    periods: list[Period] = []
    for step, tz in zip((1, 5, 5), ZONES, strict=True):
        day = h.first.astimezone(tz).date()
        while day <= h.now.astimezone(tz).date():
            if (day - h.first.date()).days % step == 0:
                periods.append(kpis.day_period(day, tz))
            if (day + timedelta(days=1)).day == 1 or day == h.now.astimezone(tz).date():
                periods.append(kpis.month_to_date(day, tz))
            day += timedelta(days=1)
    rng = random.Random(3)
    span = int((h.now - h.first).total_seconds() * 1e6)
    for _ in range(30):
        a, b = sorted(rng.randrange(span) for _ in range(2))
        periods.append(
            Period(h.first + timedelta(microseconds=a), h.first + timedelta(microseconds=b))
        )
    return periods


async def test_every_figure_equals_kpis_on_a_generated_history(history: History) -> None:
    h = history
    lines = kpis.timelines(h.events)
    assert len(lines) == 500 and len(h.events) > 2000
    periods = _periods(h)
    assert len(periods) > 130
    # Resolved exactly at the deadline (on time) happens, and falls in the periods checked.
    assert any(t.resolved_at == t.deadline for t in lines.values())
    async with h.db.read() as tx:
        for period in periods:
            assert (await tx.report_counts(period))[""] == kpis.counts(lines.values(), period)
            got = (await tx.report_rates(period, WITHIN))[""]
            want = kpis.rates(lines.values(), period, WITHIN)
            assert got.response == want.response, period
            assert got.resolution == want.resolution, period
            assert got.satisfaction == want.satisfaction, period
            assert same(got.mtta_seconds, want.mtta_seconds), period
            assert same(got.mttr_seconds, want.mttr_seconds), period
            assert (await tx.report_durations(period))[""] == kpis.durations(lines.values(), period)
    # The figures are not all empty: the history exercises every one of them.
    month = kpis.month_to_date(date(2026, 11, 24), ZONES[0])
    whole = kpis.rates(lines.values(), month, WITHIN)
    assert min(whole.response.total, whole.resolution.total, whole.satisfaction.total) > 50
    assert 0 < whole.resolution.hits < whole.resolution.total


async def test_figures_by_cut_equal_kpis_per_group(history: History) -> None:
    h = history
    lines = kpis.timelines(h.events)
    period = kpis.month_to_date(date(2026, 11, 24), ZONES[0])
    async with h.db.read() as tx:
        counts = await tx.report_counts(period, Cut.CATEGORY)
        rates = await tx.report_rates(period, WITHIN, Cut.CATEGORY)
        spans = await tx.report_durations(period, Cut.CATEGORY)
    assert len(counts) > 3
    for category in set(h.categories.values()):
        group = [t for n, t in lines.items() if h.categories[n] == category]
        assert counts[category] == kpis.counts(group, period)
        want = kpis.rates(group, period, WITHIN)
        assert (rates[category].response, rates[category].resolution) == (
            want.response,
            want.resolution,
        )
        assert rates[category].satisfaction == want.satisfaction
        assert spans[category] == kpis.durations(group, period)


def _cut_keys(h: History, roster: dict[str, list[tuple[int, ...]]]) -> dict[Cut, dict[int, str]]:
    """Each request's key of every cut by README's definitions, in Python from the rows."""
    firms = {r[0]: r for r in roster["enterprises"]}  # id, industry, chain, commissioner
    teams: dict[int, set[str]] = {}
    for person, team in roster["teams"]:
        teams.setdefault(person, set()).add(str(team))
    committee = {person for person, active in roster["committee"] if active}
    lines = kpis.timelines(h.events)
    keys: dict[Cut, dict[int, str]] = {cut: {} for cut in Cut}
    for request_id, enterprise_id in roster["requests"]:
        _, industry, chain, commissioner = firms[enterprise_id]
        first = next(
            (e for e in h.events if e.request_id == request_id and e.kind == EventKind.RESOLVED),
            None,
        )
        resolver = first.actor_id if first else None
        t = lines.get(request_id)
        holder = t.holders[-1][1] if t and t.holders else None
        who = resolver if resolver is not None else holder
        keys[Cut.CATEGORY][request_id] = h.categories[request_id]
        keys[Cut.INDUSTRY][request_id] = str(industry or "")
        keys[Cut.CHAIN][request_id] = str(chain or "")
        keys[Cut.COMMISSIONER][request_id] = str(who) if who is not None else ""
        keys[Cut.TEAM][request_id] = min(teams.get(who or 0, set()), default="")
        keys[Cut.COMMITTEE][request_id] = str(chain or "") if who in committee else ""
        if resolver is None:
            credit = ""
        elif resolver == commissioner:
            credit = kpis.CREDIT_COMMISSIONER
        elif resolver in committee:
            credit = kpis.CREDIT_COMMITTEE
        elif teams.get(resolver):
            credit = kpis.CREDIT_TEAM
        else:
            credit = kpis.CREDIT_OTHER
        keys[Cut.CREDIT][request_id] = credit
    return keys


async def test_figures_of_every_cut_equal_the_python_definitions(history: History) -> None:
    """Every cut's figures, grouped in SQL by the keys the facts keep, equal kpis over the
    requests grouped by README's definitions (computed here in Python from the rows)."""
    h = history
    roster = {
        name: [tuple(r) for r in await (await h.db.conn.execute(sql)).fetchall()]
        for name, sql in {
            "enterprises": "SELECT id, industry, chain, commissioner_id FROM enterprises",
            "teams": "SELECT person_id, team FROM team_members",
            "committee": "SELECT person_id, active FROM person_roles WHERE role = 'committee'",
            "requests": "SELECT id, enterprise_id FROM requests",
        }.items()
    }
    keys = _cut_keys(h, roster)
    lines = kpis.timelines(h.events)
    rng = random.Random(21)
    periods = [kpis.month_to_date(date(2026, 11, 24), ZONES[0])]
    periods += rng.sample(_periods(h), 6)
    seen: dict[Cut, int] = {}
    async with h.db.read() as tx:
        for cut in (c for c in Cut if c is not Cut.COUNTY):
            groups: dict[str, list[kpis.Timeline]] = {}
            for request_id, line in lines.items():
                groups.setdefault(keys[cut][request_id], []).append(line)
            seen[cut] = len([k for k in groups if k])
            for period in periods:
                counts = await tx.report_counts(period, cut)
                rates = await tx.report_rates(period, WITHIN, cut)
                spans = await tx.report_durations(period, cut)
                resolved = await tx.report_resolved(period, cut)
                for key, group in groups.items():
                    want = kpis.counts(group, period)
                    empty = Counts(received=0, accepted=0, resolved=0, escalated=0, overdue=0)
                    assert counts.get(key, empty) == want, (cut, key, period)
                    assert resolved.get(key, 0) == want.resolved, (cut, key, period)
                    r = kpis.rates(group, period, WITHIN)
                    if key in rates:
                        got = rates[key]
                        assert (got.response, got.resolution, got.satisfaction) == (
                            r.response,
                            r.resolution,
                            r.satisfaction,
                        ), (cut, key, period)
                        assert same(got.mtta_seconds, r.mtta_seconds), (cut, key, period)
                        assert same(got.mttr_seconds, r.mttr_seconds), (cut, key, period)
                    else:
                        assert r.response.total == r.resolution.total == 0, (cut, key)
                        assert r.satisfaction.total == 0, (cut, key)
                    assert spans.get(key, Durations()) == kpis.durations(group, period), (
                        cut,
                        key,
                        period,
                    )
                # No group in SQL that the definitions do not have.
                assert set(counts) <= set(groups), (cut, period)
    # Every cut has several groups in this history (teams, committees, credit kinds).
    assert all(n >= 2 for n in seen.values()), seen


async def test_a_cut_read_with_the_county_total_equals_each_figure_read_alone(
    history: History,
) -> None:
    """report_figures (/stats: a cut's groups and the county's total in one read, the total
    summed from the groups, medians from one sorted read) gives every figure exactly as the
    figure-by-figure queries (checked against kpis above) do; the ranks' resolution rates too."""
    h = history
    rng = random.Random(33)
    periods = [kpis.month_to_date(date(2026, 11, 24), ZONES[0]), *rng.sample(_periods(h), 5)]
    compared = 0
    async with h.db.read() as tx:
        for period in periods:
            ranks = await tx.report_resolution(period, (Cut.COMMISSIONER, Cut.TEAM))
            for cut in Cut:
                found = await tx.report_figures(period, WITHIN, cut)
                alone = {
                    by: (
                        await tx.report_counts(period, by),
                        await tx.report_rates(period, WITHIN, by),
                        await tx.report_durations(period, by),
                        await tx.report_tally(period, by),
                    )
                    for by in {Cut.COUNTY, cut}
                }
                rows = [("", found.total, Cut.COUNTY)]
                rows += [(k, f, cut) for k, f in found.groups.items()]
                for key, got, by in rows:
                    counts, rates, spans, tally = (table.get(key) for table in alone[by])
                    assert got.counts == (counts or Figures().counts), (cut, key, period)
                    assert got.tally == (tally or Tally()), (cut, key, period)
                    assert got.durations == (spans or Durations()), (cut, key, period)
                    want = rates or Figures().rates
                    assert (got.rates.response, got.rates.resolution, got.rates.satisfaction) == (
                        want.response,
                        want.resolution,
                        want.satisfaction,
                    ), (cut, key, period)
                    assert same(got.rates.mtta_seconds, want.mtta_seconds), (cut, key, period)
                    assert same(got.rates.mttr_seconds, want.mttr_seconds), (cut, key, period)
                    compared += got.counts.received > 0
                # Every group the figure-by-figure queries know, and no other.
                if cut is not Cut.COUNTY:
                    known = {k for table in alone[cut] for k in table}
                    assert set(found.groups) == known, (cut, period)
                credit = await tx.report_resolved(period, Cut.CREDIT)
                assert found.credit == {k: n for k, n in sorted(credit.items()) if k and n}
            for cut in (Cut.COMMISSIONER, Cut.TEAM):
                rates = await tx.report_rates(period, WITHIN, cut)
                want_rates = {k: r.resolution for k, r in rates.items() if r.resolution.total}
                got_rates = {k: r for k, r in ranks[cut].items() if r.total}
                assert got_rates == want_rates, (cut, period)
    assert compared > 100  # groups with requests, in most cuts and periods


async def test_overdue_at_any_instant_equals_kpis(history: History) -> None:
    h = history
    lines = kpis.timelines(h.events)
    rng = random.Random(5)
    dues = sorted({d for t in lines.values() for _, d in t.deadlines if d is not None})
    instants = [h.now, h.now + timedelta(days=3), *rng.sample(dues, 40)]
    instants += [d + timedelta(microseconds=1) for d in rng.sample(dues, 20)]
    instants += [e.at for e in rng.sample(h.events, 40)]
    # The deadlines of requests still being worked on: at that instant they are not yet late.
    stuck = [t.deadlines[-1][1] for t in lines.values() if t.statuses[-1][1] in WORKING]
    assert stuck
    instants += [d for d in stuck if d is not None]
    seen = 0
    async with h.db.read() as tx:
        for when in instants:
            got = [
                (o.request_id, o.enterprise, o.holder, o.due_at, o.days_late)
                for o in await tx.report_overdue(when)
            ]
            want = [
                (
                    o.request_id,
                    h.enterprises[o.request_id],
                    h.names[o.holder_id] if o.holder_id else "—",
                    o.due_at,
                    o.days_late,
                )
                for o in kpis.overdue_at(lines.values(), when)
            ]
            assert got == want, when
            seen += len(want)
            # The day's count of overdue requests takes the period's last instant.
            ending = Period(when - timedelta(days=1), when + timedelta(microseconds=1))
            assert (await tx.report_counts(ending))[""].overdue == len(want), when
    assert seen > 100


async def test_overdue_paged_in_sql_is_the_head_of_the_whole_list_and_counts_all(
    history: History,
) -> None:
    """/overdue and the digest read the first lines (in the list's order) and the count of
    all, at "now" (facts only) and at past instants (requests changed since folded)."""
    h = history
    lines = kpis.timelines(h.events)
    rng = random.Random(9)
    instants = [h.now, *(e.at for e in rng.sample(h.events, 30))]
    paged = 0
    async with h.db.read() as tx:
        for when in instants:
            whole = await tx.report_overdue(when)
            assert await tx.report_overdue_count(when) == len(whole), when
            assert len(whole) == len(kpis.overdue_at(lines.values(), when)), when
            for limit in (0, 1, 3, 40):
                head = await tx.report_overdue(when, limit)
                assert head == whole[:limit], (when, limit)
                paged += len(whole) > limit
    assert paged > 20  # the lists were longer than the pages asked for


async def test_rebuilt_facts_equal_the_ones_kept_with_the_events(history: History) -> None:
    async with history.db.read() as tx:
        kept = await tx.report_facts()
    assert len(kept) > 500  # one row per request, one per rating
    assert await rebuild_report_facts(history.db.conn) == 500  # requests
    async with history.db.read() as tx:
        assert await tx.report_facts() == kept


async def test_marks_count_each_request_once_when_events_come_out_of_time_order(
    tmp_path: Path,
) -> None:
    """Events written out of time order (or at one instant) still count each request once
    per kind in any period, as kpis does, and the marks kept equal the ones rebuilt."""
    db = await Database.open(tmp_path / "oncall.db")
    try:
        now = bench.NOW
        await db.conn.executemany(bench.PEOPLE_SQL, bench.people_rows(now))
        await db.conn.executemany(bench.ENTERPRISES_SQL, bench.enterprise_rows())
        request = bench.Request(1, 1, 1001, "tax", "accepted", to_text(now))
        await db.conn.execute(bench.REQUESTS_SQL, bench.request_row(request))
        day = timedelta(days=1)

        def event(kind: EventKind, at: datetime, **payload: object) -> Event:
            return Event(request_id=1, actor_id=2, kind=kind, payload=payload, at=at)

        events = [
            event(EventKind.ACCEPTED, now - 2 * day, due_at=to_text(now)),
            event(EventKind.RESOLVED, now - 2 * day, outcome="solved"),
            event(EventKind.ACCEPTED, now - 5 * day, due_at=to_text(now)),  # written late
            event(EventKind.RESOLVED, now - 5 * day, outcome="referred"),
            event(EventKind.ACCEPTED, now - 2 * day),  # the same instant again
            event(EventKind.RESOLVED, now - 3 * day, outcome="solved"),
        ]
        async with db.tx() as tx:
            for e in events:
                await tx.append(e)
        ordered = sorted(events, key=lambda e: e.at)
        async with db.read() as tx:
            kept = await tx.report_facts()
            for start, end in ((6, 0), (6, 4), (4, 1), (3, 2), (6, 2), (2, 1), (5, 4)):
                period = Period(now - start * day, now - end * day + timedelta(microseconds=1))
                found = await tx.report_figures(period, WITHIN, Cut.COUNTY)
                lines = kpis.timelines(ordered).values()
                want = kpis.counts(lines, period)
                assert found.total.counts.accepted == want.accepted, (start, end)
                assert found.total.counts.resolved == want.resolved, (start, end)
                outcomes: dict[str, set[int]] = {}
                for e in ordered:
                    if e.kind == EventKind.RESOLVED and e.at in period:
                        outcomes.setdefault(str(e.payload["outcome"]), set()).add(1)
                assert found.total.tally.outcomes == {o: len(r) for o, r in outcomes.items()}
        await rebuild_report_facts(db.conn)
        async with db.read() as tx:
            assert await tx.report_facts() == kept
    finally:
        await db.close()


async def test_reports_do_not_wait_for_the_write_lock(tmp_path: Path) -> None:
    svc = await open_services(tmp_path, cq(2026, 11, 25, 8, 30))
    try:
        async with svc.db.tx():
            # A write transaction is open (a long sweep, an import): reports still answer.
            digest = await asyncio.wait_for(svc.digests.for_date(), 5)
            _, counts, _ = await asyncio.wait_for(svc.digests.month_so_far(), 5)
            overdue = await asyncio.wait_for(svc.digests.overdue_now(), 5)
        assert digest.counts.received == counts.received == 0 and overdue.total == 0
        assert svc.db.reader is not None
        async with svc.db.reader.execute("PRAGMA query_only") as cur:
            assert (await cur.fetchone())[0] == 1
    finally:
        await svc.close()


async def test_migrating_an_old_database_folds_the_facts_from_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = await Database.open(path)
    requests = list(bench.history(40, 10, seed=2, now=bench.NOW))
    await db.conn.executemany(bench.PEOPLE_SQL, bench.people_rows(bench.NOW))
    await db.conn.executemany(bench.ENTERPRISES_SQL, bench.enterprise_rows())
    await db.conn.executemany(bench.REQUESTS_SQL, [bench.request_row(r) for r in requests])
    await db.conn.executemany(bench.EVENTS_SQL, [e for r in requests for e in r.events])
    # As if written before the reports migration: events without facts, the schema before it.
    await roll_back_to(db.conn, report_facts_version() - 1)
    await db.close()
    db = await Database.open(path)
    try:
        async with db.read() as tx:
            events = await tx.events()
            facts = await tx.report_facts()
            overdue = await tx.report_overdue(bench.NOW)
        assert len(facts) >= 40
        lines = kpis.timelines(events)
        assert [o.request_id for o in overdue] == [
            o.request_id for o in kpis.overdue_at(lines.values(), bench.NOW)
        ]
    finally:
        await db.close()


async def test_a_chase_leaves_the_facts_answering_overdue_after_it() -> None:
    """The sweep chases every overdue request each morning; that event changes neither its
    status, deadline nor holder, so "overdue at an instant after it" stays the facts' answer
    (last_event_us is the last change of those) instead of a fold of its events."""
    from bot.storage.sqlite.report_facts import fact_of, us

    t0 = datetime(2026, 11, 2, 1, 0, tzinfo=ZoneInfo("UTC"))
    due = t0 + timedelta(days=5)

    def event(
        kind: EventKind, at: datetime, to: RequestStatus | None = None, **payload: str
    ) -> Event:
        return Event(request_id=1, actor_id=7, kind=kind, to_status=to, payload=payload, at=at)

    accepted = t0 + timedelta(minutes=5)
    events = [
        event(EventKind.SUBMITTED, t0, RequestStatus.SUBMITTED),
        event(EventKind.DISPATCHED, t0, RequestStatus.DISPATCHED),
        event(EventKind.ACCEPTED, accepted, RequestStatus.ACCEPTED, due_at=to_text(due)),
        event(EventKind.OVERDUE_CHASED, due + timedelta(days=1)),
    ]
    row = fact_of(1, events)
    assert row[10] == us(
        accepted
    )  # last_event_us (before the credit columns): a chase is no change
    assert row[9] == us(due)  # work_due_us: still being worked on, due then
    assert kpis.overdue_at(kpis.timelines(events).values(), due + timedelta(days=2))
