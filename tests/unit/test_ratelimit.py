"""Answers to taps never wait behind the messages the rate limiter holds back."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram.ratelimit import MessageRateLimiter, SlidingWindow

MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "x"}
ME = {"id": 1, "is_bot": True, "first_name": "B", "username": "b"}


class TelegramLike(BaseRequest):
    """Answers like the Bot API; `flood_wait` makes the first sendMessage a 429 with that wait."""

    def __init__(self, flood_wait: int | None = None) -> None:
        self.flood_wait = flood_wait
        self.methods: list[str] = []
        self.sending = asyncio.Event()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.methods.append(name)
        if name == "getMe":
            return 200, json.dumps({"ok": True, "result": ME}).encode()
        if name == "sendMessage":
            self.sending.set()
            if self.flood_wait is not None:
                wait, self.flood_wait = self.flood_wait, None
                return 429, json.dumps(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {wait}",
                        "parameters": {"retry_after": wait},
                    }
                ).encode()
            return 200, json.dumps({"ok": True, "result": MESSAGE}).encode()
        return 200, b'{"ok": true, "result": true}'


def bot(request: TelegramLike, limiter: MessageRateLimiter) -> ExtBot[int]:
    return ExtBot("1:TEST", request=request, get_updates_request=request, rate_limiter=limiter)


async def test_a_tap_is_answered_while_messages_wait_for_their_turn() -> None:
    request = TelegramLike()
    # One message a minute: the second one has to wait.
    async with bot(request, MessageRateLimiter(SlidingWindow(1, period=60))) as b:
        await b.send_message(42, "first")
        held = asyncio.create_task(b.send_message(42, "second"))
        try:
            async with asyncio.timeout(5):
                assert await b.answer_callback_query("q1")
            assert not held.done()
            assert request.methods.count("sendMessage") == 1
        finally:
            held.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held


async def test_a_tap_is_answered_while_a_flood_wait_holds_every_message() -> None:
    # With retries on, python-telegram-bot's AIORateLimiter pauses every call it handles for
    # the length of a 429's retry_after; an answer to a tap must not wait it out.
    request = TelegramLike(flood_wait=30)
    limiter = MessageRateLimiter(max_retries=1)
    async with bot(request, limiter) as b:
        retried = asyncio.create_task(b.send_message(42, "meets a 429"))
        try:
            await request.sending.wait()
            async with asyncio.timeout(5):
                assert await b.answer_callback_query("q1")
            assert not retried.done()
            assert request.methods[-1] == "answerCallbackQuery"
        finally:
            retried.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retried


async def test_the_window_never_lets_more_than_its_limit_arrive_in_any_period() -> None:
    # Arrival anywhere between a request's start and its answer, as over a real network.
    window = SlidingWindow(5, period=0.05)
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def send(i: int) -> None:
        async with window.slot():
            started = loop.time()
            for _ in range(i % 3):  # answers take a few turns of the loop, unevenly
                await asyncio.sleep(0)
            spans.append((started, loop.time()))

    await asyncio.gather(*(send(i) for i in range(23)))

    assert len(spans) == 23
    # A message may arrive anywhere in its span, so the worst case for a window is every span
    # that overlaps it arriving inside it: that must never exceed the limit.
    edges = [end for _start, end in spans] + [start - 0.05 + 1e-9 for start, _end in spans]
    for t in edges:
        overlapping = sum(1 for start, end in spans if start < t + 0.05 and end >= t)
        assert overlapping <= 5, t


async def test_messages_go_through_the_window_and_other_calls_do_not() -> None:
    request = TelegramLike()
    window = SlidingWindow(1, period=60)
    async with bot(request, MessageRateLimiter(window)) as b:
        await b.send_message(42, "counted")
        assert await b.answer_callback_query("q1")
        assert await b.set_my_commands([])  # no chat: not a message
        assert window.occupied(asyncio.get_running_loop().time()) == 1
