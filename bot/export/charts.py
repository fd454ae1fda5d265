"""Report charts as PNG bytes (matplotlib, no pyplot), in Chinese or English with a CJK font.

The font comes with the project's own dependencies (Noto Sans CJK SC from the ``mplfonts``
wheel), so Chinese labels render as glyphs, not boxes, on a server with no fonts installed.
Rendering takes a few hundred milliseconds of CPU: callers on the event loop use
:func:`render_off_loop`, which runs it in a worker thread.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bot.i18n import translator

FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"
WIDTH_PX, HEIGHT_PX, DPI = 1200, 900, 100
# Matplotlib's own state (font cache, text layout) is not thread-safe; one figure at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class DayFigures:
    """One local day of the county's figures; a rate is None when there was nothing to count."""

    day: date
    received: int
    resolved: int
    response: float | None
    resolution: float | None
    satisfaction: float | None


@dataclass(frozen=True)
class TeamFigures:
    """One team's received and resolved requests over a period."""

    team: str  # the team's name in the reader's language
    received: int
    resolved: int


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when the chart is drawn."""
    return message


TITLE_DAILY = N_("Requests and rates, last {days} days")
TITLE_TEAMS = N_("Requests by team, {start} to {end}")
RECEIVED = N_("Received requests")
RESOLVED = N_("Resolved requests")
REQUESTS = N_("Number of requests")
RESPONSE = N_("Response rate")
RESOLUTION = N_("Resolution rate")
SATISFACTION = N_("Satisfaction rate")
RATE = N_("Rate (%)")
NO_DATA = N_("No requests in this period")


@cache
def font_path() -> Path:
    """The CJK font file shipped in the ``mplfonts`` wheel, found without importing the package."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise RuntimeError(f"the {FONT_PACKAGE} package (CJK font for charts) is not installed")
    path = Path(next(iter(locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall {FONT_PACKAGE}")
    return path


@cache
def font_family() -> str:
    """Registers the CJK font with matplotlib once and returns its family name."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return FontProperties(fname=path).get_name()


def daily_chart(days: Sequence[DayFigures], lang: str) -> bytes:
    """Received vs resolved per day (bars) above the three rates' daily trend (lines)."""
    return _render(lambda: daily_figure(days, lang))


def team_chart(teams: Sequence[TeamFigures], start: date, end: date, lang: str) -> bytes:
    """Received vs resolved per team over a period (horizontal bars, busiest team on top)."""
    return _render(lambda: team_figure(teams, start, end, lang))


async def render_off_loop(draw: Callable[[], bytes]) -> bytes:
    """Draws in a worker thread so the bot keeps answering while a chart is made."""
    return await asyncio.to_thread(draw)


def daily_figure(days: Sequence[DayFigures], lang: str) -> Figure:
    """The daily chart's figure; call it inside :func:`chart_style` (as daily_chart does)."""
    _ = translator(lang)
    figure = _figure()
    counts, rates = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    figure.suptitle(_(TITLE_DAILY).format(days=len(days)), fontsize=15)
    x = list(range(len(days)))
    width = 0.4
    counts.bar([i - width / 2 for i in x], [d.received for d in days], width, label=_(RECEIVED))
    counts.bar([i + width / 2 for i in x], [d.resolved for d in days], width, label=_(RESOLVED))
    counts.set_ylabel(_(REQUESTS))
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    for label, values in (
        (RESPONSE, [d.response for d in days]),
        (RESOLUTION, [d.resolution for d in days]),
        (SATISFACTION, [d.satisfaction for d in days]),
    ):
        rates.plot(x, [_percent(v) for v in values], marker="o", markersize=3, label=_(label))
    rates.set_ylim(0, 105)
    rates.set_ylabel(_(RATE))
    rates.set_xticks(x, [f"{d.day.month}/{d.day.day}" for d in days], rotation=90, fontsize=8)
    for axes in (counts, rates):
        axes.grid(alpha=0.3)
        # Above the plot, not on it: inside, the box hid the first days' bars and the rates
        # near 0 % or 100 %, whatever corner it took.
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=3, fontsize=9, frameon=False)
    if not any(d.received or d.resolved for d in days):
        counts.text(0.5, 0.5, _(NO_DATA), transform=counts.transAxes, ha="center", fontsize=13)
    return figure


def team_figure(teams: Sequence[TeamFigures], start: date, end: date, lang: str) -> Figure:
    """The team chart's figure; call it inside :func:`chart_style` (as team_chart does)."""
    _ = translator(lang)
    figure = _figure()
    axes = figure.subplots()
    title = _(TITLE_TEAMS).format(start=start.isoformat(), end=end.isoformat())
    figure.suptitle(title, fontsize=15)
    ordered = sorted(teams, key=lambda t: (t.received, t.resolved))
    y = list(range(len(ordered)))
    height = 0.4
    axes.barh([i + height / 2 for i in y], [t.received for t in ordered], height, label=_(RECEIVED))
    axes.barh([i - height / 2 for i in y], [t.resolved for t in ordered], height, label=_(RESOLVED))
    axes.set_yticks(y, [t.team for t in ordered])
    axes.set_xlabel(_(REQUESTS))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=9)
    if not ordered:
        axes.text(0.5, 0.5, _(NO_DATA), transform=axes.transAxes, ha="center", fontsize=13)
    return figure


@contextmanager
def chart_style() -> Iterator[None]:
    """Every text in the CJK font (it has Latin and digits too), under the one drawing lock."""
    family = font_family()
    with (
        _LOCK,
        matplotlib.rc_context(
            {
                "font.family": "sans-serif",
                "font.sans-serif": [family],
                "axes.unicode_minus": False,  # U+2212 is not in every CJK font; "-" is
            }
        ),
    ):
        yield


def texts(figure: Figure) -> list[Text]:
    """Every non-empty text a drawn figure shows: titles, labels, tick labels, legends."""
    return [t for t in figure.findobj(Text) if isinstance(t, Text) and t.get_text()]


def _render(build: Callable[[], Figure]) -> bytes:
    with chart_style():
        figure = build()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure() -> Figure:
    # Figure() without pyplot: no global figure registry, nothing to close, no GUI backend.
    return Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")


def _percent(value: float | None) -> float:
    return float("nan") if value is None else 100 * value
