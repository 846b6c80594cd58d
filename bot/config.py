"""Settings: built once (from the environment or directly in tests) and injected."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

#: The digests shipped with the project, used when no folder is configured.
PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting has a value paperboy cannot use; the message names the variable."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything paperboy needs to run, with a sensible default for each field."""

    token: str | None = field(default=None, repr=False)
    database: Path = Path("data/paperboy.db")
    digest_dir: Path = PROJECT_SEEDS
    poll_seconds: float = 600.0
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    # How long a write waits for another process's lock (e.g. `paperboy ingest` run on
    # the live database): short, so a command still answers within Discord's 3 seconds.
    db_busy_timeout_ms: int = 2000

    def __post_init__(self) -> None:
        # Accept str paths from callers; keep Path internally.
        object.__setattr__(self, "database", Path(self.database))
        object.__setattr__(self, "digest_dir", Path(self.digest_dir))
        if self.poll_seconds <= 0:
            raise ConfigError("poll_seconds must be positive")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Build settings from `.env` (if present) overlaid by the process environment."""
        values: dict[str, str | None] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(dotenv_values(env_file))
        values.update(os.environ if environ is None else environ)
        return cls(
            token=_text(values, "DISCORD_TOKEN"),
            database=Path(_text(values, "PAPERBOY_DATABASE") or "data/paperboy.db"),
            digest_dir=_readable_dir(values, "PAPERBOY_DIGEST_DIR", PROJECT_SEEDS),
            poll_seconds=_positive_number(values, "PAPERBOY_POLL_SECONDS", 600.0),
            dev_guild_id=_snowflake(values, "PAPERBOY_DEV_GUILD_ID"),
            log_level=_log_level(values, "PAPERBOY_LOG_LEVEL"),
        )


def _text(values: Mapping[str, str | None], name: str) -> str | None:
    value = (values.get(name) or "").strip()
    return value or None


def _positive_number(values: Mapping[str, str | None], name: str, default: float) -> float:
    raw = _text(values, name)
    if raw is None:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < number < 10**9:  # also rejects nan and inf
        raise ConfigError(f"{name} must be a positive number of seconds, got {raw!r}")
    return number


def _snowflake(values: Mapping[str, str | None], name: str) -> int | None:
    raw = _text(values, name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a Discord server ID (digits only), got {raw!r}")
    return int(raw)


def _log_level(values: Mapping[str, str | None], name: str) -> str:
    raw = (_text(values, name) or "INFO").upper()
    if raw not in LOG_LEVELS:
        raise ConfigError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return raw


def _readable_dir(values: Mapping[str, str | None], name: str, default: Path) -> Path:
    raw = _text(values, name)
    path = Path(raw) if raw else default
    if not path.is_dir():
        raise ConfigError(f"{name} must name an existing folder, got {str(path)!r}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ConfigError(f"{name} names a folder paperboy cannot read: {str(path)!r}")
    return path
