"""JSON control API under /_sim/ so another process can drive simulated users (see server.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.simulator.control_base import _ControlError, _int, _ok, _str
from bot.simulator.control_views import ControlViews
from bot.simulator.models import JsonDict

if TYPE_CHECKING:
    from bot.simulator.server import BotApiSimulator

_MAX_WAIT = 120.0


def add_control_routes(app: web.Application, sim: BotApiSimulator) -> None:
    """Registers the /_sim/ routes of ``sim`` on ``app``."""
    api = _ControlApi(sim)
    app.router.add_post("/_sim/users", api.users)
    app.router.add_post("/_sim/send", api.send)
    app.router.add_post("/_sim/command", api.command)
    app.router.add_post("/_sim/contact", api.contact)
    app.router.add_post("/_sim/tap", api.tap)
    app.router.add_post("/_sim/wait", api.wait)
    app.router.add_post("/_sim/block", api.block)
    app.router.add_post("/_sim/unblock", api.unblock)
    app.router.add_post("/_sim/throttle", api.throttle)
    app.router.add_post("/_sim/fail_next", api.fail_next)
    app.router.add_post("/_sim/outage", api.outage)
    app.router.add_post("/_sim/groups", api.groups)
    app.router.add_post("/_sim/bot_status", api.bot_status)
    app.router.add_post("/_sim/channel_post", api.channel_post)
    app.router.add_post("/_sim/edit", api.edit)
    app.router.add_post("/_sim/raw_update", api.raw_update)
    app.router.add_get("/_sim/chats", api.chats)
    app.router.add_get("/_sim/chats/{chat_id}", api.chat)
    app.router.add_get("/_sim/calls", api.calls)
    app.router.add_get("/_sim/callbacks", api.callbacks)
    app.router.add_get("/_sim/transcript", api.transcript)


class _ControlApi(ControlViews):
    """Handlers of the control routes; errors become ``{"ok": false, "error": ...}``."""

    async def users(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/users: create a user."""

        async def act(body: JsonDict) -> web.Response:
            return _ok(self._user(body).record.to_api())

        return await self._run(request, act)

    async def send(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/send: the user sends a text message (in the group chat_id, if given)."""

        async def act(body: JsonDict) -> web.Response:
            user, group = self._user(body), self._group(body)
            text = _str(body, "text")
            msg = await (group.send(user, text) if group else user.send(text))
            return _ok(msg.summary())

        return await self._run(request, act)

    async def command(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/command: the user sends /name args."""

        async def act(body: JsonDict) -> web.Response:
            user, group = self._user(body), self._group(body)
            name, args = _str(body, "name"), str(body.get("args", ""))
            msg = await (group.command(user, name, args) if group else user.command(name, args))
            return _ok(msg.summary())

        return await self._run(request, act)

    async def contact(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/contact: the user shares a contact (their own by default)."""

        async def act(body: JsonDict) -> web.Response:
            user = self._user(body)
            other = body.get("contact_user_id")
            msg = await user.share_contact(
                _str(body, "phone"),
                user_id=int(other) if other is not None else None,
                first_name=body.get("contact_first_name"),
            )
            return _ok(msg.summary())

        return await self._run(request, act)

    async def tap(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/tap: the user taps an inline button by label."""

        async def act(body: JsonDict) -> web.Response:
            user, group = self._user(body), self._group(body)
            message = None
            if body.get("message_id") is not None:
                message = self._message(body, user, group)
            label = _str(body, "label")
            handle = await (group.tap(user, label, message) if group else user.tap(label, message))
            return _ok(
                {
                    "callback_query_id": handle.id,
                    "message_id": handle.message.message_id,
                    "data": handle.data,
                    "label": handle.query.label,
                }
            )

        return await self._run(request, act)

    async def wait(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/wait: waits for the user's next bot message (optionally containing text)."""

        async def act(body: JsonDict) -> web.Response:
            user = self._user(body)
            if body.get("after_message_id") is not None:
                user.mark(_int(body, "after_message_id"))
            timeout = min(float(body.get("timeout", 10.0)), _MAX_WAIT)
            contains = body.get("contains")
            try:
                msg = await user.wait_for_message(
                    contains if isinstance(contains, str) else None, timeout
                )
            except AssertionError as exc:
                raise _ControlError(str(exc), 408) from None
            return _ok(msg.summary())

        return await self._run(request, act)

    async def block(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/block: the user blocks the bot."""

        async def act(body: JsonDict) -> web.Response:
            self._user(body).block()
            return _ok(True)

        return await self._run(request, act)

    async def unblock(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/unblock: the user unblocks the bot."""

        async def act(body: JsonDict) -> web.Response:
            self._user(body).unblock()
            return _ok(True)

        return await self._run(request, act)

    async def throttle(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/throttle: configures flood-limit emulation."""

        async def act(body: JsonDict) -> web.Response:
            self.sim.set_throttle(
                enabled=bool(body.get("enabled", True)),
                global_per_second=int(body.get("global_per_second", 30)),
                per_chat_per_second=float(body.get("per_chat_per_second", 1.0)),
                retry_after=body.get("retry_after"),
                per_chat_burst=int(body.get("per_chat_burst", 3)),
            )
            return _ok(True)

        return await self._run(request, act)

    async def fail_next(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/fail_next: injects an error into the next call(s) of a method."""

        async def act(body: JsonDict) -> web.Response:
            self.sim.fail_next(
                _str(body, "method"),
                _int(body, "error_code"),
                body.get("description"),
                retry_after=body.get("retry_after"),
                count=int(body.get("count", 1)),
            )
            return _ok(True)

        return await self._run(request, act)

    async def raw_update(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/raw_update: {"kind": "message", "payload": {...}} queued as it is."""

        async def act(body: JsonDict) -> web.Response:
            return _ok(self.sim.inject_raw_update(_str(body, "kind"), body.get("payload")))

        return await self._run(request, act)

    async def outage(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/outage: {"error_code": 502} fails every call until {"error_code": null}."""

        async def act(body: JsonDict) -> web.Response:
            code = body.get("error_code", 502)
            self.sim.set_outage(None if code is None else int(code), body.get("description"))
            return _ok(True)

        return await self._run(request, act)

    async def groups(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/groups: creates a group, supergroup or channel with these members."""

        async def act(body: JsonDict) -> web.Response:
            ids = body.get("member_ids")
            if not isinstance(ids, list) or not ids:
                raise _ControlError("member_ids (a non-empty list of user ids) is required")
            members = [self.sim.user(int(i)) for i in ids]
            bot = body.get("bot", "member")
            group = self.sim.group(
                _int(body, "chat_id"),
                _str(body, "title"),
                members,
                kind=str(body.get("type", "group")),
                bot=None if bot is None else str(bot),
            )
            return _ok(group.chat.to_api())

        return await self._run(request, act)

    async def bot_status(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/bot_status: the bot is added to or removed from a group (my_chat_member)."""

        async def act(body: JsonDict) -> web.Response:
            by = self._user(body) if body.get("user_id") is not None else None
            self.sim.set_bot_status(_int(body, "chat_id"), _str(body, "status"), by)
            return _ok(True)

        return await self._run(request, act)

    async def channel_post(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/channel_post: a post in a channel."""

        async def act(body: JsonDict) -> web.Response:
            msg = self.sim.inject_channel_post(_int(body, "chat_id"), _str(body, "text"))
            return _ok(msg.summary())

        return await self._run(request, act)

    async def edit(self, request: web.Request) -> web.StreamResponse:
        """POST /_sim/edit: the user edits their earlier text message (edited_message)."""

        async def act(body: JsonDict) -> web.Response:
            user, group = self._user(body), self._group(body)
            msg = await user.edit(self._message(body, user, group), _str(body, "text"))
            return _ok(msg.summary())

        return await self._run(request, act)
