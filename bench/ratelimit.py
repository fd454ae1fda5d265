"""How many messages python-telegram-bot's AIORateLimiter lets through in one second.

Telegram allows about 30 messages a second overall, counted in any one-second window.
AIORateLimiter's default (30 per 1 s) is a leaky bucket: after an idle spell it admits a full
bucket at once and then 30 a second, so the first second can carry close to 60. Tuned down to
4 per 0.2 s (the bot's setting until issue 9) it keeps every second at 24 but sustains only 20.
The bot's MessageRateLimiter is a sliding window over the send times: 28 in any second, and 28
sustained. This script sends a burst through each (a request object that answers at once, no
network) and prints the most calls seen in any one-second window and the sustained rate.

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

from bot.channels.telegram.ratelimit import OVERALL_PER_SECOND, MessageRateLimiter

# The leaky bucket the bot used before its sliding window (for comparison).
BUCKET_MAX_RATE = 4
BUCKET_PERIOD = 0.2


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
    bucket = AIORateLimiter(overall_max_rate=BUCKET_MAX_RATE, overall_time_period=BUCKET_PERIOD)
    bucket_peak, bucket_rate = await burst(bucket, messages)
    window_peak, window_rate = await burst(MessageRateLimiter(), messages)
    print(f"messages sent in one burst: {messages}")
    print(
        f"default AIORateLimiter(30/1s):   peak {default_peak} in 1 s, "
        f"sustained {default_rate:.1f}/s"
    )
    print(
        f"leaky bucket ({BUCKET_MAX_RATE}/{BUCKET_PERIOD}s):       "
        f"peak {bucket_peak} in 1 s, sustained {bucket_rate:.1f}/s"
    )
    print(
        f"oncall-bot window ({OVERALL_PER_SECOND}/1s):   "
        f"peak {window_peak} in 1 s, sustained {window_rate:.1f}/s"
    )
    print(
        f"sustained ratio window/bucket: {window_rate / max(bucket_rate, 0.1):.2f}; "
        f"window peak / Telegram's 30: {window_peak / 30:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=120)
    asyncio.run(main(parser.parse_args().messages))
