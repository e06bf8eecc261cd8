"""Rules of intake: what a valid answer is, warranty, return eligibility, promised limits.

Every refusal is an :class:`~dispatch.errors.InvalidInput` whose msgid tells the
customer what to fix; handlers translate it and ask again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from dispatch.catalogue import Product
from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.geo import distance_km, nearest_km
from dispatch.messages import N_, Msg
from dispatch.policy import DeskPolicy
from dispatch.sla import Limit, SlaStep, Unit

__all__ = [
    "MAX_PHOTOS",
    "PREFERRED_DAYS",
    "RETURN_WINDOW_DAYS",
    "VISIT_END",
    "VISIT_START",
    "ComplaintTopic",
    "Eligibility",
    "RepairPromise",
    "ReturnReason",
    "Slot",
    "Warranty",
    "check_order_number",
    "check_preferred_date",
    "check_purchase_date",
    "check_quantity",
    "check_text",
    "clean_text",
    "limit_text",
    "open_slots",
    "preferred_days",
    "repair_promise",
    "return_eligibility",
    "visit_end",
    "visit_start",
    "warranty_status",
]

MAX_PHOTOS = 5
PREFERRED_DAYS = 14
RETURN_WINDOW_DAYS = 7
OLDEST_PURCHASE = date(1990, 1, 1)


class Slot(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class Warranty(StrEnum):
    IN = "in"
    OUT = "out"
    UNKNOWN = "unknown"


class ComplaintTopic(StrEnum):
    PRODUCT = "product"
    VISIT = "visit"
    ATTITUDE = "attitude"
    FEES = "fees"
    OTHER = "other"


class ReturnReason(StrEnum):
    QUALITY = "quality"
    NOT_AS_DESCRIBED = "not_as_described"
    CHANGED_MIND = "changed_mind"


# Kept although invisible: a zero-width joiner holds emoji like 👨‍🔧 together.
_KEPT_FORMAT = {"\u200d"}


def clean_text(text: str) -> str:
    """Without control and direction-override characters (newline and tab stay).

    ``\x00`` cannot even be stored on PostgreSQL, and a right-to-left override turns
    what a technician or manager reads around; neither belongs in an answer.
    """
    return "".join(
        ch
        for ch in text
        if ch in "\n\t"
        or ch in _KEPT_FORMAT
        or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )


def check_text(text: str, *, minimum: int, maximum: int) -> str:
    """A typed answer, cleaned (see clean_text), within ``minimum`` and ``maximum``."""
    text = clean_text(text)
    cleaned = " ".join(text.split()) if "\n" not in text else text.strip()
    if len(cleaned) < minimum:
        raise InvalidInput(
            N_("That is a little short. Please write at least {minimum} characters."),
            minimum=minimum,
        )
    if len(cleaned) > maximum:
        raise InvalidInput(
            N_("That is too long ({length} characters). Please keep it under {maximum}."),
            length=len(cleaned),
            maximum=maximum,
        )
    return cleaned


def check_purchase_date(text: str, today: date) -> date:
    day = read_date(text, today, past=True)
    if day > today:
        raise InvalidInput(N_("That date is in the future. Please check it."))
    if day < OLDEST_PURCHASE:
        raise InvalidInput(N_("That date is too long ago. Please check it."))
    return day


# When a technician would come in each part of the day, if the customer's choice stands:
# a slot is offered only while this moment is still ahead.
VISIT_START: dict[Slot, time] = {
    Slot.MORNING: time(9),
    Slot.AFTERNOON: time(14),
    Slot.EVENING: time(18, 30),
}


# The end of each part of day, as its label says (dispatch.labels.SLOT_LABELS).
VISIT_END: dict[Slot, time] = {
    Slot.MORNING: time(12),
    Slot.AFTERNOON: time(18),
    Slot.EVENING: time(21),
}


def visit_end(day: date, slot: Slot, zone: tzinfo) -> datetime:
    """When a booked part of day is over: a technician not there by then is late."""
    return datetime.combine(day, VISIT_END[slot], tzinfo=zone)


def visit_start(day: date, slot: Slot, zone: tzinfo) -> datetime:
    """The visit time a preferred day and slot stand for (the technician's "as asked")."""
    return datetime.combine(day, VISIT_START[slot], tzinfo=zone)


def open_slots(day: date, now: datetime, zone: tzinfo) -> list[Slot]:
    """The parts of ``day`` that can still be booked: their visit time is ahead of ``now``."""
    return [slot for slot in Slot if visit_start(day, slot, zone) > now]


def preferred_days(now: datetime, zone: tzinfo) -> list[date]:
    """The days offered for a visit: the next PREFERRED_DAYS, today only while a slot is open."""
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=n) for n in range(PREFERRED_DAYS)]
    return [d for d in days if open_slots(d, now, zone)]


def check_preferred_date(day: date, today: date) -> date:
    """Today or one of the next PREFERRED_DAYS - 1 days: the days the customer is offered."""
    if day < today or day >= today + timedelta(days=PREFERRED_DAYS):
        raise InvalidInput(
            N_("Please pick a day within the next {days} days."), days=PREFERRED_DAYS
        )
    return day


_ORDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,31}$")


def check_order_number(text: str) -> str:
    cleaned = text.strip().replace(" ", "")
    if not _ORDER.match(cleaned):
        raise InvalidInput(
            N_("An order number has 4 to 32 letters, digits or dashes, as printed on your receipt.")
        )
    return cleaned.upper()


def check_quantity(text: str) -> int:
    try:
        quantity = int(text.strip())
    except ValueError:
        raise InvalidInput(
            N_("Please send the quantity as a whole number, such as 1 or 2.")
        ) from None
    if not 1 <= quantity <= 99:
        raise InvalidInput(N_("The quantity must be between 1 and 99."))
    return quantity


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def warranty_status(purchase: date | None, product: Product | None, today: date) -> Warranty:
    """In warranty until the product's warranty months after purchase have passed."""
    if purchase is None or product is None:
        return Warranty.UNKNOWN
    return Warranty.IN if today <= _add_months(purchase, product.warranty_months) else Warranty.OUT


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...]  # msgids, each one rule the request breaks


def return_eligibility(
    *,
    purchase: date,
    today: date,
    unused: bool,
    original_packaging: bool,
    proof_of_purchase: bool,
    custom_made: bool,
) -> Eligibility:
    """SERVICE_RULES: within 7 days, unused, original packaging, proof; custom-made excluded."""
    reasons: list[str] = []
    if (today - purchase).days > RETURN_WINDOW_DAYS:
        reasons.append(N_("More than 7 days have passed since the purchase or delivery."))
    if not unused:
        reasons.append(N_("The product has been used."))
    if not original_packaging:
        reasons.append(N_("The original packaging is missing."))
    if not proof_of_purchase:
        reasons.append(N_("There is no proof of purchase."))
    if custom_made:
        reasons.append(N_("Custom-made products cannot be returned."))
    return Eligibility(not reasons, tuple(reasons))


@dataclass(frozen=True)
class RepairPromise:
    dispatch: Limit
    on_site: Limit | None  # None when the customer is beyond the service range
    answer: Limit | None  # set instead of on_site for far customers
    priority_area: bool
    far: bool


def repair_promise(
    policy: DeskPolicy, latitude: float | None, longitude: float | None
) -> RepairPromise:
    """Dispatch within 1 h; on site within 24 h (12 h in a priority area), or an answer within 12 h
    when the customer is more than ``far_distance_km`` from every service point."""
    sla = policy.sla
    if latitude is not None and longitude is not None:
        nearest = nearest_km(latitude, longitude, policy.service_points)
        if nearest is not None and nearest > policy.far_distance_km:
            return RepairPromise(
                sla[SlaStep.REPAIR_DISPATCH], None, sla[SlaStep.REPAIR_REMOTE_ANSWER], False, True
            )
        for area in policy.priority_areas:
            if distance_km(latitude, longitude, area.latitude, area.longitude) <= area.radius_km:
                return RepairPromise(
                    sla[SlaStep.REPAIR_DISPATCH],
                    sla[SlaStep.REPAIR_ON_SITE_PRIORITY],
                    None,
                    True,
                    False,
                )
    return RepairPromise(
        sla[SlaStep.REPAIR_DISPATCH], sla[SlaStep.REPAIR_ON_SITE], None, False, False
    )


def limit_text(limit: Limit) -> Msg:
    """A limit in words, as a nested message: ``1 hour``, ``24 hours``, ``2 working days``."""
    n = int(limit.amount) if limit.amount == int(limit.amount) else limit.amount
    if limit.unit is Unit.HOURS:
        return Msg(N_("1 hour")) if n == 1 else Msg(N_("{n} hours"), {"n": n})
    if limit.unit is Unit.MINUTES:
        return Msg(N_("1 minute")) if n == 1 else Msg(N_("{n} minutes"), {"n": n})
    return Msg(N_("1 working day")) if n == 1 else Msg(N_("{n} working days"), {"n": n})
