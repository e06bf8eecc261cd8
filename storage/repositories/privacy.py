"""What the desk keeps about a customer, and erasing it (``uow.privacy``; dispatch.privacy).

Erasing keeps what the statistics count (tickets with their kinds, times and steps, the
events, the survey scores) and the hashes of signed records; it removes what says who
the customer is or where they live: name, username, phone, addresses and locations,
descriptions, signed texts, survey comments, what was written on their cases (the
events' texts, models.EventTextRow), and the copies of their messages kept for
delivery (inbox, outbox, staff room). Never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.privacy_port import KeptTicket
from storage.field_models import ContractRow
from storage.models import (
    EventTextRow,
    InboxRow,
    OutboxRow,
    ServiceRecordRow,
    StaffPostRow,
    StaffTopicRow,
    SurveyRow,
    TicketRow,
    UserRow,
)

__all__ = ["SqlPrivacyRepository"]


class SqlPrivacyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tickets_of(self, user_id: int) -> list[KeptTicket]:
        rows = await self.session.execute(
            select(
                TicketRow.number,
                TicketRow.kind,
                TicketRow.status,
                TicketRow.created_at,
                TicketRow.address,
                TicketRow.contact_phone,
            )
            .where(TicketRow.customer_id == user_id)
            .order_by(TicketRow.id)
        )
        return [KeptTicket(*row) for row in rows]

    async def contracts_of(self, user_id: int) -> list[tuple[str, str]]:
        """(number, address) of the customer's maintenance contracts."""
        rows = await self.session.execute(
            select(ContractRow.number, ContractRow.address)
            .where(ContractRow.customer_id == user_id)
            .order_by(ContractRow.id)
        )
        return [(str(number), str(address)) for number, address in rows]

    async def anonymise_closed(self, closed_before: datetime, now: datetime) -> int:
        """Closed or cancelled tickets untouched since ``closed_before``: what says who or
        where goes (as ``erase`` does for one customer), the figures stay."""
        due = select(TicketRow.id).where(
            TicketRow.status.in_(("closed", "cancelled")),
            TicketRow.updated_at < closed_before,
            TicketRow.anonymised_at.is_(None),
        )
        ids = list(await self.session.scalars(due.limit(1000)))
        if ids:
            await self._strip_tickets(ids, now)
        return len(ids)

    async def _strip_tickets(self, tickets: Any, now: datetime) -> None:
        """The tickets (ids, or a select of them) keep their figures and nothing personal."""
        await self.session.execute(
            update(TicketRow)
            .where(TicketRow.id.in_(tickets))
            .values(
                description="",
                address=None,
                contact_phone=None,
                latitude=None,
                longitude=None,
                anonymised_at=now,
            )
        )
        await self.session.execute(
            update(ServiceRecordRow)
            .where(ServiceRecordRow.ticket_id.in_(tickets))
            .values(signed_payload=None)  # the hash stays, as the audit log's
        )
        await self.session.execute(
            update(SurveyRow).where(SurveyRow.ticket_id.in_(tickets)).values(comment=None)
        )
        await self.session.execute(
            update(EventTextRow).where(EventTextRow.ticket_id.in_(tickets)).values(text=None)
        )

    async def erase(self, user_id: int, telegram_id: int, now: datetime) -> None:
        tickets = select(TicketRow.id).where(TicketRow.customer_id == user_id)
        await self.session.execute(
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(
                display_name=f"#{user_id}",  # a name for staff lists, in no language
                username=None,
                phone=None,
                phone_lookup=None,
                forgotten_at=now,
            )
        )
        await self._strip_tickets(tickets, now)
        await self.session.execute(
            update(ContractRow)
            .where(ContractRow.customer_id == user_id)
            .values(address="", latitude=None, longitude=None, plan_on=None, ended_on=now.date())
        )
        await self.session.execute(
            update(InboxRow).where(InboxRow.chat_id == telegram_id).values(payload={})
        )
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.user_id == user_id, OutboxRow.sent_at.is_not(None))
            .values(params={})
        )
        await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.user_id == user_id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.dead_at.is_(None),
            )
            .values(params={}, dead_at=now, last_error="the customer's data was erased")
        )
        topics = select(StaffTopicRow.id).where(StaffTopicRow.ticket_id.in_(tickets))
        await self.session.execute(
            update(StaffPostRow)
            .where(StaffPostRow.topic_id.in_(topics), StaffPostRow.sent_at.is_not(None))
            .values(payload={})
        )
        await self.session.execute(
            delete(StaffPostRow).where(
                StaffPostRow.topic_id.in_(topics),
                StaffPostRow.sent_at.is_(None),
                StaffPostRow.kind == "copy",
            )
        )
