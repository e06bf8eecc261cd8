"""Personal data encrypted at rest: customers' phone numbers, addresses and names, what
they describe in a request, the raw updates in the inbox, the messages in the outbox and
the drafts of conversations.

With keys configured (``[privacy] keys``, newest first), the columns typed
:class:`EncryptedText` and :class:`EncryptedJSON` are written encrypted with the first
key (cryptography's Fernet: AES-128-CBC with an HMAC-SHA256, a random IV per value) and
read with any of them (MultiFernet), so a new key can be put first and the old ones kept
until ``aftercare keys rotate`` has written every value again. Values written before any
key was set are read as they are and encrypted by the next rotation. An encrypted value
cannot be searched in SQL: the one value the desk looks up, a customer's phone number, is
also kept as an HMAC-SHA256 under ``lookup_key`` (``users.phone_lookup``).

The key ring is the process's (``configure``), set once at start-up from the config.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from storage.types import JSONType

__all__ = [
    "EncryptedJSON",
    "EncryptedText",
    "KeyRing",
    "MissingKeys",
    "check_keys",
    "configure",
    "key_ring",
    "new_key",
]

PREFIX = "enc1:"  # an encrypted text value; plain values never start with it
JSON_KEY = "_enc1"  # an encrypted JSON value is {JSON_KEY: token}


class MissingKeys(RuntimeError):
    """Encrypted data met without the key that reads it."""


def new_key() -> str:
    return Fernet.generate_key().decode()


class KeyRing:
    def __init__(self, keys: Sequence[str], lookup_key: str) -> None:
        if not keys or not lookup_key:
            raise ValueError("a key ring needs at least one key and a lookup key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        self._lookup = lookup_key.encode()

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise MissingKeys(
                "a value was encrypted with a key that is not in [privacy] keys"
            ) from None

    def lookup(self, value: str) -> str:
        """The HMAC a value is found by (the same under every encryption key)."""
        return hmac.new(self._lookup, value.encode(), hashlib.sha256).hexdigest()


_ring: KeyRing | None = None


def configure(ring: KeyRing | None) -> None:
    """The process's key ring (None: values are written as they are)."""
    global _ring
    _ring = ring


def key_ring() -> KeyRing | None:
    return _ring


def _decrypt(token: str) -> str:
    if _ring is None:
        raise MissingKeys(
            "the database holds encrypted personal data: set [privacy] keys and lookup_key"
        )
    return _ring.decrypt(token)


class EncryptedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or _ring is None:
            return value
        return PREFIX + _ring.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        return _decrypt(value[len(PREFIX) :])


class EncryptedJSON(TypeDecorator[Any]):
    """JSON whose whole value is encrypted into ``{"_enc1": token}``: still JSON, so the
    column keeps its type (JSONB on PostgreSQL)."""

    impl = JSONType
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or _ring is None:
            return value
        return {JSON_KEY: _ring.encrypt(json.dumps(value, ensure_ascii=False))}

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, dict) and len(value) == 1 and JSON_KEY in value:
            return json.loads(_decrypt(str(value[JSON_KEY])))
        return value


async def check_keys(engine: AsyncEngine) -> None:
    """At start-up: raises MissingKeys if the users' data is encrypted and the keys set
    cannot read it (none set, or not the one it was written with)."""
    async with engine.connect() as conn:
        sample = await conn.scalar(
            text("SELECT display_name FROM users WHERE display_name LIKE :p LIMIT 1"),
            {"p": PREFIX + "%"},
        )
    if sample is not None:
        _decrypt(str(sample)[len(PREFIX) :])
