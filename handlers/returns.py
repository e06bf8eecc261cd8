"""/return: order number, product and quantity, date, reason, condition, photos, phone.

Eligibility is the domain's rule (dispatch.intake.return_eligibility); when a
request does not meet it, the review says why and still lets the customer ask
for a manual review.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot.context import AppContext
from dispatch.customer import ReturnRequest, submit_return
from dispatch.errors import InvalidInput
from dispatch.intake import (
    Eligibility,
    ReturnReason,
    check_order_number,
    check_purchase_date,
    check_quantity,
    return_eligibility,
)
from dispatch.labels import RETURN_REASON_LABELS
from dispatch.messages import N_, Msg
from handlers import drafts
from handlers.common import clear_buttons, inline, say
from handlers.forms import TEXT, Form, Handlers, Step

__all__ = ["ReturnForm"]

REASONS = RETURN_REASON_LABELS
CONDITIONS = {
    "unused": N_("Unused"),
    "packaging": N_("In its original packaging"),
    "proof": N_("I have the receipt or invoice"),
    "custom": N_("It was custom-made for me"),
}


class ReturnForm(Form):
    flow = "return"
    prefix = "rt"
    entry_commands = ("return",)

    def today(self, context: AppContext) -> date:
        return context.clock.now().astimezone(context.services.policy.zone).date()

    def steps(self) -> tuple[Step, ...]:
        return (
            Step("order", N_("Order number"), self.ask_for_order, self.answers_order),
            Step("product", N_("Product"), self.ask_for_product, self.answers_product),
            Step("quantity", N_("Quantity"), self.ask_for_quantity, self.answers_quantity),
            Step("date", N_("Purchase date"), self.ask_for_date, self.answers_date),
            Step("reason", N_("Reason"), self.ask_for_reason, self.answers_reason),
            Step("condition", N_("Condition"), self.ask_for_condition, self.answers_condition),
            Step("photos", N_("Photos"), self.ask_for_photos, self.answers_photos),
            Step("phone", N_("Phone"), self.ask_for_phone, self.answers_phone),
        )

    async def ask_for_order(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        t = context.t
        await say(
            update,
            context,
            t("Return or exchange. What is the order number? It is on your receipt or invoice."),
        )

    async def ask_for_product(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        rows = [
            [(p.name.in_(context.lang), f"rt:product:{p.code}")]
            for p in context.services.policy.products
        ]
        rows.append([(t("Something else"), "rt:product:other")])
        await say(update, context, t("Which product?"), inline(*rows))

    async def ask_for_quantity(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await say(
            update,
            context,
            t("How many? Tap or type the number."),
            inline([("1", "rt:quantity:1"), ("2", "rt:quantity:2"), ("3", "rt:quantity:3")]),
        )

    async def ask_for_date(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        t = context.t
        await say(
            update,
            context,
            t(
                "When did you buy it, or when was it delivered? Type the date, for example {example}.",
                example=self.today(context).isoformat(),
            ),
        )

    async def ask_for_reason(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        rows = [[(t(label), f"rt:reason:{reason.value}")] for reason, label in REASONS.items()]
        await say(update, context, t("Why do you want to return or exchange it?"), inline(*rows))

    async def ask_for_condition(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        data = draft["data"]
        data.setdefault(
            "condition", {"unused": False, "packaging": False, "proof": False, "custom": False}
        )
        await say(
            update,
            context,
            t("Tap everything that is true, then Done."),
            self._condition_keyboard(context, data),
        )

    async def ask_for_photos(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await self.ask_photos(
            update,
            context,
            t(
                "Photos of the product, the packaging and the receipt help us decide quickly. Send up to 5, then press Done."
            ),
        )

    async def ask_for_phone(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        await self.ask_phone(update, context)

    def answers_order(self) -> Handlers:
        w = self._wrap
        return [MessageHandler(TEXT, w(self.order_typed))]

    def answers_product(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.product_chosen), pattern=r"^rt:product:")]

    def answers_quantity(self) -> Handlers:
        w = self._wrap
        return [
            MessageHandler(TEXT, w(self.quantity_typed)),
            CallbackQueryHandler(w(self.quantity_tapped), pattern=r"^rt:quantity:\d$"),
        ]

    def answers_date(self) -> Handlers:
        w = self._wrap
        return [MessageHandler(TEXT, w(self.date_typed))]

    def answers_reason(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.reason_chosen), pattern=r"^rt:reason:")]

    def answers_condition(self) -> Handlers:
        w = self._wrap
        return [
            CallbackQueryHandler(w(self.condition_done), pattern=r"^rt:cond:done$"),
            CallbackQueryHandler(w(self.condition_toggled), pattern=r"^rt:cond:"),
        ]

    def answers_photos(self) -> Handlers:
        return self.photo_handlers("photos")

    def answers_phone(self) -> Handlers:
        return self.phone_handlers("phone")

    def _condition_keyboard(self, context: AppContext, data: dict[str, Any]) -> Any:
        condition = data["condition"]
        rows = [
            [(("✅ " if condition[key] else "◻️ ") + context.t(label), f"rt:cond:{key}")]
            for key, label in CONDITIONS.items()
        ]
        rows.append([(context.t("Done"), "rt:cond:done")])
        return inline(*rows)

    async def order_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            self.data(context)["order"] = check_order_number(update.message.text)
        except InvalidInput as error:
            return await self.invalid(update, context, error, "order")
        return await self.answered(update, context, "order")

    async def product_chosen(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        code = query.data.removeprefix("rt:product:")
        if code != "other" and context.services.policy.product(code) is None:
            return await self._reask("product", update, context)
        await query.answer()
        await clear_buttons(query)
        self.data(context)["product"] = code
        return await self.answered(update, context, "product")

    async def quantity_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            self.data(context)["quantity"] = check_quantity(update.message.text)
        except InvalidInput as error:
            return await self.invalid(update, context, error, "quantity")
        return await self.answered(update, context, "quantity")

    async def quantity_tapped(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        await clear_buttons(query)
        self.data(context)["quantity"] = int(query.data.rsplit(":", 1)[-1])
        return await self.answered(update, context, "quantity")

    async def date_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            day = check_purchase_date(update.message.text, self.today(context))
        except InvalidInput as error:
            return await self.invalid(update, context, error, "date")
        self.data(context)["date"] = day.isoformat()
        return await self.answered(update, context, "date")

    async def reason_chosen(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        try:
            reason = ReturnReason(query.data.removeprefix("rt:reason:"))
        except ValueError:
            return await self._reask("reason", update, context)
        await query.answer()
        await clear_buttons(query)
        self.data(context)["reason"] = reason.value
        return await self.answered(update, context, "reason")

    async def condition_toggled(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        key = query.data.removeprefix("rt:cond:")
        data = self.data(context)
        if key not in CONDITIONS:
            return await self._reask("condition", update, context)
        data["condition"][key] = not data["condition"][key]
        await query.answer()
        await query.edit_message_reply_markup(self._condition_keyboard(context, data))
        return self.state("condition")

    async def condition_done(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)
        return await self.answered(update, context, "condition")

    def eligibility(self, context: AppContext, data: dict[str, Any]) -> Eligibility:
        condition = data["condition"]
        return return_eligibility(
            purchase=date.fromisoformat(data["date"]),
            today=self.today(context),
            unused=condition["unused"],
            original_packaging=condition["packaging"],
            proof_of_purchase=condition["proof"],
            custom_made=condition["custom"],
        )

    def summary(self, context: AppContext, draft: drafts.Draft) -> str:
        t = context.t
        data = draft["data"]
        product = context.services.policy.product(data["product"])
        true = [t(label) for key, label in CONDITIONS.items() if data["condition"][key]]
        lines = [
            t("Please check your return / exchange request:"),
            t("Order number: {order}", order=data["order"]),
            t(
                "Product: {product}",
                product=product.name.in_(context.lang) if product else t("Something else"),
            ),
            t("Quantity: {quantity}", quantity=data["quantity"]),
            t(
                "Purchase date: {date}",
                date=context.services.translator.format_date(
                    context.lang, date.fromisoformat(data["date"])
                ),
            ),
            t("Reason: {reason}", reason=t(REASONS[ReturnReason(data["reason"])])),
            t(
                "Condition: {condition}",
                condition=context.services.translator.join(context.lang, true)
                or t("none of these"),
            ),
            t("Photos: {count}", count=len(data.get("photos", []))),
            t("Phone: {phone}", phone=data["phone"]),
        ]
        eligibility = self.eligibility(context, data)
        if not eligibility.eligible:
            lines.append("")
            lines.append(t("This request does not meet the usual return conditions:"))
            lines.extend(t("• {item}", item=Msg(reason)) for reason in eligibility.reasons)
            lines.append(t("You can still send it: our staff will review it by hand."))
        return "\n".join(lines)

    async def submit(self, update: Update, context: AppContext, draft: drafts.Draft) -> object:
        data = draft["data"]
        condition = data["condition"]
        await submit_return(
            context.services.uow,
            context.clock,
            context.services.policy,
            customer_id=context.me.id,
            intake_key=draft["key"],
            request=ReturnRequest(
                order_number=data["order"],
                product_category=None if data["product"] == "other" else data["product"],
                quantity=data["quantity"],
                purchase_date=date.fromisoformat(data["date"]),
                reason=ReturnReason(data["reason"]),
                unused=condition["unused"],
                original_packaging=condition["packaging"],
                proof_of_purchase=condition["proof"],
                custom_made=condition["custom"],
                eligibility=self.eligibility(context, data),
                photos=self.photos_of(data),
                phone=data["phone"],
            ),
        )
        return ConversationHandler.END
