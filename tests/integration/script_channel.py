"""A second channel, for tests: people type lines of a script; a recording channel sends.

It proves the seam of issue 8: a channel is an inbound adapter making the same service calls the
Telegram handlers make (bot/handlers, bot/channels/telegram) plus a Channel for the outbox
drainer (bot/channels/drainer.py). Nothing under bot/domain or bot/services knows of it.

A line is `<label>:<phone> <input>`; the phone is the person's id on this channel (their
Address is `script:<phone>`), the label only helps a reader. Inputs:

    /start                       shares their own phone (binds the address, like a contact)
    /new <category> <normal|urgent> <description…>   the intake form, step by step, then Submit
    /accept #N   /decline #N   /resolve #N <outcome>   /note #N   /rate #N <1-5>
    /withdraw #N <reason…>
    <text>                       answers the question last asked (a decline reason, a summary)
    > <message ref> <text>       a reply to a message received here: relayed about its #N
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.fake import RecordingChannel
from bot.channels.pending import Expecting, Flow, MemoryExpectations
from bot.domain.identity import Address
from bot.domain.models import Draft, Outcome, Person, Urgency
from bot.services.cancel import Cancellation
from bot.services.desk import Desk
from bot.services.errors import Refusal, Refused

CHANNEL = "script"


def address(phone: str) -> Address:
    return Address(CHANNEL, phone)


def _number(token: str) -> int:
    return int(token.removeprefix("#"))


@dataclass
class ScriptChannel:
    """The inbound adapter: parse a line, resolve who wrote it once, call a service, answer."""

    desk: Desk
    cancellation: Cancellation
    out: RecordingChannel = field(default_factory=lambda: RecordingChannel(name=CHANNEL))
    # What the next line from each address answers: this channel's own, kept in memory.
    expecting: Expecting = field(init=False)
    # What the adapter answered each line with (a channel's immediate reply, not the outbox).
    answers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.expecting = Expecting(MemoryExpectations(), self.desk.clock)

    async def say(self, line: str) -> str:
        """Handles one line and returns the immediate answer ("ok …" or "refused: …")."""
        speaker, _, text = line.partition(" ")
        _label, _, phone = speaker.partition(":")
        try:
            answer = await self._handle(address(phone), phone, text.strip())
        except Refused as refused:
            answer = f"refused: {refused.reason.value}"
        self.answers.append(answer)
        return answer

    async def _handle(self, at: Address, phone: str, text: str) -> str:
        if text == "/start":
            bound = await self.desk.onboard(at, phone, "en")
            return f"ok bound {bound.person.name}" if bound else "refused: unknown phone"
        person = await self.desk.whoami(at)
        if person is None:
            raise Refused(Refusal.NOT_REGISTERED)
        command, _, rest = text.partition(" ")
        args = rest.split()
        desk = self.desk
        if command == "/new":
            return await self._new(person, at, args[0], Urgency(args[1]), " ".join(args[2:]))
        if command == "/accept":
            accepted = await desk.accept(_number(args[0]), person.id)
            return f"ok accepted #{accepted.request.id}"
        if command in ("/decline", "/resolve", "/note"):
            request_id = _number(args[0])
            flow = command.removeprefix("/")
            if flow == "decline":
                await desk.authorise_offered(request_id, person.id)
                await self.expecting.ask(at, Flow.DECLINE, request_id)
            else:
                await desk.authorise_holder(request_id, person.id)
                outcome = {"outcome": Outcome(args[1]).value} if flow == "resolve" else {}
                await self.expecting.ask(at, Flow(flow), request_id, **outcome)
            return f"ok {flow} #{request_id}: send the text"
        if command == "/rate":
            closed = await desk.rate(_number(args[0]), person.id, int(args[1]))
            return f"ok rated #{closed.id}"
        if command == "/withdraw":
            reason = " ".join(args[1:]) or None
            done = await self.cancellation.cancel(person.id, _number(args[0]), reason)
            return f"ok withdrew #{done.request.id}"
        if command == ">":
            about = await desk.request_for_message(at, args[0])
            if about is None:
                raise Refused(Refusal.NOT_FOUND)
            told = await desk.relay(about, person.id, " ".join(args[1:]))
            return f"ok relayed #{about} to {len(told)}"
        return await self._answer(person, at, text)

    async def _new(
        self, owner: Person, at: Address, category: str, urgency: Urgency, description: str
    ) -> str:
        """The intake steps as the Telegram conversation takes them: a draft saved at each."""
        desk = self.desk
        await desk.check_can_file(owner.id)
        enterprises = await desk.enterprises_of(owner.id)
        if not enterprises:
            raise Refused(Refusal.NO_ENTERPRISE)
        draft = Draft(at=at, step="category", enterprise_id=enterprises[0].id)
        await desk.save_draft(draft)
        draft = draft.model_copy(update={"step": "description", "category": category})
        await desk.save_draft(draft)
        described = desk.check_description(description)
        draft = draft.model_copy(update={"step": "urgency", "description": described})
        await desk.save_draft(draft)
        await desk.save_draft(draft.model_copy(update={"step": "confirm", "urgency": urgency}))
        submitted = await desk.submit(owner.id, at)
        return f"ok #{submitted.request.id} to {submitted.tier.value}"

    async def _answer(self, person: Person, at: Address, text: str) -> str:
        """A plain text: the answer to the question last asked at this address."""
        desk = self.desk
        expected = await self.expecting.current(at)
        if expected is None:
            raise Refused(Refusal.BAD_INPUT, field="text")
        request_id = expected.subject
        if expected.flow == Flow.DECLINE:
            tier, _people = await desk.decline(request_id, person.id, text)
            answer = f"ok declined #{request_id}, now with the {tier.value}"
        elif expected.flow == Flow.RESOLVE:
            outcome = Outcome(expected.data["outcome"])
            await desk.resolve(request_id, person.id, outcome, text)
            answer = f"ok resolved #{request_id}"
        else:
            await desk.note(request_id, person.id, text)
            answer = f"ok noted #{request_id}"
        await self.expecting.answered(at, expected)
        return answer
