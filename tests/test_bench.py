"""The benchmarks still run (at small sizes); their numbers are read by people, not asserted."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bench import history
from bench.harness import RecordingRequest, build_bot
from bot.domain.clock import FakeClock, from_text

BENCH = Path(__file__).parent.parent / "bench"


@pytest.mark.parametrize(
    ("script", "args"),
    [("ratelimit.py", ["--messages", "40"]), ("tap_latency.py", ["--backlog", "10"])],
)
def test_benchmark_runs(script: str, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ratio" in done.stdout


def test_burst_answers_every_tap_within_the_limits() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "burst.py"), "--owners", "10", "--per-commissioner", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    taps = re.search(r"taps: (\d+), answered (\d+)", out)
    assert taps is not None, out
    assert int(taps.group(1)) == int(taps.group(2)) == 40, out  # 4 taps by each of 10 owners
    assert re.search(r"expiry or never: 0$", out, re.M), out
    assert "429 answers: 0; other errors: 0" in out, out
    most = re.search(r"most messages in any one second: (\d+)", out)
    assert most is not None and int(most.group(1)) <= 30, out
    assert "ratio" in out


def test_sweep_index_reads_only_what_is_due() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "sweep_index.py"),
            *("--open", "40", "--closed", "400", "--due", "3", "--runs", "3"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "ratio sweep/anchor" in out, out
    assert "USING COVERING INDEX requests_next_step" in out and "SCAN" not in out, out


def test_reports_benchmark_runs_without_full_scans() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "reports.py"), "--requests", "300", "--days", "40"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for figure in ("digest", "stats", "overdue"):
        assert re.search(rf"^{figure}: \d+ ms; ratio to target", out, re.M), out
    assert "SEARCH f USING COVERING INDEX facts_offer" in out, out
    assert "full scans on the hot paths: none" in out, out


def test_python_m_bench_tiny_writes_its_section(tmp_path: Path) -> None:
    """`python -m bench --tiny` completes and writes its section to the given path, not to
    bench/BENCHMARKS.md; the figures are for people to read and are not asserted."""
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Kept\n\nEarlier content.\n", encoding="utf-8")
    before = (BENCH / "BENCHMARKS.md").read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--out", str(out)],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Kept\n\nEarlier content.\n")
    assert "<!-- python -m bench: start" in text and "<!-- python -m bench: end -->" in text
    for heading in ("### Growth", "### No freezes", "### The request flow", "### Delivery"):
        assert heading in text, text
    assert "### Query plans of the hot paths" in text
    assert "python -m bench --tiny" in text
    assert (BENCH / "BENCHMARKS.md").read_text(encoding="utf-8") == before


async def test_generated_history_has_nothing_due_at_its_instant(tmp_path: Path) -> None:
    """The seeded history is what the figures claim: 3–5 events a request, open requests
    accepted within 20 days, closed ones within 400 days, and nothing due at history.NOW (a
    sweep there takes no step), so "one sweep when nothing is due" measures just that."""
    made = await asyncio.to_thread(history.generate, tmp_path / "history.db", 300, 30)
    conn = sqlite3.connect(made.path)
    try:
        counts = conn.execute(
            "SELECT min(n), max(n), count(*) FROM (SELECT count(*) AS n FROM events "
            "WHERE request_id IS NOT NULL GROUP BY request_id)"
        ).fetchone()
        open_accepted = [
            from_text(at)
            for (at,) in conn.execute("SELECT accepted_at FROM requests WHERE status = 'accepted'")
        ]
        oldest = from_text(conn.execute("SELECT min(created_at) FROM requests").fetchone()[0])
    finally:
        conn.close()
    assert counts == (3, 5, 330)
    assert len(open_accepted) == 30
    assert all(history.NOW - timedelta(days=20) <= at <= history.NOW for at in open_accepted)
    assert history.NOW - timedelta(days=401) <= oldest
    runtime = await build_bot(made.path, RecordingRequest(), FakeClock(history.NOW))
    try:
        assert runtime.sweep is not None
        report = await runtime.sweep.run(history.NOW)
    finally:
        await runtime.close()
    assert not report, report


async def test_generated_report_facts_are_what_the_event_log_folds_into(tmp_path: Path) -> None:
    """The generator writes the report facts in bulk (folding millions of events in Python
    takes minutes); they are the rows the project's own rebuild folds from the event log, so
    the digest, /stats and /overdue read what the generated events say."""
    made = await asyncio.to_thread(history.generate, tmp_path / "history.db", 300, 60)

    def facts() -> list[tuple[object, ...]]:
        conn = sqlite3.connect(made.path)
        try:
            return (
                conn.execute("SELECT * FROM request_facts ORDER BY request_id").fetchall()
                + conn.execute(
                    "SELECT request_id, at_us, stars FROM ratings ORDER BY request_id, at_us"
                ).fetchall()
            )
        finally:
            conn.close()

    generated = facts()
    assert len(generated) > 360  # a row per request, and the ratings
    assert await history.fold_facts(made.path) == 360
    assert facts() == generated
