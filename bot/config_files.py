"""Reading the data files under config/: the request catalog and the working-day calendar.

The domain only parses (bot.domain.catalog.parse_catalog, bot.domain.deadlines.parse_calendar)
and does no I/O; the files are read here, once, at start-up (bootstrap, the CLI). This sits
beside bot/settings.py, which reads config/settings.toml the same way, rather than in
bot/storage, which is the database adapter behind the services' ports.
"""

from __future__ import annotations

from datetime import time
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.catalog import parse_catalog
from bot.domain.deadlines import (
    DEFAULT_BUSINESS_START,
    DEFAULT_CALENDAR_PATH,
    DEFAULT_TZ,
    WorkCalendar,
    parse_calendar,
)
from bot.domain.models import Catalog

DEFAULT_CATALOG = Path("config/catalog.toml")
DEFAULT_CALENDAR = DEFAULT_CALENDAR_PATH
# Shipped with the package: the catalog when the working directory has no config/catalog.toml.
BUILT_IN_CATALOG = ("bot.domain", "catalog_default.toml")


def load_catalog(path: Path | None = None) -> Catalog:
    """Reads the catalog; without a file, config/catalog.toml if present, else the built-in."""
    if path is None and DEFAULT_CATALOG.exists():
        path = DEFAULT_CATALOG
    if path is None:
        package, name = BUILT_IN_CATALOG
        return parse_catalog(
            resources.files(package).joinpath(name).read_text("utf-8"), "built-in catalog"
        )
    return parse_catalog(path.read_text(encoding="utf-8"), str(path))


def load_calendar(
    path: Path | None,
    tz: ZoneInfo = DEFAULT_TZ,
    *,
    business_start: time = DEFAULT_BUSINESS_START,
) -> WorkCalendar:
    """The work calendar from the package plus the overrides in `path` (None: no file)."""
    if path is None:
        return WorkCalendar(tz=tz, business_start=business_start)
    # Decoded as tomllib.load would: UTF-8, line endings kept as they are.
    text = path.read_bytes().decode()
    return parse_calendar(text, tz, business_start=business_start, source=path)


def default_calendar() -> Path | None:
    """config/calendar.toml when the working directory has one."""
    return DEFAULT_CALENDAR if DEFAULT_CALENDAR.exists() else None
