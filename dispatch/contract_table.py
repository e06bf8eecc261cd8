"""A manager's contracts table (CSV or XLSX, read by bot.tables): each line a maintenance
contract, added, renewed (a later end) or corrected by its number; the lines that cannot
be read come back with their number and why (dispatch.tables.ImportReport)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from dispatch.catalogue import products_named
from dispatch.clock import Clock
from dispatch.contact import normalize_phone
from dispatch.contracts import schedule_next
from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.messages import N_, Msg
from dispatch.model import Contract, Event, EventKind, Role
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.tables import ImportReport, header_of, lines_of

__all__ = ["COLUMNS", "import_contracts", "is_contracts_table", "read_cadence"]

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "contract": ("contract", "contract no", "contract number", "合同编号", "合同號", "合約編號"),
    "customer": ("customer phone", "phone", "customer", "客户电话", "客戶電話", "电话", "電話"),
    "site": ("site", "project", "项目", "项目名称", "項目", "項目名稱"),
    "address": ("address", "地址"),
    "products": ("products", "product", "产品", "產品"),
    "starts": ("start", "starts", "from", "开始日期", "開始日期", "开始", "開始"),
    "ends": ("end", "ends", "until", "结束日期", "結束日期", "到期", "结束", "結束"),
    "cadence": ("cadence", "visits", "frequency", "频次", "頻次", "回访频次", "回訪頻次"),
    "services": ("services", "included services", "服务内容", "服務內容"),
    "fee": ("fee", "fees", "费用", "費用", "合同金额", "合約金額"),
    "deposit": ("deposit", "押金", "保证金", "保證金"),
    "latitude": ("latitude", "lat", "纬度", "緯度"),
    "longitude": ("longitude", "lon", "lng", "经度", "經度"),
}
_OPTIONAL = ("services", "fee", "deposit", "latitude", "longitude")

_EVERY = re.compile(
    r"^(?:every\s*)?(\d{1,2})\s*(?:months?|个月|個月|月)?$|^每\s*(\d{1,2})\s*[个個]?月$"
)
_NAMED = {
    "monthly": 1,
    "month": 1,
    "月访": 1,
    "月訪": 1,
    "每月": 1,
    "quarterly": 3,
    "quarter": 3,
    "季度巡检": 3,
    "季度巡檢": 3,
    "季度": 3,
    "每季": 3,
    "每季度": 3,
    "half-yearly": 6,
    "半年": 6,
    "yearly": 12,
    "annual": 12,
    "每年": 12,
}


def read_cadence(text: str) -> int | None:
    """How many months apart the visits are: ``monthly``, ``季度巡检``, ``every 2 months``,
    ``每2个月`` or a plain number (1-24); None when it says none of these."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _NAMED:
        return _NAMED[cleaned]
    match = _EVERY.match(cleaned)
    if match is None:
        return None
    months = int(match.group(1) or match.group(2))
    return months if 1 <= months <= 24 else None


def is_contracts_table(rows: Sequence[Sequence[str]]) -> bool:
    """Whether a file's first row is the header of a contracts table."""
    return bool(rows) and header_of(rows[0], COLUMNS, optional=_OPTIONAL) is not None


def _amount(text: str) -> float | None:
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").strip()
    if not cleaned:
        return 0.0
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value >= 0 else None


def _coordinate(text: str, bound: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if -bound <= value <= bound else None


async def import_contracts(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    rows: Sequence[Sequence[str]],
    *,
    region: str,
    lead_days: int,
    manager_id: int | None = None,
) -> ImportReport:
    """Add, renew or correct the contracts of a table (header row first), each by its
    number; a line that cannot be read is reported with its number and why."""
    report = ImportReport()
    columns = header_of(rows[0], COLUMNS, optional=_OPTIONAL) if rows else None
    if columns is None:
        raise InvalidInput(
            N_(
                "The first row should name the columns: contract, customer phone, site, address, products, start, end, cadence."
            )
        )
    now = clock.now()
    today = now.astimezone(policy.zone).date()
    async with uow:
        for line, cells in lines_of(rows, columns):
            problem, contract = await _read_line(uow, policy, cells, today, region)
            if problem is not None or contract is None:
                report.problems.append(
                    Msg(N_("line {line}: {problem}"), {"line": line, "problem": problem or ""})
                )
                continue
            before = await uow.contracts.get(contract.number)
            if before is not None:
                contract.id = before.id
                contract.ended_on = None
                # A renewal (a later end) warns again 30 days before the new end.
                contract.end_warned_on = (
                    before.end_warned_on if before.ends_on == contract.ends_on else None
                )
                # Visits already planned stay planned: the next one comes after them.
                after = max(today, before.next_visit_on or today)
            else:
                after = today
            schedule_next(contract, after, lead_days)
            await uow.contracts.save(contract)
            await uow.events.add(
                Event(
                    kind=EventKind.CONTRACT_LOADED,
                    created_at=now,
                    actor_id=manager_id,
                    details={"contract": contract.number, "ends_on": contract.ends_on.isoformat()},
                )
            )
            report.added += before is None
            report.renewed += before is not None
        await uow.commit()
    return report


async def _read_line(
    uow: UnitOfWork, policy: DeskPolicy, cells: Mapping[str, str], today: date, region: str
) -> tuple[Msg | None, Contract | None]:
    """One line of a contracts table as a contract, or what is wrong with it."""
    if not cells["contract"]:
        return Msg(N_("the contract number is missing")), None
    phone = normalize_phone(cells["customer"], region)
    customer = await uow.users.by_phone(phone) if phone else None
    if customer is None or customer.role is not Role.CUSTOMER:
        return Msg(
            N_(
                "no customer has given the bot the phone {phone} yet (they give it with their first request); check the number, or load the contract after their first request"
            ),
            {"phone": cells["customer"]},
        ), None
    products, unknown = products_named(policy.products, cells["products"])
    if unknown is not None:
        return Msg(N_("no product called {name}"), {"name": unknown}), None
    dates: list[date] = []
    for key in ("starts", "ends"):
        try:
            dates.append(read_date(cells[key], today, past=False))
        except InvalidInput:
            return Msg(N_("{text} is not a date"), {"text": cells[key]}), None
    starts, ends = dates
    if ends <= starts:
        return Msg(N_("the contract ends before it starts")), None
    every = read_cadence(cells["cadence"])
    if every is None:
        return Msg(
            N_("{text} is not a cadence: write monthly, quarterly or every 2 months"),
            {"text": cells["cadence"]},
        ), None
    fee, deposit = _amount(cells.get("fee", "")), _amount(cells.get("deposit", ""))
    if fee is None or deposit is None:
        text = cells.get("fee", "") if fee is None else cells.get("deposit", "")
        return Msg(N_("{text} is not an amount"), {"text": text}), None
    latitude = _coordinate(cells.get("latitude", ""), 90) if cells.get("latitude") else None
    longitude = _coordinate(cells.get("longitude", ""), 180) if cells.get("longitude") else None
    if (latitude is None) != (longitude is None):
        return Msg(N_("give both latitude and longitude, or neither")), None
    if not cells["site"] or not cells["address"]:
        return Msg(N_("the site and its address are needed")), None
    return None, Contract(
        id=0,
        number=cells["contract"][:40],
        customer_id=customer.id,
        site=cells["site"][:120],
        address=cells["address"][:300],
        starts_on=starts,
        ends_on=ends,
        every_months=every,
        products=products,
        latitude=latitude,
        longitude=longitude,
        services=cells.get("services", ""),
        fee=fee,
        deposit=deposit,
    )
