"""A real python-telegram-bot Application polling the simulator, driven by simulated users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.simulator import BotApiSimulator
from tests.simulator.support import TOKEN

pytestmark = pytest.mark.asyncio

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Accept", callback_data="acc:1"),
            InlineKeyboardButton("Decline", callback_data="dec:1"),
        ]
    ]
)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Asks for the phone number with a contact button."""
    assert update.effective_message is not None
    button = KeyboardButton("Share my phone number", request_contact=True)
    await update.effective_message.reply_text(
        "Welcome! Please share your phone number.",
        reply_markup=ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True),
    )


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Binds the phone and shows a dispatch with buttons."""
    message = update.effective_message
    assert message is not None and message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await message.reply_text("Please share your own number.")
        return
    await message.reply_text(
        f"Bound {message.contact.phone_number}.", reply_markup=ReplyKeyboardRemove()
    )
    await message.reply_text(
        "<b>#1</b> Trout farm · financing · <i>urgent</i>", parse_mode="HTML", reply_markup=KEYBOARD
    )


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the tap and edits the dispatch."""
    query = update.callback_query
    assert query is not None
    if query.data == "acc:1":
        await query.answer("Accepted")
        await query.edit_message_text(
            "#1 accepted by you",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Resolve", callback_data="res:1")]]
            ),
        )
    else:
        await query.answer("Unknown or stale button", show_alert=True)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echoes replies with the ticket they answer."""
    message = update.effective_message
    assert message is not None
    if message.reply_to_message is not None:
        await message.reply_text(f"Relayed to #1: {message.text}", do_quote=True)


@pytest_asyncio.fixture
async def app(sim: BotApiSimulator) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The application, polling; stopped cleanly afterwards."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(sim.base_url)
        .base_file_url(sim.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(MessageHandler(filters.CONTACT, on_contact))
    application.add_handler(CallbackQueryHandler(on_tap))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=10)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_start_contact_tap_edit_and_reply(sim: BotApiSimulator, app: Application) -> None:  # type: ignore[type-arg]
    alice = sim.user(1001, "Alice", "Wang", language_code="en")

    await alice.command("start")
    welcome = await alice.wait_for_message("share your phone")
    assert welcome.buttons == ["Share my phone number"]
    assert welcome.keyboard_rows[0][0]["request_contact"] is True

    await alice.share_contact("+86 138 0000 0001")
    bound = await alice.wait_for_message()
    assert bound.text == "Bound +86 138 0000 0001."
    dispatch = await alice.wait_for_message(lambda m: "#1" in m.body)
    assert dispatch.text == "#1 Trout farm · financing · urgent"
    assert dispatch.buttons == ["Accept", "Decline"]

    tap = await alice.tap("accept")
    assert await alice.wait_answer(tap) == {"text": "Accepted"}
    await alice.wait_for_edit(dispatch, "accepted")
    assert dispatch.buttons == ["Resolve"]

    stale = await alice.tap_data(dispatch, "acc:999")
    assert (await alice.wait_answer(stale))["show_alert"] is True

    await alice.reply(dispatch, "the pump is fixed")
    relayed = await alice.wait_for_message()
    assert relayed.text == "Relayed to #1: the pump is fixed"
    assert relayed.reply_to is not None and relayed.reply_to.text == "the pump is fixed"

    await alice.share_contact("+86 138 0000 0002", user_id=4242, first_name="Someone")
    assert (await alice.wait_for_message()).text == "Please share your own number."

    sim.assert_no_errors()
    sim.assert_callbacks_answered(max_latency=5)
    transcript = sim.transcript()
    for line in (
        "Alice Wang → bot [msg 1]: /start",
        "    keyboard: [ Share my phone number ]",
        "    [ Accept ] [ Decline ]",
        "Alice Wang → taps [Accept] on msg 5",
        'bot → Alice Wang: answers the tap "Accepted"',
        "bot ✎ edits msg 5 for Alice Wang: #1 accepted by you",
        "    [ Resolve ]",
        "(reply to msg 5)",
    ):
        assert line in transcript, transcript


async def test_wait_timeout_explains_what_happened(sim: BotApiSimulator, app: Application) -> None:  # type: ignore[type-arg]
    bob = sim.user(1002, "Bob")
    await bob.command("start")
    await bob.wait_for_message()
    await bob.send("no reply expected")  # not a reply: the bot says nothing
    with pytest.raises(AssertionError) as caught:
        await bob.wait_for_message(timeout=0.2)
    text = str(caught.value)
    assert "did not get any new bot message within 0.2s" in text
    assert "Bob → bot [msg 3]: no reply expected" in text
    with pytest.raises(AssertionError, match="sees no inline button 'Accept'"):
        await bob.tap("Accept")


async def test_restart_polling_leaves_no_errors(sim: BotApiSimulator, app: Application) -> None:  # type: ignore[type-arg]
    assert app.updater is not None
    carol = sim.user(1003, "Carol")
    await carol.command("start")
    await carol.wait_for_message()
    await app.updater.stop()
    await carol.command("start")  # arrives while nobody polls
    await app.updater.start_polling(timeout=10)
    await carol.wait_for_message("welcome")
    # The long poll PTB abandoned on stop() was answered [] rather than 409 Conflict.
    assert any(c.reason == "superseded" for c in sim.calls_to("getUpdates"))
    sim.assert_no_errors()
