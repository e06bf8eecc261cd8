"""The product catalogue and the national price list, as the config gives them.

A catalogue entry's ``code`` doubles as the technician skill needed to service
it, so a technician's skills are chosen from the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.model import Localized

__all__ = ["PriceItem", "Product", "Snippet"]


@dataclass(frozen=True)
class Product:
    code: str
    name: Localized
    warranty_months: int


@dataclass(frozen=True)
class Snippet:
    """A saved reply managers pick instead of typing a common answer; the customer reads
    it in their own language."""

    code: str
    title: Localized
    text: Localized


@dataclass(frozen=True)
class PriceItem:
    code: str
    name: Localized
    price: float
