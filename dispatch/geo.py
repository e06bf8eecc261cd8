"""Distances on the WGS-84 sphere, for single checks (promises, geofences).

Searching many technicians at once belongs to the assignment engine, which
vectorises; this module is for one point against a handful of places.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["EARTH_RADIUS_KM", "Place", "distance_km", "nearest_km"]

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    radius_km: float = 0.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_km(latitude: float, longitude: float, places: Iterable[Place]) -> float | None:
    distances = [distance_km(latitude, longitude, p.latitude, p.longitude) for p in places]
    return min(distances) if distances else None
