"""Entities and value objects of the service desk, as small dataclasses.

Repositories in ``storage/`` map database rows to these and back; nothing
outside ``storage/`` ever sees an ORM row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "DEADLINES",
    "Attachment",
    "Event",
    "Invite",
    "Language",
    "Offer",
    "Priority",
    "Role",
    "ServiceRecord",
    "Technician",
    "Ticket",
    "TicketKind",
    "User",
    "Visit",
]


class Role(StrEnum):
    CUSTOMER = "customer"
    TECHNICIAN = "technician"
    MANAGER = "manager"


class Language(StrEnum):
    EN = "en"
    ZH_HANS = "zh_Hans"
    ZH_HANT = "zh_Hant"


class TicketKind(StrEnum):
    REPAIR = "repair"
    INSTALLATION = "installation"
    COMPLAINT = "complaint"
    RETURN = "return"
    CONSULTATION = "consultation"


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Deadline columns kept on every ticket: each ``<name>_due_at`` has a
# ``<name>_fired_at`` that the sweep sets when it acted on it.
DEADLINES: tuple[str, ...] = ("dispatch", "arrive", "sla", "progress", "survey")


@dataclass
class User:
    id: int
    telegram_id: int
    role: Role
    language: Language | None
    telegram_language: str | None
    display_name: str
    username: str | None = None
    phone: str | None = None
    unreachable_at: datetime | None = None
    created_at: datetime | None = None


@dataclass
class Technician:
    user_id: int
    name: str
    phone: str
    skills: list[str]
    base_latitude: float
    base_longitude: float
    service_radius_km: float
    capacity: int
    on_duty: bool = False


@dataclass
class Invite:
    id: int
    role: Role
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = None


@dataclass
class Ticket:
    id: int
    number: str
    kind: TicketKind
    status: str
    customer_id: int
    created_at: datetime
    updated_at: datetime
    priority: Priority = Priority.NORMAL
    version: int = 1
    description: str = ""
    product_category: str | None = None
    product_model: str | None = None
    purchase_date: date | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    contact_phone: str | None = None
    preferred_date: date | None = None
    preferred_slot: str | None = None
    assigned_technician_id: int | None = None
    related_ticket_id: int | None = None
    priority_area: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    deadlines: dict[str, datetime | None] = field(default_factory=dict)
    intake_key: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file a user sent, kept by its Telegram file id (the bytes stay with Telegram)."""

    ticket_id: int
    uploaded_by: int
    purpose: str  # problem, evidence, return, info
    media_type: str  # photo, document
    file_id: str
    file_unique_id: str
    created_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class Event:
    """One line of the append-only audit log."""

    kind: str
    created_at: datetime
    ticket_id: int | None = None
    actor_id: int | None = None
    from_status: str | None = None
    to_status: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class Offer:
    """A job offered to one technician; ``status``: pending, accepted, declined, expired, withdrawn."""

    id: int
    ticket_id: int
    technician_id: int
    status: str
    offered_at: datetime
    expires_at: datetime
    distance_km: float | None = None
    responded_at: datetime | None = None
    decline_reason: str | None = None


@dataclass
class Visit:
    id: int
    ticket_id: int
    technician_id: int
    planned_at: datetime | None = None
    en_route_at: datetime | None = None
    arrived_at: datetime | None = None
    arrival_method: str | None = None  # location, manual (customer confirmed)
    arrival_latitude: float | None = None
    arrival_longitude: float | None = None
    arrival_accuracy_m: float | None = None
    arrival_claimed_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class ServiceRecord:
    """What the technician found and did. Frozen once the customer has signed it."""

    ticket_id: int
    warranty: str  # in, out, customer (customer-caused)
    fault: str
    work: str
    parts: list[dict[str, Any]]  # {"name", "reason"}
    fees: list[dict[str, Any]]  # {"code", "quantity", "price"} from the price list
    created_at: datetime
    id: int = 0
    visit_id: int | None = None
    signed_at: datetime | None = None
    signed_hash: str | None = None
    signed_payload: str | None = None

    @property
    def total(self) -> float:
        return round(sum(float(f["price"]) * int(f.get("quantity", 1)) for f in self.fees), 2)
