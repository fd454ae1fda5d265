"""`python -m bot` with a clock the test moves: the real process, the real clock plus an offset.

The bot takes every instant from `bot.domain.clock.SystemClock` (bootstrap's default clock):
sweeps, away periods, deadlines, auto-close, the outbox's pacing by instant. This launcher adds
the number of seconds written in the file named by ``E2E_CLOCK_OFFSET_FILE`` (absent or empty:
0) to every reading, so a test can let days pass in a running process by rewriting that file
(`BotProcess.advance_clock`). Nothing in bot/ knows about it; only the e2e tests run it.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain import clock

_OFFSET_FILE = Path(os.environ["E2E_CLOCK_OFFSET_FILE"])
_real_now = clock.SystemClock.now


def _offset() -> timedelta:
    try:
        text = _OFFSET_FILE.read_text().strip()
    except FileNotFoundError:
        return timedelta(0)
    return timedelta(seconds=float(text or 0))


def _shifted_now(self: clock.SystemClock) -> datetime:
    return _real_now(self) + _offset()


if __name__ == "__main__":
    clock.SystemClock.now = _shifted_now  # type: ignore[method-assign]
    from bot.cli import main

    sys.exit(main())
