"""What tests inspect: recorded calls, errors, callback answers and the transcript."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from bot.simulator.faults import SimFaults
from bot.simulator.models import (
    CallbackQueryRecord,
    RecordedCall,
)
from bot.simulator.rules import (
    SEND_METHODS,
)

if TYPE_CHECKING:
    from bot.simulator.server import BotApiSimulator

log = logging.getLogger(__name__)


class SimRecorder(SimFaults):
    """Reading back what happened."""

    # ----------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    def errors(self, include_expected: bool = False) -> list[RecordedCall]:
        """Calls answered with an error; deliberate ones (429/403/injected) only on request."""
        return [c for c in self.calls if not c.ok and (include_expected or not c.expected)]

    def expected_errors(self) -> list[RecordedCall]:
        """Errors the test arranged: throttling, blocked users, fail_next."""
        return [c for c in self.calls if not c.ok and c.expected]

    @property
    def throttled(self) -> list[RecordedCall]:
        """Every 429 the simulator answered."""
        return [c for c in self.calls if c.status == 429]

    def assert_no_errors(self) -> None:
        """Raises AssertionError listing every unexpected error answer."""
        bad = self.errors()
        if bad:
            lines = "\n".join(f"  {c.describe()}" for c in bad)
            raise AssertionError(f"{len(bad)} Bot API call(s) failed:\n{lines}")

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        """Taps the bot never answered with answerCallbackQuery."""
        return [q for q in self.callback_queries.values() if not q.answered]

    def assert_callbacks_answered(self, max_latency: float | None = None) -> None:
        """Raises AssertionError if a tap is unanswered (or answered slower than allowed)."""
        problems = [f"  {q.label or q.data!r}: never answered" for q in self.unanswered_callbacks()]
        if max_latency is not None:
            problems += [
                f"  {q.label or q.data!r}: answered after {q.latency:.3f}s"
                for q in self.callback_queries.values()
                if q.latency is not None and q.latency > max_latency
            ]
        if problems:
            raise AssertionError("callback queries:\n" + "\n".join(problems))

    def call_times(
        self, *, chat_id: int | None = None, methods: Iterable[str] = SEND_METHODS
    ) -> list[float]:
        """Arrival times (simulator clock) of the given calls, optionally for one chat."""
        wanted = set(methods)
        return [
            c.at
            for c in self.calls
            if c.method in wanted and (chat_id is None or c.chat_id == chat_id)
        ]

    def max_calls_in_window(
        self,
        window: float = 1.0,
        *,
        chat_id: int | None = None,
        methods: Iterable[str] = SEND_METHODS,
    ) -> int:
        """The most calls (including refused ones) that arrived within any ``window`` seconds."""
        times = sorted(self.call_times(chat_id=chat_id, methods=methods))
        best = 0
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def transcript(self, chat_id: int | None = None, *, timestamps: bool = False) -> str:
        """All chats (or one) as readable text in chronological order."""
        from bot.simulator.transcript import render_transcript

        return render_transcript(
            cast("BotApiSimulator", self), chat_id=chat_id, timestamps=timestamps
        )
