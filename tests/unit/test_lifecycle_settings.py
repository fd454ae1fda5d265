"""ONCALL_LIFECYCLE__*: read from the environment, checked, and passed to the services' policy."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import sla_policy
from bot.config_files import load_calendar
from bot.settings import SettingsError, load_settings


def test_defaults_and_environment_reach_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = load_calendar(None, ZoneInfo("Asia/Shanghai"))
    settings = load_settings(None)
    assert (settings.lifecycle.reopen_days, settings.lifecycle.auto_close_working_days) == (7, 3)
    policy = sla_policy(settings, calendar)
    assert (policy.reopen_within, policy.auto_close_working_days) == (timedelta(days=7), 3)
    monkeypatch.setenv("ONCALL_LIFECYCLE__REOPEN_DAYS", "14")
    monkeypatch.setenv("ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS", "5")
    policy = sla_policy(load_settings(None), calendar)
    assert (policy.reopen_within, policy.auto_close_working_days) == (timedelta(days=14), 5)


def test_a_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS", "0")
    with pytest.raises(SettingsError, match="ONCALL_LIFECYCLE__AUTO_CLOSE_WORKING_DAYS"):
        load_settings(None)
