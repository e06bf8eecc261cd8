"""The service report PDF, made with reportlab in the customer's language.

The text is set in a TrueType CJK font embedded in the PDF, so every viewer
shows the Chinese: ``[reports] font`` in the config, or the first one found of
FONT_CANDIDATES (Debian: ``apt-get install fonts-wqy-zenhei``). Without one,
reportlab's Adobe CID fonts are referenced instead; viewers that lack them show
blanks, so start-up warns about it. Photos are fetched from Telegram by their
file ids; one that cannot be fetched is counted instead of embedded.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from telegram import Bot
from telegram.error import TelegramError

from bot.config import Settings
from bot.i18n import Translator, language_for
from dispatch.labels import kind_label
from dispatch.messages import N_, Msg
from dispatch.model import Language, TicketKind
from dispatch.ports import PendingMessage
from dispatch.records import WARRANTY_LABELS
from dispatch.reports import service_report
from storage.uow import UnitOfWorkFactory

__all__ = ["FONT_CANDIDATES", "ServiceReports", "render_report", "setup_fonts"]

log = logging.getLogger(__name__)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
CID_FONTS = {
    Language.EN: "STSong-Light",
    Language.ZH_HANS: "STSong-Light",
    Language.ZH_HANT: "MSung-Light",
}
EMBEDDED = "AfterCareCJK"


def setup_fonts(configured: str | None = None) -> dict[Language, str]:
    """The font name to use per language: an embedded TrueType font when one is found."""
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and Path(path).is_file():
            if EMBEDDED not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(EMBEDDED, path, subfontIndex=0))
            return dict.fromkeys(Language, EMBEDDED)
    log.warning(
        "no TrueType CJK font found for service reports; Chinese may not show in every PDF viewer. "
        "Install one (Debian: apt-get install fonts-wqy-zenhei) or set [reports] font in the config."
    )
    for name in set(CID_FONTS.values()):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))
    return dict(CID_FONTS)


LABELS = {
    "title": N_("Service report {number}"),
    "ticket": N_("Request number"),
    "product": N_("Product"),
    "model": N_("Model"),
    "customer": N_("Customer"),
    "technician": N_("Technician"),
    "address": N_("Address"),
    "times": N_("Times"),
    "reported": N_("Reported"),
    "dispatched": N_("Dispatched"),
    "accepted": N_("Accepted"),
    "arrived": N_("Arrived"),
    "completed": N_("Completed"),
    "signed": N_("Signed"),
    "warranty": N_("Warranty"),
    "fault": N_("Fault found"),
    "work": N_("Work done"),
    # An installation's report says what it is: nothing was broken, something was fitted.
    "installation_title": N_("Installation report {number}"),
    "installation_fault": N_("Before installing"),
    "installation_work": N_("Installed and tested"),
    "parts": N_("Parts replaced"),
    "reason": N_("Reason"),
    "fees": N_("Fees charged"),
    "item": N_("Item"),
    "quantity": N_("Quantity"),
    "amount": N_("Amount"),
    "total": N_("Total"),
    "photos": N_("Photos"),
    "signature": N_("Signature"),
}


def render_report(
    data: dict[str, Any],
    language: Language,
    translator: Translator,
    fonts: dict[Language, str] | None = None,
) -> bytes:
    """The PDF bytes of one report; ``data`` is plain values (see ServiceReports.collect)."""
    font = (fonts or setup_fonts())[language]

    def t(msgid: str, **params: str | int) -> str:
        return translator.render(language, msgid, params, zone=data["zone"])

    def tn(singular: str, plural: str, n: int) -> str:
        return translator.ngettext(language, singular, plural, n).format(count=n)

    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=18, spaceBefore=6, spaceAfter=2)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=24, spaceAfter=8)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        grid = Table([[p(c) for c in row] for row in rows], colWidths=widths)
        grid.setStyle(
            TableStyle(
                [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
            )
        )
        return grid

    L = {key: translator.gettext(language, msgid) for key, msgid in LABELS.items()}

    def moment(value: datetime | None) -> str:
        return translator.format_moment(language, value, data["zone"]) if value else "-"

    if data["installation"]:
        for key in ("title", "fault", "work"):
            L[key] = translator.gettext(language, LABELS[f"installation_{key}"])
    heading = L["title"].format(number=data["number"])
    story: list[Any] = [p(heading, title)]
    story.append(
        table(
            [
                [
                    L["ticket"],
                    translator.render(
                        language,
                        "{number} · {kind}",
                        {"number": data["number"], "kind": Msg(data["kind_label"])},
                        zone=data["zone"],
                    ),
                ],
                [L["product"], data["product"].in_(language) if data["product"] else "-"],
                [L["model"], data["model"] or "-"],
                [L["customer"], f"{data['customer']} {data['customer_phone']}"],
                [L["address"], data["address"] or "-"],
                [L["technician"], f"{data['technician']} {data['technician_phone']}"],
            ],
            [35 * mm, 135 * mm],
        )
    )
    story.append(p(L["times"], head))
    story.append(
        table(
            [
                [L[key], moment(data["times"].get(key))]
                for key in ("reported", "dispatched", "accepted", "arrived", "completed", "signed")
            ],
            [35 * mm, 135 * mm],
        )
    )
    story.append(p(L["warranty"], head))
    story.append(
        p(
            translator.gettext(
                language, WARRANTY_LABELS.get(data["warranty"], WARRANTY_LABELS["out"])
            )
        )
    )
    story.append(p(L["fault"], head))
    story.append(p(data["fault"]))
    story.append(p(L["work"], head))
    story.append(p(data["work"]))
    story.append(p(L["parts"], head))
    if data["parts"]:
        story.append(
            table(
                [
                    [L["parts"], L["reason"]],
                    *[[x["name"], x["reason"] or "-"] for x in data["parts"]],
                ],
                [70 * mm, 100 * mm],
            )
        )
    else:
        story.append(p("-"))
    story.append(p(L["fees"], head))
    fee_rows = [[L["item"], L["quantity"], L["amount"]]]
    for fee in data["fees"]:
        fee_rows.append(
            [
                fee["name"].in_(language),
                str(fee["quantity"]),
                translator.format_money(language, fee["price"] * fee["quantity"], data["currency"]),
            ]
        )
    fee_rows.append(
        [L["total"], "", translator.format_money(language, data["total"], data["currency"])]
    )
    story.append(table(fee_rows, [100 * mm, 30 * mm, 40 * mm]))
    if data["images"] or data["photo_count"]:
        story.append(p(L["photos"], head))
        for image in data["images"][:6]:
            picture = Image(io.BytesIO(image))
            scale = min(80 * mm / picture.imageWidth, 60 * mm / picture.imageHeight, 1.0)
            picture.drawWidth, picture.drawHeight = (
                picture.imageWidth * scale,
                picture.imageHeight * scale,
            )
            story.append(picture)
            story.append(Spacer(1, 3 * mm))
        missing = data["photo_count"] - len(data["images"][:6])
        if missing > 0:
            story.append(
                p(
                    tn(
                        "{count} more photo is kept with the ticket.",
                        "{count} more photos are kept with the ticket.",
                        missing,
                    )
                )
            )
    story.append(p(L["signature"], head))
    story.append(
        p(
            t(
                "Signed in the chat by {customer} on {when}.",
                customer=data["customer"],
                when=moment(data["times"].get("signed")),
            )
        )
    )
    story.append(p(t("SHA-256 of the signed record: {digest}", digest=data["digest"] or "-")))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=heading,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    ).build(story)
    return buffer.getvalue()


class ServiceReports:
    """The outbox sender's builder for "service_report" rows."""

    def __init__(
        self, uow: UnitOfWorkFactory, translator: Translator, settings: Settings, bot: Bot
    ) -> None:
        self.uow = uow
        self.translator = translator
        self.settings = settings
        self.bot = bot
        self.fonts = setup_fonts(settings.reports.font or None)

    async def collect(self, ticket_id: int) -> dict[str, Any]:
        """The report's content, with up to six of its photos fetched from Telegram."""
        policy = self.settings.policy
        report = await service_report(self.uow(), policy, ticket_id=ticket_id)
        ticket, record = report.ticket, report.record
        images: list[bytes] = []
        for file_id in report.photo_file_ids[:6]:
            try:
                file = await self.bot.get_file(file_id)
                images.append(bytes(await file.download_as_bytearray()))
            except (TelegramError, OSError, ValueError):
                log.info("photo %s not fetched for the report of %s", file_id, ticket.number)
        product = policy.product(ticket.product_category)
        return {
            "zone": self.settings.zone,
            "currency": policy.currency,
            "number": ticket.number,
            "kind_label": kind_label(ticket.kind),
            "installation": ticket.kind is TicketKind.INSTALLATION,
            "product": product.name if product else None,
            "model": ticket.product_model,
            "customer": report.customer_name,
            "customer_phone": report.customer_phone,
            "address": ticket.address,
            "technician": report.technician_name,
            "technician_phone": report.technician_phone,
            "times": report.times,
            "warranty": record.warranty,
            "fault": record.fault,
            "work": record.work,
            "parts": record.parts,
            "fees": report.fees,
            "total": record.total,
            "images": images,
            "photo_count": len(report.photo_file_ids),
            "digest": record.signed_hash,
        }

    async def __call__(self, message: PendingMessage) -> tuple[str, bytes, str]:
        assert message.ticket_id is not None
        data = await self.collect(message.ticket_id)
        language = language_for(
            message.telegram_language,
            Language(message.language) if message.language else None,
            self.settings.desk.default_language,
        )
        pdf = render_report(data, language, self.translator, self.fonts)
        caption = self.translator.render(
            language,
            LABELS["installation_title" if data["installation"] else "title"],
            {"number": data["number"]},
            zone=self.settings.zone,
        )
        return f"{data['number']}.pdf", pdf, caption
