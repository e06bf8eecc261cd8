"""The ports the domain needs; ``storage/`` implements them with SQLAlchemy.

A service opens a unit of work with ``async with uow:``, loads through its
repositories, changes domain objects, writes events and outgoing messages, and
calls ``await uow.commit()``. Leaving the block without a commit rolls back.
Repositories never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from dispatch.assignment import Member
from dispatch.messages import Outgoing
from dispatch.model import (
    Attachment,
    Certificate,
    Contract,
    Event,
    Invite,
    Offer,
    PartKind,
    Role,
    ServiceRecord,
    StaffPost,
    StaffTopic,
    StockLine,
    Technician,
    Ticket,
    TicketKind,
    User,
    Visit,
)
from dispatch.privacy_port import PrivacyRepository
from dispatch.stats_port import StatsRepository

__all__ = [
    "AlertChange",
    "AttachmentRepository",
    "CalendarRepository",
    "CompanyDay",
    "DeliveryRepository",
    "DueAlert",
    "EventRepository",
    "InboxRepository",
    "InviteRepository",
    "OfferRepository",
    "OutboxRepository",
    "PartRepository",
    "PendingMessage",
    "PrivacyRepository",
    "RecordRepository",
    "RequestRepository",
    "StaffRoomRepository",
    "StatsRepository",
    "StoredUpdate",
    "SurveyRepository",
    "TechnicianRepository",
    "TicketRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "VisitRepository",
]


class UserRepository(Protocol):
    async def get(self, user_id: int) -> User | None: ...
    async def by_telegram_id(self, telegram_id: int) -> User | None: ...
    async def add(
        self,
        *,
        telegram_id: int,
        role: Role,
        display_name: str,
        username: str | None,
        telegram_language: str | None,
        at: datetime,
    ) -> User: ...
    async def save(self, user: User) -> None: ...
    async def with_role(self, role: Role) -> list[User]: ...
    async def get_many(self, ids: list[int]) -> dict[int, User]: ...
    async def by_phone(self, phone: str) -> User | None:
        """The first user whose phone (E.164) this is."""
        ...


class TechnicianRepository(Protocol):
    async def get(self, user_id: int) -> Technician | None: ...
    async def save(self, technician: Technician) -> None: ...
    async def names(self, user_ids: list[int]) -> dict[int, str]: ...
    async def team(self) -> list[tuple[Technician, int]]:
        """Every technician with their open jobs, by name."""
        ...

    async def set_duty(self, user_id: int, on_duty: bool) -> None: ...
    async def set_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        accuracy_m: float | None,
        at: datetime,
        live_until: datetime | None,
    ) -> None: ...
    async def last_location(
        self, user_id: int
    ) -> tuple[float, float, float | None, datetime] | None: ...
    async def fleet(self, now: datetime, *, fresh: timedelta) -> list[Member]:
        """Every on-duty technician with their open jobs and open offers, for the engine."""
        ...

    async def open_jobs(self, user_id: int) -> list[Ticket]: ...
    async def available(self, user_id: int) -> bool:
        """On duty, under capacity, and holding no open offer: checked now, in this transaction."""
        ...

    async def certificates(self, technician_id: int | None = None) -> list[Certificate]: ...
    async def save_certificate(self, certificate: Certificate) -> None:
        """Add it, or replace the holder's certificate of the same code (a renewal)."""
        ...

    async def expiring_unwarned(self, until: date) -> list[Certificate]:
        """Valid no later than ``until``, and the holder not warned yet."""
        ...


class ContractRepository(Protocol):
    async def get(self, number: str) -> Contract | None: ...
    async def save(self, contract: Contract) -> Contract:
        """Insert (id 0) or update by id."""
        ...

    async def due(self, today: date, limit: int) -> list[Contract]:
        """Claim the running contracts whose next visit is to be created by ``today``
        (no other planner gets them; ``planned`` writes their next planning day)."""
        ...

    async def planned(self, changes: list[tuple[int, date | None, date | None]]) -> None:
        """Each contract's next visit day and planning day, written together."""
        ...

    async def of_customer(self, customer_id: int) -> list[Contract]: ...
    async def running(self, limit: int = 200) -> list[Contract]: ...
    async def ending_unwarned(self, by: date) -> list[Contract]: ...


class PartRepository(Protocol):
    async def stock(self, holder: str | None = None) -> list[StockLine]:
        """Every stock line (or one holder's), by holder and part."""
        ...

    async def save(self, line: StockLine) -> None:
        """Add it, or replace the holder's line of the same part."""
        ...

    async def kinds(self) -> list[PartKind]:
        """The parts lists managers loaded (dispatch.parts_list), by code."""
        ...

    async def save_kind(self, kind: PartKind) -> None: ...


class OfferRepository(Protocol):
    async def add(self, offer: Offer) -> Offer: ...
    async def get(self, offer_id: int) -> Offer | None: ...
    async def pending_for(self, ticket_id: int) -> Offer | None: ...
    async def pending_of(self, technician_id: int) -> list[Offer]: ...
    async def tried(self, ticket_id: int) -> set[int]:
        """Technicians this ticket was already offered to (declined, expired, withdrawn)."""
        ...

    async def close(
        self, offer_id: int, *, to: str, at: datetime, reason: str | None = None
    ) -> bool:
        """pending -> ``to`` if still pending (compare-and-set); False if someone was first."""
        ...

    async def withdraw_accepted(self, ticket_id: int, at: datetime) -> bool:
        """A reassignment: the technician who held the job no longer does."""
        ...

    async def due(self, now: datetime, limit: int = 100) -> list[Offer]:
        """Pending offers past their expiry, claimed for this sweeper."""
        ...


class VisitRepository(Protocol):
    async def for_ticket(self, ticket_id: int) -> Visit | None: ...
    async def save(self, visit: Visit) -> Visit: ...


class RecordRepository(Protocol):
    async def for_ticket(self, ticket_id: int) -> ServiceRecord | None: ...
    async def add(self, record: ServiceRecord) -> ServiceRecord: ...
    async def sign(self, record_id: int, *, at: datetime, payload: str, digest: str) -> bool:
        """Set the signature once; False when it was already signed."""
        ...


class TicketRepository(Protocol):
    async def next_number(self, prefix: str, day: date, count: int = 1) -> int:
        """Reserve the next ``count`` sequence numbers for ``prefix`` on ``day`` and return
        the first; safe under concurrency."""
        ...

    async def add(self, ticket: Ticket) -> Ticket: ...
    async def add_many(self, tickets: list[Ticket]) -> list[Ticket]:
        """Many new tickets at once (planned visits): ids set on them."""
        ...

    async def get(self, ticket_id: int) -> Ticket | None: ...
    async def by_number(self, number: str) -> Ticket | None: ...
    async def save(self, ticket: Ticket) -> None:
        """Write ``ticket`` back if nobody changed it since it was loaded, else ConcurrentUpdate."""
        ...

    async def of_customer(
        self, customer_id: int, kind: TicketKind | None = None
    ) -> list[Ticket]: ...
    async def by_intake_key(self, key: str) -> Ticket | None: ...
    async def open_cases(self, limit: int = 500) -> list[Ticket]:
        """Every ticket not closed or cancelled, oldest first."""
        ...

    async def search(self, text: str, limit: int = 10) -> list[Ticket]: ...
    async def waiting_for_dispatch(self, limit: int = 1000) -> list[Ticket]:
        """Repairs and installations in ``new``, oldest first."""
        ...

    async def count_waiting(self) -> int: ...
    async def in_status(self, status: str, limit: int = 500) -> list[Ticket]:
        """The tickets in ``status``, oldest first."""
        ...

    async def arm(
        self, ticket_id: int, column: str, step: str, due: datetime, next_at: datetime
    ) -> None: ...
    async def claim_due(self, column: str, now: datetime, limit: int) -> list[DueAlert]: ...
    async def set_alerts(self, column: str, changes: list[AlertChange]) -> None: ...
    async def get_many(self, ids: list[int]) -> dict[int, Ticket]: ...


@dataclass(frozen=True)
class AlertChange:
    """What a sweep decided for one claimed deadline: the alert level reached, when to
    look again, and when the limit was first breached (None keeps what is stored)."""

    ticket_id: int
    level: int
    next_at: datetime | None
    fired_at: datetime | None = None


@dataclass(frozen=True)
class DueAlert:
    """A deadline column of one ticket whose next alert is due (read by the sweep)."""

    ticket_id: int
    column: str
    step: str | None
    level: int
    due_at: datetime | None
    next_at: datetime


class AttachmentRepository(Protocol):
    async def add(self, attachment: Attachment) -> None: ...
    async def for_ticket(self, ticket_id: int) -> list[Attachment]: ...


class EventRepository(Protocol):
    async def add(self, event: Event) -> None: ...
    async def add_many(self, events: list[Event]) -> None: ...
    async def for_ticket(self, ticket_id: int) -> list[Event]: ...
    async def made_by(self, actor_id: int, kind: str, since: datetime) -> list[datetime]:
        """When ``actor_id``'s events of ``kind`` after ``since`` were recorded."""
        ...


class InviteRepository(Protocol):
    async def add(
        self, *, token_hash: str, role: Role, created_by: int, at: datetime, expires_at: datetime
    ) -> Invite: ...
    async def by_hash(self, token_hash: str) -> Invite | None: ...
    async def claim(self, invite_id: int, user_id: int, at: datetime) -> bool:
        """Mark the invite used by ``user_id`` if still unused and unexpired; False otherwise."""
        ...


class OutboxRepository(Protocol):
    async def add(self, message: Outgoing, *, at: datetime) -> None: ...
    async def add_many(self, messages: list[Outgoing], *, at: datetime) -> None: ...
    async def missed(self, user_id: int, since: datetime) -> int:
        """How many messages to the user were given up since ``since`` (they blocked the bot)."""
        ...


class RequestRepository(Protocol):
    async def handled(self, request_id: int) -> bool:
        """True once ``request_id`` was handled to the end: a redelivered request is ignored."""
        ...


class SurveyRepository(Protocol):
    async def get(self, ticket_id: int) -> dict[str, Any] | None: ...
    async def create(self, ticket_id: int, sent_at: datetime) -> bool: ...
    async def reminded(self, ticket_id: int, at: datetime) -> None: ...
    async def set_score(self, ticket_id: int, item: str, score: int) -> None: ...
    async def set_comment(self, ticket_id: int, text: str) -> None: ...
    async def close(self, ticket_id: int, at: datetime) -> None: ...


@dataclass(frozen=True)
class CompanyDay:
    """A company or local day that overrides the public calendar."""

    day: date
    working: bool
    note: str


class CalendarRepository(Protocol):
    async def all(self) -> list[CompanyDay]:
        """Every company day, in date order."""
        ...

    async def put(self, day: CompanyDay, *, by: int, at: datetime) -> None: ...
    async def remove(self, day: date) -> bool:
        """False when the day had no setting."""
        ...


@dataclass(frozen=True)
class PendingMessage:
    """An outbox row due for delivery, with what the sender needs of its recipient."""

    id: int
    user_id: int
    ticket_id: int | None
    chat_id: int
    language: str | None
    telegram_language: str | None
    unreachable: bool
    kind: str
    template: str
    params: dict[str, Any]
    buttons: list[Any]
    attempts: int
    ref: int | None = None  # the stand-in id a held reply's handler was given


class DeliveryRepository(Protocol):
    """The outbox's delivery side (the sender in bot/outbox.py): which rows are due,
    claiming them, recording the outcome."""

    async def due(self, now: datetime, limit: int = 50) -> list[PendingMessage]: ...
    async def claim(self, message_id: int, now: datetime, lease: timedelta) -> bool: ...
    async def release_all_claims(self) -> int: ...
    async def release(self, message_ids: list[int]) -> None: ...
    async def sent_many(self, sent: list[tuple[int, int | None]], now: datetime) -> None: ...
    async def message_id_for(self, stand_in: int) -> int | None: ...
    async def sent(
        self, message_id: int, now: datetime, telegram_message_id: int | None
    ) -> None: ...
    async def retry_at(self, message_id: int, at: datetime, error: str) -> None: ...
    async def keep_document(
        self, message: PendingMessage, file_id: str, unique_id: str, now: datetime
    ) -> None: ...
    async def dead(self, message_id: int, now: datetime, error: str) -> None: ...
    async def recipient_unreachable(self, user_id: int, now: datetime, error: str) -> None: ...


@dataclass(frozen=True)
class StoredUpdate:
    """A Telegram update as the inbox keeps it until it is handled to the end."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


class InboxRepository(Protocol):
    """Updates stored before they are handled and marked done with their effects (the
    bot's inbox, bot/inbox.py)."""

    async def store_many(
        self, updates: Sequence[tuple[int, int | None, dict[str, Any]]], now: datetime
    ) -> set[int]: ...
    async def mark_done(
        self,
        update_id: int,
        now: datetime,
        unstored: Callable[[], tuple[int | None, dict[str, Any]]],
    ) -> None: ...
    async def unfinished(
        self, *, received_before: datetime, limit: int = 500
    ) -> list[StoredUpdate]: ...
    async def attempt(self, update_id: int) -> None: ...
    async def give_up(self, update_id: int, now: datetime, reason: str) -> None: ...
    async def user_of_chat(self, chat_id: int) -> int | None: ...
    async def nothing_waits_for(self, user_id: int) -> bool: ...
    async def release_outbox(
        self, update_id: int, *, wrote_outbox: bool, replies: list[dict[str, Any]]
    ) -> list[int]: ...
    async def prune(self, before: datetime) -> int: ...


class StaffRoomRepository(Protocol):
    """The staff group's topics and the queue of what to do there (dispatch.staffroom)."""

    async def topic(self, chat_id: int, key: str) -> StaffTopic | None: ...
    async def topic_by_id(self, topic_id: int) -> StaffTopic | None: ...
    async def topic_by_thread(self, chat_id: int, thread_id: int) -> StaffTopic | None: ...
    async def add_topic(
        self, chat_id: int, key: str, ticket_id: int | None, at: datetime
    ) -> StaffTopic:
        """The topic, added once (a second add returns the first)."""
        ...

    async def post(
        self,
        topic_id: int,
        kind: str,
        payload: dict[str, Any],
        at: datetime,
        *,
        dedup_key: str | None = None,
    ) -> None:
        """Queue one thing to do; the same dedup key twice is queued once."""
        ...

    async def waiting(self, topic_id: int, kind: str) -> bool:
        """A post of this kind is still queued for the topic (a card refresh needs no second)."""
        ...

    async def due(self, chat_id: int, now: datetime, limit: int) -> list[StaffPost]:
        """The posts due now, claimed for a while so that no other sender takes them."""
        ...

    async def done(self, post_id: int, at: datetime) -> None: ...
    async def retry(self, post_id: int, at: datetime, error: str) -> None: ...
    async def dead(self, post_id: int, at: datetime, error: str) -> None: ...
    async def save_topic(self, topic: StaffTopic) -> None: ...
    async def pending_in(self, topic_id: int, kind: str) -> int: ...
    async def release(self, post_ids: list[int], at: datetime) -> None: ...


class UnitOfWork(Protocol):
    users: UserRepository
    technicians: TechnicianRepository
    tickets: TicketRepository
    events: EventRepository
    invites: InviteRepository
    outbox: OutboxRepository
    attachments: AttachmentRepository
    requests: RequestRepository
    offers: OfferRepository
    visits: VisitRepository
    records: RecordRepository
    surveys: SurveyRepository
    calendar: CalendarRepository
    stats: StatsRepository
    delivery: DeliveryRepository
    inbox: InboxRepository
    staffroom: StaffRoomRepository
    parts: PartRepository
    contracts: ContractRepository
    privacy: PrivacyRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
