"""Issue 10 item 1: every command and every button, as every role, through the real Application.

The cells come from the access policy (bot.domain.access) and the cast's relations below; each
cell's pytest id reads `<action>-<state>-as-<role>-<expected>`:

* `allowed`: the policy lets the role do it and the request's state permits it: the expected
  answer comes (a reply or a tap answer that is not a refusal);
* `refused`: the policy refuses the role: a clear answer in the user's language (an alert for a
  tap, a reply for a command) and nothing changes: the requests, offers, events and outbox rows
  are as before, and no other chat gets a message or an edit;
* `not_now`: the policy lets the role do it but not in this state (Accept on a resolved request,
  an intake button with no form open, Approve with no extension asked): refused the same way.

One world per request state (on offer, accepted, resolved), many cells per world: the first cell
of a state builds its world and runs all of that state's cells; the others read their results.
Allowed cells that change the request run on a fresh request in the same state, so the cells
after them still see the state they are named for. `-s` prints the table.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.channels.telegram import texts, texts_intake, texts_lists, texts_sla, texts_stats
from bot.channels.telegram.callback_data import Callback, Op
from bot.domain.access import BUTTONS, COMMANDS, Relation, allows
from bot.domain.clock import FakeClock
from bot.sample import CHEN, HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG, load_sample
from bot.services.errors import Refusal
from bot.simulator.driver import SimUser
from bot.simulator.server import BotApiSimulator
from tests.conftest import START, World, start_bot
from tests.integration.flows import new_request
from tests.integration.guard_support import settled

R = Relation
CJK = re.compile(r"[\u4e00-\u9fff]")
STRANGER_ID = 9001

# The cast and what each stands in to request #1 (sales 销售 of the trout farm: the farm's
# commissioner 李专员 has it on offer, then holds it; 王专员 is in the sales category's team).
ROLES = (
    "owner",
    "another_owner",
    "offered_commissioner",  # on offer; once accepted the same person is the holder
    "holder",
    "team_member",
    "another_commissioner",
    "supervisor",
    "stranger",
)
STANDING: dict[str, frozenset[Relation]] = {
    "owner": frozenset({R.OWNER}),
    "another_owner": frozenset({R.OTHER_OWNER}),
    "offered_commissioner": frozenset({R.OFFERED, R.ASSIGNED, R.COMMISSIONER}),
    "holder": frozenset({R.HOLDER, R.ASSIGNED, R.COMMISSIONER}),
    "team_member": frozenset({R.TEAM_MEMBER}),
    "another_commissioner": frozenset({R.COMMISSIONER}),
    "supervisor": frozenset({R.SUPERVISOR}),
    "stranger": frozenset({R.STRANGER}),
}
# With no request, people are what their roles make them.
ROLE_STANDING: dict[str, frozenset[Relation]] = {
    "owner": frozenset({R.OWNER}),
    "another_owner": frozenset({R.OWNER}),
    "offered_commissioner": frozenset({R.COMMISSIONER}),
    "team_member": frozenset({R.COMMISSIONER}),
    "another_commissioner": frozenset({R.COMMISSIONER}),
    "supervisor": frozenset({R.SUPERVISOR}),
    "stranger": frozenset({R.STRANGER}),
}
STATES = ("on-offer", "accepted", "resolved")
# The roles present in each state ("any": the actions about no request).
CAST: dict[str, tuple[str, ...]] = {
    "any": tuple(ROLE_STANDING),
    "on-offer": tuple(r for r in ROLES if r != "holder"),
    "accepted": tuple(r for r in ROLES if r != "offered_commissioner"),
    "resolved": tuple(r for r in ROLES if r != "offered_commissioner"),
}

# Actions about request #1, and the states in which someone the policy allows succeeds.
REQUEST_BUTTONS: dict[str, tuple[str, ...]] = {
    "accept": ("on-offer", "accepted"),  # the holder's second tap: "it is yours already"
    "decline": ("on-offer",),
    "resolve": ("accepted",),
    "outcome": ("accepted",),
    "note": ("accepted",),
    "rate": ("resolved",),
    "extension": (),  # Approve with no extension asked for
    "card": STATES,
    "timeline": STATES,
    "withdraw": ("on-offer", "accepted"),
    "withdraw_yes": ("on-offer", "accepted"),
    "withdraw_skip": ("on-offer", "accepted"),
    "withdraw_keep": STATES,
    "internal_note": STATES,
    "share_with_owner": (),  # only one's own internal note: none exists here
    "reopen": ("resolved",),  # asks for the reason
    "comment": (),  # only after one's rating: none was given here
    "no_comment": (),
    "decline_reason": ("on-offer",),  # "not my enterprise": passed on at once
    "handback": ("accepted",),  # asks for the reason
    "handback_reason": ("accepted",),  # "not my enterprise": the supervisors decide
    "route": (),  # a supervisor's pick answers a hand-back: none was asked here
}
REQUEST_COMMANDS: dict[str, tuple[str, ...]] = {
    "extend": ("accepted",),
    "reassign": ("on-offer", "accepted"),
}
# Buttons of the intake form work only inside an open form (none is open here).
FORM_BUTTONS = ("category", "enterprise", "attach_done", "urgency", "submit", "cancel")
# A list page is as allowed as the command that shows the list.
LIST_BUTTONS = {"list_my": "my", "list_mine": "mine", "list_open": "open"}
# Allowed cells that change the request run on a fresh request in the same state.
CHANGING = {
    "accept",
    "withdraw_skip",
    "rate",
    "/extend",
    "/reassign",
    "decline_reason",
    "handback_reason",
}

CALLBACK: dict[str, Callable[[int, str], Callback]] = {
    "accept": lambda n, _lang: Callback(Op.ACCEPT, n),
    "decline": lambda n, _lang: Callback(Op.DECLINE, n),
    "resolve": lambda n, _lang: Callback(Op.RESOLVE, n),
    "outcome": lambda n, _lang: Callback(Op.OUTCOME, n, "solved"),
    "note": lambda n, _lang: Callback(Op.NOTE, n),
    "rate": lambda n, _lang: Callback(Op.RATE, n, "5"),
    "extension": lambda n, _lang: Callback(Op.EXTENSION, n, "y1"),
    "card": lambda n, _lang: Callback(Op.CARD, n, "my.0"),
    "timeline": lambda n, _lang: Callback(Op.TIMELINE, n, "0.my.0"),
    "withdraw": lambda n, _lang: Callback(Op.WITHDRAW, n, "my.0"),
    "withdraw_yes": lambda n, _lang: Callback(Op.WITHDRAW_YES, n, "my.0"),
    "withdraw_skip": lambda n, _lang: Callback(Op.WITHDRAW_SKIP, n, "my.0"),
    "withdraw_keep": lambda n, _lang: Callback(Op.WITHDRAW_KEEP, n, "my.0"),
    "internal_note": lambda n, _lang: Callback(Op.INTERNAL_NOTE, n),
    "share_with_owner": lambda n, _lang: Callback(Op.SHARE_WITH_OWNER, n, "0"),
    "reopen": lambda n, _lang: Callback(Op.REOPEN, n),
    "comment": lambda n, _lang: Callback(Op.COMMENT, n),
    "no_comment": lambda n, _lang: Callback(Op.NO_COMMENT, n),
    "decline_reason": lambda n, _lang: Callback(Op.DECLINE_REASON, n, "not_mine"),
    "handback": lambda n, _lang: Callback(Op.HANDBACK, n),
    "handback_reason": lambda n, _lang: Callback(Op.HANDBACK_REASON, n, "not_mine"),
    "route": lambda n, _lang: Callback(Op.ROUTE, n, "1.h"),
    "category": lambda _n, _lang: Callback(Op.CATEGORY, None, "sales"),
    "enterprise": lambda _n, _lang: Callback(Op.ENTERPRISE, None, "1"),
    "attach_done": lambda _n, _lang: Callback(Op.ATTACH_DONE),
    "urgency": lambda _n, _lang: Callback(Op.URGENCY, None, "normal"),
    "submit": lambda _n, _lang: Callback(Op.SUBMIT),
    "cancel": lambda _n, _lang: Callback(Op.CANCEL),
    "lang": lambda _n, lang: Callback(Op.LANG, None, lang),  # the language they have
    "list_my": lambda _n, _lang: Callback(Op.LIST, None, "my.0"),
    "list_mine": lambda _n, _lang: Callback(Op.LIST, None, "mine.0"),
    "list_open": lambda _n, _lang: Callback(Op.LIST, None, "open.all.0"),
    "teams": lambda _n, _lang: Callback(Op.TEAMS),
    "chains": lambda _n, _lang: Callback(Op.CHAINS),
    "roster": lambda _n, _lang: Callback(Op.ROSTER, None, "c.0"),
    "person": lambda _n, _lang: Callback(Op.PERSON, 1, "c.0"),
    "phone": lambda _n, _lang: Callback(Op.PHONE, 1, "c.0"),
    "stats": lambda _n, _lang: Callback(Op.STATS, 0, "20261101.20261125.county"),
    "new_request": lambda _n, _lang: Callback(Op.NEW_REQUEST),
}
COMMAND_ARGS = {"extend": "#{n} 3 等待材料补齐", "reassign": f"#{{n}} {CHEN.phone}"}


@dataclass(frozen=True)
class Cell:
    action: str  # "/command" or a button's name
    state: str
    role: str
    expect: str  # allowed | refused | not_now

    @property
    def id(self) -> str:
        name = self.action.lstrip("/")
        return f"{name}-{self.state}-as-{self.role}-{self.expect}"

    @property
    def world(self) -> str:
        return "on-offer" if self.state == "any" else self.state


def _expect(policy_allows: bool, applicable: bool) -> str:
    if not policy_allows:
        return "refused"
    return "allowed" if applicable else "not_now"


def build_cells() -> list[Cell]:
    cells: list[Cell] = []
    for role in CAST["any"]:
        standing = ROLE_STANDING[role]
        for command in COMMANDS:
            if command not in REQUEST_COMMANDS:
                cells.append(
                    Cell(f"/{command}", "any", role, _expect(allows(f"/{command}", standing), True))
                )
        for button in FORM_BUTTONS:
            cells.append(Cell(button, "any", role, _expect(allows(button, standing), False)))
        cells.append(Cell("lang", "any", role, _expect(allows("lang", standing), True)))
        for button in ("teams", "chains", "roster", "person", "phone", "stats", "new_request"):
            cells.append(Cell(button, "any", role, _expect(allows(button, standing), True)))
        for button, command in LIST_BUTTONS.items():
            ok = allows("list", standing) and allows(f"/{command}", standing)
            cells.append(Cell(button, "any", role, _expect(ok, True)))
    for state in STATES:
        for role in CAST[state]:
            standing = STANDING[role]
            for button, states in REQUEST_BUTTONS.items():
                cells.append(
                    Cell(button, state, role, _expect(allows(button, standing), state in states))
                )
            for command, states in REQUEST_COMMANDS.items():
                ok = allows(f"/{command}", standing)
                cells.append(Cell(f"/{command}", state, role, _expect(ok, state in states)))
    return cells


CELLS = build_cells()
RESULTS: dict[str, dict[Cell, str | None]] = {}


def test_the_matrix_covers_every_command_and_button() -> None:
    covered = {c.action for c in CELLS} | {"list"}
    assert {f"/{c}" for c in COMMANDS} <= covered
    assert set(BUTTONS) <= covered


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
async def test_access_matrix(
    cell: Cell, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cell.world not in RESULTS:
        # Hundreds of updates from each person in seconds: not a flood here.
        monkeypatch.setenv("ONCALL_LIMITS__FLOOD_UPDATES", "100000")
        path = tmp_path_factory.mktemp(f"access-{cell.world}") / "oncall.db"
        RESULTS[cell.world] = await run_world(cell.world, path)
        print_table(cell.world, RESULTS[cell.world])
    failure = RESULTS[cell.world][cell]
    assert failure is None, failure


def print_table(world: str, results: dict[Cell, str | None]) -> None:
    print(f"\naccess matrix, world {world!r}:")
    for c, failure in results.items():
        verdict = "ok" if failure is None else "FAIL"
        print(f"  {c.action:<18} {c.state:<9} {c.role:<21} {c.expect:<8} {verdict}")


# ---- running one world ------------------------------------------------------------------


class Run:
    def __init__(self, world: World, path: Path, people: dict[str, SimUser]) -> None:
        self.world = world
        self.path = path
        self.people = people

    def lang(self, role: str) -> str:
        return "en" if role == "stranger" else "zh"

    def db_state(self) -> tuple[object, ...]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            return (
                con.execute("SELECT * FROM requests ORDER BY id").fetchall(),
                con.execute("SELECT * FROM offers ORDER BY 1, 2").fetchall(),
                con.execute("SELECT count(*), max(id) FROM events").fetchall(),
                con.execute("SELECT count(*), max(id) FROM outbox").fetchall(),
            )

    def chats(self) -> dict[int, list[tuple[int, str | None, int, bool]]]:
        """Every chat of the cast (by Telegram id), as it looks now."""
        return {
            u.id: [
                (m.message_id, m.text or m.caption, len(m.edits), m.deleted)
                for m in u.chat.messages
            ]
            for u in self.people.values()
        }

    async def settle(self) -> None:
        """Waits until every update so far is handled and everything due has been sent."""
        await settled(self.world)

    def refusals(self, lang: str, n: int) -> set[str]:
        found = {texts.not_registered(lang), texts_intake.not_owner(lang), texts.stale_button(lang)}
        found |= {texts_sla.supervisors_only(lang, c) for c in COMMANDS}
        found.add(texts_lists.not_yours(lang, n))
        found.add(texts_lists.committee_only(lang))
        found.add(texts_stats.not_allowed(lang))  # /chain for neither a member nor a supervisor
        for reason in Refusal:
            for details in ({}, {"request_id": n}, {"request_id": n, "holder": LI.name}):
                found.add(texts.refusal(reason, details, lang))  # type: ignore[arg-type]
        return found

    async def cell(self, cell: Cell, n: int) -> str | None:
        """Runs one cell on request #n; None if it behaved as expected, else what went wrong."""
        user = self.people[cell.role]
        lang = self.lang(cell.role)
        await self.settle()
        before_db, before_chats = self.db_state(), self.chats()
        if cell.action.startswith("/"):
            name = cell.action[1:]
            args = COMMAND_ARGS.get(name, "").format(n=n)
            await user.command(name, args)
            reply = await user.wait_for_message()
            text = reply.text or reply.caption or ""
            refused = text in self.refusals(lang, n)
            if name == "new" and not refused:
                await user.command("cancel")
                await user.wait_for_message()
        else:
            data = CALLBACK[cell.action](n, lang).encode()
            tap = await user.tap_data(user.messages()[-1], data)
            answer = await user.wait_answer(tap)
            text = str(answer.get("text") or "")
            refused = bool(answer.get("show_alert"))
            if cell.action == "new_request" and not refused:
                await self.settle()  # the form's first question, then close the form again
                await user.command("cancel")
                await user.wait_for_message()
        await self.settle()
        if cell.expect == "allowed":
            if refused:
                return f"{cell.id}: refused with {text!r}"
            return self.owners_see_their_own(cell, user)
        if not refused:
            return f"{cell.id}: not refused; answered {text!r}"
        if not text.strip():
            return f"{cell.id}: refused without a word"
        if (lang == "zh") != bool(CJK.search(text)):
            return f"{cell.id}: the refusal {text!r} is not in {lang}"
        if self.db_state() != before_db:
            return f"{cell.id}: the database changed"
        after = self.chats()
        for chat, messages in before_chats.items():
            if chat != user.id and after[chat] != messages:
                return f"{cell.id}: the chat of {chat} changed"
        return None

    def owners_see_their_own(self, cell: Cell, user: SimUser) -> str | None:
        if cell.role == "another_owner" and cell.action in ("/my", "list_my"):
            shown = user.messages()[-1]
            if re.search(r"#\d", (shown.text or "") + " ".join(shown.buttons)):
                return f"{cell.id}: another owner was shown a request of the trout farm"
        return None


async def run_world(state: str, path: Path) -> dict[Cell, str | None]:
    clock = FakeClock(START)
    async with BotApiSimulator() as sim:
        runtime = await start_bot(sim, path, clock)
        try:
            await load_sample(runtime.db, clock.now(), bind=True)
            world = World(sim, runtime, clock, path)
            cast = {
                "owner": TROUT_OWNER,
                "another_owner": HERB_OWNER,
                "offered_commissioner": LI,
                "holder": LI,
                "team_member": WANG,
                "another_commissioner": CHEN,
                "supervisor": SUPERVISOR,
            }
            people = {
                role: sim.user(p.telegram_id, p.name, language_code="zh-hans")
                for role, p in cast.items()
            }
            people["stranger"] = sim.user(STRANGER_ID, "Passer-by", language_code="en")
            for user in {u.id: u for u in people.values()}.values():
                await user.command("help")  # a message of the bot's to tap buttons on
                await user.wait_for_message()
            run = Run(world, path, people)
            base = await make_request(run, state)
            results: dict[Cell, str | None] = {}
            mine = [c for c in CELLS if c.world == state]
            # Cells that change the request last, each on a fresh request in this state.
            ordered = sorted(mine, key=lambda c: c.expect == "allowed" and c.action in CHANGING)
            for cell in ordered:
                n = base
                if cell.expect == "allowed" and cell.action in CHANGING:
                    n = await make_request(run, state)
                try:
                    results[cell] = await run.cell(cell, n)
                except AssertionError as exc:
                    results[cell] = f"{cell.id}: {str(exc)[:500]}"
            return {c: results[c] for c in mine}
        finally:
            await runtime.close()


async def make_request(run: Run, state: str) -> int:
    """A sales request of the trout farm, on offer to 李专员, then accepted, then resolved."""
    owner, li = run.people["owner"], run.people["holder"]
    received = await new_request(
        owner, category="销售", description="想参加农产品展销会，请帮忙对接"
    )
    found = re.search(r"#(\d+)", received.text or "")
    assert found is not None
    n = int(found.group(1))
    await li.wait_for_message(f"#{n}")
    desk = run.world.runtime.desk
    li_id = (await desk.whoami(LI.address)).id  # type: ignore[union-attr]
    if state in ("accepted", "resolved"):
        await desk.accept(n, li_id)
    if state == "resolved":
        from bot.domain.models import Outcome

        await desk.resolve(n, li_id, Outcome.SOLVED, "已对接展销会主办方")
    await run.settle()
    return n
