"""The control API's read-only routes: chats, messages, recorded calls, taps, the transcript."""

from __future__ import annotations

from aiohttp import web

from bot.simulator.control_base import ControlBase, _ControlError, _int, _ok
from bot.simulator.models import JsonDict


class ControlViews(ControlBase):
    """GET /_sim/...: what the simulator holds, as JSON (the transcript as text)."""

    async def chats(self, request: web.Request) -> web.StreamResponse:
        """GET /_sim/chats: every chat with its counts."""

        async def act(_body: JsonDict) -> web.Response:
            return _ok(
                [
                    {
                        "id": chat.id,
                        "type": chat.type,
                        "title": chat.title,
                        "user": chat.user.to_api(),
                        "started": chat.started,
                        "blocked": chat.blocked,
                        "messages": len(chat.messages),
                    }
                    for chat in self.sim.chats.values()
                ]
            )

        return await self._run(request, act)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """GET /_sim/chats/{id}: both sides' messages, current state after edits."""

        async def act(_body: JsonDict) -> web.Response:
            chat_id = _int(dict(request.match_info), "chat_id")
            chat = self.sim.chats.get(chat_id)
            if chat is None:
                raise _ControlError("no such chat", 404)
            return _ok(
                {
                    "chat": chat.to_api(),
                    "started": chat.started,
                    "blocked": chat.blocked,
                    "messages": [m.summary() for m in chat.messages],
                }
            )

        return await self._run(request, act)

    async def calls(self, request: web.Request) -> web.StreamResponse:
        """GET /_sim/calls?method=...&errors=1: recorded Bot API calls."""

        async def act(_body: JsonDict) -> web.Response:
            method = request.query.get("method")
            only_errors = request.query.get("errors") in ("1", "true")
            return _ok(
                [
                    {
                        "method": c.method,
                        "params": c.params,
                        "response": c.response,
                        "ok": c.ok,
                        "status": c.status,
                        "at": c.at,
                        "expected": c.expected,
                        "reason": c.reason,
                    }
                    for c in self.sim.calls
                    if (method is None or c.method == method) and (not only_errors or not c.ok)
                ]
            )

        return await self._run(request, act)

    async def callbacks(self, request: web.Request) -> web.StreamResponse:
        """GET /_sim/callbacks: taps and their answers."""

        async def act(_body: JsonDict) -> web.Response:
            return _ok(
                [
                    {
                        "id": q.id,
                        "user_id": q.user_id,
                        "message_id": q.message_id,
                        "data": q.data,
                        "label": q.label,
                        "answered": q.answered,
                        "latency": q.latency,
                        "answer": q.answer,
                    }
                    for q in self.sim.callback_queries.values()
                ]
            )

        return await self._run(request, act)

    async def transcript(self, request: web.Request) -> web.StreamResponse:
        """GET /_sim/transcript: the readable transcript as text/plain."""
        return web.Response(text=self.sim.transcript() + "\n", content_type="text/plain")
