"""Errors a test asks for: flood limits, injected failures, outages, rejected tokens."""

from __future__ import annotations

import logging
import math
from typing import NoReturn

from bot.simulator.models import (
    ApiError,
)
from bot.simulator.people import SimPeople
from bot.simulator.rules import (
    SEND_METHODS,
    ThrottleConfig,
    _Injection,
)

log = logging.getLogger(__name__)


class SimFaults(SimPeople):
    """What can make a Bot API call fail, as Telegram would."""

    # ----------------------------------------------------------------- test controls

    def set_throttle(
        self,
        enabled: bool = True,
        global_per_second: int = 30,
        per_chat_per_second: float = 1.0,
        retry_after: int | None = None,
        per_chat_burst: int = 3,
    ) -> None:
        """Turns flood-limit emulation on or off (429 with retry_after when exceeded)."""
        self.throttle = ThrottleConfig(
            enabled, global_per_second, per_chat_per_second, per_chat_burst, retry_after
        )
        self._global_times.clear()
        self._chat_buckets.clear()

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Makes the next ``count`` valid calls of ``method`` fail with this error."""
        spec = self.spec.find_method(method)
        if spec is None:
            raise ValueError(f"no such Bot API method: {method}")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected error",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after}",
                502: "Bad Gateway",
            }.get(error_code, f"Error {error_code}: injected error")
        self._injections.setdefault(spec.name, []).append(
            _Injection(error_code, description, retry_after, count)
        )

    def reject_token(self, token: str, rejected: bool = True) -> None:
        """Answers every call made with ``token`` 401 Unauthorized, as Telegram does for a
        revoked or mistyped token (``rejected=False`` accepts it again)."""
        if rejected:
            self._rejected_tokens.add(token)
        else:
            self._rejected_tokens.discard(token)

    def set_outage(self, error_code: int | None = 502, description: str | None = None) -> None:
        """Fails every Bot API call with ``error_code`` until called with None (an outage)."""
        if error_code is None:
            self._outage = None
            return
        self._outage = (
            error_code,
            description
            or {
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(error_code, f"Error {error_code}: outage"),
        )

    def _take_injection(self, method: str) -> None:
        """Raises the outage's error, or the one fail_next() queued for this method, if any."""
        if self._outage is not None:
            raise ApiError(self._outage[0], self._outage[1], reason="outage")
        queue = self._injections.get(method)
        if not queue:
            return
        injection = queue[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            queue.pop(0)
        raise ApiError(
            injection.error_code,
            injection.description,
            retry_after=injection.retry_after,
            reason="injected",
        )

    def _check_throttle(self, method: str, chat_id: int | None) -> None:
        """Answers 429 when a send/edit exceeds the global window or the chat's bucket."""
        cfg = self.throttle
        if not cfg.enabled or method not in SEND_METHODS:
            return
        now = self.clock()
        while self._global_times and now - self._global_times[0] >= 1.0:
            self._global_times.popleft()
        if len(self._global_times) >= cfg.global_per_second:
            wait = 1.0 - (now - self._global_times[0])
            self._too_many(cfg.retry_after or max(1, math.ceil(wait)))
        if chat_id is not None and chat_id > 0:
            tokens, last = self._chat_buckets.get(chat_id, (float(cfg.per_chat_burst), now))
            tokens = min(float(cfg.per_chat_burst), tokens + (now - last) * cfg.per_chat_per_second)
            if tokens < 1.0:
                self._chat_buckets[chat_id] = (tokens, now)
                wait = (1.0 - tokens) / cfg.per_chat_per_second
                self._too_many(cfg.retry_after or max(1, math.ceil(wait)))
            self._chat_buckets[chat_id] = (tokens - 1.0, now)
        self._global_times.append(now)

    @staticmethod
    def _too_many(retry_after: int) -> NoReturn:
        """Raises Telegram's flood-wait error."""
        raise ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            reason="throttle",
        )
