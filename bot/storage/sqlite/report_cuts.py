"""The cuts report figures are grouped by, as SQL over the report facts (README "Figures by cut").

Every key is a column (the commissioner's: two) of ``request_facts f``, and of the marks
(``report_marks``, read as ``f`` too, which carry the same keys); the county total is the
single group "".
"""

from __future__ import annotations

import re

from bot.domain import kpis
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


def needs_request(key: str) -> bool:
    """Whether a cut's key reads the request (r) or its enterprise (e), not only the facts."""
    return re.search(r"\b[re]\.", key) is not None


def counts_sql(key: str, kinds: str = "f.kind = ?") -> str:
    """Distinct requests with a mark of a kind in a period, by group (and kind): the marks'
    covering index (report_marks_at), no event payload and no join. Parameters: the period's
    start, the kinds', the start again and the end (a request counts once: by its first mark
    in the period, the one with no mark of its kind before the period)."""
    return (
        f"SELECT {key} AS k, f.kind AS kind, SUM(f.prev_us IS NULL OR f.prev_us < ?) AS n "
        f"FROM report_marks f WHERE {kinds} AND f.at_us >= ? AND f.at_us < ? GROUP BY k, kind"
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
