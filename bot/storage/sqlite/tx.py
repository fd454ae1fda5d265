"""The SQLite transaction: every aggregate's statements on one connection, as one object."""

from __future__ import annotations

from bot.services.ports import Transaction
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


def _implements(tx: SqliteTx) -> Transaction:
    # mypy checks here that SqliteTx has every method of every repository Protocol, typed alike.
    return tx
