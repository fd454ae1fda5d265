"""The control API's plumbing: request bodies, their fields, errors, and whom a request names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.simulator.models import JsonDict, SimMessage

if TYPE_CHECKING:
    from bot.simulator.driver import SimUser
    from bot.simulator.groups import SimGroup
    from bot.simulator.server import BotApiSimulator


class _ControlError(Exception):
    """A bad control request: answered 400 (or the given status) with the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _ok(result: Any) -> web.Response:
    """A successful control answer."""
    return web.json_response({"ok": True, "result": result})


async def _body(request: web.Request) -> JsonDict:
    """The JSON object of a control request."""
    try:
        body = await request.json()
    except ValueError:
        raise _ControlError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise _ControlError("the body must be a JSON object")
    return body


def _int(body: JsonDict, key: str) -> int:
    """A required integer field."""
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _ControlError(f"{key} (integer) is required")
    try:
        return int(value)
    except ValueError:
        raise _ControlError(f"{key} must be an integer") from None


def _str(body: JsonDict, key: str) -> str:
    """A required string field."""
    value = body.get(key)
    if not isinstance(value, str):
        raise _ControlError(f"{key} (string) is required")
    return value


class ControlBase:
    """What every control handler uses: the simulator, the user and chat a body names."""

    def __init__(self, sim: BotApiSimulator) -> None:
        self.sim = sim

    def _user(self, body: JsonDict) -> SimUser:
        """The user named by user_id, created on first use (first_name etc. from the body)."""
        user_id = _int(body, "user_id")
        return self.sim.user(
            user_id,
            body.get("first_name"),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "zh-hans"),
        )

    @staticmethod
    async def _run(
        request: web.Request, action: Callable[[JsonDict], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Runs one handler body, turning failures into JSON errors."""
        try:
            return await action(await _body(request) if request.method == "POST" else {})
        except _ControlError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=exc.status)
        except (AssertionError, KeyError, ValueError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)

    def _group(self, body: JsonDict) -> SimGroup | None:
        """The group named by an optional chat_id (None: the user's private chat)."""
        from bot.simulator.groups import SimGroup

        if body.get("chat_id") is None:
            return None
        chat = self.sim.chats.get(_int(body, "chat_id"))
        if chat is None or chat.is_private:
            raise _ControlError("no such group", 404)
        return SimGroup(self.sim, chat)

    def _message(self, body: JsonDict, user: SimUser, group: SimGroup | None) -> SimMessage:
        """The message named by message_id, in the group or else in the user's chat."""
        chat = group.chat if group is not None else user.chat
        message = chat.find(_int(body, "message_id"))
        if message is None:
            raise _ControlError("no such message", 404)
        return message
