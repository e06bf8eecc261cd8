"""Repositories, one module per aggregate: rows in, domain objects out. They never commit."""

from __future__ import annotations

from storage.repositories.events import SqlAttachmentRepository, SqlEventRepository
from storage.repositories.invites import SqlInviteRepository
from storage.repositories.offers import SqlOfferRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.staffroom import SqlStaffRoomRepository
from storage.repositories.surveys import SqlSurveyRepository
from storage.repositories.technicians import SqlTechnicianRepository
from storage.repositories.tickets import SqlTicketRepository
from storage.repositories.users import SqlUserRepository
from storage.repositories.visits import SqlRecordRepository, SqlVisitRepository

__all__ = [
    "SqlAttachmentRepository",
    "SqlEventRepository",
    "SqlInviteRepository",
    "SqlOfferRepository",
    "SqlOutboxRepository",
    "SqlRecordRepository",
    "SqlStaffRoomRepository",
    "SqlSurveyRepository",
    "SqlTechnicianRepository",
    "SqlTicketRepository",
    "SqlUserRepository",
    "SqlVisitRepository",
]
