"""The spare parts list (备品备件): the config's ``[[parts]]``, joined or corrected by the
parts lists a manager loads from a CSV or XLSX file (code, names in the three languages,
price from the national price list, reorder level, the products each part fits).

The list in use is one :class:`PartsList` that the policy holds and that is refreshed in
place: after a manager's file in this process, and with every sweep in every process
(like the company days), so that all of them price and count the same parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

from dispatch.catalogue import Product, products_named
from dispatch.errors import InvalidInput
from dispatch.messages import N_, Msg
from dispatch.model import Localized, PartKind
from dispatch.ports import UnitOfWork
from dispatch.tables import ImportReport, header_of, lines_of

__all__ = [
    "COLUMNS",
    "PartsList",
    "import_parts_list",
    "is_parts_list_table",
    "load_parts_list",
]

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "code": ("code", "part code", "编码", "編碼", "配件编码", "零件編碼"),
    "name_en": ("name", "english name", "name (en)", "英文名称", "英文名稱"),
    "name_zh_hans": ("简体名称", "名称", "中文名称", "简体中文"),
    "name_zh_hant": ("繁體名稱", "繁体名称", "名稱", "繁體中文"),
    "price": ("price", "价格", "價格", "单价", "單價"),
    "reorder_level": ("reorder level", "reorder", "补货线", "補貨線", "最低库存", "最低庫存"),
    "products": ("products", "fits", "适用产品", "適用產品", "产品", "產品"),
}
_OPTIONAL = ("reorder_level", "products")


class PartsList(Sequence[PartKind]):
    """The parts in use: the configured ones, each replaced or joined (by code) by the
    loaded ones."""

    def __init__(self, configured: Iterable[PartKind] = ()) -> None:
        self._configured = tuple(configured)
        self._kinds = self._configured

    @overload
    def __getitem__(self, index: int) -> PartKind: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[PartKind]: ...
    def __getitem__(self, index: int | slice) -> PartKind | Sequence[PartKind]:
        return self._kinds[index]

    def __len__(self) -> int:
        return len(self._kinds)

    def __iter__(self) -> Iterator[PartKind]:
        return iter(self._kinds)

    def use_loaded(self, loaded: Sequence[PartKind]) -> None:
        """The configured parts with the loaded ones over them."""
        by_code = {kind.code: kind for kind in self._configured}
        by_code.update({kind.code: kind for kind in loaded})
        self._kinds = tuple(by_code.values())

    def fitting(self, product: str | None) -> list[PartKind]:
        """The parts that fit ``product`` (those that name no product fit any)."""
        return [k for k in self._kinds if not k.products or product in k.products]


async def load_parts_list(uow: UnitOfWork, parts: PartsList) -> None:
    """The loaded parts, as stored (another process may have loaded a file)."""
    async with uow:
        parts.use_loaded(await uow.parts.kinds())


def is_parts_list_table(rows: Sequence[Sequence[str]]) -> bool:
    """Whether a file's first row is the header of a parts list."""
    return bool(rows) and header_of(rows[0], COLUMNS, optional=_OPTIONAL) is not None


async def import_parts_list(
    uow: UnitOfWork,
    parts: PartsList,
    products: Sequence[Product],
    rows: Sequence[Sequence[str]],
) -> ImportReport:
    """Add or correct the parts of a parts list (header row first), each by its code; the
    list in use follows at once. A line that cannot be read is reported with why."""
    report = ImportReport()
    columns = header_of(rows[0], COLUMNS, optional=_OPTIONAL) if rows else None
    if columns is None:
        raise InvalidInput(
            N_(
                "The first row should name the columns: code, name, 简体名称, 繁體名稱, price, reorder level, products."
            )
        )
    async with uow:
        known = {kind.code for kind in await uow.parts.kinds()} | {kind.code for kind in parts}
        for line, cells in lines_of(rows, columns):
            problem, kind = _read_line(cells, products)
            if problem is not None or kind is None:
                report.problems.append(
                    Msg(N_("line {line}: {problem}"), {"line": line, "problem": problem or ""})
                )
                continue
            await uow.parts.save_kind(kind)
            report.added += kind.code not in known
            report.renewed += kind.code in known
            known.add(kind.code)
        loaded = await uow.parts.kinds()
        await uow.commit()
    parts.use_loaded(loaded)
    return report


def _read_line(
    cells: Mapping[str, str], products: Sequence[Product]
) -> tuple[Msg | None, PartKind | None]:
    code = cells["code"].lower()
    if not re.fullmatch(r"[a-z0-9_]{1,24}", code):
        return Msg(
            N_("{text} is not a part code (letters, digits and _, at most 24)"),
            {"text": cells["code"]},
        ), None
    names = (cells["name_en"], cells["name_zh_hans"], cells["name_zh_hant"])
    if not all(names):
        return Msg(N_("the part needs its name in English, 简体 and 繁體")), None
    try:
        price = float(cells["price"].replace(",", "").lstrip("¥￥"))
    except ValueError:
        price = -1.0
    if price < 0:
        return Msg(N_("{text} is not an amount"), {"text": cells["price"]}), None
    level = cells.get("reorder_level", "") or "0"
    if not level.isdigit():
        return Msg(N_("{text} is not a quantity"), {"text": level}), None
    fits, unknown = products_named(products, cells.get("products", ""))
    if unknown is not None:
        return Msg(N_("no product called {name}"), {"name": unknown}), None
    return None, PartKind(
        code, Localized(*(n[:80] for n in names)), round(price, 2), int(level), frozenset(fits)
    )
