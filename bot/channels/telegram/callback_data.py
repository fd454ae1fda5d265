"""Callback data: a versioned, compact key (≤ 64 bytes). It names an action, never grants one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, unique

VERSION = "1"
MAX_BYTES = 64


@unique  # two ops sharing a value would silently become one
class Op(StrEnum):
    ACCEPT = "acc"
    DECLINE = "dec"
    RESOLVE = "res"
    OUTCOME = "out"
    NOTE = "not"
    RATE = "rat"
    CATEGORY = "cat"
    ENTERPRISE = "ent"
    ATTACH_DONE = "atd"
    URGENCY = "urg"
    SUBMIT = "sub"
    CANCEL = "can"
    LANG = "lng"
    EXTENSION = "ext"  # a supervisor's decision on an extension (arg y<ask> / n<ask>)
    # Lists, cards and timelines (bot.handlers.lists); arg: a list key (keyboards_lists).
    LIST = "ls"  # a page of a list
    TEAMS = "lt"  # the supervisors' team picker for /open
    CHAINS = "lc"  # the supervisors' chain picker for /chain
    # The supervisors' /roster (bot.handlers.roster): a page, a person's entry, a new phone.
    ROSTER = "rs"
    PERSON = "rp"
    PHONE = "rh"
    CARD = "cd"  # a request's card (arg: the list to go back to)
    TIMELINE = "tl"  # a request's timeline (arg: <page>.<list key>)
    # The owner withdraws a request: ask, confirm, then a reason or Skip (or keep it).
    WITHDRAW = "wd"
    WITHDRAW_YES = "wy"
    WITHDRAW_SKIP = "ws"
    WITHDRAW_KEEP = "wk"
    # Internal notes (bot.services.notes): ask for one; share one with the owner (arg: step).
    INTERNAL_NOTE = "in"
    SHARE_WITH_OWNER = "so"
    # After resolution (bot.handlers.aftercare): reopen, and the rating's comment or none.
    REOPEN = "ro"
    COMMENT = "cm"
    NO_COMMENT = "nc"
    # Reasons and hand-backs (bot.handlers.handoff): arg a bot.domain.handoff.Reason value.
    DECLINE_REASON = "dr"
    HANDBACK = "hb"
    HANDBACK_REASON = "hr"
    # A supervisor's routing pickers; arg <ask>.<t-TEAM | p-ID | h | pp-PAGE | tm>.
    ROUTE = "rt"
    # A page of a /stats answer (request_id: the page; arg: <first>.<last>.<cut>, re-checked).
    STATS = "st"
    # "Open a new request" under a reply about a finished request: starts the /new form.
    NEW_REQUEST = "nw"


@dataclass(frozen=True)
class Callback:
    op: Op
    request_id: int | None = None
    arg: str | None = None

    def encode(self) -> str:
        parts = [VERSION, self.op.value, str(self.request_id or ""), self.arg or ""]
        data = ":".join(parts).rstrip(":")
        if not 1 <= len(data.encode()) <= MAX_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data


def decode(data: str | None) -> Callback | None:
    """The callback a button carried, or None for anything malformed or from another version."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != VERSION:
        return None
    try:
        op = Op(parts[1])
    except ValueError:
        return None
    request_id: int | None = None
    if len(parts) > 2 and parts[2]:
        if not parts[2].isdigit() or len(parts[2]) > 12:
            return None
        request_id = int(parts[2])
    arg = parts[3] if len(parts) > 3 and parts[3] else None
    return Callback(op, request_id, arg)


def pattern(*ops: Op) -> str:
    """A regex for CallbackQueryHandler matching these ops."""
    return rf"^{VERSION}:({'|'.join(o.value for o in ops)})(:|$)"
