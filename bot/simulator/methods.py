"""Bot API methods about the bot itself: updates, webhook, commands and profile."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import aiohttp

from bot.simulator.models import (
    ApiError,
    JsonDict,
    bad_request,
)
from bot.simulator.recorder import SimRecorder
from bot.simulator.rules import (
    _COMMAND_RE,
    _Superseded,
)

log = logging.getLogger(__name__)


class SimMethods(SimRecorder):
    """getMe, getUpdates, webhooks, command menus, name and descriptions."""

    # ----------------------------------------------------------------- methods

    async def _get_me(self, p: JsonDict) -> Any:
        """getMe."""
        return self.bot.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: JsonDict) -> Any:
        """getUpdates: confirm by offset, filter, long-poll up to ``timeout`` seconds."""
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        if "allowed_updates" in p:
            self._allowed_updates = set(p["allowed_updates"]) or self._default_allowed()
        offset = p.get("offset")
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u.update_id >= offset]
        limit = min(max(int(p.get("limit", 100)), 1), 100)
        timeout = max(int(p.get("timeout", 0)), 0)
        self._drop_disallowed()
        if not self._updates and timeout > 0:
            self.polls_waiting += 1
            self._changed()
            try:
                await self.wait_until(
                    lambda: (
                        self._closing
                        or self._poll_generation != generation
                        or any(u.kind in self._allowed_updates for u in self._updates)
                    ),
                    timeout,
                )
            finally:
                self.polls_waiting -= 1
            self._drop_disallowed()
            if self._poll_generation != generation:
                raise _Superseded
        return [u.to_api() for u in self._updates[:limit]]

    def _drop_disallowed(self) -> None:
        """Forgets queued updates of kinds the bot did not ask for, as Telegram does."""
        self._updates = [u for u in self._updates if u.kind in self._allowed_updates]

    async def _set_webhook(self, p: JsonDict) -> Any:
        """setWebhook: later updates are POSTed to the URL (an empty URL removes it)."""
        url = p["url"]
        if not url:
            return await self._delete_webhook(p)
        if not re.match(r"^https?://", url):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in p:
            self._allowed_updates = set(p["allowed_updates"]) or self._default_allowed()
        self.webhook = {
            "url": url,
            "secret_token": p.get("secret_token"),
            "max_connections": p.get("max_connections", 40),
        }
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhook())
        self._changed()
        return True

    async def _delete_webhook(self, p: JsonDict) -> Any:
        """deleteWebhook (drop_pending_updates clears the queue)."""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        self._changed()
        return True

    async def _get_webhook_info(self, p: JsonDict) -> Any:
        """getWebhookInfo."""
        info: JsonDict = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self.webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    async def _deliver_webhook(self) -> None:
        """POSTs queued updates one by one to the webhook; retries after failures."""
        async with aiohttp.ClientSession() as session:
            while not self._closing and self.webhook:
                await self.wait_until(
                    lambda: self._closing or not self.webhook or bool(self._updates), 3600
                )
                self._drop_disallowed()
                if self._closing or not self.webhook or not self._updates:
                    continue
                update = self._updates[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(
                        self.webhook["url"],
                        json=update.to_api(),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as resp:
                        error = None if resp.status < 300 else f"Wrong response: {resp.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc}"
                if error is None:
                    self._updates = [u for u in self._updates if u is not update]
                    self._changed()
                else:
                    self.webhook_last_error = (int(self.wall_clock()), error)
                    # Telegram backs off too; a short pause keeps a broken receiver from spinning.
                    await self.wait_until(lambda: self._closing or not self.webhook, 0.5)

    async def _set_my_commands(self, p: JsonDict) -> Any:
        """setMyCommands."""
        commands = p["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands")
        for cmd in commands:
            if not _COMMAND_RE.match(cmd["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(cmd["description"].strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, p: JsonDict) -> Any:
        """getMyCommands."""
        return list(self.commands.get(self._scope_key(p), []))

    async def _delete_my_commands(self, p: JsonDict) -> Any:
        """deleteMyCommands."""
        self.commands.pop(self._scope_key(p), None)
        return True

    @staticmethod
    def _language(p: JsonDict) -> str:
        """The language_code parameter: empty or a two-letter ISO 639-1 code."""
        lang = str(p.get("language_code") or "")
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("invalid language code specified")
        return lang

    def _scope_key(self, p: JsonDict) -> tuple[str, str]:
        """Commands are stored per (scope, language_code)."""
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), self._language(p)

    def _set_profile(self, p: JsonDict, field: str, limit: int) -> bool:
        """Stores the bot's name or a description for one language."""
        value = p.get(field, "")
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        lang = self._language(p)
        if value:
            self.profile[(field, lang)] = value
        else:
            self.profile.pop((field, lang), None)
        return True

    def _get_profile(self, p: JsonDict, field: str) -> JsonDict:
        """Reads the bot's name or a description, falling back to the default language."""
        lang = self._language(p)
        value = self.profile.get((field, lang), self.profile.get((field, ""), ""))
        if field == "name" and not value:
            value = self.bot.first_name
        return {field: value}

    async def _set_my_description(self, p: JsonDict) -> Any:
        """setMyDescription."""
        return self._set_profile(p, "description", 512)

    async def _get_my_description(self, p: JsonDict) -> Any:
        """getMyDescription."""
        return self._get_profile(p, "description")

    async def _set_my_short_description(self, p: JsonDict) -> Any:
        """setMyShortDescription."""
        return self._set_profile(p, "short_description", 120)

    async def _get_my_short_description(self, p: JsonDict) -> Any:
        """getMyShortDescription."""
        return self._get_profile(p, "short_description")

    async def _set_my_name(self, p: JsonDict) -> Any:
        """setMyName."""
        return self._set_profile(p, "name", 64)

    async def _get_my_name(self, p: JsonDict) -> Any:
        """getMyName."""
        return self._get_profile(p, "name")
