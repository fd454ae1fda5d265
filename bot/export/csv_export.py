"""The requests export as CSV files (`oncall-bot export --csv`): the same rows and cells as the
workbook (spreadsheet.py), UTF-8 with a BOM so that Excel reads the Chinese, every field quoted."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import IO

from bot.export.spreadsheet import (
    CSV_TIME,
    Cell,
    Export,
    ExportSource,
    chunks,
    event_cells,
    figures_of,
    headers,
    neutralise,
    request_cells,
)


def _csv_field(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(CSV_TIME)
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def _csv_writer(target: IO[bytes]) -> tuple[Callable[[Sequence[Cell]], None], io.TextIOWrapper]:
    # UTF-8 with a BOM, so Excel reads the Chinese; every field quoted (OWASP).
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def write(values: Sequence[Cell]) -> None:
        writer.writerow([_csv_field(v) for v in values])

    return write, text


async def write_csv(
    requests: IO[bytes],
    source: ExportSource,
    job: Export,
    events: IO[bytes] | None = None,
    figures: IO[bytes] | None = None,
) -> int:
    """Writes the Requests table as CSV (and the Events and Figures tables where given)."""
    head, event_head, figure_head = headers(job)
    write, text = _csv_writer(requests)
    write(head)
    write_event = None
    wrappers = [text]
    if events is not None:
        write_event, event_text = _csv_writer(events)
        wrappers.append(event_text)
        write_event(event_head)
    count = 0
    async for rows, happened in chunks(source, job):
        for row in rows:
            write(request_cells(row, job))
        if write_event is not None:
            for event in happened:
                write_event(event_cells(event, job))
        count += len(rows)
    if figures is not None:
        write_figure, figure_text = _csv_writer(figures)
        wrappers.append(figure_text)
        write_figure(figure_head)
        for line in await figures_of(source, job):
            write_figure(line)
    for wrapper in wrappers:
        wrapper.flush()
        wrapper.detach()  # the caller owns (and closes) the binary file
    return count
