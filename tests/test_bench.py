"""The benchmarks still run (at small sizes); their numbers are read by people, not asserted."""

from __future__ import annotations

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
