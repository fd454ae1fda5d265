"""`oncall-bot import` with rosters as the center keeps them: GBK, BOM and plain CSV, .xlsx."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import translator
from tests.cli_support import run_bot_cli
from tests.roster_support import ROSTERS, VARIANTS, credit_code, snapshot, write_roster

READ_AS = {
    "utf-8": "Read as: CSV, UTF-8",
    "utf-8-sig": "Read as: CSV, UTF-8 with BOM",
    "gbk": "Read as: CSV, GB18030/GBK",
    "xlsx": "Read as: Excel workbook, sheet '名册'",
}


def test_the_same_roster_in_every_format_gives_the_same_database(tmp_path: Path) -> None:
    snapshots = {}
    for variant in VARIANTS:
        folder = tmp_path / variant
        for kind in ROSTERS:
            path = write_roster(folder, kind, variant)
            done = run_bot_cli(folder, "import", kind, str(path), ONCALL_DEFAULT_LANGUAGE="en")
            assert done.returncode == 0, (variant, kind, done.stdout, done.stderr)
            out = done.stdout.splitlines()
            assert out[1] == READ_AS[variant], (variant, out)
            assert "Written" in out
            if kind == "enterprises":  # 周丽's landline: imported, and said
                assert "1 warning(s):" in out
                assert any(
                    line.startswith("line 3: this owner cannot onboard by phone") for line in out
                )
        snapshots[variant] = snapshot(folder / "oncall.db")

    assert snapshots["utf-8"]["enterprises"], "the reference imported something"
    for variant in VARIANTS[1:]:
        assert snapshots[variant] == snapshots["utf-8"], variant


def test_the_summary_is_in_the_default_language(tmp_path: Path) -> None:
    path = write_roster(tmp_path, "supervisors", "gbk")

    done = run_bot_cli(tmp_path, "import", "supervisors", str(path))

    assert done.returncode == 0, done.stderr
    _ = translator("zh")
    assert done.stdout.splitlines()[1] == _("Read as: CSV, GB18030/GBK")


def test_bad_rows_are_refused_by_line_through_the_cli(tmp_path: Path) -> None:
    commissioners = write_roster(tmp_path, "commissioners", "xlsx")
    assert run_bot_cli(tmp_path, "import", "commissioners", str(commissioners)).returncode == 0
    good, typo = credit_code("91500240MA6C1T0R8"), credit_code("91500240MA5YJ2KU6")
    typo = typo[:-1] + ("A" if typo[-1] != "A" else "B")
    enterprises = tmp_path / "bad.csv"
    enterprises.write_bytes(
        (
            "name,credit_code,industry,chain,contact_name,contact_phone,commissioner_phone\r\n"
            f"石柱冷水鱼养殖有限公司,{good},水产,冷水鱼,陈红,13800000001,\r\n"  # 陈明's phone
            f"黄连中药材股份公司,{typo},中药材,黄连,周丽,13900000002,\r\n"
            f"{'山城酒厂' * 30},{credit_code('91500240MA60X9L23')},酒类,白酒,,,\r\n"
        ).encode("gbk")
    )

    done = run_bot_cli(
        tmp_path, "import", "enterprises", str(enterprises), ONCALL_DEFAULT_LANGUAGE="en"
    )

    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert out[1:3] == ["Read as: CSV, GB18030/GBK", "3 error(s); nothing was written"]
    assert out[3].startswith("line 2: contact_phone 13800000001 belongs to '陈明' (commissioner)")
    assert out[4].startswith(f"line 3: credit_code {typo}: the check character is")
    assert out[5] == "line 4: name is 120 characters long; at most 100 fit the bot's messages"
