"""Callback data: a versioned, compact key (≤ 64 bytes). It names an action, never grants one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

VERSION = "1"
MAX_BYTES = 64


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
    CARD = "cd"  # a request's card (arg: the list to go back to)
    TIMELINE = "tl"  # a request's timeline (arg: <page>.<list key>)
    # The owner withdraws a request: ask, confirm, then a reason or Skip (or keep it).
    WITHDRAW = "wd"
    WITHDRAW_YES = "wy"
    WITHDRAW_SKIP = "ws"
    WITHDRAW_KEEP = "wk"
    # A page of a /stats answer (request_id: the page; arg: <first>.<last>.<cut>, re-checked).
    STATS = "st"


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
