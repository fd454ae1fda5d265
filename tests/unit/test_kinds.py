"""Message and event kinds are enum members, and every message kind has its one renderer."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram import renderers, texts
from bot.channels.telegram.renderers import RENDERERS, Context, renders
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.kpis import Counts, Digest, Rate, Rates
from bot.domain.models import (
    Catalog,
    Enterprise,
    Message,
    Person,
    Request,
    RequestStatus,
    Role,
    Urgency,
)
from bot.services.desk import RequestView
from bot.services.reach import UNREACHABLE
from bot.services.sla import ACCEPT_TIMEOUT
from tests.conftest import World
from tests.integration.flows import accepted_request

BOT = Path(__file__).resolve().parents[2] / "bot"


def test_every_message_kind_has_a_renderer() -> None:
    missing = sorted(set(MessageKind) - set(RENDERERS))
    assert missing == [], f"message kinds without a renderer: {missing}"


def test_every_renderer_is_registered_for_a_message_kind() -> None:
    strays = [k for k in RENDERERS if not isinstance(k, MessageKind)]
    assert strays == []
    assert all(callable(r) for r in RENDERERS.values())


def test_a_kind_cannot_get_a_second_renderer() -> None:
    with pytest.raises(ValueError, match="renderer already"):
        renders(MessageKind.CARD)(renderers.card)
    assert RENDERERS[MessageKind.CARD] is renderers.card


def test_kinds_keep_the_strings_the_database_holds() -> None:
    # StrEnum members equal their stored strings, so existing rows read back unchanged.
    assert MessageKind("card") is MessageKind.CARD and MessageKind.CARD == "card"
    assert EventKind("submitted") is EventKind.SUBMITTED and EventKind.SUBMITTED == "submitted"
    for kind in (*MessageKind, *EventKind):
        assert kind.value == kind.name.lower()


NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
HOLDER = Person(id=2, name="Li", phone="13900000011", roles=frozenset({Role.COMMISSIONER}))
OWNER = Person(id=1, name="Zhang", phone="13800000001", roles=frozenset({Role.OWNER}))
VIEW = RequestView(
    request=Request(
        id=7,
        enterprise_id=1,
        owner_id=1,
        category="finance",
        description="a loan",
        urgency=Urgency.NORMAL,
        status=RequestStatus.ACCEPTED,
        holder_id=2,
        created_at=NOW,
        due_at=NOW,
    ),
    enterprise=Enterprise(id=1, name="Trout farm", credit_code="91500000000000000X"),
    owner=OWNER,
    holder=HOLDER,
    offered=(HOLDER,),
)
_RATE = Rate(hits=1, total=2)
_RATES = Rates(
    response=_RATE, resolution=_RATE, satisfaction=_RATE, mtta_seconds=60.0, mttr_seconds=None
)
DIGEST = Digest(
    report_date=NOW.date(),
    day=NOW.date(),
    month_start=NOW.date().replace(day=1),
    as_of=NOW,
    overdue=(),
    counts=Counts(received=1, accepted=1, resolved=0, escalated=0, overdue=0),
    day_rates=_RATES,
    month_rates=_RATES,
    accept_within_seconds=1800.0,
)
# Params as the services write them (only what a renderer reads without a default).
PARAMS: dict[MessageKind, dict[str, str | int | float | bool | None]] = {
    MessageKind.ATTACHMENT: {"file_id": "F1", "file_kind": "photo"},
    MessageKind.DIGEST: {"digest": DIGEST.model_dump_json()},
    MessageKind.DEAD_LETTER: {"update_id": 12, "reason": "bad"},
}
STANDALONE = {
    MessageKind.DIGEST,
    MessageKind.DEAD_LETTER,
    MessageKind.UNREACHABLE_REPORT,
    MessageKind.AWAY_NOTICE,
    MessageKind.PERSON_REBOUND,
    MessageKind.DIGEST_CHART,
    MessageKind.TEAM_CHART,
    MessageKind.WEEK_SUMMARY,
}


def _context(kind: MessageKind, **params: str | int | float | bool | None) -> Context:
    message = Message(
        recipient_id=HOLDER.id,
        kind=kind,
        request_id=None if kind in STANDALONE else VIEW.request.id,
        params={**PARAMS.get(kind, {}), **params},
    )
    view = None if kind in STANDALONE else VIEW
    return Context(message, HOLDER, view, Catalog(categories=(), teams=()), "en", ZoneInfo("UTC"))


@pytest.mark.parametrize("kind", list(MessageKind))
def test_each_renderer_renders_its_kind(kind: MessageKind) -> None:
    out = RENDERERS[kind](_context(kind))
    assert out.text.strip()
    if kind not in STANDALONE and kind is not MessageKind.ATTACHMENT:
        assert "#7" in out.text


def test_the_card_is_edited_in_place_unless_fresh() -> None:
    assert RENDERERS[MessageKind.CARD](_context(MessageKind.CARD)).edit_key == "card"
    fresh = RENDERERS[MessageKind.CARD](_context(MessageKind.CARD, fresh=True))
    assert fresh.edit_key is None and fresh.ref_key == "card"


def test_files_go_out_as_files() -> None:
    attachment = RENDERERS[MessageKind.ATTACHMENT](_context(MessageKind.ATTACHMENT))
    assert (attachment.file_id, attachment.photo, attachment.silent) == ("F1", True, True)
    relay = RENDERERS[MessageKind.RELAY](
        _context(MessageKind.RELAY, text="x" * 5000, file_id="D1", file_kind="document")
    )
    assert (relay.file_id, relay.photo, relay.edit_key) == ("D1", False, None)
    assert "x" * (renderers.CAPTION_TEXT - 1) + "…" in relay.text
    assert "x" * renderers.CAPTION_TEXT not in relay.text


def test_an_escalation_is_worded_by_its_reason() -> None:
    texts = {
        RENDERERS[MessageKind.ESCALATED](_context(MessageKind.ESCALATED, reason=why)).text
        for why in (None, ACCEPT_TIMEOUT, UNREACHABLE)
    }
    assert len(texts) == 3


def _kind_arguments() -> list[tuple[str, int, str, ast.expr]]:
    """The kind passed to every notify(...) and record(...) call and Message/Event(kind=...)."""
    found: list[tuple[str, int, str, ast.expr]] = []
    for path in sorted(BOT.rglob("*.py")):
        if "simulator" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            where = str(path.relative_to(BOT.parent))
            if name == "notify" and len(node.args) >= 3:
                found.append((where, node.lineno, name, node.args[2]))
            elif name == "record" and len(node.args) >= 4:
                found.append((where, node.lineno, name, node.args[3]))
            elif name in ("Message", "Event"):
                found += [
                    (where, node.lineno, name, k.value) for k in node.keywords if k.arg == "kind"
                ]
    return found


def _outcomes(arg: ast.expr) -> list[ast.expr]:
    """The expressions a kind argument can evaluate to (both sides of a conditional)."""
    if isinstance(arg, ast.IfExp):
        return [*_outcomes(arg.body), *_outcomes(arg.orelse)]
    return [arg]


def test_no_kind_is_a_bare_string_in_the_code() -> None:
    calls = _kind_arguments()
    assert len(calls) > 40  # the scan sees the services' calls
    bare = [
        f"{where}:{line} {name}({ast.unparse(arg)})"
        for where, line, name, arg in calls
        for leaf in _outcomes(arg)
        if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str)
    ]
    assert bare == [], "kinds must be MessageKind / EventKind members"


async def test_every_kind_a_flow_stores_is_a_member(world: World) -> None:
    await accepted_request(world)
    await world.runtime.sender.drain()
    async with world.runtime.db.read() as tx:
        messages = {str(r["kind"]) for r in await tx._all("SELECT kind FROM outbox")}
        events = {str(r["kind"]) for r in await tx._all("SELECT kind FROM events")}
    assert messages >= {"card", "received", "accepted"}
    assert events >= {"submitted", "dispatched", "accepted"}
    assert messages <= {k.value for k in MessageKind}
    assert events <= {k.value for k in EventKind}


@pytest.mark.parametrize(("lang", "joined"), [("zh", "李专员、王专员"), ("en", "李专员, 王专员")])
def test_the_people_a_request_went_to_are_listed_in_the_readers_language(
    lang: str, joined: str
) -> None:
    text = texts.received(VIEW.request, {"tier": "team", "names": "李专员\n王专员"}, lang)
    assert joined in text
