"""The Bot API rate limiter: messages are paced, answers to taps never wait behind them.

python-telegram-bot's AIORateLimiter throttles a call only when it names a `chat_id`, which
answerCallbackQuery happens not to; but every call it handles also waits while a 429 pauses
the whole bot (with retries on), and that rule is its internals' to change. An answer to a
tap is not a message, does not count toward Telegram's 30 messages a second, and must arrive
within seconds or Telegram expires the tap, so it goes straight through, by design.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]

# Bot API methods that are not messages and must never queue behind them.
UNTHROTTLED = frozenset({"answerCallbackQuery"})


class MessageRateLimiter(AIORateLimiter):
    """AIORateLimiter for messages; answers to taps (see UNTHROTTLED) skip it."""

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
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
