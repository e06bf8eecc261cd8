"""The config's lists (the product catalogue, the price list, saved replies, the
certificates and spare parts), each entry validated as it is read; bot.config loads them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CertificateSettings",
    "LocalizedName",
    "PartSettings",
    "PriceSettings",
    "ProductSettings",
    "Section",
    "SnippetSettings",
]


class Section(BaseModel):
    """A table of the config: unknown keys and loose types are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LocalizedName(Section):
    en: str
    zh_Hans: str
    zh_Hant: str


class ProductSettings(Section):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
    name: LocalizedName
    warranty_months: Annotated[int, Field(ge=0)] = 12


class CertificateSettings(Section):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
    name: LocalizedName
    products: tuple[str, ...] = ()  # catalogue codes; empty: every product
    kinds: tuple[Literal["repair", "installation", "maintenance"], ...] = ()  # empty: all


class PartSettings(Section):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
    name: LocalizedName
    price: Annotated[float, Field(ge=0)] = 0.0
    reorder_level: Annotated[int, Field(ge=0)] = 0
    products: tuple[str, ...] = ()  # catalogue codes it fits; empty: any


class PriceSettings(Section):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
    name: LocalizedName
    price: Annotated[float, Field(ge=0)]


class SnippetSettings(Section):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
    title: LocalizedName
    text: LocalizedName
