"""The Bot API rate limiter: messages are paced, answers to taps never wait behind them.

Telegram allows about 30 messages a second overall and counts them in any one-second window.
AIORateLimiter's overall limit is a leaky bucket: after an idle spell it admits a full bucket
at once on top of its rate, so to stay under 30 in every window it must be tuned down to
sustain far less (20 a second). Here the overall pace is a sliding window that holds each
message from its start until a second after its answer (see SlidingWindow): at most
`OVERALL_PER_SECOND` (29) can reach Telegram in any second however the network bunches them,
and about 28 a second are sustained. AIORateLimiter still keeps its per-group limit.

python-telegram-bot's AIORateLimiter throttles a call only when it names a `chat_id`, which
answerCallbackQuery happens not to; but every call it handles also waits while a 429 pauses
the whole bot (with retries on), and that rule is its internals' to change. An answer to a
tap is not a message, does not count toward Telegram's 30 messages a second, and must arrive
within seconds or Telegram expires the tap, so it goes straight through, by design.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]

# Bot API methods that are not messages and must never queue behind them.
UNTHROTTLED = frozenset({"answerCallbackQuery"})
OVERALL_PER_SECOND = 29


class SlidingWindow:
    """At most `limit` messages reach Telegram in any `period` seconds, whatever the jitter.

    Telegram counts a message when it arrives, somewhere between our start of the request and
    its answer. So a message occupies the window from its start until `period` after its
    answer: a new one starts only while fewer than `limit` are in flight or answered within the
    last `period`. Then any one-second window of arrivals holds at most `limit` (the last of
    them to start saw all the others in flight or recent), and the sustained rate is `limit`
    a second less a little for each message's round trip.
    """

    def __init__(self, limit: int, period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
        self._in_flight = 0
        self._answered: deque[float] = deque()  # loop times, oldest first
        self._changed = asyncio.Condition()

    def occupied(self, now: float) -> int:
        """Messages in flight, or answered within the period before `now` (loop time)."""
        return self._in_flight + sum(1 for t in self._answered if now - t < self.period)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Holds one place in the window for the duration of one request (and `period` after)."""
        loop = asyncio.get_running_loop()
        async with self._changed:
            while True:
                now = loop.time()
                while self._answered and now - self._answered[0] >= self.period:
                    self._answered.popleft()
                if self._in_flight + len(self._answered) < self.limit:
                    break
                # Woken by an answer, or by the oldest answer leaving the window.
                ages_out = self._answered[0] + self.period - now if self._answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), ages_out)
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._answered.append(loop.time())
                self._changed.notify_all()


class MessageRateLimiter(AIORateLimiter):
    """Messages: a sliding window overall, AIORateLimiter per group; taps skip both."""

    def __init__(self, window: SlidingWindow | None = None, max_retries: int = 0) -> None:
        # overall_max_rate=0 switches AIORateLimiter's own overall bucket off.
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        self.window = window or SlidingWindow(OVERALL_PER_SECOND)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint in UNTHROTTLED:
            return await callback(*args, **kwargs)
        if data.get("chat_id") is None:  # not a message (AIORateLimiter's own test for one)
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        async with self.window.slot():
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
