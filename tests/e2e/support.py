"""The real `oncall-bot run` process against the in-test Bot API simulator, and the user steps.

The simulator runs in the test's event loop; the bot is a separate process started with
``sys.executable -m bot run`` in a temporary working directory (so no config/ of the checkout
is picked up: the catalog and calendar fall back to the package's defaults).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.sample import SamplePerson, load_sample
from bot.simulator.driver import SimUser
from bot.simulator.models import JsonDict, RecordedCall, SimMessage
from bot.simulator.server import SEND_METHODS, BotApiSimulator
from bot.storage.uow import Database
from tests.i18n_support import text as catalog_text

TOKEN = "123456:E2E-TOKEN"
REPO = Path(__file__).resolve().parents[2]
# The outbox paces about one message a second per chat; a few messages queued for one chat
# therefore take a few seconds. Generous, since a wait returns as soon as its condition holds.
WAIT = 15.0
STARTUP = 20.0


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the test run without any ONCALL_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 30.0,  # noqa: ASYNC109
) -> CliResult:
    """Runs ``python -m bot ARGS`` to completion (killed if it outlives ``timeout``)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return CliResult(proc.returncode, out.decode(), err.decode())


async def load_sample_rosters(db_path: Path) -> None:
    """Writes the sample rosters (nobody bound yet) before the bot process starts."""
    db = await Database.open(db_path)
    try:
        await load_sample(db, datetime.now(UTC), bind=False)
    finally:
        await db.close()


class BotProcess:
    """One bot (``oncall-bot run``) at a time over one database file; restartable."""

    def __init__(
        self,
        sim: BotApiSimulator,
        workdir: Path,
        extra_env: Mapping[str, str] | None = None,
        options: Iterable[str] = (),
        *,
        clocked: bool = False,
    ) -> None:
        self.sim = sim
        # clocked: run through tests/e2e/clocked.py, whose clock advance_clock() moves.
        self.clocked = clocked
        self.offset_path = workdir / "clock-offset"
        self.options = tuple(options)  # before the command, e.g. ("-v",)
        self.workdir = workdir
        self.db_path = workdir / "oncall.db"
        self.stderr_path = workdir / "bot-stderr.log"
        self.env = clean_env(
            {
                "ONCALL_TOKEN": TOKEN,
                "ONCALL_API_BASE_URL": sim.base_url,
                "ONCALL_API_FILE_URL": sim.base_file_url,
                "ONCALL_DB": str(self.db_path),
                **(extra_env or {}),
            }
        )
        if clocked:
            self.env["E2E_CLOCK_OFFSET_FILE"] = str(self.offset_path)
            self.env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(REPO), self.env.get("PYTHONPATH", "")) if p
            )
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def stderr_text(self) -> str:
        """Everything every run of the bot wrote to stderr (its log)."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.stderr_text().splitlines()[-lines:])

    async def start(self, *, wait_ready: bool = True) -> None:
        """Starts the process; by default waits until it has set its commands (it is up)."""
        assert not self.running, "the bot is already running"
        commands_before = len(self._default_menus())
        self.starts += 1
        with self.stderr_path.open("ab") as log:
            log.write(f"===== start {self.starts} =====\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.e2e.clocked" if self.clocked else "bot",
                *self.options,
                "run",
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        if wait_ready:
            # The default menus are set after the stored updates were replayed and the sender
            # started, right before the poller: two calls (zh and en) mean the bot is up.
            await self.wait(
                lambda: len(self._default_menus()) >= commands_before + 2,
                STARTUP,
                "the bot to start (setMyCommands)",
            )

    def now(self) -> datetime:
        """The process's clock (the real one plus the offset advance_clock() set)."""
        try:
            offset = float(self.offset_path.read_text() or 0)
        except FileNotFoundError:
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)

    def advance_clock(self, delta: timedelta) -> None:
        """Moves the clock of a `clocked` process forward (it reads the offset at every use)."""
        assert self.clocked, "only a clocked BotProcess has a clock to move"
        offset = self.now() - datetime.now(UTC) + delta
        tmp = self.offset_path.with_suffix(".tmp")
        tmp.write_text(str(offset.total_seconds()))
        tmp.replace(self.offset_path)  # atomic: the bot never reads a half-written offset

    def _default_menus(self) -> list[RecordedCall]:
        """setMyCommands calls for every chat (a person's own menu names a scope)."""
        return [c for c in self.sim.calls_to("setMyCommands") if "scope" not in c.params]

    async def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        """Waits for ``predicate``; fails at once, with the log, if the bot dies meanwhile."""
        assert self.proc is not None
        waiting = asyncio.ensure_future(self.sim.wait_until(predicate, timeout))
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiting, exited):
                task.cancel()
            await asyncio.gather(waiting, exited, return_exceptions=True)
        if predicate():
            return
        if self.proc.returncode is not None:
            raise AssertionError(
                f"the bot exited ({self.proc.returncode}) while waiting for {what}:\n"
                + self.log_tail()
            )
        raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n" + self.log_tail())

    async def kill(self) -> None:
        """kill -9: no shutdown, no flush, nothing drained."""
        assert self.proc is not None and self.running
        self.proc.kill()
        code = await self.proc.wait()
        assert code == -signal.SIGKILL, code

    async def terminate(self, timeout: float = 10.0) -> tuple[int | None, float]:  # noqa: ASYNC109
        """Sends SIGTERM; returns (exit code or None if still running, seconds it took)."""
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), timeout)
        return self.proc.returncode, loop.time() - started

    async def close(self) -> None:
        """Teardown: SIGTERM, then SIGKILL; the process is always reaped."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


# ------------------------------------------------------------------------- what users do

# The intake form's buttons, by msgid from the catalogs (tests/i18n_support.py).
FORM_BUTTONS = {
    "skip": "⏭ Skip",
    "done": "✔ Done",
    "normal": "Normal",
    "urgent": "🔴 Urgent",
    "submit": "✅ Submit",
}
LABELS = {
    lang: {key: catalog_text(lang, msgid) for key, msgid in FORM_BUTTONS.items()}
    for lang in ("zh", "en")
}


def lang_of(user: SimUser) -> str:
    return "en" if (user.record.language_code or "").startswith("en") else "zh"


async def onboard(sim: BotApiSimulator, person: SamplePerson, lang: str = "zh-hans") -> SimUser:
    """/start, then share one's own contact; returns once the welcome (naming them) arrived."""
    user = sim.user(person.telegram_id, person.name, language_code=lang)
    await user.command("start")
    prompt = await user.wait_for_message(timeout=WAIT)
    assert prompt.keyboard_rows, f"/start showed no contact button: {prompt.body!r}"
    assert prompt.keyboard_rows[0][0].get("request_contact") is True
    await user.share_contact(person.phone)
    await user.wait_for_message(person.name, timeout=WAIT)
    return user


async def start_form(owner: SimUser, category: str, description: str) -> SimMessage:
    """/new, a category and the description; returns the question about attachments."""
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button(category) is not None, timeout=WAIT)
    await owner.tap(category)
    await owner.wait_for_message("2/4", timeout=WAIT)
    await owner.send(description)
    return await owner.wait_for_message("3/4", timeout=WAIT)


async def finish_form(owner: SimUser, *, urgent: bool = False, photos: int = 0) -> SimMessage:
    """From the attachments step: photos, Skip/Done, urgency; returns the summary."""
    labels = LABELS[lang_of(owner)]
    for _ in range(photos):
        await owner.send_photo()
        await owner.wait_for_message(lambda m: m.button(labels["done"]) is not None, timeout=WAIT)
    await owner.tap(labels["done"] if photos else labels["skip"])
    await owner.wait_for_message("4/4", timeout=WAIT)
    await owner.tap(labels["urgent"] if urgent else labels["normal"])
    return await owner.wait_for_message(
        lambda m: m.button(labels["submit"]) is not None, timeout=WAIT
    )


async def new_request(
    owner: SimUser, category: str, description: str, *, urgent: bool = False, photos: int = 0
) -> SimMessage:
    """The whole form, submitted; returns the '#N received' message."""
    await start_form(owner, category, description)
    summary = await finish_form(owner, urgent=urgent, photos=photos)
    tap = await owner.tap(LABELS[lang_of(owner)]["submit"], summary)
    answer = await owner.wait_answer(tap, timeout=WAIT)
    number = answer.get("text", "").split()[0]
    assert number.startswith("#"), answer
    return await owner.wait_for_message(number, timeout=WAIT)


# ------------------------------------------------------------------------- what was sent


def texts_to(user: SimUser, needle: str) -> list[str]:
    """The bodies of every bot message (as first sent) to ``user`` containing ``needle``."""
    out = []
    for m in user.chat.bot_messages(include_deleted=True):
        first = m.original.text if m.original and m.original.text is not None else m.body
        if needle.casefold() in (first or m.caption or "").casefold():
            out.append(first or m.caption or "")
    return out


def send_calls(
    sim: BotApiSimulator, chat_id: int, methods: Iterable[str] = SEND_METHODS
) -> list[RecordedCall]:
    """Every send/edit call addressed to one chat, in arrival order (refused ones included)."""
    wanted = set(methods)
    return [c for c in sim.calls if c.method in wanted and c.chat_id == chat_id]


def assert_clean(sim: BotApiSimulator, *, repeated_edits: bool = False) -> None:
    """No unexpected Bot API error, every tap answered, Telegram's size limits kept.

    `repeated_edits`: after a kill -9 an edit that reached Telegram but was not yet marked sent
    is sent again (at least once, by design); Telegram answers the identical edit "message is
    not modified", which the sender takes as done. Only that answer is allowed, and only then.
    """
    if repeated_edits:
        unexpected = [
            c
            for c in sim.errors()
            if not (
                c.method == "editMessageText"
                and "message is not modified" in str(c.response.get("description"))
            )
        ]
        assert not unexpected, "\n".join(c.describe() for c in unexpected)
    else:
        sim.assert_no_errors()
    sim.assert_callbacks_answered()
    for call in sim.calls:
        if call.method in ("sendMessage", "editMessageText") and call.ok:
            text = call.response["result"].get("text", "")
            assert len(text.encode("utf-16-le")) // 2 <= 4096, call.describe()
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None:
                        assert 1 <= len(str(data).encode()) <= 64, call.describe()


# ------------------------------------------------------------------------- the database


def query(db_path: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    """Reads the bot's database (WAL: also while the bot runs)."""
    conn = sqlite3.connect(db_path, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


async def wait_db(db_path: Path, sql: str, timeout: float = WAIT) -> None:  # noqa: ASYNC109
    """Waits until ``sql``'s first column is truthy (the database has no change events to wait
    on, so this polls it every 20 ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = query(db_path, sql)
        if rows and rows[0][0]:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {sql}")
        await asyncio.sleep(0.02)


async def wait_all_updates_handled(db_path: Path) -> None:
    """Until every update the bot stored has been marked handled (a quiet point to kill at)."""
    await wait_db(db_path, "SELECT COUNT(*) = 0 FROM inbox WHERE processed_at IS NULL")


# ------------------------------------------------------------------------- slow answers


class HeldResponses:
    """Delays the HTTP answer to matching calls of one method until released.

    The call takes effect at once (the message is in the chat, as Telegram would have it),
    but the bot waits for the answer, as it does over a slow network; a kill -9 meanwhile
    lands exactly between "the user saw the reply" and "the handler finished".
    """

    def __init__(
        self, sim: BotApiSimulator, method: str, match: Callable[[JsonDict], bool]
    ) -> None:
        self._methods: dict[str, Callable[[JsonDict], Awaitable[Any]]] = sim._methods
        self.method = method
        self.original = self._methods[method]
        self.holding = asyncio.Event()
        self.released = asyncio.Event()

        async def held(params: JsonDict) -> Any:
            result = await self.original(params)
            if not self.released.is_set() and match(params):
                self.holding.set()
                await self.released.wait()
            return result

        self._methods[method] = held

    async def wait_holding(self, timeout: float = WAIT) -> None:  # noqa: ASYNC109
        try:
            await asyncio.wait_for(self.holding.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {self.method} call was held within {timeout}s") from None

    def __enter__(self) -> HeldResponses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.released.set()
        self._methods[self.method] = self.original
