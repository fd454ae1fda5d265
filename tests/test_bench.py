"""The benchmarks still run (at small sizes); their numbers are read by people, not asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

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
