"""Report charts: PNGs of the expected size; every label has glyphs in the font it is drawn in."""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.export import charts
from bot.i18n import LANGUAGES, translator

START = date(2026, 11, 1)
DAYS = [
    charts.DayFigures(
        START + timedelta(days=i),
        received=i % 7,
        resolved=(3 * i) % 5,
        response=None if i % 4 == 0 else 0.75,
        resolution=0.5,
        satisfaction=1.0,
    )
    for i in range(30)
]
TEAMS = [
    charts.TeamFigures("融资服务队", 12, 9),
    charts.TeamFigures("法律援助队", 3, 1),
    charts.TeamFigures("Talent team", 8, 2),
]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _drawn(build: Callable[[], Figure]) -> Figure:
    with charts.chart_style():
        figure = build()
        FigureCanvasAgg(figure).draw()  # lays out ticks, so their labels exist
        return figure


def _missing_glyphs(figure: Figure) -> list[str]:
    with charts.chart_style():
        path = charts.font_path()
        cmap = TTFont(path, fontNumber=0, lazy=True).getBestCmap()
        missing = []
        for text in charts.texts(figure):
            used = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
            if used != str(path):
                missing.append(f"{text.get_text()!r} is drawn in {used}")
            missing += [
                f"{c!r} of {text.get_text()!r}"
                for c in text.get_text()
                if not c.isspace() and ord(c) not in cmap
            ]
        return missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_daily_chart_is_a_png_of_the_expected_size(lang: str) -> None:
    assert _png_size(charts.daily_chart(DAYS, lang)) == (charts.WIDTH_PX, charts.HEIGHT_PX)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_team_chart_is_a_png_of_the_expected_size(lang: str) -> None:
    png = charts.team_chart(TEAMS, START, START + timedelta(days=6), lang)
    assert _png_size(png) == (charts.WIDTH_PX, charts.HEIGHT_PX)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_label_of_the_daily_chart_has_glyphs_in_the_cjk_font(lang: str) -> None:
    figure = _drawn(lambda: charts.daily_figure(DAYS, lang))
    shown = {t.get_text() for t in charts.texts(figure)}
    _ = translator(lang)
    assert _(charts.RECEIVED) in shown and _(charts.SATISFACTION) in shown
    assert "11/30" in shown
    assert _missing_glyphs(figure) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_label_of_the_team_chart_has_glyphs_in_the_cjk_font(lang: str) -> None:
    figure = _drawn(lambda: charts.team_figure(TEAMS, START, START + timedelta(days=6), lang))
    shown = {t.get_text() for t in charts.texts(figure)}
    assert {"融资服务队", "法律援助队", "Talent team"} <= shown
    assert _missing_glyphs(figure) == []


def test_chinese_labels_are_chinese() -> None:
    figure = _drawn(lambda: charts.daily_figure(DAYS, "zh"))
    title = figure.get_suptitle()
    assert title == translator("zh")(charts.TITLE_DAILY).format(days=30)
    assert any("\u4e00" <= c <= "\u9fff" for c in title)


def test_a_period_with_nothing_says_so() -> None:
    empty = [
        charts.DayFigures(START + timedelta(days=i), 0, 0, None, None, None) for i in range(30)
    ]
    figure = _drawn(lambda: charts.daily_figure(empty, "en"))
    assert charts.NO_DATA in {t.get_text() for t in charts.texts(figure)}
    no_teams = _drawn(lambda: charts.team_figure([], START, START, "zh"))
    assert translator("zh")(charts.NO_DATA) in {t.get_text() for t in charts.texts(no_teams)}


def test_charts_are_drawn_off_the_event_loop() -> None:
    threads: list[int] = []

    def draw() -> bytes:
        threads.append(threading.get_ident())
        return charts.daily_chart(DAYS[:7], "zh")

    async def main() -> bytes:
        threads.append(threading.get_ident())
        return await charts.render_off_loop(draw)

    png = asyncio.run(main())
    assert _png_size(png) == (charts.WIDTH_PX, charts.HEIGHT_PX)
    loop_thread, draw_thread = threads
    assert draw_thread != loop_thread


async def test_one_chart_is_drawn_once_for_every_reader_of_the_same_language() -> None:
    """The digest's chart to three supervisors: one drawing per language, not one per reader."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from bot.channels.telegram.outbox import TelegramChannel
    from bot.config_files import load_catalog
    from bot.domain.kinds import MessageKind
    from bot.domain.models import Message, Person

    channel = TelegramChannel(None, load_catalog(), ZoneInfo("Asia/Shanghai"), "zh")  # type: ignore[arg-type]
    message = Message(recipient_id=1, kind=MessageKind.DIGEST_CHART, params={"points": "[]"})
    readers = [Person(id=n, name="x", phone=str(n), language=lang) for n, lang in
               ((1, "zh"), (2, "zh"), (3, "en"))]  # fmt: skip
    outs = [channel.render(message, reader, None) for reader in readers]
    assert outs[0].draw_key == outs[1].draw_key != outs[2].draw_key
    other = Message(recipient_id=1, kind=MessageKind.DIGEST_CHART, params={"points": "[]", "n": 1})
    assert channel.render(other, readers[0], None).draw_key != outs[0].draw_key

    drawn: list[str] = []

    def drawing(name: str) -> Callable[[], bytes]:
        def draw() -> bytes:
            drawn.append(name)
            return name.encode()

        return draw

    pictures = await asyncio.gather(
        *(channel._picture(replace(o, draw=drawing(f"{o.draw_key}"))) for o in outs)
    )
    assert pictures[0] == pictures[1] and sorted(set(drawn)) == sorted(drawn)
    assert len(drawn) == 2  # zh once, en once
