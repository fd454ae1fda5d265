"""The categories, teams and the service center's contact, parsed from catalog TOML text.

Reading the file (config/catalog.toml or the packaged default) is bot.config_files' job:
the domain does no I/O.
"""

from __future__ import annotations

import tomllib

from pydantic import ValidationError

from bot.domain.models import Catalog, Category, Center, Team


def parse_catalog(text: str, where: str) -> Catalog:
    """The catalog in `text`; `where` names its source in errors (a path, "built-in catalog")."""
    try:
        raw = tomllib.loads(text)
        teams = tuple(Team(**t) for t in raw.get("teams", []))
        team_keys = {t.key for t in teams}
        categories = tuple(Category(**c) for c in raw.get("categories", []))
        center = Center(**raw.get("center", {}))
    except (tomllib.TOMLDecodeError, ValidationError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    for category in categories:
        if category.team not in team_keys:
            raise ValueError(
                f"{where}: category {category.key!r} names unknown team {category.team!r}"
            )
    if not categories or not teams:
        raise ValueError(f"{where}: needs at least one category and one team")
    return Catalog(categories=categories, teams=teams, center=center)
