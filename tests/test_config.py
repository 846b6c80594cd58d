"""bot.config: Settings built directly, from an environment mapping and from a .env file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import HF_URL, PROJECT_SEEDS, ConfigError, Settings

TOKEN = "MTIzNDU2Nzg5.secret-token-value"


def test_defaults() -> None:
    settings = Settings()
    assert settings.token is None
    assert settings.database == Path("data/paperboy.db")
    assert settings.digest_dir == PROJECT_SEEDS
    assert PROJECT_SEEDS.is_dir()
    assert settings.poll_seconds == 600.0
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"


def test_direct_construction(tmp_path: Path) -> None:
    settings = Settings(database=str(tmp_path / "x.db"), digest_dir=str(tmp_path), poll_seconds=5)
    assert settings.database == tmp_path / "x.db"
    assert isinstance(settings.database, Path)
    assert settings.digest_dir == tmp_path
    assert isinstance(settings.digest_dir, Path)
    assert settings.poll_seconds == 5
    assert settings.log_level == "INFO"


def test_settings_are_keyword_only_and_frozen(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        Settings("token")  # type: ignore[misc]
    settings = Settings(database=tmp_path / "x.db")
    with pytest.raises(AttributeError):
        settings.poll_seconds = 1  # type: ignore[misc]


@pytest.mark.parametrize("seconds", [0, -1, -0.5])
def test_direct_poll_seconds_must_be_positive(seconds: float) -> None:
    with pytest.raises(ConfigError, match="poll_seconds"):
        Settings(poll_seconds=seconds)


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    settings = Settings.from_env(
        environ={
            "DISCORD_TOKEN": f"  {TOKEN} ",
            "PAPERBOY_DATABASE": str(tmp_path / "db" / "p.db"),
            "PAPERBOY_DIGEST_DIR": str(tmp_path),
            "PAPERBOY_POLL_SECONDS": "12.5",
            "PAPERBOY_DEV_GUILD_ID": "123456789012345678",
            "PAPERBOY_LOG_LEVEL": "debug",
        },
        env_file=None,
    )
    assert settings.token == TOKEN
    assert settings.database == tmp_path / "db" / "p.db"
    assert settings.digest_dir == tmp_path
    assert settings.poll_seconds == 12.5
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"


def test_from_env_defaults() -> None:
    settings = Settings.from_env(environ={}, env_file=None)
    # From the environment the Hub source is on; built in code (tests) it is off.
    assert settings == Settings(hf_url=HF_URL)
    assert settings.hf_url == "https://huggingface.co" and Settings().hf_url is None
    assert (settings.hf_settle_minutes, settings.hf_lookback_days) == (120, 3)
    assert settings.digest_dir == Path("data/digests")


def test_blank_values_mean_unset() -> None:
    settings = Settings.from_env(
        environ={
            "DISCORD_TOKEN": "  ",
            "PAPERBOY_DATABASE": "",
            "PAPERBOY_DIGEST_DIR": "",
            "PAPERBOY_POLL_SECONDS": " ",
            "PAPERBOY_DEV_GUILD_ID": "",
            "PAPERBOY_LOG_LEVEL": "",
            "PAPERBOY_HF_URL": "",
            "PAPERBOY_HF_SETTLE_MINUTES": "",
            "PAPERBOY_HF_LOOKBACK_DAYS": " ",
        },
        env_file=None,
    )
    assert settings == Settings(hf_url=HF_URL)


def test_from_env_uses_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAPERBOY_POLL_SECONDS", "42")
    monkeypatch.setenv("PAPERBOY_DIGEST_DIR", str(tmp_path))
    settings = Settings.from_env(env_file=None)
    assert settings.poll_seconds == 42
    assert settings.digest_dir == tmp_path


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAPERBOY_POLL_SECONDS", "soon"),
        ("PAPERBOY_POLL_SECONDS", "10s"),
        ("PAPERBOY_POLL_SECONDS", "-5"),
        ("PAPERBOY_POLL_SECONDS", "0"),
        ("PAPERBOY_POLL_SECONDS", "nan"),
        ("PAPERBOY_DEV_GUILD_ID", "12ab"),
        ("PAPERBOY_DEV_GUILD_ID", "-1"),
        ("PAPERBOY_DEV_GUILD_ID", "1.5"),
        ("PAPERBOY_LOG_LEVEL", "LOUD"),
        ("PAPERBOY_LOG_LEVEL", "verbose"),
        ("PAPERBOY_HF_URL", "huggingface.co"),
        ("PAPERBOY_HF_URL", "ftp://huggingface.co"),
        ("PAPERBOY_HF_URL", "https://"),
        ("PAPERBOY_HF_URL", "https://huggingface.co/?x=1"),
        ("PAPERBOY_HF_SETTLE_MINUTES", "two hours"),
        ("PAPERBOY_HF_SETTLE_MINUTES", "-1"),
        ("PAPERBOY_HF_SETTLE_MINUTES", "nan"),
        ("PAPERBOY_HF_SETTLE_MINUTES", "99999"),
        ("PAPERBOY_HF_LOOKBACK_DAYS", "0"),
        ("PAPERBOY_HF_LOOKBACK_DAYS", "2.5"),
        ("PAPERBOY_HF_LOOKBACK_DAYS", "1000"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ={name: value}, env_file=None)
    assert name in str(caught.value)
    assert repr(value.upper() if name.endswith("LEVEL") else value) in str(caught.value)


def test_missing_digest_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match="PAPERBOY_DIGEST_DIR") as caught:
        Settings.from_env(environ={"PAPERBOY_DIGEST_DIR": str(missing)}, env_file=None)
    assert str(missing) in str(caught.value)


def test_digest_dir_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="PAPERBOY_DIGEST_DIR"):
        Settings.from_env(environ={"PAPERBOY_DIGEST_DIR": str(path)}, env_file=None)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any folder"
)
def test_unreadable_digest_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        with pytest.raises(ConfigError, match="PAPERBOY_DIGEST_DIR") as caught:
            Settings.from_env(environ={"PAPERBOY_DIGEST_DIR": str(folder)}, env_file=None)
        assert "cannot read" in str(caught.value)
    finally:
        folder.chmod(0o755)


def test_unreadable_digest_folder_as_any_user(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Root reads every folder, so ask the OS question the way a normal user would get it.
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(ConfigError, match="PAPERBOY_DIGEST_DIR") as caught:
        Settings.from_env(environ={"PAPERBOY_DIGEST_DIR": str(tmp_path)}, env_file=None)
    assert "cannot read" in str(caught.value)


def test_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# paperboy settings\n"
        f"DISCORD_TOKEN={TOKEN}\n"
        f"PAPERBOY_DATABASE={tmp_path / 'from-file.db'}\n"
        f'PAPERBOY_DIGEST_DIR="{tmp_path}"\n'
        "PAPERBOY_POLL_SECONDS=30\n"
        "PAPERBOY_DEV_GUILD_ID=987654321\n"
        "PAPERBOY_LOG_LEVEL=warning\n",
        encoding="utf-8",
    )
    settings = Settings.from_env(environ={}, env_file=env_file)
    assert settings.token == TOKEN
    assert settings.database == tmp_path / "from-file.db"
    assert settings.digest_dir == tmp_path
    assert settings.poll_seconds == 30
    assert settings.dev_guild_id == 987654321
    assert settings.log_level == "WARNING"


def test_environment_overrides_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PAPERBOY_POLL_SECONDS=30\nPAPERBOY_LOG_LEVEL=ERROR\n", encoding="utf-8")
    settings = Settings.from_env(environ={"PAPERBOY_POLL_SECONDS": "7"}, env_file=str(env_file))
    assert settings.poll_seconds == 7
    assert settings.log_level == "ERROR"


def test_bad_value_in_env_file_names_the_variable(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PAPERBOY_DEV_GUILD_ID=my-server\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="PAPERBOY_DEV_GUILD_ID"):
        Settings.from_env(environ={}, env_file=env_file)


def test_missing_env_file_is_ignored(tmp_path: Path) -> None:
    settings = Settings.from_env(environ={}, env_file=tmp_path / "absent.env")
    assert settings == Settings(hf_url=HF_URL)


def test_default_env_file_is_read_from_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PAPERBOY_POLL_SECONDS=99\n", encoding="utf-8")
    assert Settings.from_env(environ={}).poll_seconds == 99


def test_token_is_not_in_repr() -> None:
    settings = Settings.from_env(environ={"DISCORD_TOKEN": TOKEN}, env_file=None)
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "poll_seconds" in repr(settings)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


# -- the Hub source ----------------------------------------------------------------------


def test_hub_settings_from_env(tmp_path: Path) -> None:
    settings = Settings.from_env(
        environ={
            "PAPERBOY_HF_URL": " http://127.0.0.1:8080/ ",
            "PAPERBOY_HF_SETTLE_MINUTES": "90.5",
            "PAPERBOY_HF_LOOKBACK_DAYS": "10",
            "PAPERBOY_DATABASE": str(tmp_path / "data" / "p.db"),
        },
        env_file=None,
    )
    assert settings.hf_url == "http://127.0.0.1:8080"
    assert (settings.hf_settle_minutes, settings.hf_lookback_days) == (90.5, 10)
    # Fetched days go beside the database (created at start), never into seeds/.
    assert settings.digest_dir == tmp_path / "data" / "digests"


@pytest.mark.parametrize("value", ["off", "OFF", " Off "])
def test_off_means_files_only(value: str) -> None:
    settings = Settings.from_env(environ={"PAPERBOY_HF_URL": value}, env_file=None)
    assert settings.hf_url is None and settings.digest_dir == PROJECT_SEEDS


def test_a_configured_digest_folder_is_kept_and_must_be_writable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environ = {"PAPERBOY_DIGEST_DIR": str(tmp_path)}
    assert Settings.from_env(environ=environ, env_file=None).digest_dir == tmp_path
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK)
    with pytest.raises(ConfigError, match="PAPERBOY_DIGEST_DIR") as caught:
        Settings.from_env(environ=environ, env_file=None)
    assert "cannot write" in str(caught.value) and "PAPERBOY_HF_URL=off" in str(caught.value)
    assert Settings.from_env(environ={**environ, "PAPERBOY_HF_URL": "off"}, env_file=None)


def test_hub_settings_in_code(tmp_path: Path) -> None:
    settings = Settings(database=tmp_path / "p.db", hf_url="http://127.0.0.1:1/")
    assert settings.hf_url == "http://127.0.0.1:1"
    assert settings.digest_dir == tmp_path / "digests"  # not the project's seeds
    kept = Settings(database=tmp_path / "p.db", digest_dir=tmp_path, hf_url="http://x")
    assert kept.digest_dir == tmp_path
    for bad in ({"hf_url": "nowhere"}, {"hf_lookback_days": 0}, {"hf_settle_minutes": -1}):
        with pytest.raises(ConfigError):
            Settings(**bad)  # type: ignore[arg-type]
