"""Conversation persistence read from the intake drafts, which are written at every step.

python-telegram-bot writes persistence only every `update_interval` and at clean shutdown, so
a kill -9 would lose the step; here the draft row, committed by each step, is the state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.channels.telegram.identity import CHANNEL, chat_id
from bot.domain.identity import Address

StepsLoader = Callable[[], Awaitable[dict[Address, str]]]


class DraftPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Restores each owner's intake step from the database; stores nothing else."""

    def __init__(self, load_steps: StepsLoader) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=3600,
        )
        self._load_steps = load_steps

    async def get_conversations(self, name: str) -> ConversationDict:
        steps = await self._load_steps()
        # Private chats: the chat id is the user id, and the handler is per chat and user.
        conversations: dict[ConversationKey, object] = {
            (chat_id(at), chat_id(at)): step for at, step in steps.items() if at.channel == CHANNEL
        }
        return conversations

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        return None  # the step handlers already committed the draft

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
