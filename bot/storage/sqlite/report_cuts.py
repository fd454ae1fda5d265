"""The cuts report figures are grouped by, as SQL over the report facts (README "Figures by cut").

Every key is an expression over ``request_facts f`` (and, for a few, the requests ``r`` and
their enterprises ``e``); the county total is the single group "".
"""

from __future__ import annotations

import re

from bot.domain import kpis
from bot.domain.kinds import EventKind
from bot.domain.kpis import Cut
from bot.domain.models import RequestStatus

# The definition of each cut's key, over the facts `f`, the request `r` and its enterprise `e`:
# computed when the facts are (report_facts.py) and stored in the facts' column of that name.
DEFINITIONS: dict[Cut, str] = {
    Cut.COUNTY: "''",
    Cut.CATEGORY: "r.category",
    Cut.INDUSTRY: "e.industry",
    Cut.CHAIN: "e.chain",
}
# The person a request is attributed to: who first resolved it, else who holds it now.
WHO = "COALESCE(f.resolver_id, f.holder_id)"
_COMMITTEE_MEMBER = (
    "EXISTS (SELECT 1 FROM person_roles pr WHERE pr.person_id = {who} "
    "AND pr.role = 'committee' AND pr.active = 1)"
)
_TEAM_MEMBER = "EXISTS (SELECT 1 FROM team_members tm WHERE tm.person_id = {who})"
DEFINITIONS |= {
    Cut.COMMISSIONER: WHO,
    Cut.TEAM: f"(SELECT MIN(tm.team) FROM team_members tm WHERE tm.person_id = {WHO})",
    Cut.COMMITTEE: f"CASE WHEN {_COMMITTEE_MEMBER.format(who=WHO)} THEN e.chain END",
    Cut.CREDIT: (
        "CASE WHEN f.resolver_id IS NULL THEN NULL "
        f"WHEN f.resolver_id = e.commissioner_id THEN '{kpis.CREDIT_COMMISSIONER}' "
        f"WHEN {_COMMITTEE_MEMBER.format(who='f.resolver_id')} THEN '{kpis.CREDIT_COMMITTEE}' "
        f"WHEN {_TEAM_MEMBER.format(who='f.resolver_id')} THEN '{kpis.CREDIT_TEAM}' "
        f"ELSE '{kpis.CREDIT_OTHER}' END"
    ),
}
# The stored keys (0015), in the facts' column order.
KEY_COLUMNS: dict[Cut, str] = {
    cut: cut.value
    for cut in (Cut.CATEGORY, Cut.INDUSTRY, Cut.CHAIN, Cut.TEAM, Cut.COMMITTEE, Cut.CREDIT)
}
# The group key of each cut as the report queries read it: a column of the facts `f` (the
# commissioner's is two), so no figure joins the requests, the enterprises or the roster.
KEYS: dict[Cut, str] = {
    Cut.COUNTY: "''",
    Cut.COMMISSIONER: WHO,
    **{cut: f"f.{column}" for cut, column in KEY_COLUMNS.items()},
}
OPEN = ", ".join(
    f"'{s.value}'"
    for s in (
        RequestStatus.SUBMITTED,
        RequestStatus.DISPATCHED,
        RequestStatus.ESCALATED,
        RequestStatus.ACCEPTED,
        RequestStatus.REOPENED,
    )
)

# Counted when the event kind exists (issue 12: reopening may come later), else 0.
REOPENED_KIND: EventKind | None = EventKind.__members__.get("REOPENED")


def needs_request(key: str) -> bool:
    """Whether a cut's key reads the request (r) or its enterprise (e), not only the facts."""
    return re.search(r"\b[re]\.", key) is not None


def events_from(key: str) -> str:
    """The events of requests, joined to what the cut's key reads."""
    facts = "JOIN request_facts f ON f.request_id = ev.request_id " if "f." in key else ""
    if not needs_request(key):
        return f"events ev {facts}".rstrip()
    return (
        f"events ev {facts}JOIN requests r ON r.id = ev.request_id "
        "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
    )


# A `closed` event counts as "closed unrated" only when the sweep closed it (payload auto).
AUTO = {EventKind.CLOSED: " AND json_extract(ev.payload, '$.auto') = 1"}


def counts_sql(kind: EventKind, key: str) -> str:
    return (
        f"SELECT {key} AS k, COUNT(DISTINCT ev.request_id) AS n FROM {events_from(key)} "
        f"WHERE ev.kind = '{kind.value}' AND ev.at >= ? AND ev.at < ?{AUTO.get(kind, '')} "
        "GROUP BY k"
    )


def facts_from(by: Cut, table: str = "request_facts") -> str:
    """`table` as f (any table keyed by request_id), joined to what the cut's key reads."""
    if by is Cut.COUNTY or not needs_request(KEYS[by]):
        return f"{table} f"
    return (
        f"{table} f JOIN requests r ON r.id = f.request_id "
        "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
    )


def ratings_from(by: Cut) -> str:
    """The ratings as g, joined to what the cut's key reads (the facts as f)."""
    facts = "JOIN request_facts f ON f.request_id = g.request_id " if "f." in KEYS[by] else ""
    if by is Cut.COUNTY or not needs_request(KEYS[by]):
        return f"ratings g {facts}".rstrip()
    return (
        f"ratings g {facts}JOIN requests r ON r.id = g.request_id "
        "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
    )
