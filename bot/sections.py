"""Small sections of the config file, each read as one pydantic model (bot.config)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from cryptography.fernet import Fernet
from pydantic import Field, field_validator

from bot.lists_settings import Section
from storage.crypto import KeyRing

__all__ = [
    "ContractSettings",
    "HealthSettings",
    "LimitSettings",
    "ReportSettings",
    "SurveySettings",
]


class PrivacySettings(Section):
    """Personal data encrypted at rest (storage.crypto): Fernet keys, newest first, and the
    key of the HMAC a phone number is found by. Both, or neither."""

    keys: tuple[str, ...] = ()
    lookup_key: str = ""
    # Closed tickets lose their personal data this many days after closing (0: never).
    retention_days: Annotated[int, Field(ge=0)] = 1095

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key in value:
            try:
                Fernet(key.encode())
            except ValueError:
                raise ValueError(
                    "each key must be a Fernet key (make one with `aftercare keys new`)"
                ) from None
        return value

    @field_validator("lookup_key")
    @classmethod
    def _lookup(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("at least 32 characters (make one with `aftercare keys new`)")
        return value

    def key_ring(self) -> KeyRing | None:
        """None without keys (bot.config refuses keys without a lookup key, and the reverse)."""
        return KeyRing(self.keys, self.lookup_key) if self.keys and self.lookup_key else None


class LimitSettings(Section):
    """Per-customer limits against floods (handlers.guard, dispatch.customer)."""

    requests_per_hour: Annotated[int, Field(ge=1)] = 10
    messages_per_minute: Annotated[int, Field(ge=5)] = 30


class HealthSettings(Section):
    """``/healthz`` and ``/metrics`` (bot.web); see config.example.toml."""

    listen: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, lt=65536)] = 8081
    outbox_max_wait_seconds: Annotated[int, Field(ge=10)] = 300
    inbox_max_wait_seconds: Annotated[int, Field(ge=10)] = 300


class ContractSettings(Section):
    """Maintenance contracts (dispatch.contracts): each planned visit is created, and
    proposed to the customer, ``plan_days_ahead`` days before its day."""

    plan_days_ahead: Annotated[int, Field(ge=1, le=60)] = 7


class SurveySettings(Section):
    """The follow-up visit (回访): sent ``after_days`` after the signature at
    ``send_at`` (never in quiet hours), one reminder ``reminder_hours`` later."""

    after_days: Annotated[int, Field(ge=0, le=14)] = 1
    send_at: str = "10:00"
    reminder_hours: Annotated[float, Field(gt=0)] = 24
    low_score: Annotated[int, Field(ge=1, le=4)] = 2

    @field_validator("send_at")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"{value!r} is not a time like '10:00'")
        return value


class ReportSettings(Section):
    # A TrueType (.ttf / .ttc) font with Chinese, embedded in service reports.
    font: str = ""

    @field_validator("font")
    @classmethod
    def _font(cls, value: str) -> str:
        if value and not Path(value).is_file():
            raise ValueError(f"{value!r} is not a font file")
        return value
