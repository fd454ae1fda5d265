"""Steps of the core loop as a person does them, shared by the integration tests."""

from __future__ import annotations

from bot.sample import LI, TROUT_OWNER, SamplePerson
from bot.simulator.driver import SimUser
from bot.simulator.models import SimMessage
from tests.conftest import World


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
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button(category) is not None)
    await owner.tap(category)
    await owner.wait_for_message()
    await owner.send(description)
    await owner.wait_for_message(lambda m: bool(m.buttons))
    await owner.tap("Skip" if en else "跳过")
    await owner.wait_for_message(lambda m: bool(m.buttons))
    label = ("Urgent" if urgent else "Normal") if en else ("紧急" if urgent else "一般")
    await owner.tap(label)
    summary = await owner.wait_for_message(lambda m: bool(m.buttons))
    if not submit:
        return summary
    await owner.tap("Submit" if en else "提交")
    return await owner.wait_for_message("#")


async def accepted_request(
    world: World, description: str = "需要贷款200万元用于灌装线改造"
) -> tuple[SimUser, SimUser, SimMessage, SimMessage]:
    """张老板 reports #1, 李专员 takes it: (owner, li, li's card, the owner's 'taken' note)."""
    owner = await onboard(world, TROUT_OWNER)
    li = await onboard(world, LI)
    await new_request(owner, description=description)
    card = await li.wait_for_message("#1")
    await li.tap("接单", card)
    taken = await owner.wait_for_message("已接单")
    # The owner's note and the card's edit are separate messages: wait for both.
    await li.wait_for(lambda: card.button("进展") is not None)
    return owner, li, card, taken


async def decline_other(user: SimUser, card: SimMessage) -> SimMessage:
    """Taps Decline on `card`, then the reason "Other", and returns the prompt for the words."""
    await user.tap("退回", card)
    reasons = await user.wait_for_message(lambda m: m.button("其他（") is not None)
    await user.tap("其他（", reasons)
    return await user.wait_for_message("用一条消息")
