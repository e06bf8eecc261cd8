"""Spare parts stock (dispatch.parts): one row per holder and part, replaced in place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.model import Localized, PartKind, StockLine
from storage.field_models import PartKindRow, PartStockRow

__all__ = ["SqlPartRepository"]


class SqlPartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stock(self, holder: str | None = None) -> list[StockLine]:
        query = select(PartStockRow).order_by(PartStockRow.holder, PartStockRow.part_code)
        if holder is not None:
            query = query.where(PartStockRow.holder == holder)
        return [
            StockLine(row.part_code, row.holder, row.quantity, row.reorder_level, row.low_warned)
            for row in await self.session.scalars(query)
        ]

    async def kinds(self) -> list[PartKind]:
        return [
            PartKind(
                row.code,
                Localized(**row.name),
                row.price,
                row.reorder_level,
                frozenset(row.products),
            )
            for row in await self.session.scalars(select(PartKindRow).order_by(PartKindRow.code))
        ]

    async def save_kind(self, kind: PartKind) -> None:
        row = await self.session.get(PartKindRow, kind.code)
        if row is None:
            row = PartKindRow(code=kind.code)
            self.session.add(row)
        row.name = {"en": kind.name.en, "zh_Hans": kind.name.zh_Hans, "zh_Hant": kind.name.zh_Hant}
        row.price = kind.price
        row.reorder_level = kind.reorder_level
        row.products = sorted(kind.products)
        await self.session.flush()

    async def save(self, line: StockLine) -> None:
        row = await self.session.get(PartStockRow, (line.holder, line.part_code))
        if row is None:
            row = PartStockRow(holder=line.holder, part_code=line.part_code)
            self.session.add(row)
        row.quantity = line.quantity
        row.reorder_level = line.reorder_level
        row.low_warned = line.low_warned
        await self.session.flush()
