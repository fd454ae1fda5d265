"""A local Telegram Bot API server (aiohttp) that answers and validates like Telegram.

Point python-telegram-bot at it with ``ApplicationBuilder().base_url(sim.base_url)
.base_file_url(sim.base_file_url)``; any token is accepted. Every call is checked against
the Bot API spec (method exists, required fields present, no unknown fields, field types,
nested objects) and against Telegram's own rules (HTML entities, text and caption length,
inline keyboard limits, unknown / blocked chats, edits that change nothing, stale callback
queries). Calls, messages, edits, taps and answers are recorded for tests and transcripts.

Implemented methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
setMyCommands, getMyCommands, deleteMyCommands, set/getMyName, set/getMyDescription,
set/getMyShortDescription, sendMessage, sendChatAction, editMessageText, editMessageCaption,
editMessageReplyMarkup, deleteMessage, answerCallbackQuery, sendDocument, sendPhoto,
sendVoice, sendVideoNote, sendAudio, sendVideo, sendLocation, sendContact, copyMessage,
getFile; files download at ``GET /file/bot<token>/<file_path>``.
Unknown methods answer 404 "Not Found" (as Telegram does); methods that exist in the spec but
are not simulated answer 501.

Simulator-specific choices: unknown parameters are rejected (Telegram ignores them);
a bare "&" in HTML is rejected (``strict_html``); parse modes other than HTML answer 501;
a newer getUpdates makes a still-waiting older one return ``[]`` instead of 409 Conflict,
because PTB leaves an abandoned long poll behind when it stops (so two bot instances polling
at once go unnoticed). Groups, supergroups and channels (negative ids, members, the bot added
or removed with ``my_chat_member``) are simulated with Telegram's privacy mode: in a group the
bot gets commands, replies to its own messages and mentions of it, or everything as an admin.

Control API for another process (JSON in; answers ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}``; a user is created on first use; user_id == chat id):
  POST /_sim/users      {user_id, first_name, last_name?, username?, language_code?}
  POST /_sim/send       {user_id, text, first_name?}          -> message summary
  POST /_sim/command    {user_id, name, args?}                -> message summary
  POST /_sim/contact    {user_id, phone, contact_user_id?, contact_first_name?}
  POST /_sim/tap        {user_id, label, message_id?}         -> {callback_query_id, data, ...}
  POST /_sim/wait       {user_id, contains?, after_message_id?, timeout?} -> next bot message
  POST /_sim/block      {user_id}      POST /_sim/unblock {user_id}
  POST /_sim/throttle   {enabled, global_per_second?, per_chat_per_second?, retry_after?}
  POST /_sim/fail_next  {method, error_code, description?, retry_after?, count?}
  POST /_sim/groups     {chat_id, title, type?, member_ids, bot?}  (type group|supergroup|channel;
                        bot: "member" | "administrator" | null) -> the Chat
  POST /_sim/bot_status {chat_id, status, user_id?}   the bot added/removed (my_chat_member)
  POST /_sim/send, /_sim/command, /_sim/tap also take chat_id: the user acts in that group
  POST /_sim/channel_post {chat_id, text}             POST /_sim/edit {user_id, message_id, text,
                        chat_id?}: the user edits their message (an edited_message update)
  GET  /_sim/chats      GET /_sim/chats/{id}      GET /_sim/calls?errors=1&method=...
  GET  /_sim/callbacks  GET /_sim/transcript (text/plain)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from aiohttp import web

from bot.simulator.messages import SimMessages
from bot.simulator.models import (
    ApiError,
    JsonDict,
    RecordedCall,
    UploadedFile,
    bad_request,
)
from bot.simulator.rules import (
    BOT_ID,
    SEND_METHODS,
    Handler,
    ThrottleConfig,
    TranscriptEvent,
    _Superseded,
)
from bot.simulator.spec import SpecError

log = logging.getLogger(__name__)

__all__ = ["BOT_ID", "SEND_METHODS", "BotApiSimulator", "ThrottleConfig", "TranscriptEvent"]


class BotApiSimulator(SimMessages):
    """The simulated Bot API server; also the store that tests and the driver inspect."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendVoice": self._send_voice,
            "sendVideoNote": self._send_video_note,
            "sendAudio": self._send_audio,
            "sendVideo": self._send_video,
            "sendLocation": self._send_location,
            "sendContact": self._send_contact,
            "copyMessage": self._copy_message,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setMyName": self._set_my_name,
            "getMyName": self._get_my_name,
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Starts serving on host:port (port 0 picks a free one, see ``port``)."""
        from bot.simulator.control import add_control_routes

        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        # A short shutdown timeout: waiting long polls are woken by stop() anyway.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        log.info("Bot API simulator listening on %s", self.url)

    async def stop(self) -> None:
        """Wakes waiting long polls, stops webhook delivery and closes the server."""
        self._closing = True
        self._changed()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on (after start())."""
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """Root URL of the server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(): PTB appends the token and /method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder().base_file_url()."""
        return f"{self.url}/file/bot"

    # ----------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        """Answers one Bot API call and records it."""
        token = request.match_info["token"]
        name = request.match_info["method"]
        at = self.clock()
        if token not in self.tokens:
            self.tokens.append(token)
        raw: JsonDict = {}
        params: JsonDict | None = None
        reason: str | None = None
        method = self.spec.find_method(name)
        canonical = method.name if method else name
        try:
            raw, uploads = await _read_params(request)
            if token in self._rejected_tokens:
                raise ApiError(401, "Unauthorized", reason="rejected token")
            if method is None:
                raise ApiError(404, "Not Found")
            try:
                params = self.spec.coerce_params(method, raw, uploads)
            except SpecError as exc:
                raise bad_request(exc.description) from None
            self._take_injection(canonical)
            handler = self._methods.get(canonical)
            if handler is None:
                raise ApiError(501, f"Not Implemented: method {canonical} is not simulated")
            chat_id = params.get("chat_id")
            self._check_throttle(canonical, chat_id if isinstance(chat_id, int) else None)
            result = await handler(params)
            body: JsonDict = {"ok": True, "result": result}
            status = 200
        except ApiError as exc:
            body = exc.to_response()
            status = exc.error_code
            reason = exc.reason
        except _Superseded:
            # PTB abandons its long poll when it stops; answering the orphan [] (instead of
            # Telegram's 409 Conflict) keeps a restart from looking like a second bot instance.
            body, status, reason = {"ok": True, "result": []}, 200, "superseded"
        except Exception as exc:  # a simulator bug must not look like a network failure
            log.exception("simulator failed on %s", canonical)
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {exc!r}",
            }
            status = 500
        self.calls.append(
            RecordedCall(
                method=canonical,
                params=_printable(params if params is not None else raw),
                response=body,
                ok=bool(body.get("ok")),
                at=at,
                status=status,
                token=token,
                expected=reason is not None,
                reason=reason,
            )
        )
        if status >= 400:
            log.debug("%s -> %s %s", canonical, status, body.get("description"))
        self._changed()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serves a file by its file_path, as api.telegram.org/file/bot<token>/ does."""
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )


async def _read_params(request: web.Request) -> tuple[JsonDict, dict[str, UploadedFile]]:
    """Reads query string plus form, multipart or JSON body into (params, uploads)."""
    params: JsonDict = dict(request.query)
    uploads: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return params, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if isinstance(body, dict):
            params.update(body)
        return params, uploads
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = UploadedFile(
                    value.filename or "", value.content_type or "", value.file.read()
                )
            elif isinstance(value, bytes | bytearray):
                params[key] = bytes(value).decode("utf-8", "replace")
            else:
                params[key] = value
    return params, uploads


def _printable(params: JsonDict) -> JsonDict:
    """The params of a recorded call, with uploads summarised instead of their bytes."""
    out: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, UploadedFile):
            out[key] = {
                "upload": value.filename,
                "mime_type": value.content_type,
                "size": len(value.data),
            }
        else:
            out[key] = value
    return out
