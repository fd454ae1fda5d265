"""/export built in a child process, so a big export never slows the bot's taps.

Building rows and writing them with openpyxl is pure Python: in a thread of the bot it shares
the GIL with the event loop, and taps waited up to 0.6 s behind an export of 110,000 requests
(bench/BENCHMARKS.md). A child process has an interpreter of its own: it opens the database
file on a read-only connection (one consistent snapshot, as `oncall-bot export` reads it),
writes the workbook into a private temporary folder and prints how many requests it holds.

The child is `python -m bot.export.process`, given its job as JSON on stdin. It inherits no
token (the environment is passed without ONCALL_TOKEN), configures no logging and never writes
to the database. One export runs at a time per bot; a second asked for meanwhile is refused
(ExportBusy) rather than queued behind a long one. A child that fails or is killed raises
ExportFailed; stopping the bot kills a running child. Nothing is left in the temporary folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.models import Catalog
from bot.export.spreadsheet import Export, write_xlsx
from bot.storage.uow import read_only

log = logging.getLogger(__name__)

# Environment variables a child must not see: it needs the database, not the bot's identity.
SECRET_VARIABLES = ("ONCALL_TOKEN",)


class ExportBusy(Exception):
    """Another export is being built; this bot builds one at a time."""


class ExportFailed(Exception):
    """The child process failed or was killed; its error is in the log."""


def job_json(job: Export, db_path: str, target: str) -> str:
    """What the child needs to build `job` from `db_path` into `target`, as JSON."""
    return json.dumps(
        {
            "db": db_path,
            "target": target,
            "catalog": job.catalog.model_dump(mode="json"),
            "lang": job.lang,
            "tz": job.tz.key,
            "now": job.now.isoformat(),
            "since": job.since.isoformat() if job.since else None,
            "until": job.until.isoformat() if job.until else None,
        },
        ensure_ascii=False,
    )


def job_from_json(text: str) -> tuple[Export, str, str]:
    """The job, database path and target the parent sent (the inverse of job_json)."""
    data: dict[str, Any] = json.loads(text)

    def instant(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    now = instant(data["now"])
    assert now is not None
    job = Export(
        catalog=Catalog.model_validate(data["catalog"]),
        lang=str(data["lang"]),
        tz=ZoneInfo(str(data["tz"])),
        now=now,
        since=instant(data["since"]),
        until=instant(data["until"]),
    )
    return job, str(data["db"]), str(data["target"])


async def build(text: str) -> int:
    """In the child: writes the workbook the job names; returns the number of requests."""
    job, db_path, target = job_from_json(text)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        async with read_only(db_path) as tx:
            return await write_xlsx(out, tx, job)


def child_environment() -> dict[str, str]:
    """The bot's environment less its secrets: a child needs the database, not the token."""
    return {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}


class ExportRunner:
    """Builds /export's workbooks in a child process, one at a time."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._child: asyncio.subprocess.Process | None = None
        self._busy = False
        self.running = asyncio.Event()  # set while a child is building a workbook

    async def xlsx(self, job: Export) -> tuple[bytes, int]:
        """The workbook and its number of requests; ExportBusy, ExportFailed."""
        if self._busy:
            raise ExportBusy
        self._busy = True
        try:
            # A private folder (0700), removed with whatever the child left in it.
            with tempfile.TemporaryDirectory(prefix="oncall-export-") as folder:
                target = str(Path(folder) / "export.xlsx")
                count = await self._run(job_json(job, self.db_path, target))
                data = await asyncio.to_thread(Path(target).read_bytes)
            return data, count
        finally:
            self._busy = False

    async def _run(self, job: str) -> int:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=child_environment(),
        )
        self._child = child
        self.running.set()
        try:
            out, err = await child.communicate(job.encode("utf-8"))
        except BaseException:
            # Cancelled (the bot stops, the handler is cancelled): the child goes too.
            await self._kill(child)
            raise
        finally:
            self._child = None
            self.running.clear()
        if child.returncode != 0:
            log.error(
                "export child exited with %s: %s",
                child.returncode,
                err.decode("utf-8", "replace")[-2000:],
            )
            raise ExportFailed
        try:
            return int(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:
            raise ExportFailed from exc

    @staticmethod
    async def _kill(child: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        with contextlib.suppress(Exception):
            await asyncio.shield(child.wait())

    async def close(self) -> None:
        """Kills an export still being built (the bot is stopping)."""
        child = self._child
        if child is not None and child.returncode is None:
            await self._kill(child)


def main() -> None:
    count = asyncio.run(build(sys.stdin.read()))
    print(count)


if __name__ == "__main__":
    main()
