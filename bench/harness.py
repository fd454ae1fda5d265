"""What every measurement shares: a zero-latency Bot API, the bot as bootstrap wires it, updates.

`RecordingRequest` answers every Bot API call at once, the way Telegram would (a message for a
send or an edit, true for the rest), and records it, so the real Application runs without a
network and a driver can find the buttons the bot sent. Updates are built as Telegram's JSON and
put on the Application's update queue, the way the bot's own poller hands them over.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseRateLimiter
from telegram.request import BaseRequest, RequestData

from bot import bootstrap
from bot.bootstrap import Runtime, build
from bot.domain.clock import Clock
from bot.settings import load_settings

TOKEN = "1:BENCH"
BOT_ID = 1
ME = {"id": BOT_ID, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
MESSAGE_METHODS = {
    "sendMessage",
    "sendDocument",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "copyMessage",
}

TApp = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Call:
    at: float
    method: str
    params: dict[str, Any]
    message_id: int | None = None

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if isinstance(raw, int | str) and str(raw).lstrip("-").isdigit() else None

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of the inline keyboard this call showed."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not isinstance(markup, dict):
            return []
        return [
            (str(b.get("text", "")), str(b.get("callback_data", "")))
            for row in markup.get("inline_keyboard", [])
            for b in row
            if b.get("callback_data")
        ]


class RecordingRequest(BaseRequest):
    """A Bot API that answers at once, like Telegram, and records every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._ids = itertools.count(1)
        self._waiters: list[tuple[Callable[[Call], bool], asyncio.Future[Call]]] = []

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

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
        params = dict(request_data.parameters) if request_data is not None else {}
        call = Call(time.perf_counter(), name, params)
        result: object = True
        if name == "getMe":
            result = ME
        elif name == "getUpdates":
            await asyncio.sleep(0.05)
            result = []
        elif name in MESSAGE_METHODS:
            message_id = params.get("message_id")
            call.message_id = int(str(message_id)) if message_id is not None else next(self._ids)
            result = {
                "message_id": call.message_id,
                "date": int(time.time()),
                "chat": {"id": call.chat_id or 0, "type": "private"},
                "from": ME,
                "text": str(params.get("text") or params.get("caption") or "x"),
            }
        self.calls.append(call)
        for waiter in list(self._waiters):
            match, future = waiter
            if not future.done() and match(call):
                future.set_result(call)
                self._waiters.remove(waiter)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def wait_for(
        self,
        match: Callable[[Call], bool],
        timeout: float,  # noqa: ASYNC109
        since: float = 0.0,
    ) -> Call:
        """The first call (already made or still to come) that `match` accepts; the calls made
        before `since` are not looked at (scanning them all made the harness, not the bot, the
        cost at thousands of calls)."""
        for call in reversed(self.calls):
            if call.at < since:
                break
            if match(call):
                return call
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiters.append((match, future))
        return await asyncio.wait_for(future, timeout)


class NoRateLimit(BaseRateLimiter[None]):
    """Passes every call straight through (Telegram's pace is measured on its own, see drain)."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        return await callback(*args, **kwargs)


async def build_bot(
    db: Path, request: RecordingRequest, clock: Clock | None = None, rate_limit: bool = True
) -> Runtime:
    """The bot as bootstrap wires it, against `request`; optionally without the pace limiter."""
    settings = load_settings(None, db=db, token=TOKEN)
    if rate_limit:
        return await build(settings, clock=clock, request=request)
    names = vars(bootstrap)  # build() constructs the limiter it finds under this name
    original = names["MessageRateLimiter"]
    names["MessageRateLimiter"] = NoRateLimit
    try:
        return await build(settings, clock=clock, request=request)
    finally:
        names["MessageRateLimiter"] = original


class Completion:
    """Resolves a future when the Application has finished handling an update (commit included).

    Wraps the update processor's public `process_update`: it returns once the handlers ran and
    the processor has recorded the update as handled.
    """

    def __init__(self, app: TApp) -> None:
        self.done: dict[int, asyncio.Future[float]] = {}
        processor = app.update_processor
        inner = processor.process_update

        async def process_update(update: object, coroutine: Any) -> None:
            try:
                await inner(update, coroutine)
            finally:
                if isinstance(update, Update):
                    future = self.done.get(update.update_id)
                    if future is not None and not future.done():
                        future.set_result(time.perf_counter())

        vars(processor)["process_update"] = process_update  # this instance only

    def expect(self, update_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.done[update_id] = future
        return future


# Unique across runs on one file: the bot ignores an update id its inbox marked handled before.
_update_ids = itertools.count(int(time.time() * 1000) % 1_000_000_000 * 2)


def user_json(user_id: int) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"U{user_id}",
        "language_code": "zh-hans",
    }


def chat_json(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": f"U{user_id}"}


def text_update(user_id: int, text: str) -> dict[str, Any]:
    """A private message (a command when it starts with /)."""
    update_id = next(_update_ids)
    message: dict[str, Any] = {
        "message_id": 1_000_000 + update_id,
        "date": int(time.time()),
        "chat": chat_json(user_id),
        "from": user_json(user_id),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


def tap_update(user_id: int, data: str, message_id: int) -> dict[str, Any]:
    """A tap on a button of the bot's message `message_id`."""
    update_id = next(_update_ids)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": user_json(user_id),
            "chat_instance": f"c{user_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat_json(user_id),
                "from": ME,
                "text": "x",
            },
        },
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    VmHWM where Linux has it: getrusage's ru_maxrss survives exec, so a process started by a
    big parent (the generator's) would report the parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
