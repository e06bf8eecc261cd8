"""The storage side of /privacy and /forget (the implementation is storage.repositories.privacy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["KeptTicket", "PrivacyRepository"]


@dataclass(frozen=True)
class KeptTicket:
    number: str
    kind: str
    status: str
    created_at: datetime
    address: str | None
    phone: str | None


class PrivacyRepository(Protocol):
    async def tickets_of(self, user_id: int) -> list[KeptTicket]: ...
    async def contracts_of(self, user_id: int) -> list[tuple[str, str]]: ...
    async def anonymise_closed(self, closed_before: datetime, now: datetime) -> int:
        """Tickets closed before ``closed_before`` lose their personal data; how many did."""
        ...

    async def erase(self, user_id: int, telegram_id: int, now: datetime) -> None:
        """Everything that says who the customer is or where they live, removed."""
        ...
