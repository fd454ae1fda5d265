"""Webhook mode: updates POSTed by Telegram are stored, answered, and never handled twice."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap import Runtime, build
from bot.channels.telegram.webhook import SECRET_HEADER, WebhookReceiver
from bot.domain.clock import FakeClock
from bot.sample import TROUT_OWNER, load_sample
from bot.settings import load_settings
from bot.simulator.server import BotApiSimulator
from tests.conftest import TOKEN
from tests.i18n_support import zh_plain

COMMANDS = zh_plain("<b>Commands</b>")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def hooked(
    sim: BotApiSimulator, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Runtime, WebhookReceiver]]:
    settings = load_settings(
        None,
        db=tmp_path / "hook.db",
        api_base_url=sim.base_url,
        api_file_url=sim.base_file_url,
        token=TOKEN,
    )
    runtime = await build(settings, clock=clock)
    runtime.sender.per_chat_interval = 0
    port = free_port()
    receiver = WebhookReceiver(
        runtime.app,
        runtime.inbox,
        f"http://127.0.0.1:{port}/telegram/hook",
        "127.0.0.1",
        port,
    )
    await runtime.start(webhook=receiver)
    await load_sample(runtime.db, clock.now())
    try:
        yield runtime, receiver
    finally:
        await runtime.close()


async def test_updates_arrive_by_webhook_and_are_answered(
    sim: BotApiSimulator, hooked: tuple[Runtime, WebhookReceiver]
) -> None:
    _runtime, receiver = hooked
    assert sim.webhook is not None and sim.webhook["secret_token"] == receiver.secret
    owner = sim.user(TROUT_OWNER.telegram_id, "张")
    await owner.command("start")
    await owner.wait_for_message(
        zh_plain(
            "<b>Welcome to the enterprise service desk</b> — whatever you need, we come at "
            "once.\n\nTo begin, tap <b>Share my phone number</b> below so we can find your "
            "enterprise or your role."
        )
    )
    await owner.share_contact(TROUT_OWNER.phone)
    await owner.wait_for_message("张老板")
    assert not sim.calls_to("getUpdates")
    sim.assert_no_errors()


async def test_a_redelivered_update_is_confirmed_but_not_handled_again(
    sim: BotApiSimulator, hooked: tuple[Runtime, WebhookReceiver]
) -> None:
    runtime, receiver = hooked
    owner = sim.user(TROUT_OWNER.telegram_id, "张")
    await owner.command("help")
    await owner.wait_for_message(COMMANDS)
    async with runtime.db.tx() as tx:
        rows = await tx._all("SELECT payload FROM inbox")
    payload = rows[-1]["payload"]
    async with aiohttp.ClientSession() as session:
        async with session.post(
            receiver.url,
            data=payload,
            headers={SECRET_HEADER: receiver.secret, "Content-Type": "application/json"},
        ) as again:
            assert again.status == 200
        async with session.post(receiver.url, data=payload) as forged:
            assert forged.status == 403
    await owner.command("my")  # handled after anything queued before it
    await owner.wait_for_message("/start")
    assert len([m for m in owner.messages() if COMMANDS in (m.text or "")]) == 1


async def test_an_update_that_cannot_be_read_is_confirmed_and_set_aside(
    sim: BotApiSimulator, hooked: tuple[Runtime, WebhookReceiver]
) -> None:
    runtime, receiver = hooked
    poison = {"update_id": 777, "message": {"message_id": 1, "chat": {"id": 1}}}
    async with (
        aiohttp.ClientSession() as session,
        session.post(receiver.url, json=poison, headers={SECRET_HEADER: receiver.secret}) as answer,
    ):
        # Refusing it would make Telegram redeliver it in front of every later update.
        assert answer.status == 200
    async with runtime.db.read() as tx:
        rows = await tx._all("SELECT seq, reason FROM dead_letters")
    assert [(r["seq"], "unreadable update" in r["reason"]) for r in rows] == [(777, True)]
    owner = sim.user(TROUT_OWNER.telegram_id, "张")
    await owner.command("help")
    await owner.wait_for_message(COMMANDS)
