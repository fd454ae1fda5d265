"""The command line as an operator uses it: import, backup, and bad settings."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_support import run_bot_cli
from tests.i18n_support import zh


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot_cli(tmp_path, *args, **env)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_import_reports_bad_rows_by_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "commissioners.csv",
        "name,phone,teams,telegram_id\n"
        "李专员,13900000011,relief,\n"
        "王专员,1390000,finance,\n"
        "陈专员,13900000013,fiance,\n",
    )
    done = cli(tmp_path, "import", "commissioners", str(bad))
    assert done.returncode == 1
    assert "3" in done.stdout and "4" in done.stdout  # the bad lines, by number
    good = write(
        tmp_path / "ok.csv", "name,phone,teams,telegram_id\n李专员,13900000011,relief;policy,\n"
    )
    first = cli(tmp_path, "--verbose", "import", "commissioners", str(good))
    assert first.returncode == 0, first.stderr
    again = cli(tmp_path, "import", "commissioners", str(good))
    assert again.returncode == 0


def test_enterprises_import_then_backup(tmp_path: Path) -> None:
    write(tmp_path / "c.csv", "name,phone,teams,telegram_id\n李专员,13900000011,relief,\n")
    assert cli(tmp_path, "import", "commissioners", str(tmp_path / "c.csv")).returncode == 0
    write(
        tmp_path / "e.csv",
        "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\n"
        "清溪冷水鱼养殖场,91500230MA5UXR1T2H,水产养殖,冷水鱼,张老板,"
        "+86 138 0000 0001,13900000011\n",
    )
    done = cli(tmp_path, "import", "enterprises", str(tmp_path / "e.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    backup = cli(tmp_path, "backup", str(tmp_path / "copy.db"))
    assert backup.returncode == 0 and (tmp_path / "copy.db").stat().st_size > 0
    refused = cli(tmp_path, "backup", str(tmp_path / "copy.db"))
    assert refused.returncode == 2 and "exists" in refused.stderr


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    done = cli(tmp_path, "backup", str(tmp_path / "x.db"), ONCALL_SLA__ACCEPT_REMIND_AFTER="soon")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ONCALL_SLA__ACCEPT_REMIND_AFTER" in lines[0]
    zone = cli(tmp_path, "backup", str(tmp_path / "x.db"), ONCALL_TIMEZONE="Mars/Olympus")
    assert zone.returncode == 2 and "ONCALL_TIMEZONE" in zone.stderr


def test_a_toml_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    config = write(
        tmp_path / "s.toml", 'default_language = "en"\n[sla]\nquiet_hours = "25:00-01:00"\n'
    )
    bad = cli(tmp_path, "--config", str(config), "backup", str(tmp_path / "y.db"))
    assert bad.returncode == 2 and "ONCALL_SLA__QUIET_HOURS" in bad.stderr
    fixed = cli(
        tmp_path,
        "--config",
        str(config),
        "backup",
        str(tmp_path / "y.db"),
        ONCALL_SLA__QUIET_HOURS="",
    )
    assert fixed.returncode == 0, fixed.stderr
    missing = cli(tmp_path, "--config", str(tmp_path / "nope.toml"), "backup", "z.db")
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


def test_export_writes_a_spreadsheet_of_every_request(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from bot.domain.models import Urgency
    from bot.sample import TROUT_OWNER, load_sample
    from bot.storage.uow import Database

    async def seed() -> None:
        db = await Database.open(tmp_path / "oncall.db")
        now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
        await load_sample(db, now, bind=True)
        async with db.tx() as tx:
            owner = await tx.person_by_phone(TROUT_OWNER.phone)
            ent = (await tx.enterprises_of_contact(TROUT_OWNER.phone))[0]
            assert owner is not None
            await tx.insert_request(
                ent.id, owner.id, "financing", "需要贷款 <30万>", Urgency.URGENT, (), now
            )
        await db.close()

    asyncio.run(seed())
    done = cli(tmp_path, "export", str(tmp_path / "out.xlsx"), ONCALL_DEFAULT_LANGUAGE="zh")
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(tmp_path / "out.xlsx").active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert header[:3] == ["#", zh("Enterprise"), zh("Credit code")] and zh("Submitted") in header
    assert row[0] == 1 and row[1] == "清溪冷水鱼养殖场" and "融资" in row
    assert "需要贷款 <30万>" in row
