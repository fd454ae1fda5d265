"""The real process stays responsive: a poison update, and a large import into its database."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

from bot.domain.roster import credit_code_check
from bot.sample import LI, SUPERVISOR, TROUT_OWNER
from bot.simulator.driver import SimUser
from bot.simulator.server import BotApiSimulator
from tests.e2e.support import WAIT, BotProcess, load_sample_rosters, onboard, query

IMPORT_ROWS = 100_000


async def help_answered(user: SimUser) -> None:
    user.mark()
    await user.command("help")
    await user.wait_for_message("/cancel", timeout=WAIT)


async def test_a_poison_update_is_set_aside_reported_once_and_never_blocks(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    supervisor = await onboard(sim, SUPERVISOR)
    owner = await onboard(sim, TROUT_OWNER)

    poison = sim.inject_raw_update("message", {"message_id": 1, "chat": {"id": 1}})
    await help_answered(owner)  # the update behind it

    await supervisor.wait_for_message(f"update {poison}", timeout=WAIT)
    [row] = query(bot.db_path, "SELECT seq, reason FROM dead_letters")
    assert row["seq"] == poison and "unreadable update" in row["reason"]

    # A restart neither dies on it nor reports it again.
    code, _ = await bot.terminate()
    assert code == 0
    await bot.start()
    await help_answered(owner)
    assert len([m for m in supervisor.messages() if f"update {poison}" in (m.text or "")]) == 1
    assert bot.running


async def test_a_large_roster_import_does_not_stop_the_bot_answering(
    sim: BotApiSimulator, bot: BotProcess, tmp_path: Path
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER)
    roster = tmp_path / "enterprises.csv"
    lines = ["name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone"]
    lines += [
        f"企业{i},{head}{credit_code_check(head)},农业,中药材,联系人{i},137{i:08d},{LI.phone}"
        for i in range(IMPORT_ROWS)
        for head in [f"91500{i:012d}"]
    ]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")

    importer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "import",
        "enterprises",
        str(roster),
        cwd=bot.workdir,
        env=bot.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    answered_during_import = 0
    try:
        # The owner keeps asking (once a second, below the flood limit) while the import
        # writes; every question is answered.
        while importer.returncode is None:
            await help_answered(owner)
            answered_during_import += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(importer.wait(), timeout=1.0)
        out, err = await importer.communicate()
    finally:
        if importer.returncode is None:
            importer.kill()
            await importer.wait()
    assert importer.returncode == 0, (out.decode(), err.decode())
    assert answered_during_import >= 3
    [row] = query(bot.db_path, "SELECT COUNT(*) AS n FROM enterprises")
    assert row["n"] == IMPORT_ROWS + 3  # and the three of the sample
    assert bot.running
    await help_answered(owner)
    assert "database is locked" not in bot.stderr_text()
