"""A recording channel: keeps in memory what it was asked to send, for fast tests without HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.base import EditImpossible, SentRef
from bot.domain.models import Message, Person
from bot.services.desk import RequestView


@dataclass(frozen=True)
class Recorded:
    """A message as the recording channel renders it: what was to be shown, to whom."""

    message: Message
    reader_id: int
    ref_key: str | None = None
    edit_key: str | None = None
    silent: bool | None = None


@dataclass(frozen=True)
class Delivery:
    """One thing the channel did: a send or an edit, with where it landed."""

    action: str  # "send" or "edit"
    address: str
    out: Recorded
    ref: SentRef
    silent: bool = False


@dataclass
class RecordingChannel:
    """Implements bot.channels.base.Channel in memory.

    `failures` are raised, first first, by the next sends or edits (a Transient, a Permanent);
    `edits_impossible` makes every edit raise EditImpossible.
    """

    name: str = "recording"
    per_address_interval: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    edits_impossible: bool = False
    cleared: list[SentRef] = field(default_factory=list)
    answers: list[tuple[str, str | None, bool]] = field(default_factory=list)
    _next_id: int = 1

    def fail_next(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.action == "send"]

    def render(self, message: Message, reader: Person, view: RequestView | None) -> Recorded:
        return Recorded(message, reader.id, edit_key=message.edit_key)

    def _ref(self, address: str) -> SentRef:
        ref = SentRef(address, str(self._next_id))
        self._next_id += 1
        return ref

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def send(self, address: str, out: Recorded, *, silent: bool) -> SentRef | None:
        self._maybe_fail()
        ref = self._ref(address)
        self.deliveries.append(Delivery("send", address, out, ref, silent))
        return ref

    async def edit(self, ref: SentRef, out: Recorded) -> SentRef | None:
        if self.edits_impossible:
            raise EditImpossible("message to edit not found")
        self._maybe_fail()
        self.deliveries.append(Delivery("edit", ref.address, out, ref))
        return ref

    async def clear_actions(self, ref: SentRef) -> None:
        self.cleared.append(ref)

    async def answer(self, query_id: str, text: str | None = None, *, alert: bool = False) -> None:
        self.answers.append((query_id, text, alert))
