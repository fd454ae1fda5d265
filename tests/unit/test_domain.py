"""The lifecycle state machine, routing, phones and the callback codec."""

from __future__ import annotations

import pytest

from bot.channels.telegram.callback_data import MAX_BYTES, Callback, Op, decode
from bot.domain.identity import Address
from bot.domain.lifecycle import TRANSITIONS, Action, IllegalTransition, transition
from bot.domain.models import Enterprise, Person, RequestStatus, Role, Route
from bot.domain.phones import normalise_phone
from bot.domain.routing import Tier, committee_members, own_commissioner, route, route_chain

S = RequestStatus


def test_the_happy_path_is_legal() -> None:
    status = transition(None, Action.SUBMIT)
    for action in (Action.DISPATCH, Action.ACCEPT, Action.RESOLVE, Action.CLOSE):
        status = transition(status, action)
    assert status == S.CLOSED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.CLOSED, Action.ACCEPT),
        (S.ACCEPTED, Action.ACCEPT),
        (S.SUBMITTED, Action.RESOLVE),
        (S.CANCELLED, Action.REOPEN),
        (S.DISPATCHED, Action.CLOSE),
    ],
)
def test_an_illegal_transition_raises(status: S, action: Action) -> None:
    with pytest.raises(IllegalTransition):
        transition(status, action)


def test_terminal_statuses_lead_nowhere_but_a_closed_request_to_reopening() -> None:
    assert not [key for key in TRANSITIONS if key[0] == S.CANCELLED]
    assert [key for key in TRANSITIONS if key[0] == S.CLOSED] == [(S.CLOSED, Action.REOPEN)]


def test_a_reopened_request_waits_for_an_accept_and_is_not_resolved_before_it() -> None:
    assert transition(S.CLOSED, Action.REOPEN) == S.REOPENED
    assert transition(S.RESOLVED, Action.REOPEN) == S.REOPENED
    assert transition(S.REOPENED, Action.ACCEPT) == S.ACCEPTED
    assert transition(S.REOPENED, Action.DECLINE) == S.ESCALATED
    with pytest.raises(IllegalTransition):
        transition(S.REOPENED, Action.RESOLVE)


def person(pid: int, roles: set[Role], teams: frozenset[str] = frozenset(), **kw: object) -> Person:
    return Person(
        id=pid,
        name=f"p{pid}",
        phone=f"1390000{pid:04d}",
        addresses=(Address("telegram", str(pid)),),
        roles=frozenset(roles),
        teams=frozenset(teams),
        **kw,  # type: ignore[arg-type]
    )


def test_routing_prefers_the_commissioner_then_the_team_then_supervisors() -> None:
    li = person(1, {Role.COMMISSIONER}, {"relief"})
    wang = person(2, {Role.COMMISSIONER}, {"finance"})
    chen = person(3, {Role.COMMISSIONER}, {"finance"})
    boss = person(4, {Role.SUPERVISOR})
    everyone = [li, wang, chen, boss]
    assert route(li, everyone, "finance") == (Tier.COMMISSIONER, [li])
    away = li.model_copy(update={"away": True})
    assert route(away, everyone, "finance") == (Tier.TEAM, [wang, chen])
    assert route(li, everyone, "finance", exclude=frozenset({1})) == (Tier.TEAM, [wang, chen])
    assert route(None, everyone, "legal") == (Tier.SUPERVISORS, [boss])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("023-12345678", "02312345678"),
    ],
)
def test_phones_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_callback_data_round_trips_within_64_bytes() -> None:
    for cb in (
        Callback(Op.ACCEPT, 123456789012),
        Callback(Op.OUTCOME, 42, "unsolvable"),
        Callback(Op.CATEGORY, arg="mass_org"),
    ):
        data = cb.encode()
        assert len(data.encode()) <= MAX_BYTES
        assert decode(data) == cb


@pytest.mark.parametrize(
    "data", ["", "garbage", "9:acc:1", "1:zzz:1", "1:acc:-1", "1:acc:x", "1:" + "a" * 70]
)
def test_malformed_callback_data_decodes_to_nothing(data: str) -> None:
    assert decode(data) is None


def test_the_built_in_catalog_is_the_shipped_config() -> None:
    from pathlib import Path

    import bot

    root = Path(bot.__file__).parent
    shipped = (root.parent / "config" / "catalog.toml").read_text(encoding="utf-8")
    built_in = (root / "domain" / "catalog_default.toml").read_text(encoding="utf-8")
    assert built_in == shipped, "copy config/catalog.toml to bot/domain/catalog_default.toml"


def test_the_catalog_maps_every_category_of_the_interface() -> None:
    from bot.config_files import load_catalog

    catalog = load_catalog(None)
    mapping = {c.key: c.team for c in catalog.categories if c.route == Route.COMMISSIONER}
    chained = [(c.key, c.zh) for c in catalog.categories if c.route == Route.CHAIN]
    assert chained == [("supply_chain", "产业链对接")]
    assert mapping == {
        "financing": "finance",
        "labor": "talent",
        "sales": "promotion",
        "permits": "relief",
        "land": "relief",
        "policy": "policy",
        "legal": "legal",
        "tax": "tax",
        "talent": "talent",
        "startup": "mentors",
        "party": "party_guidance",
        "mass_org": "mass_org",
        "other": "relief",
    }
    assert len(catalog.teams) == 10


def _member(i: int, chains: set[str], phone: str = "") -> Person:
    return Person(
        id=i,
        name=f"m{i}",
        phone=phone or f"1360000000{i}",
        addresses=(Address("telegram", str(i)),),
        roles=frozenset({Role.COMMITTEE}),
        chains=frozenset(chains),
    )


def test_a_chain_request_goes_to_its_chains_committee_then_the_supervisors() -> None:
    boss = Person(
        id=9,
        name="boss",
        phone="13700000009",
        addresses=(Address("telegram", "9"),),
        roles=frozenset({Role.SUPERVISOR}),
    )
    fish, herbs = _member(1, {"冷水鱼"}), _member(2, {"中药材", "冷水鱼"})
    people = [fish, herbs, _member(3, {"中药材"}), boss]

    committee = committee_members(people, "冷水鱼", frozenset())
    assert [p.id for p in committee] == [1, 2]
    assert route_chain(committee, people) == (Tier.COMMITTEE, [fish, herbs])
    # Both declined, or the chase moved on: the supervisors.
    assert route_chain(committee, people, frozenset({1, 2})) == (Tier.SUPERVISORS, [boss])
    assert route_chain(committee, people, start=Tier.TEAM) == (Tier.SUPERVISORS, [boss])
    # No chain, or a member who is the enterprise's own contact.
    assert committee_members(people, "", frozenset()) == []
    assert committee_members(people, "冷水鱼", frozenset(), fish.phone) == [herbs]


def test_a_commissioner_who_is_the_enterprises_contact_is_passed_over() -> None:
    li = Person(id=1, name="li", phone="13900000011", roles=frozenset({Role.COMMISSIONER}))
    own = Enterprise(id=1, name="x", credit_code="c", contact_phone=li.phone, commissioner_id=1)
    other = Enterprise(id=2, name="y", credit_code="d", contact_phone="13800000001")

    assert own_commissioner(li, own) is None
    assert own_commissioner(li, other) is li
    assert own_commissioner(None, other) is None


def test_stored_instants_read_back_exactly_and_malformed_ones_are_refused() -> None:
    """from_text's fast path reads to_text's form as strptime would, and nothing else."""
    from datetime import UTC, datetime, timedelta, timezone

    from bot.domain.clock import TEXT_FORMAT, from_text, to_text

    start = datetime(2000, 1, 1, tzinfo=UTC)
    for step in range(0, 10**15, 7_919_999_999_937):
        when = (start + timedelta(microseconds=step)).astimezone(timezone(timedelta(hours=8)))
        text = to_text(when)
        assert from_text(text) == when
        assert from_text(text) == datetime.strptime(text, TEXT_FORMAT).replace(tzinfo=UTC)
    assert from_text("2026-01-01T00:00:00.5Z") == datetime(2026, 1, 1, 0, 0, 0, 500000, UTC)
    for bad in (
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "2026-01-01 00:00:00.000000Z",
        "2026-13-01T00:00:00.000000Z",
        "2026-01-01T00:00:00+000000Z",
    ):
        with pytest.raises(ValueError):
            from_text(bad)
