"""/complain: topic, related ticket, description, evidence, wanted outcome, severity, phone."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot.context import AppContext
from dispatch.customer import ComplaintRequest, submit_complaint
from dispatch.errors import InvalidInput
from dispatch.following import customer_tickets
from dispatch.intake import ComplaintTopic, check_text
from dispatch.messages import N_
from handlers import drafts
from handlers.common import clear_buttons, inline, say, ticket_line
from handlers.forms import TEXT, Form, Handlers, Step

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
    entry_commands = ("complain",)

    def steps(self) -> tuple[Step, ...]:
        return (
            Step("topic", N_("Topic"), self.ask_for_topic, self.answers_topic),
            Step("related", N_("Related request"), self.ask_for_related, self.answers_related),
            Step(
                "description",
                N_("What happened"),
                self.ask_for_description,
                self.answers_description,
            ),
            Step("evidence", N_("Photos"), self.ask_for_evidence, self.answers_evidence),
            Step("outcome", N_("Outcome wanted"), self.ask_for_outcome, self.answers_outcome),
            Step("severity", N_("Loss or injury"), self.ask_for_severity, self.answers_severity),
            Step("phone", N_("Phone"), self.ask_for_phone, self.answers_phone),
        )

    async def ask_for_topic(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        t = context.t
        rows = [[(t(label), f"cp:topic:{topic.value}")] for topic, label in TOPIC_BUTTONS.items()]
        await say(
            update,
            context,
            t("We are sorry something went wrong. What is your complaint about?"),
            inline(*rows),
        )

    async def ask_for_related(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        tickets = await customer_tickets(context.services.uow(), customer_id=context.me.id)
        own = [x for x in tickets if x.kind.value != "complaint"][:6]
        rows = [
            [
                (
                    ticket_line(context, x),
                    f"cp:related:{x.id}",
                )
            ]
            for x in own
        ]
        rows.append([(t("None of these"), "cp:related:none")])
        await say(update, context, t("Is it about one of your requests?"), inline(*rows))

    async def ask_for_description(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await say(
            update,
            context,
            t(
                "Please tell us what happened: when, where, who was involved. A few sentences are enough."
            ),
        )

    async def ask_for_evidence(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await self.ask_photos(
            update,
            context,
            t("Do you have photos or documents that show it? Send up to 5, then press Done."),
        )

    async def ask_for_outcome(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await say(
            update,
            context,
            t(
                "What outcome would you like? For example a repair, a replacement, a refund, an apology."
            ),
        )

    async def ask_for_severity(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await say(
            update,
            context,
            t(
                "One more question, so that the right person handles it at once: did you suffer property loss or injury, or was anything stolen?"
            ),
            inline([(t("Yes"), "cp:severity:yes"), (t("No"), "cp:severity:no")]),
        )

    async def ask_for_phone(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        await self.ask_phone(update, context)

    def answers_topic(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.topic_chosen), pattern=r"^cp:topic:")]

    def answers_related(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.related_chosen), pattern=r"^cp:related:")]

    def answers_description(self) -> Handlers:
        w = self._wrap
        return [MessageHandler(TEXT, w(self.description_typed))]

    def answers_evidence(self) -> Handlers:
        return self.photo_handlers("evidence")

    def answers_outcome(self) -> Handlers:
        w = self._wrap
        return [MessageHandler(TEXT, w(self.outcome_typed))]

    def answers_severity(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.severity_chosen), pattern=r"^cp:severity:(yes|no)$")]

    def answers_phone(self) -> Handlers:
        return self.phone_handlers("phone")

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
            tickets = await customer_tickets(context.services.uow(), customer_id=context.me.id)
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
