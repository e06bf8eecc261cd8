"""Typed settings from ``config.toml`` plus a few environment variables.

Any bad value stops start-up with one line naming the key and what is wrong
(:class:`ConfigError`); the CLI prints it and exits with code 2.

Environment variables win over the file:
``AFTERCARE_TELEGRAM_TOKEN``, ``AFTERCARE_DATABASE_URL``, ``AFTERCARE_MANAGER_IDS``
(comma-separated Telegram user ids).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from babel.numbers import list_currencies
from pydantic import Field, ValidationError, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.lists_settings import (
    CertificateSettings,
    PartSettings,
    PriceSettings,
    ProductSettings,
    Section,
    SnippetSettings,
)
from bot.logs import LoggingSettings
from bot.sections import (
    ContractSettings,
    HealthSettings,
    LimitSettings,
    PrivacySettings,
    ReportSettings,
    SurveySettings,
)
from dispatch.assignment import Weights
from dispatch.calendar import WorkCalendar
from dispatch.catalogue import PriceItem, Product, Snippet
from dispatch.certificates import CertificateKind
from dispatch.contact import NEIGHBOURS
from dispatch.geo import Place
from dispatch.model import Language, Localized, PartKind, TicketKind
from dispatch.parts_list import PartsList
from dispatch.policy import DeskPolicy, DispatchRules, SurveyRules
from dispatch.sla import SLA_DEFAULTS, Limit, parse_limit

__all__ = ["ConfigError", "Settings", "load_settings"]

DEFAULT_CONFIG_PATH = Path("config.toml")
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class ConfigError(Exception):
    """One line: the key and what is wrong with it."""


def _http_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class WebhookSettings(Section):
    listen: str = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536)] = 8443
    url_path: str = "telegram"
    # The public https URL Telegram calls; required in webhook mode.
    url: str = ""
    secret_token: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value) if value else value


class TelegramSettings(Section):
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookSettings = WebhookSettings()

    _check_base_url = field_validator("base_url", "base_file_url")(_http_url)


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///aftercare.db"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL") from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; use one of "
                + ", ".join(SUPPORTED_DRIVERS)
            )
        return value


_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def _hours(value: str) -> str:
    if not _HOURS.match(value):
        raise ValueError(f"{value!r} is not a span like '09:00-17:30'")
    return value


class DeskSettings(Section):
    timezone: str = "Asia/Shanghai"
    calendar_country: str = "CN"
    # Where the desk's customers are, for regional wording (HK: Hong Kong's Traditional
    # Chinese over Taiwan's). Empty: the calendar country's.
    region: str = ""
    # The price list's currency (ISO 4217: CNY, TWD, HKD, MOP, SGD, MYR).
    currency: str = "CNY"
    default_language: Language = Language.EN
    office_hours: str = "09:00-17:30"
    quiet_hours: str = "21:00-09:00"
    managers: tuple[int, ...] = ()
    invite_ttl_hours: Annotated[float, Field(gt=0)] = 72
    draft_ttl_hours: Annotated[float, Field(gt=0)] = 72
    # Telegram ids of the managers who hear the last escalation level (directors).
    directors: tuple[int, ...] = ()
    # Chats told of errors (a person's id, or a group's negative id); see bot/alerts.py.
    operators: tuple[int, ...] = ()
    # The staff group: a forum supergroup (negative id) where the bot is an admin that can
    # manage topics; the team sees a topic per case there (docs/managers.md). None: none.
    staff_group: int | None = None
    # The language of the staff group's topics and cards (default: default_language).
    staff_language: Language | None = None
    # A warning goes out at this share of a limit; the escalation this long after a breach.
    warn_at_percent: Annotated[float, Field(gt=0, lt=100)] = 80
    escalate_after_hours: Annotated[float, Field(gt=0)] = 2

    @field_validator("staff_group")
    @classmethod
    def _group(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError(
                f"{value} is not a group's id (those are negative, like -1001234567890)"
            )
        return value

    @field_validator("default_language", "staff_language", mode="before")
    @classmethod
    def _language(cls, value: object) -> Language | None:
        if value is None:
            return None
        try:
            return Language(str(value))
        except ValueError:
            raise ValueError(
                f"{value!r} is not one of " + ", ".join(x.value for x in Language)
            ) from None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone") from None
        return value

    @field_validator("calendar_country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value not in holidays.list_supported_countries():
            raise ValueError(f"{value!r} is not a country the holidays package knows")
        return value

    _check_hours = field_validator("office_hours", "quiet_hours")(_hours)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.strip().upper()
        if value and value not in NEIGHBOURS:
            raise ValueError(f"{value!r} is not one of " + ", ".join(NEIGHBOURS))
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in list_currencies():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @property
    def wording_region(self) -> str:
        """The region whose wording the texts take: the setting, else the calendar's."""
        return self.region or self.calendar_country


class PlaceSettings(Section):
    name: str
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    radius_km: Annotated[float, Field(gt=0)] = 10


class DispatchSettings(Section):
    offer_timeout_minutes: Annotated[float, Field(gt=0)] = 10
    arrival_radius_m: Annotated[float, Field(gt=0)] = 300
    far_distance_km: Annotated[float, Field(gt=0)] = 100
    default_service_radius_km: Annotated[float, Field(gt=0)] = 50
    default_capacity: Annotated[int, Field(gt=0)] = 3
    backlog_interval_seconds: Annotated[float, Field(ge=15, le=600)] = 45
    sweep_interval_seconds: Annotated[float, Field(ge=15, le=60)] = 30
    cost_per_km: Annotated[float, Field(ge=0)] = 1.0
    cost_per_open_job: Annotated[float, Field(ge=0)] = 5.0
    credit_per_waiting_minute: Annotated[float, Field(ge=0)] = 0.5
    service_points: tuple[PlaceSettings, ...] = ()
    priority_areas: tuple[PlaceSettings, ...] = ()


def _limit_table(raw: Mapping[str, Any]) -> dict[str, Limit]:
    table = dict(SLA_DEFAULTS)
    for key, value in raw.items():
        if key not in SLA_DEFAULTS:
            raise ConfigError(f"config error: sla.{key}: unknown key")
        if not isinstance(value, str):
            raise ConfigError(f"config error: sla.{key}: expected a string like '1h' or '2wd'")
        try:
            table[key] = parse_limit(value)
        except ValueError as exc:
            raise ConfigError(f"config error: sla.{key}: {exc}") from None
    return table


class _File(Section):
    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    desk: DeskSettings = DeskSettings()
    dispatch: DispatchSettings = DispatchSettings()
    reports: ReportSettings = ReportSettings()
    survey: SurveySettings = SurveySettings()
    contracts: ContractSettings = ContractSettings()
    logging: LoggingSettings = LoggingSettings()
    health: HealthSettings = HealthSettings()
    limits: LimitSettings = LimitSettings()
    privacy: PrivacySettings = PrivacySettings()
    sla: dict[str, Any] = Field(default_factory=dict)
    catalogue: tuple[ProductSettings, ...] = ()
    prices: tuple[PriceSettings, ...] = ()
    snippets: tuple[SnippetSettings, ...] = ()
    certificates: tuple[CertificateSettings, ...] = ()
    parts: tuple[PartSettings, ...] = ()


class Settings:
    """The validated configuration, as the rest of the program uses it."""

    def __init__(self, raw: _File, sla: dict[str, Limit], *, source: Path | None) -> None:
        self.telegram = raw.telegram
        self.database = raw.database
        self.desk = raw.desk
        self.dispatch = raw.dispatch
        self.reports = raw.reports
        self.contracts = raw.contracts
        self.logging = raw.logging
        self.health = raw.health
        self.limits = raw.limits
        self.privacy = raw.privacy
        self.sla = sla
        self.source = source
        self.products: tuple[Product, ...] = tuple(
            Product(p.code, Localized(**p.name.model_dump()), p.warranty_months)
            for p in raw.catalogue
        )
        self.prices: tuple[PriceItem, ...] = tuple(
            PriceItem(p.code, Localized(**p.name.model_dump()), p.price) for p in raw.prices
        )

        places = self.dispatch
        self.policy = DeskPolicy(
            zone=ZoneInfo(self.desk.timezone),
            sla=sla,
            products=self.products,
            prices=self.prices,
            snippets=tuple(
                Snippet(s.code, Localized(**s.title.model_dump()), Localized(**s.text.model_dump()))
                for s in raw.snippets
            ),
            service_points=tuple(
                Place(p.name, p.latitude, p.longitude, p.radius_km) for p in places.service_points
            ),
            priority_areas=tuple(
                Place(p.name, p.latitude, p.longitude, p.radius_km) for p in places.priority_areas
            ),
            far_distance_km=places.far_distance_km,
            parts=PartsList(
                PartKind(
                    p.code,
                    Localized(**p.name.model_dump()),
                    p.price,
                    p.reorder_level,
                    frozenset(p.products),
                )
                for p in raw.parts
            ),
            certificates=tuple(
                CertificateKind(
                    c.code,
                    Localized(**c.name.model_dump()),
                    frozenset(c.products),
                    frozenset(TicketKind(k) for k in c.kinds),
                )
                for c in raw.certificates
            ),
            draft_ttl=timedelta(hours=self.desk.draft_ttl_hours),
            manager_ids=self.desk.managers,
            calendar=WorkCalendar(
                self.desk.calendar_country,
                ZoneInfo(self.desk.timezone),
                office_open=_clock(self.desk.office_hours.split("-")[0]),
                office_close=_clock(self.desk.office_hours.split("-")[1]),
            ),
            surveys=SurveyRules(
                send_at=_clock(raw.survey.send_at),
                after_days=raw.survey.after_days,
                reminder=timedelta(hours=raw.survey.reminder_hours),
                low_score=raw.survey.low_score,
            ),
            warn_fraction=self.desk.warn_at_percent / 100,
            escalate_after=timedelta(hours=self.desk.escalate_after_hours),
            currency=self.desk.currency,
            requests_per_hour=raw.limits.requests_per_hour,
            director_ids=self.desk.directors,
            staff_group=self.desk.staff_group,
            quiet_hours=(
                _clock(self.desk.quiet_hours.split("-")[0]),
                _clock(self.desk.quiet_hours.split("-")[1]),
            ),
            dispatch=DispatchRules(
                offer_timeout=timedelta(minutes=places.offer_timeout_minutes),
                weights=Weights(
                    per_km=places.cost_per_km,
                    per_open_job=places.cost_per_open_job,
                    per_waiting_minute=places.credit_per_waiting_minute,
                ),
                arrival_radius_m=places.arrival_radius_m,
            ),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self.policy.zone


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"config error: {key}: unknown key"
    if err["type"] == "missing":
        return f"config error: {key}: missing"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"].endswith("_type") and "input" in err:
        message = f"{message} (got {type(err['input']).__name__} {err['input']!r})"
    return f"config error: {key}: {message}"


def _env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> None:
    if token := env.get("AFTERCARE_TELEGRAM_TOKEN"):
        data.setdefault("telegram", {})["token"] = token
    if url := env.get("AFTERCARE_DATABASE_URL"):
        data.setdefault("database", {})["url"] = url
    if keys := env.get("AFTERCARE_DATA_KEYS"):
        data.setdefault("privacy", {})["keys"] = [k for k in keys.replace(" ", "").split(",") if k]
    if lookup := env.get("AFTERCARE_LOOKUP_KEY"):
        data.setdefault("privacy", {})["lookup_key"] = lookup
    if ids := env.get("AFTERCARE_MANAGER_IDS"):
        try:
            managers = [int(part) for part in ids.replace(" ", "").split(",") if part]
        except ValueError:
            raise ConfigError(
                "config error: AFTERCARE_MANAGER_IDS: expected comma-separated Telegram user ids"
            ) from None
        data.setdefault("desk", {})["managers"] = managers


def _tuples(data: Any) -> Any:
    """TOML arrays arrive as lists; strict models want the tuples they declare."""
    if isinstance(data, dict):
        return {key: _tuples(value) for key, value in data.items()}
    if isinstance(data, list):
        return tuple(_tuples(value) for value in data)
    return data


def load_settings(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    require_token: bool = False,
) -> Settings:
    """Read ``path`` (or ``./config.toml`` when present, else defaults) and validate it."""
    env = os.environ if env is None else env
    source: Path | None = path
    if source is None and (env_path := env.get("AFTERCARE_CONFIG")):
        source = Path(env_path)
    if source is None and DEFAULT_CONFIG_PATH.exists():
        source = DEFAULT_CONFIG_PATH
    data: dict[str, Any] = {}
    if source is not None:
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config error: {source}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config error: {source}: not valid TOML ({exc})") from None
    _env_overrides(data, env)
    try:
        raw = _File.model_validate(_tuples(data))
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None
    sla = _limit_table(raw.sla)
    codes = [p.code for p in raw.catalogue]
    if len(codes) != len(set(codes)):
        raise ConfigError("config error: catalogue: two products share a code")
    for certificate in raw.certificates:
        unknown = sorted(set(certificate.products) - set(codes))
        if unknown:
            raise ConfigError(
                f"config error: certificates.{certificate.code}: no product {unknown[0]!r} "
                "in the catalogue"
            )
    for part in raw.parts:
        unknown = sorted(set(part.products) - set(codes))
        if unknown:
            raise ConfigError(
                f"config error: parts.{part.code}: no product {unknown[0]!r} in the catalogue"
            )
    if len({p.code for p in raw.parts}) != len(raw.parts):
        raise ConfigError("config error: parts: two parts share a code")
    if len({c.code for c in raw.certificates}) != len(raw.certificates):
        raise ConfigError("config error: certificates: two certificates share a code")
    snippet_codes = [s.code for s in raw.snippets]
    if len(snippet_codes) != len(set(snippet_codes)):
        raise ConfigError("config error: snippets: two saved replies share a code")
    if require_token and not raw.telegram.token.strip():
        raise ConfigError(
            "config error: telegram.token: missing; put the token from BotFather in "
            "AFTERCARE_TELEGRAM_TOKEN or in the config file"
        )
    if raw.telegram.mode == "webhook" and not raw.telegram.webhook.url:
        raise ConfigError("config error: telegram.webhook.url: required in webhook mode")
    if bool(raw.privacy.keys) != bool(raw.privacy.lookup_key):
        raise ConfigError("config error: privacy: set both keys and lookup_key, or neither")
    return Settings(raw, sla, source=source)
