"""The desk's rules as the domain needs them, built once from the settings by ``bot/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatch.assignment import Weights
from dispatch.calendar import WorkCalendar
from dispatch.catalogue import PriceItem, Product, Snippet
from dispatch.certificates import CertificateKind
from dispatch.geo import Place
from dispatch.model import Localized
from dispatch.parts_list import PartsList
from dispatch.sla import SLA_DEFAULTS, WARN_FRACTION, Limit

__all__ = ["DeskPolicy", "DispatchRules", "SurveyRules"]


@dataclass(frozen=True)
class SurveyRules:
    """The follow-up visit: sent ``after_days`` after signing at ``send_at``, one reminder."""

    send_at: time = time(10)
    after_days: int = 1
    reminder: timedelta = timedelta(hours=24)
    low_score: int = 2


@dataclass(frozen=True)
class DispatchRules:
    offer_timeout: timedelta = timedelta(minutes=10)
    weights: Weights = field(default_factory=Weights)
    # A live location older than this no longer counts; the base is used instead.
    fresh_location: timedelta = timedelta(minutes=30)
    arrival_radius_m: float = 300.0


@dataclass(frozen=True)
class DeskPolicy:
    zone: ZoneInfo
    sla: dict[str, Limit] = field(default_factory=lambda: dict(SLA_DEFAULTS))
    products: tuple[Product, ...] = ()
    prices: tuple[PriceItem, ...] = ()
    snippets: tuple[Snippet, ...] = ()
    service_points: tuple[Place, ...] = ()
    priority_areas: tuple[Place, ...] = ()
    far_distance_km: float = 100.0
    draft_ttl: timedelta = timedelta(hours=72)
    manager_ids: tuple[int, ...] = ()
    dispatch: DispatchRules = field(default_factory=DispatchRules)
    calendar: WorkCalendar | None = None
    warn_fraction: float = WARN_FRACTION
    escalate_after: timedelta = timedelta(hours=2)
    director_ids: tuple[int, ...] = ()
    staff_group: int | None = None  # the staff group's chat id (dispatch.staffroom)
    quiet_hours: tuple[time, time] = (time(21), time(9))
    currency: str = "CNY"  # of the price list and every amount the desk writes (ISO 4217)
    surveys: SurveyRules = field(default_factory=SurveyRules)
    certificates: tuple[CertificateKind, ...] = ()  # which jobs need which (dispatch.certificates)
    parts: PartsList = field(default_factory=PartsList)  # the spare parts (dispatch.parts_list)
    requests_per_hour: int = 10  # new requests a customer may open in an hour (dispatch.limits)

    @property
    def work_calendar(self) -> WorkCalendar:
        return self.calendar or WorkCalendar("CN", self.zone)

    def due(self, start: datetime, step: str) -> datetime:
        """When ``step`` (an SLA_DEFAULTS key) started at ``start`` is due."""
        return self.work_calendar.due(start, self.sla[step])

    def customer_quiet(self, moment: datetime, visit_day: date | None = None) -> datetime | None:
        """When a message a customer did not ask for may go: after their quiet hours,
        unless it is about their own visit that day."""
        if visit_day is not None and visit_day == moment.astimezone(self.zone).date():
            return None
        return self.quiet_until(moment)

    def quiet_until(self, moment: datetime) -> datetime | None:
        """The end of the customers' quiet hours when ``moment`` falls inside them, else None."""
        local = moment.astimezone(self.zone)
        start, end = self.quiet_hours
        now = local.time()
        inside = (start <= now or now < end) if start > end else (start <= now < end)
        if not inside:
            return None
        day = local.date() if now < end else local.date() + timedelta(days=1)
        return datetime.combine(day, end, tzinfo=self.zone).astimezone(moment.tzinfo)

    def snippet(self, code: str) -> Snippet | None:
        return next((s for s in self.snippets if s.code == code), None)

    def product(self, code: str | None) -> Product | None:
        return next((p for p in self.products if p.code == code), None)

    def fee_names(self) -> dict[str, Localized]:
        """What each fee line of a service record is called: the price list's items by
        code, the spare parts charged by ``part:<code>`` (dispatch.parts.part_fees)."""
        names = {item.code: item.name for item in self.prices}
        names.update({f"part:{part.code}": part.name for part in self.parts})
        return names
