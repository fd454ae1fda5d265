"""How many messages python-telegram-bot's AIORateLimiter lets through in one second.

Telegram allows about 30 messages a second overall. AIORateLimiter's default (30 per 1 s) is a
leaky bucket: after an idle spell it admits a full bucket at once and then 30 a second, so the
first second can carry close to 60. The bot uses 5 per 0.2 s instead. This script sends a burst
through each configuration (a request object that answers at once, no network) and prints the
most calls seen in any one-second window, and the sustained rate.

    python bench/ratelimit.py [--messages 120]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import BaseRequest, RequestData

from bot.bootstrap import OVERALL_MAX_RATE, OVERALL_PERIOD


class InstantRequest(BaseRequest):
    """Answers every Bot API call at once, recording when it arrived."""

    def __init__(self) -> None:
        self.times: list[float] = []

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
        if url.endswith("/getMe"):
            return (
                200,
                b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B","username":"b"}}',
            )
        self.times.append(time.monotonic())
        return 200, (
            b'{"ok":true,"result":{"message_id":1,"date":0,'
            b'"chat":{"id":1,"type":"private"},"text":"x"}}'
        )


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def burst(limiter: AIORateLimiter, messages: int) -> tuple[int, float]:
    request = InstantRequest()
    bot: Bot = ExtBot("1:BENCH", request=request, get_updates_request=request, rate_limiter=limiter)
    async with bot:
        await asyncio.gather(*(bot.send_message(1000 + i, "x") for i in range(messages)))
    times = sorted(request.times)
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return max_in_window(times), rate


async def main(messages: int) -> None:
    default_peak, default_rate = await burst(AIORateLimiter(), messages)
    tuned = AIORateLimiter(overall_max_rate=OVERALL_MAX_RATE, overall_time_period=OVERALL_PERIOD)
    tuned_peak, tuned_rate = await burst(tuned, messages)
    print(f"messages sent in one burst: {messages}")
    print(
        f"default AIORateLimiter(30/1s): peak {default_peak} in 1 s, sustained {default_rate:.1f}/s"
    )
    print(
        f"oncall-bot ({OVERALL_MAX_RATE}/{OVERALL_PERIOD}s):     "
        f"peak {tuned_peak} in 1 s, sustained {tuned_rate:.1f}/s"
    )
    print(
        f"peak ratio default/tuned: {default_peak / max(tuned_peak, 1):.2f}  (Telegram allows 30)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=120)
    asyncio.run(main(parser.parse_args().messages))
