"""The tables. Alembic's migrations are written from these; a test checks they agree."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.crypto import EncryptedJSON, EncryptedText
from storage.types import JSONType, UTCDateTime

__all__ = [
    "AttachmentRow",
    "Base",
    "CalendarOverrideRow",
    "EventRow",
    "InboxRow",
    "InviteRow",
    "OfferRow",
    "OutboxRow",
    "PersistenceRow",
    "ServiceRecordRow",
    "SurveyRow",
    "TechnicianRow",
    "TicketCounterRow",
    "TicketRow",
    "UserRow",
    "VisitRow",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
    }


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[str] = mapped_column(String(16))
    # The user's own choice; None means "follow my Telegram language".
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    # Personal data: encrypted when keys are set (storage.crypto); the phone is found by
    # its HMAC.
    display_name: Mapped[str] = mapped_column(EncryptedText)
    username: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    forgotten_at: Mapped[datetime | None]  # their personal data erased (/forget)
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class TechnicianRow(Base):
    __tablename__ = "technicians"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(JSONType)
    base_latitude: Mapped[float] = mapped_column(Float)
    base_longitude: Mapped[float] = mapped_column(Float)
    service_radius_km: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    # False while a manager has paused the technician: no duty, no offers.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    last_latitude: Mapped[float | None] = mapped_column(Float)
    last_longitude: Mapped[float | None] = mapped_column(Float)
    last_accuracy_m: Mapped[float | None] = mapped_column(Float)
    last_location_at: Mapped[datetime | None]
    live_until: Mapped[datetime | None]


class TicketCounterRow(Base):
    """The last number handed out per prefix and local day, for readable ticket numbers."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class TicketRow(Base):
    __tablename__ = "tickets"
    # The KPIs read a period's tickets by kind, a customer's repairs by time, and a
    # ticket's kind and number by its id, from these indexes alone (storage.kpis).
    __table_args__ = (
        Index("ix_tickets_created_at_kind", "created_at", "kind"),
        Index("ix_tickets_kind_created_at", "kind", "created_at"),
        Index("ix_tickets_customer_kind_created_at", "customer_id", "kind", "created_at"),
        Index("ix_tickets_id_kind_number", "id", "kind", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(EncryptedText, default="")  # customers' words
    product_category: Mapped[str | None] = mapped_column(String(32))
    product_model: Mapped[str | None] = mapped_column(String(128))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(EncryptedText)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText)
    preferred_date: Mapped[date | None] = mapped_column(Date)
    preferred_slot: Mapped[str | None] = mapped_column(String(16))
    assigned_technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Indexed: a technician's complaints are those that name one of their jobs (KPIs).
    related_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    priority_area: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Closed longer than the retention period: its personal data removed (dispatch.privacy).
    anonymised_at: Mapped[datetime | None]
    # The customer's draft id: confirming one draft twice can never make two tickets.
    intake_key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)
    # Deadlines (see dispatch.model.DEADLINES). For each: when it is due, which SLA step
    # it is, how far its alerts went (0 armed, 1 warned, 2 breached, 3 escalated), when
    # the sweep should next act (indexed: the sweep reads only rows that are due), and
    # when the breach fired.
    dispatch_due_at: Mapped[datetime | None] = mapped_column(index=True)
    dispatch_fired_at: Mapped[datetime | None]
    dispatch_next_at: Mapped[datetime | None] = mapped_column(index=True)
    dispatch_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dispatch_step: Mapped[str | None] = mapped_column(String(40))
    arrive_due_at: Mapped[datetime | None] = mapped_column(index=True)
    arrive_fired_at: Mapped[datetime | None]
    arrive_next_at: Mapped[datetime | None] = mapped_column(index=True)
    arrive_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    arrive_step: Mapped[str | None] = mapped_column(String(40))
    sla_due_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_fired_at: Mapped[datetime | None]
    sla_next_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sla_step: Mapped[str | None] = mapped_column(String(40))
    progress_due_at: Mapped[datetime | None] = mapped_column(index=True)
    progress_fired_at: Mapped[datetime | None]
    progress_next_at: Mapped[datetime | None] = mapped_column(index=True)
    progress_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_step: Mapped[str | None] = mapped_column(String(40))
    survey_due_at: Mapped[datetime | None] = mapped_column(index=True)
    survey_fired_at: Mapped[datetime | None]
    survey_next_at: Mapped[datetime | None] = mapped_column(index=True)
    survey_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    survey_step: Mapped[str | None] = mapped_column(String(40))


class OfferRow(Base):
    """Offers of a job to a technician. The database itself guarantees that a ticket
    has at most one pending offer and at most one accepted one."""

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_status_expires_at", "status", "expires_at"),
        Index(
            "uq_offers_one_pending",
            "ticket_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "uq_offers_one_accepted",
            "ticket_id",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    distance_km: Mapped[float | None] = mapped_column(Float)
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)


class VisitRow(Base):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    planned_at: Mapped[datetime | None]
    en_route_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    arrival_method: Mapped[str | None] = mapped_column(String(16))
    arrival_latitude: Mapped[float | None] = mapped_column(Float)
    arrival_longitude: Mapped[float | None] = mapped_column(Float)
    arrival_accuracy_m: Mapped[float | None] = mapped_column(Float)
    # A manual check-in waits for the customer to confirm it.
    arrival_claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class ServiceRecordRow(Base):
    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    warranty: Mapped[str | None] = mapped_column(String(16))
    fault: Mapped[str] = mapped_column(Text, default="")
    work: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fees: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]
    # SHA-256 of the canonical text the customer signed; set once, never changed.
    signed_hash: Mapped[str | None] = mapped_column(String(64))
    # Exactly what was signed (canonical JSON), so the hash can be checked later.
    signed_payload: Mapped[str | None] = mapped_column(Text)


class AttachmentRow(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(24))
    media_type: Mapped[str] = mapped_column(String(12))
    telegram_file_id: Mapped[str] = mapped_column(String(256))
    telegram_file_unique_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class EventRow(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE."""

    __tablename__ = "events"
    # A ticket's moves and alerts are found without reading the rows (storage.facts).
    __table_args__ = (
        # A period's moves for the exported files, from the index alone, in time order.
        Index(
            "ix_events_kind_created_at_moves",
            "kind",
            "created_at",
            "ticket_id",
            "from_status",
            "to_status",
            "actor_id",
        ),
        Index(
            "ix_events_ticket_kind_to_status_created_at",
            "ticket_id",
            "kind",
            "to_status",
            "created_at",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]


class EventTextRow(Base):
    """What someone wrote, recorded by an event (a follow-up, an answer, a comment): kept
    here, encrypted with the personal data and erasable with it (/forget, retention),
    while the event keeps only ``text_id`` and the text's SHA-256 (storage.repositories
    .events), so the audit log's chain never has to change."""

    __tablename__ = "event_texts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    text: Mapped[str | None] = mapped_column(EncryptedText)


class EventSealRow(Base):
    """The audit log's hash chain (storage.audit): seal ``seq`` covers one event with the
    hash of that event and of the seal before it. Its own table, as events are never
    updated."""

    __tablename__ = "event_seals"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(Integer, unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "dead_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # text (with buttons), location, photos (file ids), service_report (a PDF made at sending)
    kind: Mapped[str] = mapped_column(String(24), default="text", server_default="text")
    template: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    buttons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # Same key twice is the same message: the second insert is ignored.
    dedup_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A reply a handler made (kind "call"): the stand-in message id the handler was given,
    # so that a later edit of that message finds the real one once this row is sent.
    ref: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Written while handling this update: held (claimed far ahead) until the update is done,
    # then placed after the update's own replies, so that a user reads the answer first.
    update_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class StaffTopicRow(Base):
    """A topic of the staff group: one of the desk's own (``desk:new``...) or a case's
    (``case:<ticket id>``). ``thread_id`` is empty until Telegram has created it, and again
    after a member deleted it (it is then created anew)."""

    __tablename__ = "staff_topics"
    __table_args__ = (UniqueConstraint("chat_id", "key", name="uq_staff_topics_chat_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text, default="")
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class StaffPostRow(Base):
    """What the desk has to do in the staff group, written in the transaction that caused
    it and carried out by the staff room's sender, paced to the group's limit."""

    __tablename__ = "staff_posts"
    __table_args__ = (Index("ix_staff_posts_pending", "sent_at", "dead_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("staff_topics.id"), index=True)
    # topic (create it), card (show the case as it is now), text, copy, close, reopen
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SurveyRow(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    timeliness: Mapped[int | None] = mapped_column(Integer)
    attitude: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class InviteRow(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CalendarOverrideRow(Base):
    """A company or local day that is worked or off, whatever the public calendar says."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class InboxRow(Base):
    """Every Telegram update, stored before it is handled and marked done with its effects.

    An update that is stored but not done (the process died while handling it) is
    handled again at start-up and by the sweep; a done one is a duplicate if it comes again.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_unfinished", "done_at", "given_up_at", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    given_up_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class PersistenceRow(Base):
    """PTB's persistence: conversations, user / chat / bot data, as JSON."""

    __tablename__ = "ptb_persistence"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime]
