"""Per-person flood control: a sliding window of recent updates, and a mute after a burst."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Verdict(StrEnum):
    ALLOW = "allow"  # handle the update
    WARN = "warn"  # this update made it a flood: warn once, then ignore
    IGNORE = "ignore"  # muted: drop the update without a word


@dataclass
class _Track:
    times: deque[datetime] = field(default_factory=deque)
    muted_until: datetime | None = None


class FloodGuard:
    """More than `limit` updates within `window` from one key: one WARN, then IGNORE for `mute`.

    In memory and per process: a restart forgives everyone, which is fine for a guard whose
    only job is to keep one person's burst from crowding out everybody else.
    """

    # Past this many tracked keys, those idle longer than the window are forgotten.
    PRUNE_AT = 4096

    def __init__(self, limit: int, window: timedelta, mute: timedelta) -> None:
        self.limit = limit
        self.window = window
        self.mute = mute
        self._tracks: dict[int, _Track] = {}

    def check(self, key: int, now: datetime) -> Verdict:
        """Counts one update from `key` at `now` and says what to do with it."""
        track = self._tracks.get(key)
        if track is None:
            if len(self._tracks) >= self.PRUNE_AT:
                self._prune(now)
            track = self._tracks[key] = _Track()
        if track.muted_until is not None:
            if now < track.muted_until:
                return Verdict.IGNORE
            track.muted_until = None
            track.times.clear()
        times = track.times
        while times and now - times[0] >= self.window:
            times.popleft()
        times.append(now)
        if len(times) > self.limit:
            track.muted_until = now + self.mute
            times.clear()
            return Verdict.WARN
        return Verdict.ALLOW

    def _prune(self, now: datetime) -> None:
        idle = [
            key
            for key, track in self._tracks.items()
            if (track.muted_until is None or track.muted_until <= now)
            and (not track.times or now - track.times[-1] >= self.window)
        ]
        for key in idle:
            del self._tracks[key]
