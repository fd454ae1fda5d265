"""The SQLite transaction: every aggregate's statements on one connection, as one object."""

from __future__ import annotations

from bot.services.ports import Transaction
from bot.storage.sqlite.base import short
from bot.storage.sqlite.drafts import DraftsSql
from bot.storage.sqlite.enterprises import EnterprisesSql
from bot.storage.sqlite.health import HealthSql
from bot.storage.sqlite.inbox import InboxSql
from bot.storage.sqlite.lists import ListsSql
from bot.storage.sqlite.outbox import OutboxSql
from bot.storage.sqlite.people import PeopleSql
from bot.storage.sqlite.reports import ReportsSql
from bot.storage.sqlite.requests import RequestsSql
from bot.storage.sqlite.retention import RetentionSql


class SqliteTx(
    PeopleSql,
    EnterprisesSql,
    RequestsSql,
    ListsSql,
    ReportsSql,  # the event log (EventsSql) and its report projection
    OutboxSql,
    InboxSql,
    RetentionSql,
    DraftsSql,
    HealthSql,
):
    """The statements of one unit of work, all on one connection inside one transaction.

    One object rather than tx.people, tx.outbox…: a use case reads as `tx.request(id)`, and
    every aggregate's class stays small and on its own.
    """


# The methods whose statements take microseconds (a row by its key, a few by an index): on
# the loop's thread where their unit allows it (base.Lane). Any method not named here — sweep
# batches, reports, export, lists, retention, imports — runs in aiosqlite's thread.
SHORT = (
    # people
    "person", "person_at", "person_by_phone", "people_with_role", "names_and_roles",
    "bind_address", "set_language", "set_away", "set_phone", "set_teams", "set_chains",
    "mark_unreachable", "mark_reachable",
    # enterprises
    "enterprise", "enterprise_by_code", "enterprises_of_contact",
    # requests
    "request", "insert_request", "move", "claim", "set_due", "set_next_step", "offer",
    "offered", "withdraw_offers",
    # events, inbox, drafts, health
    "append", "store_updates", "is_processed", "mark_processed", "start_handling",
    "add_dead_letter", "draft", "save_draft", "delete_draft", "heartbeat", "record_restart",
    "claim_chat_notice",
    # outbox
    "enqueue", "due_messages", "next_head_due_at", "mark_sent", "mark_failed", "defer",
    "save_ref", "ref", "delete_ref", "request_of_message",
)  # fmt: skip
for _name in SHORT:
    setattr(SqliteTx, _name, short(getattr(SqliteTx, _name)))


def _implements(tx: SqliteTx) -> Transaction:
    # mypy checks here that SqliteTx has every method of every repository Protocol, typed alike.
    return tx
