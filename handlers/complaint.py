"""/complain: topic, related ticket, description, evidence, wanted outcome, severity, phone."""

from __future__ import annotations

from typing import ClassVar

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot.context import AppContext
from dispatch.customer import ComplaintRequest, submit_complaint
from dispatch.errors import InvalidInput
from dispatch.following import customer_tickets
from dispatch.intake import ComplaintTopic, check_text
from dispatch.labels import kind_label, status_label
from dispatch.messages import N_
from handlers import drafts
from handlers.common import clear_buttons, inline, say
from handlers.forms import TEXT, Form, Handlers

__all__ = ["ComplaintForm"]

TOPIC_BUTTONS = {
    ComplaintTopic.PRODUCT: N_("The product"),
    ComplaintTopic.VISIT: N_("A technician visit"),
    ComplaintTopic.ATTITUDE: N_("Staff attitude"),
    ComplaintTopic.FEES: N_("Fees"),
    ComplaintTopic.OTHER: N_("Something else"),
}


class ComplaintForm(Form):
    flow = "complaint"
    prefix = "cp"
    order = ("topic", "related", "description", "evidence", "outcome", "severity", "phone")
    entry_commands = ("complain",)
    edit_labels: ClassVar[dict[str, str]] = {
        "topic": N_("Topic"),
        "related": N_("Related request"),
        "description": N_("What happened"),
        "evidence": N_("Photos"),
        "outcome": N_("Outcome wanted"),
        "severity": N_("Loss or injury"),
        "phone": N_("Phone"),
    }

    async def ask_step(
        self, step: str, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        if step == "topic":
            rows = [
                [(t(label), f"cp:topic:{topic.value}")] for topic, label in TOPIC_BUTTONS.items()
            ]
            await say(
                update,
                context,
                t("We are sorry something went wrong. What is your complaint about?"),
                inline(*rows),
            )
        elif step == "related":
            tickets = await customer_tickets(context.uow(), customer_id=context.me.id)
            own = [x for x in tickets if x.kind.value != "complaint"][:6]
            rows = [
                [
                    (
                        f"{x.number} · {t(kind_label(x.kind))} · {t(status_label(x.kind, x.status))}",
                        f"cp:related:{x.id}",
                    )
                ]
                for x in own
            ]
            rows.append([(t("None of these"), "cp:related:none")])
            await say(update, context, t("Is it about one of your requests?"), inline(*rows))
        elif step == "description":
            await say(
                update,
                context,
                t(
                    "Please tell us what happened: when, where, who was involved. A few sentences are enough."
                ),
            )
        elif step == "evidence":
            await self.ask_photos(
                update,
                context,
                t("Do you have photos or documents that show it? Send up to 5, then press Done."),
            )
        elif step == "outcome":
            await say(
                update,
                context,
                t(
                    "What outcome would you like? For example a repair, a replacement, a refund, an apology."
                ),
            )
        elif step == "severity":
            await say(
                update,
                context,
                t(
                    "One more question, so that the right person handles it at once: did you suffer property loss or injury, or was anything stolen?"
                ),
                inline([(t("Yes"), "cp:severity:yes"), (t("No"), "cp:severity:no")]),
            )
        elif step == "phone":
            await self.ask_phone(update, context)

    def step_handlers(self, step: str) -> Handlers:
        w = self._wrap
        if step == "topic":
            return [CallbackQueryHandler(w(self.topic_chosen), pattern=r"^cp:topic:")]
        if step == "related":
            return [CallbackQueryHandler(w(self.related_chosen), pattern=r"^cp:related:")]
        if step == "description":
            return [MessageHandler(TEXT, w(self.description_typed))]
        if step == "evidence":
            return self.photo_handlers(step)
        if step == "outcome":
            return [MessageHandler(TEXT, w(self.outcome_typed))]
        if step == "severity":
            return [
                CallbackQueryHandler(w(self.severity_chosen), pattern=r"^cp:severity:(yes|no)$")
            ]
        if step == "phone":
            return self.phone_handlers(step)
        raise KeyError(step)

    async def _button(self, update: Update, prefix: str) -> str:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        await clear_buttons(query)
        return query.data.removeprefix(prefix)

    async def topic_chosen(self, update: Update, context: AppContext) -> object:
        value = await self._button(update, "cp:topic:")
        try:
            self.data(context)["topic"] = ComplaintTopic(value).value
        except ValueError:
            return await self.ask(update, context, "topic")
        return await self.answered(update, context, "topic")

    async def related_chosen(self, update: Update, context: AppContext) -> object:
        value = await self._button(update, "cp:related:")
        data = self.data(context)
        if value == "none":
            data["related"] = None
            data["related_number"] = None
        else:
            tickets = await customer_tickets(context.uow(), customer_id=context.me.id)
            mine = {str(x.id): x.number for x in tickets}
            if value not in mine:
                return await self.ask(update, context, "related")
            data["related"], data["related_number"] = int(value), mine[value]
        return await self.answered(update, context, "related")

    async def description_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            self.data(context)["description"] = check_text(
                update.message.text, minimum=10, maximum=2000
            )
        except InvalidInput as error:
            return await self.invalid(update, context, error, "description")
        return await self.answered(update, context, "description")

    async def outcome_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            self.data(context)["outcome"] = check_text(update.message.text, minimum=2, maximum=500)
        except InvalidInput as error:
            return await self.invalid(update, context, error, "outcome")
        return await self.answered(update, context, "outcome")

    async def severity_chosen(self, update: Update, context: AppContext) -> object:
        value = await self._button(update, "cp:severity:")
        self.data(context)["serious"] = value == "yes"
        return await self.answered(update, context, "severity")

    def summary(self, context: AppContext, draft: drafts.Draft) -> str:
        t = context.t
        data = draft["data"]
        return "\n".join(
            [
                t("Please check your complaint:"),
                t("About: {topic}", topic=t(TOPIC_BUTTONS[ComplaintTopic(data["topic"])])),
                t("Related request: {number}", number=data.get("related_number") or t("none")),
                t("What happened: {description}", description=data["description"]),
                t("Photos: {count}", count=len(data.get("photos", []))),
                t("Outcome wanted: {outcome}", outcome=data["outcome"]),
                t(
                    "Property loss or injury: {answer}",
                    answer=t("Yes") if data["serious"] else t("No"),
                ),
                t("Phone: {phone}", phone=data["phone"]),
            ]
        )

    async def submit(self, update: Update, context: AppContext, draft: drafts.Draft) -> object:
        data = draft["data"]
        await submit_complaint(
            context.services.uow,
            context.clock,
            context.services.policy,
            customer_id=context.me.id,
            customer_name=context.me.display_name,
            intake_key=draft["key"],
            request=ComplaintRequest(
                topic=ComplaintTopic(data["topic"]),
                related_ticket_id=data.get("related"),
                description=data["description"],
                photos=self.photos_of(data),
                outcome=data["outcome"],
                serious=bool(data["serious"]),
                phone=data["phone"],
            ),
        )
        return ConversationHandler.END
