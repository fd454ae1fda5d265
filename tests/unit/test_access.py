"""The access policy (bot.domain.access): complete for every command and button, and who is who."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import KNOWN_COMMANDS
from bot.channels.telegram.callback_data import Op
from bot.domain.access import (
    BUTTONS,
    COMMANDS,
    POLICY,
    Relation,
    allows,
    markdown_table,
    relations,
)
from bot.domain.models import Person, Request, RequestStatus, Role, Urgency

R = Relation


def person(pid: int, *roles: Role, active: bool = True) -> Person:
    return Person(
        id=pid, name=f"p{pid}", phone=f"1390000{pid:04d}", roles=frozenset(roles), active=active
    )


REQUEST = Request(
    id=1,
    enterprise_id=1,
    owner_id=10,
    category="sales",
    description="x",
    urgency=Urgency.NORMAL,
    status=RequestStatus.ACCEPTED,
    holder_id=20,
    created_at=datetime(2026, 11, 25, tzinfo=UTC),
)


def test_every_known_command_has_a_rule() -> None:
    missing = [c for c in KNOWN_COMMANDS if c not in COMMANDS]
    assert missing == [], f"commands with no access rule in bot.domain.access: {missing}"


def test_every_callback_op_has_a_rule() -> None:
    missing = [op.name.lower() for op in Op if op.name.lower() not in BUTTONS]
    assert missing == [], f"buttons with no access rule in bot.domain.access: {missing}"


def test_the_policy_names_nothing_that_does_not_exist() -> None:
    buttons = {op.name.lower() for op in Op}
    assert set(COMMANDS) <= set(KNOWN_COMMANDS)
    assert set(BUTTONS) <= buttons
    assert all(rule for rule in POLICY.values())


def test_an_unknown_action_is_an_error_not_a_refusal() -> None:
    try:
        allows("nothing-like-this", {R.SUPERVISOR})
    except KeyError:
        return
    raise AssertionError("an action without a rule must not be decided silently")


def test_relations_to_a_request() -> None:
    owner, other_owner = person(10, Role.OWNER), person(11, Role.OWNER)
    holder, offered = person(20, Role.COMMISSIONER), person(21, Role.COMMISSIONER)
    team, other = person(22, Role.COMMISSIONER), person(23, Role.COMMISSIONER)
    supervisor = person(30, Role.SUPERVISOR)

    def rel(p: Person | None) -> frozenset[Relation]:
        return relations(
            p, REQUEST, offered=[21], team_members=[22], assigned=20, chain_members=[24]
        )

    assert rel(owner) == {R.OWNER}
    assert rel(other_owner) == {R.OTHER_OWNER}
    assert rel(holder) == {R.HOLDER, R.ASSIGNED, R.COMMISSIONER}
    assert rel(offered) == {R.OFFERED, R.COMMISSIONER}
    assert rel(team) == {R.TEAM_MEMBER}
    assert rel(other) == {R.COMMISSIONER}
    assert rel(supervisor) == {R.SUPERVISOR}
    assert rel(person(24, Role.COMMISSIONER)) == {R.CHAIN_COMMITTEE, R.COMMISSIONER}
    assert rel(None) == {R.STRANGER}
    assert rel(person(25)) == {R.STRANGER}
    assert rel(person(10, Role.OWNER, active=False)) == {R.STRANGER}


def test_who_may_work_a_request() -> None:
    def rel(pid: int, *roles: Role) -> frozenset[Relation]:
        return relations(person(pid, *roles), REQUEST, offered=[21], team_members=[22])

    assert allows("resolve", rel(20, Role.COMMISSIONER))
    assert not allows("resolve", rel(21, Role.COMMISSIONER))
    assert not allows("resolve", rel(30, Role.SUPERVISOR))
    assert allows("decline", rel(21, Role.COMMISSIONER))
    assert allows("rate", rel(10, Role.OWNER))
    assert not allows("rate", rel(11, Role.OWNER))
    assert allows("card", rel(10, Role.OWNER))
    assert not allows("card", rel(11, Role.OWNER))
    assert not allows("card", rel(22, Role.COMMISSIONER))
    assert allows("internal_note", rel(22, Role.COMMISSIONER))
    assert not allows("internal_note", rel(10, Role.OWNER))


def test_commands_without_a_request_follow_roles() -> None:
    assert allows("/digest", relations(person(30, Role.SUPERVISOR)))
    assert not allows("/digest", relations(person(20, Role.COMMISSIONER)))
    assert allows("/away", relations(person(20, Role.COMMISSIONER)))
    assert not allows("/away", relations(person(10, Role.OWNER)))
    assert allows("/new", relations(person(10, Role.OWNER)))
    assert not allows("/new", relations(None))
    assert allows("/start", relations(None))


def test_the_readme_table_is_the_policy() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- access-table:start -->\n", "<!-- access-table:end -->"
    shown = readme.split(start, 1)[1].split(end, 1)[0]
    assert shown == markdown_table(), "regenerate README's table: see 'Who may do what'"
