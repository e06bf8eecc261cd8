"""The desk's rules as the domain needs them, built once from the settings by ``bot/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from dispatch.assignment import Weights
from dispatch.catalogue import PriceItem, Product
from dispatch.geo import Place
from dispatch.sla import SLA_DEFAULTS, Limit

__all__ = ["DeskPolicy", "DispatchRules"]


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
    service_points: tuple[Place, ...] = ()
    priority_areas: tuple[Place, ...] = ()
    far_distance_km: float = 100.0
    draft_ttl: timedelta = timedelta(hours=72)
    manager_ids: tuple[int, ...] = ()
    dispatch: DispatchRules = field(default_factory=DispatchRules)

    def product(self, code: str | None) -> Product | None:
        return next((p for p in self.products if p.code == code), None)
