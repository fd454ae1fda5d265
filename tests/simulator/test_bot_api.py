"""The simulator answers a real python-telegram-bot Bot the way Telegram would."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
)

from bot.simulator import BOT_ID, BotApiSimulator
from tests.simulator.support import TOKEN, retry_seconds, tg_error

pytestmark = pytest.mark.asyncio

ACCEPT = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Accept", callback_data="acc:1"),
            InlineKeyboardButton("Decline", callback_data="dec:1"),
        ]
    ]
)


async def started_user(sim: BotApiSimulator, user_id: int = 1001, name: str = "Alice") -> int:
    """A user who has written to the bot, so the bot may message them."""
    await sim.user(user_id, name).command("start")
    return user_id


async def test_get_me_and_token_recorded(sim: BotApiSimulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (BOT_ID, "oncall_demo_bot", True)
    assert sim.tokens == [TOKEN]
    assert sim.calls[-1].method == "getMe" and sim.calls[-1].ok


async def test_html_message_is_stored_as_parsed_text(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    sent = await bot.send_message(
        chat_id, "<b>#1</b> 融资 &amp; 用工", parse_mode="HTML", reply_markup=ACCEPT
    )
    assert sent.text == "#1 融资 & 用工"
    assert sent.entities[0].type == "bold"
    msg = sim.user(chat_id).last_message()
    assert (msg.message_id, msg.text, msg.buttons) == (
        sent.message_id,
        "#1 融资 & 用工",
        ["Accept", "Decline"],
    )
    assert msg.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert msg.message_id == 2  # ids are per chat: the user's /start was 1
    silent = await bot.send_message(chat_id, "quiet", disable_notification=True)
    assert sim.user(chat_id).last_message().disable_notification
    assert silent.message_id == 3
    sim.assert_no_errors()


async def test_entity_parse_errors(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    with tg_error(BadRequest, 'unsupported start tag "foo" at byte offset 0'):
        await bot.send_message(chat_id, "<foo>x</foo>", parse_mode="HTML")
    with tg_error(BadRequest, 'can\'t find end tag corresponding to start tag "b"'):
        await bot.send_message(chat_id, "<b>x", parse_mode="HTML")
    with tg_error(BadRequest, "can't parse entities"):
        await bot.send_message(chat_id, "Q&A", parse_mode="HTML")
    assert sim.errors()[0].response["description"] == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0'
    )
    with pytest.raises(AssertionError, match="3 Bot API call"):
        sim.assert_no_errors()


async def test_text_length_is_counted_after_parsing_in_utf16(
    sim: BotApiSimulator, bot: Bot
) -> None:
    chat_id = await started_user(sim)
    await bot.send_message(chat_id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(chat_id, "😀" * 2048)
    with tg_error(BadRequest, "message is too long"):
        await bot.send_message(chat_id, "😀" * 2048 + "x")
    with tg_error(BadRequest, "message text is empty"):
        await bot.send_message(chat_id, " \n ")
    with tg_error(BadRequest, "message text is empty"):
        await bot.send_message(chat_id, "<b></b>", parse_mode="HTML")
    with tg_error(BadRequest, "message caption is too long"):
        await bot.send_document(chat_id, b"data", filename="a.txt", caption="c" * 1025)


async def test_inline_keyboard_limits(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("é", callback_data="é" * 32)]])  # 64 bytes
    await bot.send_message(chat_id, "ok", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with tg_error(BadRequest, "button_data_invalid"):
        await bot.send_message(chat_id, "no", reply_markup=too_long)
    nine = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(9)]]
    )
    with tg_error(BadRequest, "too many buttons in a row"):
        await bot.send_message(chat_id, "no", reply_markup=nine)
    rows = [
        [InlineKeyboardButton(f"{r}{c}", callback_data=f"{r}{c}") for c in range(8)]
        for r in range(13)
    ]
    with tg_error(BadRequest, "reply markup is too long"):
        await bot.send_message(chat_id, "no", reply_markup=InlineKeyboardMarkup(rows))
    with tg_error(BadRequest, "text buttons are unallowed"):
        await bot.send_message(
            chat_id, "no", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("plain")]])
        )


async def test_other_reply_markups(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share my phone number", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await bot.send_message(chat_id, "phone?", reply_markup=keyboard)
    msg = sim.user(chat_id).last_message()
    assert msg.buttons == ["Share my phone number"]
    assert msg.keyboard_rows[0][0]["request_contact"] is True
    assert msg.reply_markup is None  # only inline keyboards belong to the message
    await bot.send_message(chat_id, "thanks", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(chat_id, "details?", reply_markup=ForceReply())
    assert sim.user(chat_id).last_message().keyboard == {"force_reply": True}
    sim.assert_no_errors()


async def test_chat_not_found_and_blocked(sim: BotApiSimulator, bot: Bot) -> None:
    sim.user(2002, "Never wrote")
    with tg_error(BadRequest, "chat not found"):
        await bot.send_message(2002, "hello")
    with tg_error(BadRequest, "chat not found"):
        await bot.send_message(999, "hello")
    chat_id = await started_user(sim)
    sim.block(chat_id)
    with tg_error(Forbidden, "bot was blocked by the user"):
        await bot.send_message(chat_id, "hello")
    assert sim.errors() == sim.calls_to("sendMessage")[:2]  # 403 is expected, not a bug
    assert [c.status for c in sim.expected_errors()] == [403]
    await sim.user(chat_id).send("I'm back")  # writing again unblocks
    await bot.send_message(chat_id, "welcome back")


async def test_edits_and_deletes(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    sent = await bot.send_message(chat_id, "#1 new", reply_markup=ACCEPT)
    with tg_error(BadRequest, "message is not modified"):
        await bot.edit_message_text("#1 new", chat_id, sent.message_id, reply_markup=ACCEPT)
    # The same text without reply_markup removes the keyboard: that is a modification.
    await bot.edit_message_text("#1 new", chat_id, sent.message_id)
    msg = sim.user(chat_id).last_message()
    assert msg.buttons == [] and len(msg.edits) == 1
    with tg_error(BadRequest, "message is not modified"):
        await bot.edit_message_reply_markup(chat_id, sent.message_id)
    await bot.edit_message_reply_markup(chat_id, sent.message_id, reply_markup=ACCEPT)
    edited = await bot.edit_message_text(
        "<i>#1 accepted</i>", chat_id, sent.message_id, parse_mode="HTML"
    )
    assert edited.text == "#1 accepted" and edited.edit_date is not None
    assert [e.method for e in msg.edits] == [
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageText",
    ]
    with tg_error(BadRequest, "message to edit not found"):
        await bot.edit_message_text("x", chat_id, 999)
    with tg_error(BadRequest, "message can't be edited"):
        await bot.edit_message_text("x", chat_id, 1)  # the user's /start
    assert await bot.delete_message(chat_id, sent.message_id)
    assert msg.deleted and sim.user(chat_id).messages() == []
    with tg_error(BadRequest, "message to delete not found"):
        await bot.delete_message(chat_id, sent.message_id)
    with tg_error(BadRequest, "message to edit not found"):
        await bot.edit_message_text("x", chat_id, sent.message_id)


async def test_unknown_fields_methods_and_types(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    with tg_error(BadRequest, 'unknown parameter "colour"'):
        await bot.send_message(chat_id, "x", api_kwargs={"colour": "red"})
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert sim.calls[-1].response == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(NetworkError, match="not simulated"):
        await bot.send_poll(chat_id, "q", ["a", "b"])
    assert sim.calls[-1].status == 501
    with tg_error(BadRequest, 'field "limit" must be of type integer'):
        await bot.get_updates(api_kwargs={"limit": "lots"})


async def test_callback_query_answers(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    await bot.send_message(chat_id, "#1", reply_markup=ACCEPT)
    user = sim.user(chat_id)
    tap = await user.tap("accept")
    updates = await bot.get_updates(offset=2)
    query = updates[-1].callback_query
    assert query is not None and query.data == "acc:1" and query.message.message_id == 2
    assert query.message.reply_markup == ACCEPT
    assert await query.answer("Accepted", show_alert=True)
    assert await user.wait_answer(tap) == {"text": "Accepted", "show_alert": True}
    assert tap.query.latency is not None and tap.query.latency >= 0
    with tg_error(BadRequest, "query is too old"):
        await query.answer("again")
    with tg_error(BadRequest, "query id is invalid"):
        await bot.answer_callback_query("no-such-query")
    sim.assert_callbacks_answered(max_latency=5)


async def test_throttle_per_chat_and_global(sim: BotApiSimulator, bot: Bot) -> None:
    sim.set_throttle(enabled=True, retry_after=3)
    chat_id = await started_user(sim)
    for n in range(3):  # the burst
        await bot.send_message(chat_id, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id, "one too many")
    assert retry_seconds(caught.value) == 3
    assert sim.calls[-1].response["description"] == "Too Many Requests: retry after 3"
    assert sim.calls[-1].response["parameters"] == {"retry_after": 3}
    assert len(sim.throttled) == 1 and sim.errors() == []
    assert sim.max_calls_in_window(1.0, chat_id=chat_id) == 4

    sim.set_throttle(enabled=True, global_per_second=5, per_chat_per_second=100, per_chat_burst=100)
    ids = [await started_user(sim, 3000 + n, f"U{n}") for n in range(6)]
    results = await asyncio.gather(
        *(bot.send_message(i, "hi") for i in ids), return_exceptions=True
    )
    assert sum(isinstance(r, RetryAfter) for r in results) >= 1
    assert sim.max_calls_in_window(1.0) >= 6


async def test_fail_next_injects_errors(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    sim.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id, "x")
    assert retry_seconds(caught.value) == 7
    sim.fail_next("sendmessage", 400, "Bad Request: injected", count=2)
    for _ in range(2):
        with tg_error(BadRequest, "injected"):
            await bot.send_message(chat_id, "x")
    await bot.send_message(chat_id, "x")
    assert [c.reason for c in sim.expected_errors()] == ["injected"] * 3
    sim.assert_no_errors()


async def test_get_updates_offset_limit_and_filter(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1001, "Alice")
    for text in ("one", "two", "three"):
        await user.send(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [1, 2, 3]  # nothing is confirmed yet
    rest = await bot.get_updates(offset=3)
    assert [u.message.text for u in rest] == ["three"]
    assert await bot.get_updates(offset=4) == ()
    assert sim.pending_updates == []
    await bot.send_message(1001, "pick", reply_markup=ACCEPT)
    await user.tap("Decline")
    await user.send("text after tap")
    only_messages = await bot.get_updates(offset=4, allowed_updates=["message"])
    assert [u.message.text for u in only_messages] == ["text after tap"]  # the tap is dropped


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    sim: BotApiSimulator, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    assert await sim.wait_until(lambda: sim.polls_waiting == 1, 5)
    await sim.user(1001, "Alice").send("wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates] == ["wake up"]


async def test_stop_releases_a_waiting_long_poll(bot: Bot) -> None:
    sim = BotApiSimulator()
    await sim.start()
    own = Bot(TOKEN, base_url=sim.base_url)
    async with own:
        poll = asyncio.create_task(own.get_updates(timeout=30))
        assert await sim.wait_until(lambda: sim.polls_waiting == 1, 5)
        await asyncio.wait_for(sim.stop(), 5)
        assert await asyncio.wait_for(poll, 5) == ()


async def test_files_photos_and_copies(sim: BotApiSimulator, bot: Bot) -> None:
    alice = sim.user(1001, "Alice")
    bob = sim.user(1002, "Bob")
    await bob.command("start")
    upload = await alice.send_document("report.pdf", b"%PDF quarterly", caption="see attached")
    await alice.send_photo(caption="the broken pump")
    updates = await bot.get_updates()
    document = updates[1].message.document
    assert (document.file_name, document.mime_type) == ("report.pdf", "application/pdf")
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF quarterly"
    photo = updates[2].message.photo
    assert len(photo) == 2 and photo[-1].width == 800
    photo_file = await bot.get_file(photo[-1].file_id)
    assert (await photo_file.download_as_bytearray()).startswith(b"\xff\xd8")

    copied = await bot.copy_message(
        1002, 1001, upload.message_id, caption="<b>from #1</b>", parse_mode="HTML"
    )
    copy = bob.last_message()
    assert copy.message_id == copied.message_id and copy.copied_from == (1001, upload.message_id)
    assert copy.document == upload.document and copy.caption == "from #1"

    sent = await bot.send_document(1002, document.file_id, caption="again")
    assert sent.document.file_id == document.file_id
    await bot.send_photo(1002, photo[-1].file_id)
    sent_photo = await bot.send_photo(
        1002, b"\xff\xd8\xffnew", caption="<i>new</i>", parse_mode="HTML"
    )
    assert sent_photo.caption == "new"
    with tg_error(BadRequest, "wrong file identifier"):
        await bot.send_document(1002, "NOT-A-FILE-ID")
    with tg_error(BadRequest, "can't use file of type photo as document"):
        await bot.send_document(1002, photo[-1].file_id)
    with tg_error(BadRequest, "message to copy not found"):
        await bot.copy_message(1002, 1001, 999)
    with tg_error(BadRequest, "invalid file_id"):
        await bot.get_file("nope")


async def test_replies(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    user = sim.user(chat_id)
    sent = await bot.send_message(chat_id, "#7 question")
    reply = await user.reply(user.last_message(), "my answer")
    update = (await bot.get_updates())[-1]
    assert update.message.reply_to_message.message_id == sent.message_id
    assert update.message.reply_to_message.text == "#7 question"
    answer = await bot.send_message(
        chat_id, "noted", reply_parameters=ReplyParameters(reply.message_id)
    )
    assert answer.reply_to_message.text == "my answer"
    with tg_error(BadRequest, "message to be replied not found"):
        await bot.send_message(chat_id, "x", reply_parameters=ReplyParameters(999))
    await bot.send_message(
        chat_id, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )


async def test_commands(sim: BotApiSimulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("new", "新请求")], language_code="zh")
    await bot.set_my_commands([BotCommand("digest", "Digest")], scope=BotCommandScopeChat(5))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["new"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(5))] == [
        "digest"
    ]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with tg_error(BadRequest, "bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_webhook_delivery_and_conflict(sim: BotApiSimulator, bot: Bot) -> None:
    received: list[tuple[dict[str, object], str | None]] = []
    got = asyncio.Event()

    async def receive(request: aiohttp.web.Request) -> aiohttp.web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        got.set()
        return aiohttp.web.Response()

    app = aiohttp.web.Application()
    app.router.add_post("/hook", receive)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        with tg_error(Conflict, "webhook is active"):
            await bot.get_updates()
        await sim.user(1001, "Alice").send("via webhook")
        await asyncio.wait_for(got.wait(), 5)
        update, secret = received[0]
        assert update["message"]["text"] == "via webhook" and secret == "s3cret"  # type: ignore[index]
        assert await sim.wait_until(lambda: not sim.pending_updates, 5)
        await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_json_bodies_and_query_strings(sim: BotApiSimulator) -> None:
    chat_id = await started_user(sim)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.base_url}{TOKEN}/getMe") as resp:
            assert (await resp.json())["result"]["id"] == BOT_ID
        body = {
            "chat_id": chat_id,
            "text": "<b>json</b>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        }
        async with http.post(f"{sim.base_url}{TOKEN}/sendMessage", json=body) as resp:
            assert resp.status == 200
            assert (await resp.json())["result"]["text"] == "json"
        async with http.post(
            f"{sim.base_url}{TOKEN}/sendMessage", json={"chat_id": chat_id}
        ) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with http.get(f"{sim.base_file_url}{TOKEN}/documents/missing.pdf") as resp:
            assert resp.status == 404


async def test_profile_and_chat_actions(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    assert await bot.send_chat_action(chat_id, "typing")
    assert sim.chat_actions == [(chat_id, "typing")]
    with tg_error(BadRequest, "wrong parameter action"):
        await bot.send_chat_action(chat_id, "dancing")
    await bot.set_my_description("Routes requests", language_code="en")
    await bot.set_my_short_description("随叫随到")
    assert (await bot.get_my_description(language_code="en")).description == "Routes requests"
    assert (await bot.get_my_short_description()).short_description == "随叫随到"
    assert (await bot.get_my_name()).name == "OncallBot"
    with tg_error(BadRequest, "invalid language code"):
        await bot.set_my_name("x", language_code="zh-hans")


async def test_multipart_text_fields_keep_unicode(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    sent = await bot.send_document(
        chat_id,
        "报告".encode(),
        filename="报告.txt",
        caption="<b>工单 #3</b> 附件",
        parse_mode="HTML",
    )
    assert sent.caption == "工单 #3 附件"
    assert sent.caption_entities[0].length == 5
    assert sim.user(chat_id).last_message().document["file_name"] == "报告.txt"
    assert sim.calls[-1].params["document"]["upload"] == "报告.txt"


async def test_caption_edits(sim: BotApiSimulator, bot: Bot) -> None:
    chat_id = await started_user(sim)
    sent = await bot.send_photo(chat_id, b"\xff\xd8\xffimg", caption="before")
    edited = await bot.edit_message_caption(
        chat_id, sent.message_id, caption="<b>after</b>", parse_mode="HTML"
    )
    assert edited.caption == "after"
    with tg_error(BadRequest, "message is not modified"):
        await bot.edit_message_caption(
            chat_id, sent.message_id, caption="<b>after</b>", parse_mode="HTML"
        )
    text = await bot.send_message(chat_id, "plain")
    with tg_error(BadRequest, "there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id, text.message_id, caption="x")
    with tg_error(BadRequest, "there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id, sent.message_id)


async def test_late_callback_answers_expire_when_configured() -> None:
    now = [100.0]
    async with BotApiSimulator(clock=lambda: now[0], callback_answer_timeout=15) as sim:
        own = Bot(TOKEN, base_url=sim.base_url)
        async with own:
            chat_id = await started_user(sim)
            await own.send_message(chat_id, "#1", reply_markup=ACCEPT)
            tap = await sim.user(chat_id).tap("Accept")
            now[0] += 16  # the simulator's clock, not a sleep
            with tg_error(BadRequest, "query is too old"):
                await own.answer_callback_query(tap.id)
            assert sim.unanswered_callbacks() == [tap.query]
