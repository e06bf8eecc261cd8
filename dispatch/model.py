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
    "Contract",
    "Deadline",
    "Event",
    "EventKind",
    "Invite",
    "Language",
    "Localized",
    "Offer",
    "OfferStatus",
    "PartKind",
    "Priority",
    "Role",
    "ServiceRecord",
    "StaffPost",
    "StaffTopic",
    "Status",
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
    MAINTENANCE = "maintenance"  # a planned visit under a maintenance contract


class Status(StrEnum):
    """Every status a ticket can have; each kind's state machine (dispatch.states) uses
    its own subset."""

    NEW = "new"
    PROPOSED = "proposed"  # a planned visit whose date the customer has not confirmed yet
    # repair and installation
    OFFERED = "offered"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    WAITING_PART = "waiting_part"  # paused until a spare part arrives (dispatch.part_requests)
    COMPLETED = "completed"
    DISPUTED = "disputed"
    SIGNED = "signed"
    # complaint
    FORWARDED = "forwarded"
    VERIFIED = "verified"
    PLANNED = "planned"
    RESOLVED = "resolved"
    # return or exchange
    APPROVED = "approved"
    RECEIVED = "received"
    REJECTED = "rejected"
    # question
    RESPONDED = "responded"
    ANSWERED = "answered"
    REOPENED = "reopened"  # the customer wrote again after the answer
    # every kind
    CLOSED = "closed"
    CANCELLED = "cancelled"


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class EventKind(StrEnum):
    """The kinds of line in the audit log (``events``)."""

    CREATED = "created"
    STATUS = "status"
    USER_REGISTERED = "user.registered"
    USER_LIMITED = "user.limited"  # a flood limit stopped them (dispatch.limits)
    USER_FORGOTTEN = "user.forgotten"  # their personal data erased (dispatch.privacy)
    ROLE_CHANGED = "role.changed"
    LANGUAGE_CHOSEN = "user.language"
    INVITE_CREATED = "invite.created"
    INVITE_REDEEMED = "invite.redeemed"
    INVITE_REFUSED = "invite.refused"
    TECHNICIAN_PROFILE = "technician.profile"
    TECHNICIAN_DUTY = "technician.duty"
    CALENDAR_DAY = "calendar.day"
    CONTRACT_LOADED = "contract.loaded"  # added, renewed or corrected (dispatch.contracts)
    CONTRACT_ENDED = "contract.ended"
    ASSIGNED_BY_MANAGER = "assigned.by_manager"
    VISIT_PLANNED = "visit.planned"
    ARRIVAL_CLAIMED = "arrival.claimed"
    ARRIVAL_DENIED = "arrival.denied"
    RECORD_CORRECTION = "record.correction"
    INFO_ADDED = "info.added"
    STAFF_REPLY = "staff.reply"
    STAFF_NOTE = "staff.note"  # a manager's words in the case's topic: staff only
    CUSTOMER_FOLLOW_UP = "customer.follow_up"
    SLA_PROGRESS = "sla.progress"
    # A time limit's alerts (dispatch.sla: 1 warning, 2 breach, 3 escalation).
    SLA_LEVEL1 = "sla.level1"
    SLA_LEVEL2 = "sla.level2"
    SLA_LEVEL3 = "sla.level3"
    COMPLAINT_CLASSIFIED = "complaint.classified"
    PLAN_PROPOSED = "complaint.plan_proposed"
    PLAN_REFUSED = "complaint.plan_refused"
    CASE_TAKEN = "case.taken"
    REMINDERS_OFF = "case.reminders_off"
    SURVEY_ANSWERED = "survey.answered"
    SURVEY_COMMENT = "survey.comment"


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Deadline columns kept on every ticket: each ``<name>_due_at`` has a
# ``<name>_fired_at`` that the sweep sets when it acted on it.
class Deadline(StrEnum):
    DISPATCH = "dispatch"
    ARRIVE = "arrive"
    SLA = "sla"
    PROGRESS = "progress"
    SURVEY = "survey"


DEADLINES: tuple[Deadline, ...] = tuple(Deadline)


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
    forgotten_at: datetime | None = None  # their personal data erased (dispatch.privacy)


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
    active: bool = True  # False while a manager has paused them: no duty, no offers
    last_location_at: datetime | None = None  # read only: kept by set_location


@dataclass
class Contract:
    """A maintenance contract (维保合同, 000 part 4): planned visits every ``every_months``
    months at one site, from ``starts_on`` to ``ends_on``. ``next_visit_on`` is the next
    planned visit's day and ``plan_on`` the day the desk creates its ticket (indexed: the
    planning pass reads only the contracts due)."""

    id: int
    number: str
    customer_id: int
    site: str
    address: str
    starts_on: date
    ends_on: date
    every_months: int
    products: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    services: str = ""
    fee: float = 0.0
    deposit: float = 0.0
    next_visit_on: date | None = None
    plan_on: date | None = None
    ended_on: date | None = None  # ended early by a manager
    end_warned_on: date | None = None  # the 30-day warning went out


@dataclass
class Certificate:
    """A certificate a technician holds (上岗证, an installation licence...): ``code`` names
    its kind in the config's ``[[certificates]]``; valid through ``valid_until``."""

    technician_id: int
    code: str
    number: str
    valid_until: date
    warned_on: date | None = None  # when the 30-day expiry warning went out


@dataclass(frozen=True)
class Localized:
    en: str
    zh_Hans: str
    zh_Hant: str

    def in_(self, language: Language) -> str:
        return str(getattr(self, language.value))


@dataclass(frozen=True)
class PartKind:
    """One spare part of the parts list (dispatch.parts_list): its price is the national
    price list's; ``products`` are the catalogue codes it fits (empty: any)."""

    code: str
    name: Localized
    price: float = 0.0
    reorder_level: int = 0  # the default for a stock line that names none
    products: frozenset[str] = frozenset()


@dataclass
class StockLine:
    """How many of a spare part one holder has: a service point (``point:<name>``) or a
    technician's van (``technician:<user id>``); below ``reorder_level`` the managers are
    told once (``low_warned``) until it is restocked."""

    part_code: str
    holder: str
    quantity: int
    reorder_level: int = 0
    low_warned: bool = False


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
    status: Status
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
    # The SLA step each deadline column runs (dispatch.sla.STEPS), by column name.
    steps: dict[str, str | None] = field(default_factory=dict)
    intake_key: str | None = None


@dataclass
class StaffTopic:
    """A topic of the staff group (see dispatch.staffroom)."""

    id: int
    chat_id: int
    key: str  # desk:new, desk:escalations, desk:dispatch, desk:reports, case:<ticket id>
    ticket_id: int | None
    thread_id: int | None  # None until Telegram created it (or after it was deleted)
    name: str
    card_message_id: int | None
    closed: bool


@dataclass(frozen=True)
class StaffPost:
    """One thing to do in the staff group, in order: create the topic, show the card..."""

    id: int
    topic_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


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

    kind: EventKind
    created_at: datetime
    ticket_id: int | None = None
    actor_id: int | None = None
    from_status: Status | None = None
    to_status: Status | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class Offer:
    """A job offered to one technician; ``status``: pending, accepted, declined, expired, withdrawn."""

    id: int
    ticket_id: int
    technician_id: int
    status: OfferStatus
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
