"""Spare parts (备品备件, 000 §1.5 and 003): the parts list, the stock each service point and
each technician holds, what a service record uses, and the managers' low-stock ping.

The parts list is the config's ``[[parts]]`` (code, names, price, reorder level). Stock
is counted by a stocktake table a manager sends (:func:`import_stock`: the counts it
gives replace the held ones), and goes down when a technician's service record names a
part (:func:`use_parts`, in the record's own transaction: taken from the technician's
own stock). A line that falls below its reorder level pings every manager once; a
restock above it arms the ping again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch.clock import Clock
from dispatch.errors import InvalidInput
from dispatch.geo import Place
from dispatch.messages import N_, Lines, Msg, Outgoing, Param
from dispatch.model import PartKind, Role, StockLine, Technician
from dispatch.ports import UnitOfWork
from dispatch.tables import ImportReport, find_technician, header_of, lines_of

__all__ = [
    "COLUMNS",
    "PartKind",
    "counted_part",
    "import_stock",
    "is_stock_table",
    "part_fees",
    "stock_overview",
    "use_parts",
]

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "part": ("part", "配件", "零件", "备件", "備件", "part code"),
    "holder": ("held by", "holder", "where", "stock at", "库存地点", "庫存地點", "存放", "保管人"),
    "quantity": ("quantity", "qty", "数量", "數量", "库存", "庫存"),
    "reorder_level": ("reorder level", "reorder", "补货线", "補貨線", "最低库存", "最低庫存"),
}
_COUNTED = re.compile(r"^\s*(?:(\d{1,3})\s*[x×*]\s*)?(.+?)(?:\s*[x×*]\s*(\d{1,3}))?\s*$")


def is_stock_table(rows: Sequence[Sequence[str]]) -> bool:
    """Whether a file's first row is the header of a stocktake table."""
    return bool(rows) and header_of(rows[0], COLUMNS, optional=("reorder_level",)) is not None


def counted_part(parts: Sequence[PartKind], text: str) -> tuple[PartKind | None, str, int]:
    """A part as people write it with its count (``Drain pump x2``, ``2× 排水泵``): the
    listed part it names (None when it is not on the list), the name as written, how many."""
    match = _COUNTED.match(text)
    if match is None:
        return None, text.strip(), 1
    name = match.group(2).strip()
    return _part(parts, name), name, int(match.group(1) or match.group(3) or 1)


def _part(parts: Sequence[PartKind], text: str) -> PartKind | None:
    wanted = text.strip().casefold()
    for part in parts:
        if wanted in (
            n.casefold() for n in (part.code, part.name.en, part.name.zh_Hans, part.name.zh_Hant)
        ):
            return part
    return None


def _low_ping(
    line: StockLine, part: PartKind, where: Param, manager_ids: Sequence[int]
) -> list[Outgoing]:
    """The managers' ping when ``line`` is below its reorder level and was not told yet;
    the line's mark follows (cleared once it is restocked)."""
    if line.quantity >= line.reorder_level:
        line.low_warned = False
        return []
    if line.low_warned:
        return []
    line.low_warned = True
    return [
        Outgoing(
            manager,
            N_("📦 Low stock: {part} at {where}: {quantity} left (reorder level {level})."),
            {
                "part": part.name,
                "where": where,
                "quantity": line.quantity,
                "level": line.reorder_level,
            },
            dedup_key=f"low:{line.holder}:{line.part_code}:{line.quantity}:{manager}",
        )
        for manager in manager_ids
    ]


def _holder(
    points: Mapping[str, str], team: Sequence[Technician], text: str
) -> tuple[str, str] | None:
    """The holder a cell names, as stored and as shown: a service point, else a technician."""
    point = points.get(text.casefold())
    if point is not None:
        return f"point:{point}", point
    technician = find_technician(team, text)
    return (f"technician:{technician.user_id}", technician.name) if technician else None


async def _holder_names(uow: UnitOfWork, holders: Sequence[str]) -> dict[str, Param]:
    ids = [int(h.split(":", 1)[1]) for h in holders if h.startswith("technician:")]
    names = await uow.technicians.names(ids)
    shown: dict[str, Param] = {}
    for holder in holders:
        kind, _, key = holder.partition(":")
        shown[holder] = names.get(int(key), "?") if kind == "technician" else key
    return shown


async def import_stock(
    uow: UnitOfWork,
    clock: Clock,
    parts: Sequence[PartKind],
    points: Sequence[Place],
    rows: Sequence[Sequence[str]],
) -> tuple[ImportReport, int]:
    """A stocktake: each line's count replaces the holder's; returns the report and how
    many low-stock pings were written."""
    report = ImportReport()
    columns = header_of(rows[0], COLUMNS, optional=("reorder_level",)) if rows else None
    if columns is None:
        raise InvalidInput(
            N_("The first row should name the columns: part, held by, quantity, reorder level.")
        )
    now = clock.now()
    pings: list[Outgoing] = []
    async with uow:
        team = [technician for technician, _ in await uow.technicians.team()]
        managers = [m.id for m in await uow.users.with_role(Role.MANAGER)]
        held = {(s.holder, s.part_code): s for s in await uow.parts.stock()}
        point_names = {p.name.casefold(): p.name for p in points}
        for line, cells in lines_of(rows, columns):
            part = _part(parts, cells["part"])
            found = _holder(point_names, team, cells["holder"])
            level_text = cells.get("reorder_level", "")
            problem: Msg | None = None
            if part is None:
                problem = Msg(N_("no part called {name}"), {"name": cells["part"]})
            elif found is None:
                problem = Msg(
                    N_("no service point or technician called {name}"), {"name": cells["holder"]}
                )
            elif not cells["quantity"].isdigit():
                problem = Msg(N_("{text} is not a quantity"), {"text": cells["quantity"]})
            elif level_text and not level_text.isdigit():
                problem = Msg(N_("{text} is not a quantity"), {"text": level_text})
            if problem is not None or part is None or found is None:
                report.problems.append(
                    Msg(N_("line {line}: {problem}"), {"line": line, "problem": problem or ""})
                )
                continue
            holder, where = found
            before = held.get((holder, part.code))
            stock = StockLine(
                part.code,
                holder,
                int(cells["quantity"]),
                int(level_text) if level_text else part.reorder_level,
                before.low_warned if before else False,
            )
            pings += _low_ping(stock, part, where, managers)
            await uow.parts.save(stock)
            held[(holder, part.code)] = stock
            report.added += before is None
            report.renewed += before is not None
        await uow.outbox.add_many(pings, at=now)
        await uow.commit()
    return report, len(pings)


def part_fees(parts: Sequence[PartKind], used: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """The fee lines of the listed parts a service record names, priced by the parts list
    (``part:<code>``, see DeskPolicy.fee_names); parts not on the list, or priced 0, add none."""
    fees: dict[str, dict[str, Any]] = {}
    for entry in used:
        part, _, count = counted_part(parts, entry.get("name", ""))
        if part is None or part.price <= 0:
            continue
        line = fees.setdefault(
            part.code, {"code": f"part:{part.code}", "quantity": 0, "price": part.price}
        )
        line["quantity"] += count
    return list(fees.values())


async def use_parts(
    uow: UnitOfWork,
    parts: Sequence[PartKind],
    technician_id: int,
    used: Sequence[Mapping[str, str]],
    now: datetime,
    *,
    points: Sequence[str] = (),
) -> None:
    """The parts a service record names leave stock (``2× capacitor`` or ``capacitor x2``
    for two), inside the caller's unit of work: the technician's own first, then the
    service points ``points`` in that order (nearest the job first) for what they lacked.
    A name not on the parts list, or a part nobody listed holds, moves nothing."""
    holders = [f"technician:{technician_id}", *(f"point:{name}" for name in points)]
    held: dict[tuple[str, str], StockLine] = {}
    for holder in holders:
        held.update({(holder, s.part_code): s for s in await uow.parts.stock(holder)})
    if not held:
        return
    pings: list[Outgoing] = []
    managers: list[int] | None = None  # read once a listed part is taken
    where: dict[str, Param] = {}
    for entry in used:
        part, _, count = counted_part(parts, entry.get("name", ""))
        if part is None:
            continue
        for holder in holders:
            line = held.get((holder, part.code))
            if count <= 0 or line is None or line.quantity <= 0:
                continue
            taken = min(count, line.quantity)
            line.quantity -= taken
            count -= taken
            if managers is None:
                managers = [m.id for m in await uow.users.with_role(Role.MANAGER)]
                where = await _holder_names(uow, holders)
            pings += _low_ping(line, part, where[holder], managers)
            await uow.parts.save(line)
    await uow.outbox.add_many(pings, at=now)


async def stock_overview(
    uow: UnitOfWork, parts: Sequence[PartKind], *, holder: str | None
) -> Msg | None:
    """Every stock line (or one holder's), ⚠️ where below its reorder level; None when
    nothing is counted yet."""
    names = {part.code: part.name for part in parts}
    async with uow:
        lines = await uow.parts.stock(holder)
        where = await _holder_names(uow, sorted({s.holder for s in lines}))
    if not lines:
        return None
    shown: list[Param] = []
    for stock in sorted(lines, key=lambda s: (s.holder, s.part_code)):
        low = stock.quantity < stock.reorder_level
        shown.append(
            Msg(
                N_("⚠️ {where} · {part}: {quantity}") if low else N_("{where} · {part}: {quantity}"),
                {
                    "where": where[stock.holder],
                    "part": names.get(stock.part_code, stock.part_code),
                    "quantity": stock.quantity,
                },
            )
        )
    return Msg(N_("📦 Spare parts in stock:\n{lines}"), {"lines": Lines(tuple(shown))})
