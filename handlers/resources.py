"""/certificates, /parts and the tables managers send: certificates and stocktakes; the
press that says a part a job waited for has arrived.

A manager sends a CSV or XLSX file in the private chat; its header row says what it is
(``dispatch.certificates.COLUMNS``). Each line is added or renewed; the lines that could
not be read come back with their number and why, so the manager fixes only those and
sends the file again (the lines already in are simply renewed to the same date).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext
from bot.tables import MAX_BYTES, TableError, read_table
from dispatch.callbacks import PART_ARRIVED
from dispatch.certificates import certificates_overview, import_certificates, is_certificates_table
from dispatch.contract_table import import_contracts, is_contracts_table
from dispatch.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from dispatch.messages import N_, Lines
from dispatch.model import Role
from dispatch.part_requests import open_requests, part_arrived
from dispatch.parts import import_stock, is_stock_table, stock_overview
from dispatch.parts_list import import_parts_list, is_parts_list_table
from dispatch.tables import ImportReport
from handlers.common import clear_buttons, require_manager, require_staff, say

__all__ = ["register"]

TABLES = filters.ChatType.PRIVATE & (
    filters.Document.FileExtension("csv")
    | filters.Document.FileExtension("xlsx")
    | filters.Document.FileExtension("txt")
)


async def show_certificates(update: Update, context: AppContext) -> None:
    """Managers see every certificate held; a technician sees their own."""
    services = context.services
    if not await require_staff(update, context):
        return
    overview = await certificates_overview(
        services.uow(),
        context.clock,
        services.policy.certificates,
        technician_id=None if context.me.role is Role.MANAGER else context.me.id,
        zone=services.settings.zone,
    )
    if overview is None:
        text = (
            context.t(
                "No certificates are recorded yet. Send me a CSV or Excel file with the columns "
                "technician, certificate, number, valid until to load them."
            )
            if context.me.role is Role.MANAGER
            else context.t("No certificates are recorded for you. A manager records them.")
        )
        await say(update, context, text)
        return
    await say(update, context, context.t(overview.msgid, **overview.params))


async def table_sent(update: Update, context: AppContext) -> None:
    """A manager's table: read it, import what it is, say what came in and what did not."""
    if not await require_manager(update, context):
        return
    message = update.message
    assert message is not None and message.document is not None
    document = message.document
    unreadable = context.t(
        "I could not read this file. Please send a CSV (UTF-8) or an Excel .xlsx file of "
        "at most 2 MB, its first row naming the columns."
    )
    if document.file_size is not None and document.file_size > MAX_BYTES:
        await say(update, context, unreadable)
        return
    try:
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
        rows = read_table(data, document.file_name or "table.csv")
    except (TableError, TelegramError):
        await say(update, context, unreadable)
        return
    services = context.services
    try:
        if is_stock_table(rows):
            counted, pings = await import_stock(
                services.uow(),
                context.clock,
                services.policy.parts,
                services.policy.service_points,
                rows,
            )
            if pings:
                services.wake_sender()
            await say(
                update,
                context,
                _loaded(
                    context, N_("📦 Stock counted: {added} new lines, {renewed} updated."), counted
                ),
            )
            return
        if is_parts_list_table(rows):
            listed = await import_parts_list(
                services.uow(), services.policy.parts, services.policy.products, rows
            )
            await say(
                update,
                context,
                _loaded(
                    context, N_("🔩 Parts list loaded: {added} new, {renewed} updated."), listed
                ),
            )
            return
        if is_contracts_table(rows):
            loaded = await import_contracts(
                services.uow(),
                context.clock,
                services.policy,
                rows,
                region=services.settings.desk.calendar_country,
                lead_days=services.settings.contracts.plan_days_ahead,
                manager_id=context.me.id,
            )
            await say(
                update,
                context,
                _loaded(
                    context, N_("📄 Contracts loaded: {added} new, {renewed} renewed."), loaded
                ),
            )
            return
        if not is_certificates_table(rows):
            await say(
                update,
                context,
                context.t(
                    "I can load four kinds of table; the first row names the columns, in English "
                    "or Chinese:\n• certificates: technician, certificate, number, valid until "
                    "(技师, 证书, 证书编号, 有效期至)\n• a stocktake: part, held by, quantity, "
                    "reorder level (配件, 库存地点, 数量, 补货线)\n• the parts list: code, name, "
                    "简体名称, 繁體名稱, price, reorder level, products (编码, 价格, 补货线, 适用产品)"
                    "\n• maintenance contracts: contract, customer phone, site, address, products, "
                    "start, end, cadence (合同编号, 客户电话, 项目, 地址, 产品, 开始日期, 结束日期, 频次)"
                ),
            )
            return
        report = await import_certificates(
            services.uow(),
            context.clock,
            services.policy.certificates,
            rows,
            zone=services.settings.zone,
        )
    except InvalidInput as exc:
        await say(update, context, context.t(exc.message, **exc.params))
        return
    await say(
        update,
        context,
        _loaded(context, N_("📜 Certificates loaded: {added} new, {renewed} renewed."), report),
    )


def _loaded(context: AppContext, headline: str, report: ImportReport) -> str:
    """What an import did, and the lines it left out with why."""
    text = context.t(headline, added=report.added, renewed=report.renewed)
    if report.problems:
        text += "\n" + context.t(
            "These lines were left out; correct them and send the file again:\n{lines}",
            lines=Lines(tuple(report.problems)),
        )
    return text


async def show_parts(update: Update, context: AppContext) -> None:
    """Managers see every holder's stock; a technician sees their own."""
    if not await require_staff(update, context):
        return
    mine = None if context.me.role is Role.MANAGER else context.me.id
    services = context.services
    shown = [
        context.t(found.msgid, **found.params)
        for found in (
            await stock_overview(
                services.uow(),
                services.policy.parts,
                holder=None if mine is None else f"technician:{mine}",
            ),
            await open_requests(services.uow(), services.policy.parts, technician_id=mine),
        )
        if found is not None
    ]
    if not shown:
        await say(
            update,
            context,
            context.t(
                "No stock is counted yet. A manager sends a stocktake table with the columns "
                "part, held by, quantity, reorder level."
            ),
        )
        return
    await say(update, context, "\n\n".join(shown))


async def part_arrived_pressed(update: Update, context: AppContext) -> None:
    """The part a job waited for is with the technician: pressed by them or a manager."""
    query = update.callback_query
    assert query is not None
    if not await require_staff(update, context):
        return
    try:
        ticket = await part_arrived(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=PART_ARRIVED.id(query.data),
            actor_id=context.me.id,
        )
    except (NotFound, NotAllowed):
        await query.answer(context.t("This job is no longer yours."), show_alert=True)
        return
    except IllegalTransition:
        await query.answer(context.t("That step is already done."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t(
            "📦 Part arrived: {number} is back on the technician's list, with its on-site clock running again.",
            number=ticket.number,
        ),
    )
    context.services.wake_sender()


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.TECHNICIAN, Role.MANAGER), "certificates", N_("Certificates and when they expire")
    )
    application.bot_data["services"].menus.add(
        (Role.TECHNICIAN, Role.MANAGER), "parts", N_("Spare parts in stock")
    )
    application.add_handler(CommandHandler("certificates", show_certificates))
    application.add_handler(CommandHandler("parts", show_parts))
    application.add_handler(MessageHandler(TABLES, table_sent))
    application.add_handler(
        CallbackQueryHandler(part_arrived_pressed, pattern=PART_ARRIVED.pattern)
    )
