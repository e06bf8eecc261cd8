"""The unit of work: one session, one transaction, explicit commit."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dispatch.ports import (
    AttachmentRepository,
    CalendarRepository,
    ContractRepository,
    DeliveryRepository,
    EventRepository,
    InboxRepository,
    InviteRepository,
    OfferRepository,
    OutboxRepository,
    PartRepository,
    PrivacyRepository,
    RecordRepository,
    RequestRepository,
    StaffRoomRepository,
    StatsRepository,
    SurveyRepository,
    TechnicianRepository,
    TicketRepository,
    UserRepository,
    VisitRepository,
)
from storage.audit import SqlAuditRepository
from storage.calendar import SqlCalendarRepository
from storage.outbox import SqlDeliveryRepository
from storage.readings import SqlReadingsRepository
from storage.repositories import (
    SqlAttachmentRepository,
    SqlEventRepository,
    SqlInviteRepository,
    SqlOfferRepository,
    SqlOutboxRepository,
    SqlRecordRepository,
    SqlStaffRoomRepository,
    SqlSurveyRepository,
    SqlTechnicianRepository,
    SqlTicketRepository,
    SqlUserRepository,
    SqlVisitRepository,
)
from storage.repositories.contracts import SqlContractRepository
from storage.repositories.parts import SqlPartRepository
from storage.repositories.privacy import SqlPrivacyRepository
from storage.sqlite_driver import without_fsync
from storage.stats import SqlStatsRepository
from storage.updates import SqlInboxRepository, SqlRequestRepository

__all__ = ["SqlUnitOfWork", "UnitOfWorkFactory"]


class SqlUnitOfWork:
    """``async with uow:`` opens a session; leaving without ``commit()`` rolls back."""

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

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, fsync: bool = True) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._fsync = fsync
        self._durability = contextlib.ExitStack()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        if not self._fsync:
            self._durability.enter_context(without_fsync())
        session = self._sessions()
        self._session = session
        self._committed = False
        self.users = SqlUserRepository(session)
        self.technicians = SqlTechnicianRepository(session)
        self.parts = SqlPartRepository(session)
        self.contracts = SqlContractRepository(session)
        self.tickets = SqlTicketRepository(session)
        self.events = SqlEventRepository(session)
        self.invites = SqlInviteRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.attachments = SqlAttachmentRepository(session)
        self.requests = SqlRequestRepository(session)
        self.offers = SqlOfferRepository(session)
        self.visits = SqlVisitRepository(session)
        self.records = SqlRecordRepository(session)
        self.surveys = SqlSurveyRepository(session)
        self.calendar = SqlCalendarRepository(session)
        self.stats = SqlStatsRepository(session)
        self.delivery = SqlDeliveryRepository(session)
        self.inbox = SqlInboxRepository(session)
        self.staffroom = SqlStaffRoomRepository(session)
        self.readings = SqlReadingsRepository(session)  # /healthz and /metrics (bot.web)
        self.audit = SqlAuditRepository(session)  # the hash chain (bot.verify)
        self.privacy = SqlPrivacyRepository(session)  # /privacy and /forget
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()
            self._session = None
            self._durability.close()

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True

    async def rollback(self) -> None:
        await self.session.rollback()
        self._committed = False


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, fsync: bool = True) -> None:
        self._sessions = sessions
        self._fsync = fsync

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, fsync=self._fsync)

    def without_fsync(self) -> UnitOfWorkFactory:
        """Units of work whose commits survive the process's crash, not the machine's
        (storage.sqlite_driver.without_fsync): for records whose loss costs a repeat."""
        return UnitOfWorkFactory(self._sessions, fsync=False)
