"""Local Telegram Bot API simulator and simulated users, for the demo and end-to-end tests."""

from __future__ import annotations

from bot.simulator.chats import ChatState
from bot.simulator.driver import SimUser, TapHandle
from bot.simulator.groups import SimGroup
from bot.simulator.models import (
    ApiError,
    CallbackQueryRecord,
    Edit,
    RecordedCall,
    SimMessage,
    StoredFile,
    UserRecord,
)
from bot.simulator.server import BOT_ID, SEND_METHODS, BotApiSimulator, ThrottleConfig
from bot.simulator.spec import ApiSpec, SpecError
from bot.simulator.transcript import render_transcript

__all__ = [
    "BOT_ID",
    "SEND_METHODS",
    "ApiError",
    "ApiSpec",
    "BotApiSimulator",
    "CallbackQueryRecord",
    "ChatState",
    "Edit",
    "RecordedCall",
    "SimGroup",
    "SimMessage",
    "SimUser",
    "SpecError",
    "StoredFile",
    "TapHandle",
    "ThrottleConfig",
    "UserRecord",
    "render_transcript",
]
