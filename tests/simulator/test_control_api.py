"""The /_sim/ control API and the stand-alone ``python -m bot.simulator`` server."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.simulator import BotApiSimulator
from tests.simulator.support import TOKEN

pytestmark = pytest.mark.asyncio

REPO = Path(__file__).resolve().parents[2]


async def call(http: aiohttp.ClientSession, sim: BotApiSimulator, path: str, **body: Any) -> Any:
    """POSTs to the control API and returns the parsed answer (status checked by callers)."""
    async with http.post(f"{sim.url}/_sim/{path}", json=body) as resp:
        return resp.status, await resp.json()


async def test_drive_users_over_http(sim: BotApiSimulator, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        status, created = await call(http, sim, "users", user_id=1001, first_name="Alice")
        assert status == 200 and created["result"]["first_name"] == "Alice"
        status, sent = await call(http, sim, "command", user_id=1001, name="start")
        assert status == 200 and sent["result"]["text"] == "/start"

        update = (await bot.get_updates())[0]
        assert update.message.text == "/start" and update.message.from_user.id == 1001
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept #1", callback_data="a:1")]])
        await bot.send_message(1001, "#1 needs you", reply_markup=keyboard)

        status, waited = await call(http, sim, "wait", user_id=1001, contains="#1", timeout=5)
        assert status == 200 and waited["result"]["buttons"] == ["Accept #1"]
        status, tapped = await call(http, sim, "tap", user_id=1001, label="accept")
        assert status == 200 and tapped["result"]["data"] == "a:1"
        await bot.answer_callback_query(tapped["result"]["callback_query_id"], "OK")

        status, contact = await call(http, sim, "contact", user_id=1001, phone="13800000001")
        assert contact["result"]["contact"]["user_id"] == 1001
        status, missing = await call(http, sim, "tap", user_id=1001, label="Nope")
        assert status == 400 and "sees no inline button" in missing["error"]
        status, timed_out = await call(http, sim, "wait", user_id=1001, timeout=0.1)
        assert status == 408 and "did not get" in timed_out["error"]

        await call(http, sim, "block", user_id=1001)
        assert sim.chat(1001).blocked
        await call(http, sim, "unblock", user_id=1001)
        await call(http, sim, "throttle", enabled=True, retry_after=2)
        assert sim.throttle.enabled and sim.throttle.retry_after == 2
        await call(http, sim, "fail_next", method="sendMessage", error_code=502)
        status, bad = await call(http, sim, "fail_next", method="noSuchMethod", error_code=400)
        assert status == 400 and "no such Bot API method" in bad["error"]

        async with http.get(f"{sim.url}/_sim/chats/1001") as resp:
            chat = (await resp.json())["result"]
        assert [m["from_bot"] for m in chat["messages"]] == [False, True, False]
        async with http.get(
            f"{sim.url}/_sim/calls", params={"method": "answerCallbackQuery"}
        ) as resp:
            assert [c["ok"] for c in (await resp.json())["result"]] == [True]
        async with http.get(f"{sim.url}/_sim/callbacks") as resp:
            assert (await resp.json())["result"][0]["answer"] == {"text": "OK"}
        async with http.get(f"{sim.url}/_sim/chats") as resp:
            assert (await resp.json())["result"][0]["messages"] == 3
        async with http.get(f"{sim.url}/_sim/transcript") as resp:
            assert "Alice → taps [Accept #1] on msg 2" in await resp.text()


async def test_stand_alone_server_runs_until_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.simulator",
        "--port",
        "0",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 10)
        url = first.decode().rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/bot{TOKEN}/getMe") as resp,
        ):
            assert (await resp.json())["result"]["username"] == "oncall_demo_bot"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
