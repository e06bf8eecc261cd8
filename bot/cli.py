"""The ``aftercare`` command: ``run`` the bot, ``db upgrade`` the database, ``report`` the
monthly report or the figures of a range of days (bot.reporting).

Every problem found before start-up is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import BaseRequest

from bot.backup import BackupError, backup_sqlite, sqlite_file
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure as configure_logs
from dispatch.company_days import load_company_days
from dispatch.errors import InvalidInput
from dispatch.model import Language
from dispatch.stats import settle_first_responses
from storage.crypto import MissingKeys, check_keys, new_key
from storage.crypto import configure as configure_keys
from storage.db import make_engine, make_sessionmaker
from storage.migrate import current_revision, head_revision, upgrade
from storage.uow import UnitOfWorkFactory

__all__ = ["StartupError", "check_token", "console", "main"]

log = logging.getLogger("aftercare")


class StartupError(Exception):
    """One line for the operator: what is wrong and what to do."""


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _check_database(settings: Settings) -> None:
    url = settings.database.url
    engine = make_engine(url)
    configure_keys(settings.privacy.key_ring())
    try:
        try:
            current = await current_revision(engine)
        except Exception as exc:  # any driver error: report it, do not crash
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StartupError(f"database error: cannot open {_safe_url(url)}: {reason}") from None
        if current == head_revision():
            try:
                await check_keys(engine)
            except MissingKeys as exc:
                raise StartupError(f"config error: privacy: {exc}") from None
    finally:
        await engine.dispose()
    head = head_revision()
    if current is None:
        raise StartupError(
            f"database error: {_safe_url(url)} has no tables yet; run `aftercare db upgrade` first"
        )
    if current != head:
        raise StartupError(
            f"database error: {_safe_url(url)} is at revision {current}, this version needs "
            f"{head}; run `aftercare db upgrade` first"
        )


async def check_token(settings: Settings, request: BaseRequest | None = None) -> str:
    """The bot's @username, once Telegram has accepted the token; ``request`` is a test seam."""
    bot = Bot(
        settings.telegram.token,
        base_url=settings.telegram.base_url,
        base_file_url=settings.telegram.base_file_url,
        request=request,
    )
    try:
        async with bot:
            me = await bot.get_me()
    except InvalidToken:
        raise StartupError(
            "config error: telegram.token: Telegram refused this token; "
            "copy it again from BotFather"
        ) from None
    except NetworkError as exc:
        raise StartupError(
            f"network error: cannot reach the Bot API at {settings.telegram.base_url}: {exc}"
        ) from None
    except TelegramError as exc:
        raise StartupError(f"telegram error: {exc}") from None
    return f"@{me.username}"


async def _upgrade(settings: Settings) -> str:
    engine = make_engine(settings.database.url)
    try:
        try:
            await upgrade(engine)
            revision = await current_revision(engine)
            # The first responses the log gave, counted in office hours by the calendar.
            uow = UnitOfWorkFactory(make_sessionmaker(engine))
            calendar = settings.policy.work_calendar
            await load_company_days(uow(), calendar)
            await settle_first_responses(uow(), calendar)
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StartupError(
                f"database error: cannot upgrade {_safe_url(settings.database.url)}: {reason}"
            ) from None
    finally:
        await engine.dispose()
    return f"database {_safe_url(settings.database.url)} is at revision {revision}"


def _run(settings: Settings) -> int:
    """0 once stopped; 1 when the desk's lock was lost (bot.serve)."""
    configure_logs(settings.logging)
    asyncio.run(_check_database(settings))
    username = asyncio.run(check_token(settings))
    from bot.app import build_application  # imported late: start-up checks come first
    from bot.serve import serve

    application = build_application(settings)
    log.info("AfterCare is starting as %s (%s mode)", username, settings.telegram.mode)
    try:
        return asyncio.run(serve(application, settings))
    except OSError as exc:
        raise StartupError(f"cannot listen: {exc.strerror or exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftercare", description="AfterCare service desk bot")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="check the setup, then start the bot")
    run.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    start = commands.add_parser(
        "start",
        help="with a bot token: upgrade the database and run the bot; without: the sandbox",
    )
    start.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    sandbox = commands.add_parser(
        "sandbox", help="the whole desk offline in a browser, with made-up people"
    )
    sandbox.add_argument("--port", type=int, default=8080, help="default: 8080")
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    sandbox.add_argument(
        "--data",
        type=Path,
        default=Path("sandbox-desk"),
        help="folder for its config, database and log, emptied at each start "
        "(default: ./sandbox-desk)",
    )
    sandbox.add_argument(
        "--faults",
        type=float,
        default=0.0,
        help="a share of the bot's calls that fail as Telegram's and networks' do "
        "(429, 500, a connection reset before or after the call), for example 0.1",
    )
    db = commands.add_parser("db", help="database tasks")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = db_commands.add_parser("upgrade", help="create or upgrade the tables")
    up.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    backup = commands.add_parser(
        "backup", help="a consistent, checked copy of the live SQLite database"
    )
    backup.add_argument("--to", type=Path, required=True, help="the new file, e.g. backup.db")
    backup.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    keys = commands.add_parser("keys", help="the keys that encrypt personal data")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser("new", help="print a new encryption key and a lookup key")
    rotate = key_commands.add_parser(
        "rotate", help="write every encrypted value again with the first key"
    )
    rotate.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    verify = commands.add_parser(
        "verify", help="check that no recorded event or signed service record was changed"
    )
    verify.add_argument(
        "--head", help="a chain head an earlier verify printed: it must still be in the chain"
    )
    verify.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    report = commands.add_parser("report", help="the monthly report or a period's figures")
    kinds = report.add_subparsers(dest="report_command", required=True)
    monthly = kinds.add_parser("monthly", help="a month's complaint report and KPIs")
    monthly.add_argument("--month", required=True, help="the month, for example 2026-10")
    stats = kinds.add_parser("stats", help="the KPIs of a range of days, as /stats shows them")
    stats.add_argument("--from", dest="first", required=True, help="first day, 2026-11-01")
    stats.add_argument("--to", dest="last", required=True, help="last day, 2026-11-15")
    for each in (monthly, stats):
        each.add_argument("--out", type=Path, help="also write the charts and files here")
        each.add_argument(
            "--language",
            choices=[language.value for language in Language],
            help="default: the desk's default language",
        )
        each.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    return parser


def _report(args: argparse.Namespace) -> str:
    from bot.reporting import monthly_report, stats_report  # matplotlib: only when asked

    settings = load_settings(args.config)
    configure_keys(settings.privacy.key_ring())
    language = Language(args.language) if args.language else settings.desk.default_language
    try:
        if args.report_command == "monthly":
            month = date.fromisoformat(args.month + "-01")
            text, made = asyncio.run(
                monthly_report(settings, month.year, month.month, language, args.out is not None)
            )
        else:
            first, last = date.fromisoformat(args.first), date.fromisoformat(args.last)
            text, made = asyncio.run(
                stats_report(settings, first, last, language, args.out is not None)
            )
    except ValueError as exc:
        raise StartupError(
            f"report: {exc} (dates are written 2026-11-01, months 2026-10)"
        ) from None
    except InvalidInput as exc:
        raise StartupError(f"report: {exc.message}") from None
    written = []
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, content in made:
            (args.out / name).write_bytes(content)
            written.append(f"wrote {args.out / name}")
    return "\n".join([text, *written])


def _backup(args: argparse.Namespace) -> str:
    source = sqlite_file(load_settings(args.config).database.url)
    made = backup_sqlite(source, args.to)
    return (
        f"Backed up {made.source} to {made.target} ({made.pages} pages, integrity checked).\n"
        f"To restore: stop the bot, move {made.source} and any {made.source.name}-wal and "
        f"{made.source.name}-shm files aside, copy {made.target} to {made.source}, then start "
        "the bot (aftercare run)."
    )


def _keys(args: argparse.Namespace) -> str:
    if args.keys_command == "new":
        return (
            f"AFTERCARE_DATA_KEYS={new_key()}\n"
            f"AFTERCARE_LOOKUP_KEY={secrets.token_urlsafe(32)}\n"
            "Keep both apart from the database (a password manager, the secrets file of the "
            "service): without them the encrypted data cannot be read."
        )
    settings = load_settings(args.config)
    ring = settings.privacy.key_ring()
    if ring is None:
        raise StartupError("keys: no keys are set ([privacy] keys and lookup_key)")
    configure_keys(ring)
    written = asyncio.run(_rotate(settings))
    counts = ", ".join(f"{table} {count}" for table, count in written.items())
    return f"Every encrypted value is now written with the first key ({counts} rows)."


async def _rotate(settings: Settings) -> dict[str, int]:
    from storage.rotation import rotate_keys

    await _check_database(settings)  # upgraded, and readable with these keys
    engine = make_engine(settings.database.url)
    try:
        return await rotate_keys(engine)
    finally:
        await engine.dispose()


async def _verify(settings: Settings, head: str | None) -> tuple[str, bool]:
    from bot.verify import verify_desk

    await _check_database(settings)  # upgraded, and readable with these keys
    engine = make_engine(settings.database.url)
    try:
        result = await verify_desk(
            UnitOfWorkFactory(make_sessionmaker(engine)), datetime.now(UTC), earlier_head=head
        )
    finally:
        await engine.dispose()
    return result.report(), not result.findings


def _start(args: argparse.Namespace) -> int:
    """The README's first command: the real bot when a token is set, else the sandbox."""
    settings = load_settings(args.config)
    if not settings.telegram.token:
        print(
            "No bot token is set (AFTERCARE_TELEGRAM_TOKEN, or [telegram] token in the "
            "config): starting the sandbox instead."
        )
        return _sandbox("127.0.0.1", 8080, Path("sandbox-desk"))
    print(asyncio.run(_upgrade(settings)))
    return _run(load_settings(args.config, require_token=True))


def _sandbox(host: str, port: int, folder: Path, faults: float = 0.0) -> int:
    from sandbox.run import run_sandbox  # aiohttp and the demo: only when asked

    if not 0 <= faults < 1:
        raise StartupError("sandbox: --faults is a share of calls, from 0 to below 1")
    try:
        return asyncio.run(
            run_sandbox(host=host, port=port, folder=folder.resolve(), faults=faults)
        )
    except OSError as exc:
        raise StartupError(f"sandbox: cannot listen on {host}:{port}: {exc.strerror}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logs()  # the config's [logging] applies once it is read (_run)
    try:
        if args.command == "run":
            return _run(load_settings(args.config, require_token=True))
        elif args.command == "start":
            return _start(args)
        elif args.command == "sandbox":
            return _sandbox(args.host, args.port, args.data, args.faults)
        elif args.command == "report":
            print(_report(args))
        elif args.command == "backup":
            print(_backup(args))
        elif args.command == "keys":
            print(_keys(args))
        elif args.command == "verify":
            text, intact = asyncio.run(_verify(load_settings(args.config), args.head))
            print(text)
            return 0 if intact else 1
        else:
            print(asyncio.run(_upgrade(load_settings(args.config))))
    except (ConfigError, StartupError, BackupError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def console() -> None:
    """Entry point of the ``aftercare`` console script."""
    raise SystemExit(main())
