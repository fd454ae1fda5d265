"""Webhook mode: Telegram POSTs updates here; each is stored before the 200 that confirms it."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from aiohttp import web

from bot.channels.telegram.inbox import ALLOWED_UPDATES, Inbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20


class WebhookReceiver:
    """A small aiohttp server; Telegram retries any update it did not get a 200 for."""

    def __init__(
        self,
        app: Any,
        inbox: Inbox,
        url: str,
        listen: str = "0.0.0.0",
        port: int = 8443,
    ) -> None:
        self.app = app
        self.inbox = inbox
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
        except ValueError:
            return web.Response(status=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.Response(status=400)
        # Stored first; one python-telegram-bot cannot read is set aside, and still confirmed,
        # or Telegram would redeliver it forever in front of every later update.
        # A redelivery of a stored update is confirmed, not queued twice.
        for update in await self.inbox.take([payload]):
            await self.app.update_queue.put(update)
        return web.Response(status=200)
