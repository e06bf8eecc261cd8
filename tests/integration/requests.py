"""Requests as a customer's intake makes them, for tests that submit through the services."""

from __future__ import annotations

from datetime import date

from dispatch.customer import ComplaintRequest, RepairRequest, ReturnRequest
from dispatch.intake import ComplaintTopic, Eligibility, ReturnReason, Slot, repair_promise
from dispatch.model import TicketKind
from dispatch.policy import DeskPolicy

PHONE = "+8613800138000"


def repair_request(
    policy: DeskPolicy,
    where: tuple[float, float],
    *,
    kind: TicketKind = TicketKind.REPAIR,
    day: date = date(2026, 11, 23),
) -> RepairRequest:
    return RepairRequest(
        kind=kind,
        product_category="aircon",
        product_model=None,
        purchase_date=None,
        warranty="unknown",
        description="Not cooling",
        photos=(),
        address="Building 3",
        latitude=where[0],
        longitude=where[1],
        phone=PHONE,
        preferred_date=day,
        preferred_slot=Slot.MORNING,
        promise=repair_promise(policy, *where),
    )


def complaint_request() -> ComplaintRequest:
    return ComplaintRequest(
        ComplaintTopic.FEES, None, "Charged twice for one visit.", (), "Refund", False, PHONE
    )


def return_request() -> ReturnRequest:
    return ReturnRequest(
        "A1234",
        "aircon",
        1,
        date(2026, 11, 20),
        ReturnReason.QUALITY,
        True,
        True,
        True,
        False,
        Eligibility(True, ()),
        (),
        PHONE,
    )
