"""Webhook mode: Telegram POSTs updates here; each is stored before the 200 that confirms it."""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any

from aiohttp import web
from telegram import Update

from bot.channels.telegram.inbox import ALLOWED_UPDATES
from bot.domain.clock import Clock
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20


class WebhookReceiver:
    """A small aiohttp server; Telegram retries any update it did not get a 200 for."""

    def __init__(
        self,
        app: Any,
        db: UnitOfWork,
        clock: Clock,
        url: str,
        listen: str = "0.0.0.0",
        port: int = 8443,
    ) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.url = url
        self.listen = listen
        self.port = port
        # A fresh secret each start: only the Telegram that was told it can post updates.
        self.secret = secrets.token_urlsafe(32)
        self._runner: web.AppRunner | None = None

    @property
    def path(self) -> str:
        tail = self.url.split("://", 1)[-1]
        return "/" + tail.split("/", 1)[1] if "/" in tail else "/"

    async def start(self) -> None:
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await self.app.bot.set_webhook(
            self.url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
        )
        log.info("receiving updates at %s (listening on %s:%s)", self.url, self.listen, self.port)

    async def stop(self) -> None:
        # The webhook stays set: Telegram keeps what arrives meanwhile for the next start.
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403)
        try:
            payload = await request.json()
            update = Update.de_json(payload, self.app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        async with self.db.tx() as tx:
            stored = await tx.store_updates(
                [(update.update_id, json.dumps(payload, ensure_ascii=False))], self.clock.now()
            )
        if stored:  # a redelivery of a stored update is confirmed, not queued twice
            await self.app.update_queue.put(update)
        return web.Response(status=200)
