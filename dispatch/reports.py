"""What the signed service report (the PDF) shows, read in one transaction; bot/report.py
renders it in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch.errors import NotFound
from dispatch.model import ServiceRecord, Ticket
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork

__all__ = ["ServiceReport", "service_report"]


@dataclass(frozen=True)
class ServiceReport:
    """What the signed service report (the PDF) shows, read in one transaction."""

    ticket: Ticket
    record: ServiceRecord
    customer_name: str
    customer_phone: str
    technician_name: str
    technician_phone: str
    times: dict[str, datetime | None]  # reported, dispatched, accepted, arrived, completed, signed
    fees: list[dict[str, Any]]  # the record's fee lines with the price list's names
    photo_file_ids: list[str]  # work, problem and paper-report photos, in order


async def service_report(uow: UnitOfWork, policy: DeskPolicy, *, ticket_id: int) -> ServiceReport:
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        record = await uow.records.for_ticket(ticket_id)
        if ticket is None or record is None:
            raise NotFound(f"service record of ticket {ticket_id}")
        visit = await uow.visits.for_ticket(ticket_id)
        events = await uow.events.for_ticket(ticket_id)
        customer = await uow.users.get(ticket.customer_id)
        technician = await uow.technicians.get(ticket.assigned_technician_id or 0)
        attachments = await uow.attachments.for_ticket(ticket_id)

    def first(status: str) -> datetime | None:
        return next((e.created_at for e in events if e.to_status == status), None)

    names = policy.fee_names()
    return ServiceReport(
        ticket=ticket,
        record=record,
        customer_name=customer.display_name if customer else "",
        customer_phone=ticket.contact_phone or (customer.phone if customer else None) or "",
        technician_name=technician.name if technician else "-",
        technician_phone=technician.phone if technician else "",
        times={
            "reported": ticket.created_at,
            "dispatched": first("offered"),
            "accepted": first("assigned"),
            "arrived": visit.arrived_at if visit else None,
            "completed": visit.completed_at if visit else None,
            "signed": record.signed_at,
        },
        fees=[{**f, "name": names[f["code"]]} for f in record.fees if f["code"] in names],
        photo_file_ids=[
            a.file_id
            for a in attachments
            if a.media_type == "photo" and a.purpose in ("work", "problem", "paper_report")
        ],
    )
