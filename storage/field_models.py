"""The field-service tables: technicians' certificates, spare parts stock and the parts
lists loaded, and maintenance contracts (dispatch.certificates, dispatch.parts,
dispatch.parts_list, dispatch.contracts). On the same metadata as storage.models."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models import Base
from storage.types import JSONType

__all__ = ["ContractRow", "PartKindRow", "PartStockRow", "TechnicianCertificateRow"]


class TechnicianCertificateRow(Base):
    """A certificate a technician holds (dispatch.certificates): one per code, renewed in place."""

    __tablename__ = "technician_certificates"
    __table_args__ = (
        UniqueConstraint("technician_id", "code", name="uq_technician_certificates_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.user_id"))
    code: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(64))
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    warned_on: Mapped[date | None] = mapped_column(Date)


class PartStockRow(Base):
    """How many of a spare part a holder has (dispatch.parts): one line per holder and part."""

    __tablename__ = "part_stock"

    holder: Mapped[str] = mapped_column(String(80), primary_key=True)
    part_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reorder_level: Mapped[int] = mapped_column(Integer)
    low_warned: Mapped[bool] = mapped_column(Boolean)


class PartKindRow(Base):
    """A part of a parts list a manager loaded (dispatch.parts_list), over the config's."""

    __tablename__ = "part_kinds"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSONType)
    price: Mapped[float] = mapped_column(Float)
    reorder_level: Mapped[int] = mapped_column(Integer)
    products: Mapped[list[str]] = mapped_column(JSONType)


class ContractRow(Base):
    """A maintenance contract (dispatch.contracts); ``plan_on`` indexed for the planning pass."""

    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_plan_on", "plan_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    site: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(EncryptedText)  # storage.crypto
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    products: Mapped[list[str]] = mapped_column(JSONType)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    every_months: Mapped[int] = mapped_column(Integer)
    services: Mapped[str] = mapped_column(Text)
    fee: Mapped[float] = mapped_column(Float)
    deposit: Mapped[float] = mapped_column(Float)
    next_visit_on: Mapped[date | None] = mapped_column(Date)
    plan_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_warned_on: Mapped[date | None] = mapped_column(Date)
