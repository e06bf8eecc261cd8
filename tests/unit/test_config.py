"""Bad configuration stops start-up with one line naming the key, and exit code 2."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from storage.migrate import head_revision

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_config_loads_with_its_catalogue_and_prices() -> None:
    settings = load_settings(ROOT / "config.example.toml", env={"AFTERCARE_TELEGRAM_TOKEN": "1:x"})
    assert [p.code for p in settings.products] == ["aircon", "washer", "fridge", "heater"]
    assert settings.prices[0].name.zh_Hant == "到府服務費"
    assert settings.database.url == "sqlite+aiosqlite:///aftercare.db"
    assert settings.desk.timezone == "Asia/Shanghai"


def test_the_follow_up_survey_goes_when_the_desk_says(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    example = load_settings(ROOT / "config.example.toml").policy.surveys
    assert (example.after_days, example.send_at, example.low_score) == (1, time(10), 2)
    path.write_text('[survey]\nafter_days = 0\nsend_at = "08:30"\nreminder_hours = 4\n')
    rules = load_settings(path).policy.surveys
    assert (rules.after_days, rules.send_at, rules.reminder) == (0, time(8, 30), timedelta(hours=4))


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[telegram]\ntoken = "1:file"\n[desk]\nmanagers = [1]\n')
    settings = load_settings(
        path,
        env={
            "AFTERCARE_TELEGRAM_TOKEN": "2:env",
            "AFTERCARE_MANAGER_IDS": "5, 6",
            "AFTERCARE_DATABASE_URL": "postgresql+asyncpg://u@h/db",
        },
    )
    assert settings.telegram.token == "2:env"
    assert settings.desk.managers == (5, 6)
    assert settings.database.url == "postgresql+asyncpg://u@h/db"


BAD = [
    (
        "",
        {},
        "config error: telegram.token: missing; put the token from BotFather in AFTERCARE_TELEGRAM_TOKEN or in the config file",
    ),
    (
        '[database]\nurl = "not a url"\n',
        {},
        "config error: database.url: 'not a url' is not a database URL",
    ),
    (
        '[database]\nurl = "mysql://x/y"\n',
        {},
        "config error: database.url: driver 'mysql' is not supported; use one of sqlite+aiosqlite, postgresql+asyncpg",
    ),
    (
        '[telegram]\nbase_url = "ftp://x"\n',
        {},
        "config error: telegram.base_url: 'ftp://x' is not an http(s) URL",
    ),
    ('[desk]\ncolour = "red"\n', {}, "config error: desk.colour: unknown key"),
    ("[nonsense]\n", {}, "config error: nonsense: unknown key"),
    (
        '[dispatch]\noffer_timeout_minutes = "ten"\n',
        {},
        "config error: dispatch.offer_timeout_minutes: Input should be a valid number (got str 'ten')",
    ),
    (
        "[dispatch]\noffer_timeout_minutes = -5\n",
        {},
        "config error: dispatch.offer_timeout_minutes: Input should be greater than 0",
    ),
    (
        '[sla]\nrepair_dispatch = "-1h"\n',
        {},
        "config error: sla.repair_dispatch: '-1h' is negative; a time limit must be positive",
    ),
    (
        '[sla]\nrepair_dispatch = "soon"\n',
        {},
        "config error: sla.repair_dispatch: 'soon' is not a time limit like '1h', '30min' or '2wd'",
    ),
    ('[sla]\nrepair_teleport = "1h"\n', {}, "config error: sla.repair_teleport: unknown key"),
    (
        '[survey]\nsend_at = "25:00"\n',
        {},
        "config error: survey.send_at: '25:00' is not a time like '10:00'",
    ),
    (
        "[survey]\nafter_days = -1\n",
        {},
        "config error: survey.after_days: Input should be greater than or equal to 0",
    ),
    (
        '[desk]\ntimezone = "Mars/Olympus"\n',
        {},
        "config error: desk.timezone: 'Mars/Olympus' is not a known time zone",
    ),
    (
        '[desk]\ndefault_language = "fr"\n',
        {},
        "config error: desk.default_language: 'fr' is not one of en, zh_Hans, zh_Hant",
    ),
    (
        '[desk]\nmanagers = ["boss"]\n',
        {},
        "config error: desk.managers.0: Input should be a valid integer (got str 'boss')",
    ),
    (
        "",
        {"AFTERCARE_MANAGER_IDS": "12,abc"},
        "config error: AFTERCARE_MANAGER_IDS: expected comma-separated Telegram user ids",
    ),
    (
        '[telegram]\nmode = "carrier-pigeon"\n',
        {},
        "config error: telegram.mode: Input should be 'polling' or 'webhook'",
    ),
    (
        '[telegram]\nmode = "webhook"\n',
        {},
        "config error: telegram.webhook.url: required in webhook mode",
    ),
    (
        '[desk]\nregion = "Kowloon"\n',
        {},
        "config error: desk.region: 'KOWLOON' is not one of CN, TW, HK, MO, SG, MY",
    ),
    (
        '[desk]\ncurrency = "RMB"\n',
        {},
        "config error: desk.currency: 'RMB' is not an ISO 4217 currency code",
    ),
    (
        '[[certificates]]\ncode = "gas"\nname = { en = "Gas", zh_Hans = "燃气", zh_Hant = "燃氣" }\n'
        'products = ["boiler"]\n',
        {},
        "config error: certificates.gas: no product 'boiler' in the catalogue",
    ),
    (
        '[[certificates]]\ncode = "gas"\nname = { en = "Gas", zh_Hans = "燃气", zh_Hant = "燃氣" }\n'
        'kinds = ["complaint"]\n',
        {},
        "config error: certificates.0.kinds.0: Input should be 'repair', 'installation' or 'maintenance'",
    ),
    ("this is = = not toml", {}, "not valid TOML"),
    (
        '[logging]\nformat = "xml"\n',
        {},
        "config error: logging.format: Input should be 'text' or 'json'",
    ),
]


@pytest.mark.parametrize(("text", "env", "message"), BAD)
def test_each_bad_value_gives_one_line_and_exit_code_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    env: dict[str, str],
    message: str,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    for key in (
        "AFTERCARE_TELEGRAM_TOKEN",
        "AFTERCARE_MANAGER_IDS",
        "AFTERCARE_DATABASE_URL",
        "AFTERCARE_CONFIG",
    ):
        monkeypatch.delenv(key, raising=False)
    if "token" not in text and "missing" not in message:
        monkeypatch.setenv("AFTERCARE_TELEGRAM_TOKEN", "1:x")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err


def test_a_missing_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--config", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err == f"config error: {tmp_path / 'nope.toml'}: no such file\n"


def test_run_refuses_a_database_that_was_never_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/fresh.db"\n')
    monkeypatch.setenv("AFTERCARE_TELEGRAM_TOKEN", "1:x")
    assert main(["run", "--config", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"database error: sqlite+aiosqlite:///{tmp_path}/fresh.db has no tables yet; "
        "run `aftercare db upgrade` first\n"
    )
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    assert capsys.readouterr().out.endswith(f"is at revision {head_revision()}\n")


async def test_run_refuses_a_database_left_at_an_older_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.db import make_engine
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    await upgrade(engine, "0001_initial")
    await engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{url}"\n')
    monkeypatch.setenv("AFTERCARE_TELEGRAM_TOKEN", "1:x")
    from bot.cli import StartupError, _check_database
    from bot.config import load_settings as load

    with pytest.raises(StartupError) as refused:
        await _check_database(load(path))
    assert str(refused.value) == (
        f"database error: {url} is at revision 0001_initial, this version needs "
        f"{head_revision()}; run `aftercare db upgrade` first"
    )


def test_run_names_an_unreachable_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none"\n')
    monkeypatch.setenv("AFTERCARE_TELEGRAM_TOKEN", "1:x")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "database error: cannot open postgresql+asyncpg://nobody:***@127.0.0.1:1/none: "
    )
    assert "secret" not in err and err.count("\n") == 1


async def test_run_checks_that_telegram_accepts_the_token() -> None:
    from bot.cli import StartupError, check_token
    from sandbox.botapi import BotApiCore
    from sandbox.transport import InProcessRequest

    core = BotApiCore(username="desk_bot")
    good = load_settings(ROOT / "config.example.toml", env={"AFTERCARE_TELEGRAM_TOKEN": "42:good"})
    assert await check_token(good, InProcessRequest(core, token="42:good")) == "@desk_bot"
    bad = load_settings(ROOT / "config.example.toml", env={"AFTERCARE_TELEGRAM_TOKEN": "42:typo"})
    with pytest.raises(
        StartupError, match=r"^config error: telegram.token: Telegram refused this token"
    ):
        await check_token(bad, InProcessRequest(core, token="42:good"))


def test_amounts_are_written_in_the_desks_currency_as_each_language_writes_money() -> None:
    from bot.i18n import Translator
    from dispatch.model import Language

    translator = Translator()
    assert translator.format_money(Language.EN, 210, "CNY") == "CN¥210.00"
    assert translator.format_money(Language.ZH_HANS, 210, "CNY") == "¥210.00"
    assert translator.format_money(Language.ZH_HANT, 210, "TWD") == "$210.00"
    assert translator.format_money(Language.ZH_HANT, 210, "HKD") == "HK$210.00"


async def test_run_refuses_encrypted_data_it_has_no_key_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Started without the keys (or with other ones), the bot says so before it starts,
    instead of failing on the first customer it reads; `aftercare keys new` makes keys."""
    from bot.cli import StartupError, _check_database
    from bot.config import load_settings as load
    from dispatch.clock import SystemClock
    from dispatch.users import register_user
    from storage.crypto import KeyRing, configure
    from storage.db import make_engine, make_sessionmaker
    from storage.migrate import upgrade
    from storage.uow import UnitOfWorkFactory

    url = f"sqlite+aiosqlite:///{tmp_path}/desk.db"
    engine = make_engine(url)
    await upgrade(engine)
    assert main(["keys", "new"]) == 0
    made = [line.split("=", 1) for line in capsys.readouterr().out.splitlines() if "=" in line]
    keys = {name: value for name, value in made}
    configure(KeyRing([keys["AFTERCARE_DATA_KEYS"]], keys["AFTERCARE_LOOKUP_KEY"]))
    await register_user(
        UnitOfWorkFactory(make_sessionmaker(engine))(),
        SystemClock(),
        telegram_id=7001,
        display_name="王芳",
        username=None,
        telegram_language="zh-hans",
        manager_ids=(),
    )
    await engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{url}"\n')
    with pytest.raises(StartupError) as refused:
        await _check_database(load(path))
    assert str(refused.value) == (
        "config error: privacy: the database holds encrypted personal data: "
        "set [privacy] keys and lookup_key"
    )
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    await _check_database(load(path))  # with its keys: ready to start
