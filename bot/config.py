"""Settings: built once (from the environment or directly in tests) and injected."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

#: The digests shipped with the project, used when no folder is configured.
PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
#: The Hub's Daily Papers API, asked when PAPERBOY_HF_URL is not set.
HF_URL = "https://huggingface.co"
#: Where fetched days go when no digest folder is configured: beside the database,
#: so that everything the bot writes lives on one volume (never in the project's seeds).
FETCHED_FOLDER = "digests"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_SETTLE_MINUTES = 7 * 24 * 60
MAX_LOOKBACK_DAYS = 366


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
    # The Hugging Face Hub as a live source (bot.hub_source); None: files only.
    hf_url: str | None = None
    hf_settle_minutes: float = 120.0
    hf_lookback_days: int = 3
    hf_timeout_seconds: float = 10.0  # per request; not an environment setting

    def __post_init__(self) -> None:
        # Accept str paths from callers; keep Path internally.
        object.__setattr__(self, "database", Path(self.database))
        object.__setattr__(self, "digest_dir", Path(self.digest_dir))
        if self.poll_seconds <= 0:
            raise ConfigError("poll_seconds must be positive")
        if self.hf_url is not None:
            object.__setattr__(self, "hf_url", hub_url(self.hf_url, "hf_url"))
            if self.digest_dir.resolve() == PROJECT_SEEDS.resolve():
                object.__setattr__(self, "digest_dir", self.fetched_folder)
        if not 0 <= self.hf_settle_minutes <= MAX_SETTLE_MINUTES:
            raise ConfigError(f"hf_settle_minutes must be 0 to {MAX_SETTLE_MINUTES}")
        if not 1 <= self.hf_lookback_days <= MAX_LOOKBACK_DAYS:
            raise ConfigError(f"hf_lookback_days must be 1 to {MAX_LOOKBACK_DAYS}")
        if not self.hf_timeout_seconds > 0:
            raise ConfigError("hf_timeout_seconds must be positive")

    @property
    def fetched_folder(self) -> Path:
        """The digest folder for the Hub source when none is configured."""
        return self.database.parent / FETCHED_FOLDER

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Build settings from `.env` (if present) overlaid by the process environment."""
        values: dict[str, str | None] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(dotenv_values(env_file))
        values.update(os.environ if environ is None else environ)
        hf_url = _hf_url(values, "PAPERBOY_HF_URL")
        database = Path(_text(values, "PAPERBOY_DATABASE") or "data/paperboy.db")
        if hf_url is None or _text(values, "PAPERBOY_DIGEST_DIR"):
            digest_dir = _readable_dir(values, "PAPERBOY_DIGEST_DIR", PROJECT_SEEDS)
            if hf_url is not None and not os.access(digest_dir, os.W_OK):
                raise ConfigError(
                    f"PAPERBOY_DIGEST_DIR names a folder paperboy cannot write to: "
                    f"{str(digest_dir)!r}; fetched days are saved there "
                    "(or set PAPERBOY_HF_URL=off to read files only)"
                )
        else:
            digest_dir = database.parent / FETCHED_FOLDER  # created at start
        return cls(
            token=_text(values, "DISCORD_TOKEN"),
            database=database,
            digest_dir=digest_dir,
            poll_seconds=_positive_number(values, "PAPERBOY_POLL_SECONDS", 600.0),
            dev_guild_id=_snowflake(values, "PAPERBOY_DEV_GUILD_ID"),
            log_level=_log_level(values, "PAPERBOY_LOG_LEVEL"),
            hf_url=hf_url,
            hf_settle_minutes=_bounded(
                values, "PAPERBOY_HF_SETTLE_MINUTES", 120, MAX_SETTLE_MINUTES, "minutes"
            ),
            hf_lookback_days=int(
                _bounded(values, "PAPERBOY_HF_LOOKBACK_DAYS", 3, MAX_LOOKBACK_DAYS, "days", 1)
            ),
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


def hub_url(raw: str, name: str) -> str:
    """`raw` as the Hub's base URL (no trailing slash); ConfigError unless http(s)://host."""
    url = raw.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be the Hub's address, like {HF_URL}, or off, got {raw!r}")
    return url


def _hf_url(values: Mapping[str, str | None], name: str) -> str | None:
    raw = _text(values, name)
    if raw is None:
        return HF_URL
    return None if raw.lower() == "off" else hub_url(raw, name)


def _bounded(
    values: Mapping[str, str | None],
    name: str,
    default: float,
    most: float,
    unit: str,
    least: float = 0,
) -> float:
    """A number from `least` to `most`; whole when `least` is 1 (a count of days)."""
    raw = _text(values, name)
    if raw is None:
        return default
    whole = least == 1
    try:
        number = int(raw) if whole else float(raw)
    except ValueError:
        number = float("nan")
    if not least <= number <= most:  # also rejects nan
        kind = "a whole number" if whole else "a number"
        raise ConfigError(
            f"{name} must be {kind} of {unit} from {least:g} to {most:g}, got {raw!r}"
        )
    return number
