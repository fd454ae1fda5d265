"""Settings: ONCALL_* environment variables over an optional TOML file (pydantic-settings)."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.domain.deadlines import QuietHours, parse_duration, parse_hhmm

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
DEFAULT_CONFIG = Path("config/settings.toml")


class TomlSource(TomlConfigSettingsSource):
    """TOML settings that tolerate the byte-order mark Windows editors put in front."""

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        text = file_path.read_text(encoding="utf-8-sig")
        return tomllib.loads(text)


class SlaSettings(BaseModel):
    accept_remind_after: Duration = timedelta(minutes=30)
    accept_escalate_after: Duration = timedelta(hours=2)
    resolve_within_normal: Duration = timedelta(days=5)
    resolve_within_urgent: Duration = timedelta(days=1)
    working_days: bool = True
    quiet_hours: str = "22:00-07:30"
    check_interval: float = Field(default=60, gt=0)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    def quiet(self) -> QuietHours:
        return QuietHours.parse(self.quiet_hours)


class DigestSettings(BaseModel):
    time: str = "08:30"

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        parse_hhmm(value)
        return value


class LimitsSettings(BaseModel):
    """Abuse and fairness limits (ONCALL_LIMITS__*)."""

    # More than flood_updates updates from one person within flood_window: one warning, and
    # whatever they send in the next flood_mute is ignored.
    flood_updates: int = Field(default=20, ge=1)
    flood_window: Duration = timedelta(seconds=10)
    flood_mute: Duration = timedelta(seconds=60)
    # How many open requests one person may have at once (/new refuses more).
    max_open_requests: int = Field(default=20, ge=1)


class RetentionSettings(BaseModel):
    """How long handled updates and sent messages are kept (ONCALL_RETENTION__*)."""

    # Telegram redelivers an update for up to 24 hours: keep handled ones at least a day, so
    # the duplicate check still recognises any redelivery.
    days: int = Field(default=30, ge=1)
    # The daily pruning job, local time; it deletes `batch` rows per short transaction.
    time: str = "04:00"
    batch: int = Field(default=500, ge=1)

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        parse_hhmm(value)
        return value


class LifecycleSettings(BaseModel):
    """After resolution (ONCALL_LIFECYCLE__*): reopening and closing unrated requests."""

    # An owner may reopen a resolved or closed request this many days after its resolution.
    reopen_days: int = Field(default=7, ge=0)
    # A resolved request nobody rated closes by itself after this many working days.
    auto_close_working_days: int = Field(default=3, ge=1)


class Settings(BaseSettings):
    """Everything an operator can set; see config/settings.example.toml."""

    model_config = SettingsConfigDict(
        env_prefix="ONCALL_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )
    toml_path: ClassVar[Path | None] = None

    token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    api_file_url: str = "https://api.telegram.org/file/bot"
    db: Path = Path("data/oncall.db")
    timezone: str = "Asia/Shanghai"
    default_language: Literal["zh", "en"] = "zh"
    sla: SlaSettings = SlaSettings()
    digest: DigestSettings = DigestSettings()
    limits: LimitsSettings = LimitsSettings()
    retention: RetentionSettings = RetentionSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_path is not None:
            sources.append(TomlSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)


class SettingsError(Exception):
    """A bad setting, described in one line that names it."""


def load_settings(config: Path | None = None, **overrides: object) -> Settings:
    """Reads the settings; `config` defaults to config/settings.toml where it exists."""
    path = config if config is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    if path is not None and not path.exists():
        raise SettingsError(f"config file {path} does not exist")
    Settings.toml_path = path
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ONCALL_" + "__".join(str(p).upper() for p in first["loc"] if str(p))
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"bad setting {name}: {message}") from None
    except ValueError as exc:  # TOML syntax errors arrive as plain ValueErrors
        raise SettingsError(f"cannot read {path}: {exc}") from None
    finally:
        Settings.toml_path = None
