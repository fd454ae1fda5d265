"""Loading the categories, teams and the service center's contact from config/catalog.toml."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from bot.domain.models import Catalog, Category, Center, Team

DEFAULT_CATALOG = Path("config/catalog.toml")


def load_catalog(path: Path | None = None) -> Catalog:
    """Reads the catalog; without a file, the defaults shipped with the package."""
    if path is None and DEFAULT_CATALOG.exists():
        path = DEFAULT_CATALOG
    if path is None:
        text = resources.files("bot.domain").joinpath("catalog_default.toml").read_text("utf-8")
        where = "built-in catalog"
    else:
        text = path.read_text(encoding="utf-8")
        where = str(path)
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
