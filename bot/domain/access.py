"""Who may do what: one access policy for every command and every button, as data.

`relations` says how a person stands to a request (or, with no request, what they are);
`POLICY` maps every action (a command name, or a button's name: the lower-case name of its
callback op) to the relations that may use it; `allows` decides. Handlers and use cases ask
this module instead of checking roles themselves; whether the request's *state* permits the
action (a resolved request cannot be accepted) stays with the lifecycle and the use case.

Adding a command or a button is one line in POLICY (tests/unit/test_access.py fails for a
command or button without one). Pure: no I/O, no channel.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum

from bot.domain.models import Person, Request, Role


class Relation(StrEnum):
    """How a person stands to a request; a person may stand in several at once."""

    OWNER = "owner"  # files requests for the request's enterprise (no request: any owner)
    OTHER_OWNER = "other_owner"  # an owner of another enterprise
    HOLDER = "holder"  # accepted it and works on it
    OFFERED = "offered"  # it is on offer to them now (or was, for staff-only reads)
    ASSIGNED = "assigned"  # the enterprise's own commissioner
    TEAM_MEMBER = "team_member"  # a commissioner in the team of the request's category
    # Slot for the chain's industry party committee (issue 10 item 5, another branch): members
    # of the committee of the enterprise's chain. `relations` adds it for `chain_members`.
    CHAIN_COMMITTEE = "chain_committee"
    COMMISSIONER = "commissioner"  # any other commissioner (no request: any commissioner)
    SUPERVISOR = "supervisor"
    STRANGER = "stranger"  # nobody the rosters know (or deactivated)


R = Relation
ANYONE = frozenset(Relation)
REGISTERED = ANYONE - {R.STRANGER}
OWNERS = frozenset({R.OWNER})
STAFF = frozenset({R.COMMISSIONER, R.TEAM_MEMBER, R.CHAIN_COMMITTEE, R.SUPERVISOR})
SUPERVISORS = frozenset({R.SUPERVISOR})
# Everyone working on a request or answerable for it (they see its card and internal steps).
INVOLVED_STAFF = frozenset({R.HOLDER, R.OFFERED, R.ASSIGNED, R.CHAIN_COMMITTEE, R.SUPERVISOR})

# Commands, by name (without the slash). Those about one request (#N) name its relations.
COMMANDS: dict[str, frozenset[Relation]] = {
    "start": ANYONE,
    "help": ANYONE,
    "lang": ANYONE,
    "cancel": ANYONE,
    "new": OWNERS,
    "my": REGISTERED,  # one's own requests (staff have none: an empty list)
    "mine": STAFF,
    "open": SUPERVISORS,
    "away": frozenset({R.COMMISSIONER}),
    "back": frozenset({R.COMMISSIONER}),
    "digest": SUPERVISORS,
    "overdue": SUPERVISORS,
    "stats": SUPERVISORS | {R.COMMISSIONER, R.CHAIN_COMMITTEE},  # own figures / their chains
    "extend": frozenset({R.HOLDER}),  # /extend #N: the holder asks for a later deadline
    "reassign": SUPERVISORS,  # /reassign #N PHONE
    "export": SUPERVISORS,
    "chain": SUPERVISORS | {R.CHAIN_COMMITTEE},  # a committee member: their chains' requests
    "roster": SUPERVISORS,
}

# Buttons, by the lower-case name of their callback op (bot.channels.telegram.callback_data).
BUTTONS: dict[str, frozenset[Relation]] = {
    "accept": frozenset({R.OFFERED, R.HOLDER}),  # the holder's second tap: "yours already"
    "decline": frozenset({R.OFFERED}),
    "resolve": frozenset({R.HOLDER}),
    "outcome": frozenset({R.HOLDER}),
    "note": frozenset({R.HOLDER}),
    "rate": OWNERS,
    "category": OWNERS,  # the intake form (no request yet)
    "enterprise": OWNERS,
    "attach_done": OWNERS,
    "urgency": OWNERS,
    "submit": OWNERS,
    "cancel": OWNERS,  # the intake form's Cancel
    "lang": REGISTERED,
    "extension": SUPERVISORS,  # Approve / Refuse a later deadline
    "list": REGISTERED,  # a page of /my, /mine or /open: each list checks its own command
    "teams": SUPERVISORS,  # the team picker of /open
    "card": OWNERS | INVOLVED_STAFF,
    "timeline": OWNERS | INVOLVED_STAFF,
    "withdraw": OWNERS,
    "withdraw_yes": OWNERS,
    "withdraw_skip": OWNERS,
    "withdraw_keep": OWNERS,
    "internal_note": (INVOLVED_STAFF | {R.TEAM_MEMBER}),
    "share_with_owner": frozenset({R.HOLDER, R.SUPERVISOR}),  # and only one's own note
    "reopen": OWNERS,  # a resolved or closed request, within the reopen window
    "comment": OWNERS,  # a word with one's rating
    "no_comment": OWNERS,
    "decline_reason": frozenset({R.OFFERED}),  # Decline's reason buttons
    "handback": frozenset({R.HOLDER}),  # 退单: the holder hands it back
    "handback_reason": frozenset({R.HOLDER}),
    "route": SUPERVISORS,  # where a hand-back goes: team, person, back to the holder
    "chains": SUPERVISORS,  # the chain picker of /chain
    "roster": SUPERVISORS,  # a page of /roster
    "person": SUPERVISORS,  # one person's entry in /roster
    "phone": SUPERVISORS,  # change that person's phone
    "stats": SUPERVISORS | {R.COMMISSIONER, R.CHAIN_COMMITTEE},  # a page of a /stats answer
    "new_request": OWNERS,  # starts the /new form (offered after a finished request)
}

# Commands as "/name", buttons by name.
POLICY: Mapping[str, frozenset[Relation]] = {
    **{f"/{name}": rule for name, rule in COMMANDS.items()},
    **BUTTONS,
}


def relations(
    person: Person | None,
    request: Request | None = None,
    offered: Collection[int] = (),
    team_members: Collection[int] = (),
    assigned: int | None = None,
    chain_members: Collection[int] = (),
    chain: str | None = None,
) -> frozenset[Relation]:
    """How `person` stands to `request`: `offered` are the ids it is (or was) on offer to,
    `team_members` the commissioners of its category's team, `assigned` the enterprise's
    commissioner, `chain_members` its chain's committee. Without a request: what they are."""
    if person is None or not person.active or not person.roles:
        return frozenset({R.STRANGER})
    found: set[Relation] = set()
    if person.has(Role.SUPERVISOR):
        found.add(R.SUPERVISOR)
    if request is None:
        if person.has(Role.OWNER):
            found.add(R.OWNER)
        if person.has(Role.COMMISSIONER):
            found.add(R.COMMISSIONER)
        if person.id in chain_members or person.has(Role.COMMITTEE):
            found.add(R.CHAIN_COMMITTEE)
        return frozenset(found or {R.STRANGER})
    if request.owner_id == person.id:
        found.add(R.OWNER)
    elif person.has(Role.OWNER):
        found.add(R.OTHER_OWNER)
    if request.holder_id == person.id:
        found.add(R.HOLDER)
    if person.id in offered:
        found.add(R.OFFERED)
    if assigned == person.id:
        found.add(R.ASSIGNED)
    if person.id in chain_members or (
        person.has(Role.COMMITTEE) and bool(chain) and chain in person.chains
    ):
        found.add(R.CHAIN_COMMITTEE)
    if person.has(Role.COMMISSIONER):
        found.add(R.TEAM_MEMBER if person.id in team_members else R.COMMISSIONER)
    return frozenset(found or {R.STRANGER})


def allows(action: str, standing: Collection[Relation]) -> bool:
    """Whether anyone standing so may use `action` ("/cmd" or a button's name)."""
    rule = POLICY.get(action)
    if rule is None:
        raise KeyError(f"no access rule for {action!r}: add it to bot.domain.access")
    return any(r in rule for r in standing)


# For README.md's "Who may do what" (both languages; README is checked against this).
LABELS: dict[Relation, str] = {
    R.OWNER: "owner 企业",
    R.OTHER_OWNER: "another owner 其他企业",
    R.HOLDER: "holder 承办人",
    R.OFFERED: "offered 待接单人",
    R.ASSIGNED: "the enterprise's commissioner 包联专员",
    R.TEAM_MEMBER: "team member 服务团成员",
    R.CHAIN_COMMITTEE: "chain committee 产业链党委",
    R.COMMISSIONER: "commissioner 专员",
    R.SUPERVISOR: "supervisor 主管",
    R.STRANGER: "stranger 未注册",
}


def table() -> list[tuple[str, list[Relation]]]:
    """Every action with the relations allowed to use it, for documentation."""
    order = list(Relation)
    return [(action, sorted(rule, key=order.index)) for action, rule in POLICY.items()]


def markdown_table() -> str:
    """The policy as README.md shows it."""
    rows = ["| action 操作 | who may 谁可以 |", "|---|---|"]
    for action, allowed in table():
        name = f"`{action}`" if action.startswith("/") else f"button `{action}`"
        if set(allowed) == ANYONE:
            who = "everyone 所有人"
        elif set(allowed) == REGISTERED:
            who = "anyone registered 已注册的人"
        else:
            who = ", ".join(LABELS[r] for r in allowed)
        rows.append(f"| {name} | {who} |")
    return "\n".join(rows) + "\n"
