"""Maintenance contracts (dispatch.contracts): one row each, the planning pass reading only
the rows due by their indexed ``plan_on``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.model import Contract
from storage.field_models import ContractRow

__all__ = ["SqlContractRepository"]

_FIELDS = (
    "number",
    "customer_id",
    "site",
    "address",
    "latitude",
    "longitude",
    "products",
    "starts_on",
    "ends_on",
    "every_months",
    "services",
    "fee",
    "deposit",
    "next_visit_on",
    "plan_on",
    "ended_on",
    "end_warned_on",
)


def _contract(row: ContractRow) -> Contract:
    return Contract(id=row.id, **{name: getattr(row, name) for name in _FIELDS})


class SqlContractRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, number: str) -> Contract | None:
        row = await self.session.scalar(select(ContractRow).where(ContractRow.number == number))
        return None if row is None else _contract(row)

    async def save(self, contract: Contract) -> Contract:
        row = await self.session.get(ContractRow, contract.id) if contract.id else None
        if row is None:
            row = ContractRow()
            self.session.add(row)
        for name in _FIELDS:
            setattr(row, name, getattr(contract, name))
        row.products = list(contract.products)
        await self.session.flush()
        contract.id = row.id
        return contract

    async def due(self, today: date, limit: int) -> list[Contract]:
        """Claim the contracts due, in one statement: their planning day is cleared and the
        caller writes the next one (planned) in the same transaction, so a crash un-claims
        them by rollback. Planners in several processes never take the same contract: on
        PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, and SQLite lets one writer
        at a time."""
        pick = (
            select(ContractRow.id)
            .where(ContractRow.plan_on <= today)
            .order_by(ContractRow.plan_on, ContractRow.id)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        rows = await self.session.scalars(
            update(ContractRow)
            .where(ContractRow.id.in_(pick.scalar_subquery()), ContractRow.plan_on <= today)
            .values(plan_on=None)
            .returning(ContractRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((_contract(row) for row in rows), key=lambda c: c.id)

    async def planned(self, changes: list[tuple[int, date | None, date | None]]) -> None:
        if changes:
            await self.session.execute(
                update(ContractRow),
                [
                    {"id": id_, "next_visit_on": visit, "plan_on": plan}
                    for id_, visit, plan in changes
                ],
            )

    async def of_customer(self, customer_id: int) -> list[Contract]:
        rows = await self.session.scalars(
            select(ContractRow)
            .where(ContractRow.customer_id == customer_id)
            .order_by(ContractRow.ends_on.desc())
        )
        return [_contract(row) for row in rows]

    async def running(self, limit: int = 200) -> list[Contract]:
        rows = await self.session.scalars(
            select(ContractRow)
            .where(ContractRow.ended_on.is_(None))
            .order_by(ContractRow.ends_on, ContractRow.id)
            .limit(limit)
        )
        return [_contract(row) for row in rows]

    async def ending_unwarned(self, by: date) -> list[Contract]:
        rows = await self.session.scalars(
            select(ContractRow).where(
                ContractRow.ends_on <= by,
                ContractRow.end_warned_on.is_(None),
                ContractRow.ended_on.is_(None),
            )
        )
        return [_contract(row) for row in rows]
