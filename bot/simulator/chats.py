"""A chat in the simulator: private, group, supergroup or channel, with both sides' messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.simulator.models import JsonDict, SimMessage, UserRecord

# The bot's own status in a group or channel (ChatMember.status).
BOT_PRESENT = frozenset({"member", "administrator"})


@dataclass(eq=False)
class ChatState:
    """A chat and both sides' messages in order: a private chat between the bot and one user,
    or a group, supergroup or channel (``type``) with a negative ``group_id`` and members.

    In a group or channel ``user`` is the one who created it.
    """

    user: UserRecord
    # Telegram answers "chat not found" until the user has written to the bot once (a private
    # chat), or once the bot was ever in the group or channel.
    started: bool = False
    blocked: bool = False
    messages: list[SimMessage] = field(default_factory=list)
    last_message_id: int = 0
    type: str = "private"  # private | group | supergroup | channel
    group_id: int | None = None
    title: str | None = None
    members: dict[int, UserRecord] = field(default_factory=dict)
    bot_status: str = "left"  # in a group or channel: member, administrator, left or kicked

    @property
    def id(self) -> int:
        """Private chat id == user id; groups and channels have their own negative id."""
        return self.group_id if self.group_id is not None else self.user.id

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    @property
    def bot_present(self) -> bool:
        """Whether the bot is in this group or channel (always true of a private chat)."""
        return self.is_private or self.bot_status in BOT_PRESENT

    @property
    def name(self) -> str:
        """How transcripts name the chat: the user's name, or the group's title."""
        if self.is_private:
            return self.user.full_name
        return f"{self.type} «{self.title}»"

    def to_api(self) -> JsonDict:
        """Renders the Chat object."""
        if not self.is_private:
            return {"id": self.id, "type": self.type, "title": self.title or str(self.id)}
        out: JsonDict = {"id": self.user.id, "type": "private", "first_name": self.user.first_name}
        if self.user.last_name:
            out["last_name"] = self.user.last_name
        if self.user.username:
            out["username"] = self.user.username
        return out

    def find(self, message_id: int) -> SimMessage | None:
        """The live (not deleted) message with this id."""
        for msg in reversed(self.messages):
            if msg.message_id == message_id:
                return None if msg.deleted else msg
        return None

    def bot_messages(self, *, include_deleted: bool = False) -> list[SimMessage]:
        """The bot's messages in this chat, oldest first."""
        return [m for m in self.messages if m.from_bot and (include_deleted or not m.deleted)]
