"""Users, groups and channels of the simulator, and the updates they make."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from bot.simulator.chats import ChatState
from bot.simulator.html import utf16_len
from bot.simulator.models import (
    CallbackQueryRecord,
    JsonDict,
    SimMessage,
    UserRecord,
)
from bot.simulator.spec import SpecError

if TYPE_CHECKING:
    from bot.simulator.driver import SimUser
    from bot.simulator.groups import SimGroup
    from bot.simulator.server import BotApiSimulator

from bot.simulator.rules import (
    _USER_COMMAND_RE,
    BOT_ID,
    TranscriptEvent,
    _Update,
)
from bot.simulator.state import (
    SimState,
)

log = logging.getLogger(__name__)


class SimPeople(SimState):
    """Users and chats: who acts, where, and the updates that come of it."""

    # ----------------------------------------------------------------- users and chats

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        """Creates (or returns the existing) simulated user; their chat id is their id."""
        from bot.simulator.driver import SimUser

        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        record = UserRecord(
            user_id,
            first_name or f"User{user_id}",
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._chats[user_id] = ChatState(record)
        sim_user = SimUser(cast("BotApiSimulator", self), record)
        self._users[user_id] = sim_user
        return sim_user

    def group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[SimUser],
        *,
        kind: str = "group",
        bot: str | None = "member",
    ) -> SimGroup:
        """Creates a group, supergroup or channel (``kind``) with these members (the first
        created it).

        Groups have negative ids; supergroups and channels ids starting with -100, as on
        Telegram. With ``bot`` ("member" or "administrator") the bot is in it from the start,
        as if added before the test began (no update); None leaves it out: see
        SimGroup.add_bot, which makes the my_chat_member update.
        """
        from bot.simulator.groups import SimGroup

        people = list(members)
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {kind!r}")
        if chat_id >= 0 or (kind != "group" and not str(chat_id).startswith("-100")):
            raise ValueError("group ids are negative; supergroup and channel ids start with -100")
        if chat_id in self._chats:
            raise ValueError(f"chat {chat_id} exists already")
        if not people:
            raise ValueError("a group needs at least one member (its creator)")
        if bot not in (None, "member", "administrator"):
            raise ValueError(f"the bot's status must be member or administrator, not {bot!r}")
        chat = ChatState(
            people[0].record,
            type=kind,
            group_id=chat_id,
            title=title,
            members={p.id: p.record for p in people},
            bot_status=bot or "left",
            started=bot is not None,
        )
        self._chats[chat_id] = chat
        return SimGroup(cast("BotApiSimulator", self), chat)

    def set_bot_status(self, chat_id: int, status: str, by: SimUser | None = None) -> None:
        """The bot is added to (member, administrator) or removed from (left, kicked) a group
        or channel by ``by`` (its creator by default): queues the my_chat_member update."""
        chat = self._chats[chat_id]
        if chat.is_private:
            raise ValueError("use block()/unblock() for a private chat")
        if status not in ("member", "administrator", "left", "kicked"):
            raise ValueError(f"unknown status {status!r}")
        old = chat.bot_status
        chat.bot_status = status
        if status in ("member", "administrator"):
            chat.started = True
        actor = by.record if by is not None else chat.user
        self._enqueue(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": int(self.wall_clock()),
                "old_chat_member": self._bot_member(old),
                "new_chat_member": self._bot_member(status),
            },
        )

    def _bot_member(self, status: str) -> JsonDict:
        """The bot's ChatMember object with this status."""
        member: JsonDict = {"status": status, "user": self.bot.to_api()}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            admin = self.spec.types["ChatMemberAdministrator"]
            for name, spec in admin.fields.items():
                if spec.required and spec.types == ("Boolean",):
                    member[name] = name not in ("can_be_edited", "is_anonymous")
        return member

    def inject_channel_post(self, chat_id: int, text: str) -> SimMessage:
        """A post in a channel (signed by the channel); the bot gets it if it is an admin."""
        chat = self._chats[chat_id]
        if chat.type != "channel":
            raise ValueError(f"chat {chat_id} is not a channel")
        msg = self._new_message(chat, from_bot=False, text=text)
        if chat.bot_status == "administrator":
            self._enqueue("channel_post", msg.to_api())
        return msg

    def edit_user_message(self, message: SimMessage, text: str) -> SimMessage:
        """A user edits the text of their earlier message (queues an edited_message update)."""
        if message.from_bot or message.chat.type == "channel":
            raise ValueError("only a user's own message can be edited this way")
        if message.deleted:
            raise ValueError(f"message {message.message_id} was deleted")
        if message.text is None:
            raise ValueError("only text messages can be edited this way")
        if not text:
            raise ValueError("an edit cannot make the text empty")
        message.text = text
        message.entities = [e for e in message.entities if e.get("type") != "bot_command"]
        command = _USER_COMMAND_RE.match(text)
        if command:
            message.entities.insert(
                0, {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            )
        self._record_edit(message, "user_edit")
        if self._delivered(message):
            self._enqueue("edited_message", message.to_api())
        return message

    @property
    def users(self) -> dict[int, SimUser]:
        """Simulated users by id."""
        return dict(self._users)

    @property
    def chats(self) -> dict[int, ChatState]:
        """Chats by id (one private chat per simulated user, and the groups and channels)."""
        return dict(self._chats)

    def chat(self, chat_id: int) -> ChatState:
        """The chat with this id (KeyError if no such user or group)."""
        return self._chats[chat_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them answer 403 until they write again."""
        self._chats[user_id].blocked = True
        self._changed()

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self._chats[user_id].blocked = False
        self._changed()

    @property
    def seq(self) -> int:
        """The sequence number of the latest recorded event (orders all chats' events)."""
        return self._seq

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by the bot (getUpdates offset or webhook 2xx)."""
        return [u.to_api() for u in self._updates]

    def inject_user_message(
        self,
        user_id: int,
        *,
        reply_to: SimMessage | None = None,
        chat_id: int | None = None,
        **content: Any,
    ) -> SimMessage:
        """Stores a message from the user and queues its update (used by SimUser, SimGroup).

        Without ``chat_id`` the message is in the user's private chat with the bot; with it,
        in that group, where the bot gets it as privacy mode allows (see ``group_privacy``).
        """
        if chat_id is None or chat_id == user_id:
            chat = self._chats[user_id]
            # Writing to the bot starts the chat and, as /start does in clients, unblocks it.
            chat.started = True
            chat.blocked = False
            sender = chat.user
        else:
            chat = self._chats[chat_id]
            if chat.type == "channel":
                raise ValueError("users do not write in a channel; see inject_channel_post")
            if user_id not in chat.members:
                raise ValueError(f"user {user_id} is not a member of {chat.name}")
            sender = chat.members[user_id]
        if reply_to is not None and reply_to.chat is not chat:
            raise ValueError("a reply must be to a message in the same chat")
        msg = self._new_message(chat, from_bot=False, reply_to=reply_to, sender=sender, **content)
        if self._delivered(msg):
            self._enqueue("message", msg.to_api())
        return msg

    def _delivered(self, msg: SimMessage) -> bool:
        """Whether the bot gets an update for this user message (Telegram's privacy mode)."""
        chat = msg.chat
        if chat.is_private:
            return True
        if not chat.bot_present:
            return False
        if chat.bot_status == "administrator" or not self.group_privacy:
            return True
        text = msg.text or msg.caption or ""
        replied = msg.reply_to is not None and msg.reply_to.from_bot
        mention = f"@{self.bot.username}".casefold() in text.casefold()
        return text.startswith("/") or replied or mention

    def inject_callback_query(
        self, user_id: int, message: SimMessage, data: str, label: str | None = None
    ) -> CallbackQueryRecord:
        """Queues a callback_query for a tap on ``message`` (used by SimUser, SimGroup)."""
        chat = message.chat
        if chat.is_private:
            if chat.id != user_id:
                raise ValueError(f"user {user_id} cannot see messages in chat {chat.id}")
            chat.started = True
            chat.blocked = False
            tapper = chat.user
        elif user_id in chat.members:
            tapper = chat.members[user_id]
        else:
            raise ValueError(f"user {user_id} is not a member of {chat.name}")
        self._seq += 1
        query = CallbackQueryRecord(
            id=f"{user_id}{self._seq:08d}",
            user_id=user_id,
            chat_id=chat.id,
            message_id=message.message_id,
            data=data,
            label=label,
            at=self.clock(),
            seq=self._seq,
        )
        self.callback_queries[query.id] = query
        self.events.append(
            TranscriptEvent(query.seq, query.at, "tap", chat.id, message, None, query)
        )
        self._enqueue(
            "callback_query",
            {
                "id": query.id,
                "from": tapper.to_api(),
                "message": message.to_api(),
                "chat_instance": f"{chat.id}{BOT_ID}",
                "data": data,
            },
        )
        return query

    def reserve_update_id(self) -> int:
        """An update_id no update of this simulator will have (for one a test stores itself)."""
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def inject_raw_update(self, kind: str, payload: object) -> int:
        """Queues an update whose ``kind`` part is exactly ``payload``, valid or not.

        Telegram adds fields and types over time: an update a client library cannot read is
        something a bot must survive. Returns the update_id.
        """
        update_id = self._next_update_id
        # Not checked against the spec (that is the point), unlike every other update.
        self._updates.append(_Update(update_id, kind, payload))  # type: ignore[arg-type]
        self._next_update_id += 1
        self._changed()
        return update_id

    def _enqueue(self, kind: str, payload: JsonDict) -> None:
        """Checks an update against the spec, adds it to the queue and wakes pollers."""
        update = {"update_id": self._next_update_id, kind: payload}
        try:
            self.spec.coerce_value(update, ("Update",), "update", {})
        except SpecError as exc:
            raise AssertionError(f"the simulator made an invalid update: {exc.detail}") from None
        self._updates.append(_Update(self._next_update_id, kind, payload))
        self._next_update_id += 1
        self._changed()
