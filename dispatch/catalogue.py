"""The product catalogue and the national price list, as the config gives them.

A catalogue entry's ``code`` doubles as the technician skill needed to service
it, so a technician's skills are chosen from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.model import Localized

__all__ = ["PriceItem", "Product", "Snippet", "products_named"]


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


def products_named(products: Sequence[Product], text: str) -> tuple[list[str], str | None]:
    """The catalogue codes a table's cell names (by code or by a name in any language,
    separated by , ; 、 or /), in order, and the first name that is none of them."""
    codes: list[str] = []
    for name in (n.strip() for n in re.split(r"[,;、，；/]", text) if n.strip()):
        wanted = name.casefold()
        product = next(
            (
                p
                for p in products
                if wanted in (p.code, p.name.en.casefold(), p.name.zh_Hans, p.name.zh_Hant)
            ),
            None,
        )
        if product is None:
            return codes, name
        if product.code not in codes:
            codes.append(product.code)
    return codes, None
