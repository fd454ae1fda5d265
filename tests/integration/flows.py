"""Steps of the core loop as a person does them, shared by the integration tests."""

from __future__ import annotations

from bot.sample import LI, TROUT_OWNER, SamplePerson
from bot.simulator.driver import SimUser
from bot.simulator.models import SimMessage
from tests.conftest import World
from tests.i18n_support import text, zh, zh_part

# What people see, from the catalogs (tests/i18n_support.py).
TAKEN = (
    "👤 <b>{holder}</b> has taken <b>#{n}</b> and will be in touch soon. "
    "Reply to this message to write to them."
)
DECLINE_PROMPT = "Why are you declining <b>#{n}</b>? Send the reason in one message (or /cancel)."


async def onboard(world: World, person: SamplePerson, lang: str = "zh-hans") -> SimUser:
    """Registers a rostered person by sharing their own contact."""
    user = world.sim.user(person.telegram_id, person.name, language_code=lang)
    await user.command("start")
    await user.wait_for_message()
    await user.share_contact(person.phone)
    await user.wait_for_message(lambda m: person.name in (m.text or ""))
    return user


async def new_request(
    owner: SimUser,
    category: str = "融资",
    description: str = "需要贷款200万元用于灌装线改造",
    urgent: bool = False,
    submit: bool = True,
    english: bool | None = None,
) -> SimMessage:
    """Fills in /new (no attachments) and submits; returns the '#N received' message."""
    en = owner.record.language_code == "en" if english is None else english
    lang = "en" if en else "zh"
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button(category) is not None)
    await owner.tap(category)
    await owner.wait_for_message()
    await owner.send(description)
    await owner.wait_for_message(lambda m: bool(m.buttons))
    await owner.tap(text(lang, "⏭ Skip"))
    await owner.wait_for_message(lambda m: bool(m.buttons))
    await owner.tap(text(lang, "🔴 Urgent" if urgent else "Normal"))
    summary = await owner.wait_for_message(lambda m: bool(m.buttons))
    if not submit:
        return summary
    await owner.tap(text(lang, "✅ Submit"))
    return await owner.wait_for_message("#")


async def accepted_request(
    world: World, description: str = "需要贷款200万元用于灌装线改造"
) -> tuple[SimUser, SimUser, SimMessage, SimMessage]:
    """张老板 reports #1, 李专员 takes it: (owner, li, li's card, the owner's 'taken' note)."""
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner, description=description)
    card = await li.wait_for_message("#1")
    await li.tap(zh("✅ Accept"), card)
    taken = await owner.wait_for_message(zh_part(TAKEN))
    # The owner's note and the card's edit are separate messages: wait for both.
    await li.wait_for(lambda: card.button(zh("📝 Note")) is not None)
    return owner, li, card, taken


async def decline_other(user: SimUser, card: SimMessage) -> SimMessage:
    """Taps Decline on `card`, then the reason "Other", and returns the prompt for the words."""
    await user.tap(zh("↩ Decline"), card)
    reasons = await user.wait_for_message(lambda m: m.button(zh("Other (write it)")) is not None)
    await user.tap(zh("Other (write it)"), reasons)
    return await user.wait_for_message(zh_part(DECLINE_PROMPT))
