"""End to end: the real `oncall-bot run` writes no token and no phone number to its log.

Both runs log at DEBUG (-v), so python-telegram-bot's, httpx's and httpcore's own lines —
Bot API URLs carry the token, updates carry the shared contact — are in what is searched.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from bot.cli import EXIT_BAD_TOKEN
from bot.sample import TROUT_OWNER
from bot.simulator.server import BotApiSimulator
from tests.e2e.support import (
    STARTUP,
    TOKEN,
    WAIT,
    BotProcess,
    clean_env,
    load_sample_rosters,
    run_cli,
    start_form,
)

REJECTED = "123456:E2E-REVOKED-SECRET"
REJECTED_LINE = {
    "en": "oncall-bot: Telegram rejected the token (ONCALL_TOKEN); check it",
    "zh": "oncall-bot: Telegram 拒绝了机器人令牌（ONCALL_TOKEN），请检查",
}
# The owner's phone in every way it is written: digits, with the country code, grouped.
PHONE = re.compile(r"(\+?86[\s-]?)?138[\s-]?0000[\s-]?0001")


def leaks(text: str, token: str) -> list[str]:
    """What of the token, its secret part or the owner's phone number the text contains."""
    found = [s for s in (token, token.partition(":")[2]) if s in text]
    found += [m.group(0) for m in PHONE.finditer(text)]
    return found


@pytest.mark.parametrize(("verbose", "lang"), [(False, "zh"), (True, "en")], ids=["quiet", "debug"])
async def test_a_rejected_token_stops_start_up_with_one_clear_line_and_no_token(
    sim: BotApiSimulator, tmp_path: Path, verbose: bool, lang: str
) -> None:
    sim.reject_token(REJECTED)
    env = clean_env(
        {
            "ONCALL_TOKEN": REJECTED,
            "ONCALL_API_BASE_URL": sim.base_url,
            "ONCALL_API_FILE_URL": sim.base_file_url,
            "ONCALL_DB": str(tmp_path / "oncall.db"),
            "ONCALL_DEFAULT_LANGUAGE": lang,
        }
    )
    options = ["-v"] if verbose else []
    result = await run_cli(*options, "run", cwd=tmp_path, env=env, timeout=STARTUP)

    assert result.returncode == EXIT_BAD_TOKEN
    # Telegram was asked (getMe) with that token and said 401, as it does for a revoked one.
    asked = sim.calls_to("getMe")
    assert asked and asked[0].token == REJECTED and asked[0].status == 401
    lines = result.stderr.strip().splitlines()
    assert lines.count(REJECTED_LINE[lang]) == 1, result.stderr
    assert "Traceback" not in result.stderr
    if verbose:
        assert " DEBUG " in result.stderr  # python-telegram-bot's own lines were written
    else:
        assert lines == [REJECTED_LINE[lang]]
    written = result.stdout + result.stderr
    written += "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert leaks(written, REJECTED) == []


async def test_debug_log_of_a_real_run_has_no_token_and_no_phone_number(
    sim: BotApiSimulator, tmp_path: Path
) -> None:
    await load_sample_rosters(tmp_path / "oncall.db")
    bot = BotProcess(sim, tmp_path, options=["-v"])
    try:
        await bot.start()
        owner = sim.user(TROUT_OWNER.telegram_id, TROUT_OWNER.name, language_code="zh-hans")
        await owner.command("start")
        await owner.wait_for_message(timeout=WAIT)
        await owner.share_contact("+8613800000001")  # as Telegram clients send it
        await owner.wait_for_message(TROUT_OWNER.name, timeout=WAIT)
        # The phone again, typed into a request: echoed back in the form's summary.
        await start_form(owner, "融资", "贷款的事，请打138 0000 0001找我，谢谢")

        # While the bot runs its database has its WAL and SHM: all private to the bot's user.
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{bot.db_path}{suffix}")
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        code, _seconds = await bot.terminate()
        assert code == 0
    finally:
        await bot.close()

    log = bot.stderr_text()
    assert sim.tokens == [TOKEN]
    assert " DEBUG telegram" in log and "httpx" in log and "httpcore" in log
    assert "/bot123456:[redacted]/" in log  # the Bot API URLs were logged, redacted
    assert "138****0001" in log  # the contact and the description were logged, masked
    written = log + "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert leaks(written, TOKEN) == []
