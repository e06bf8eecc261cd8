"""/repair and /install: product, model, purchase date, problem, photos, where, phone, time."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import AppContext
from dispatch.customer import RepairRequest, submit_repair
from dispatch.errors import InvalidInput
from dispatch.intake import (
    Slot,
    Warranty,
    check_preferred_date,
    check_purchase_date,
    check_text,
    open_slots,
    preferred_days,
    repair_promise,
    warranty_status,
)
from dispatch.labels import SLOT_LABELS
from dispatch.messages import N_
from dispatch.model import TicketKind
from handlers import drafts
from handlers.common import clear_buttons, inline, say
from handlers.forms import ANYTHING, TEXT, Form, Handlers, Step

__all__ = ["RepairForm"]

WARRANTY = {
    Warranty.IN: N_("in warranty"),
    Warranty.OUT: N_("out of warranty"),
    Warranty.UNKNOWN: N_("warranty unknown"),
}


class RepairForm(Form):
    flow = "repair"
    prefix = "rp"
    entry_commands = ("repair", "install")

    # The same questions serve repairs and installations; the command chose which.
    def draft_flow(self, context: AppContext) -> str:
        assert context.user_data is not None
        return str(context.user_data.get("repair_kind", "repair"))

    async def begin(self, update: Update, context: AppContext) -> str | int:
        assert context.user_data is not None and update.message is not None and update.message.text
        command = update.message.text.split()[0].lstrip("/").split("@")[0]
        context.user_data["repair_kind"] = "installation" if command == "install" else "repair"
        return await super().begin(update, context)

    def _installation(self, context: AppContext) -> bool:
        return self.draft_flow(context) == "installation"

    def label(self, context: AppContext, step: Step) -> str:
        if step.name == "problem" and self._installation(context):
            return N_("Installation details")
        return step.label

    # -- questions ------------------------------------------------------------------------
    def steps(self) -> tuple[Step, ...]:
        return (
            Step("product", N_("Product"), self.ask_for_product, self.answers_product),
            Step("model", N_("Model"), self.ask_for_model, self.answers_model),
            Step("purchase", N_("Purchase date"), self.ask_for_purchase, self.answers_purchase),
            Step("problem", N_("Problem"), self.ask_for_problem, self.answers_problem),
            Step("photos", N_("Photos"), self.ask_for_photos, self.answers_photos),
            Step("where", N_("Address"), self.ask_for_where, self.answers_where),
            Step("phone", N_("Phone"), self.ask_for_phone, self.answers_phone),
            Step("time", N_("Preferred time"), self.ask_for_time, self.answers_time),
        )

    async def ask_for_product(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        rows = [
            [(p.name.in_(context.lang), f"rp:product:{p.code}")]
            for p in context.services.policy.products
        ]
        rows.append([(t("Something else"), "rp:product:other")])
        prompt = (
            t("New installation request. Which product is it?")
            if self._installation(context)
            else t("New repair request. Which product needs repair?")
        )
        await say(update, context, prompt, inline(*rows))

    async def ask_for_model(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        t = context.t
        await say(
            update,
            context,
            t(
                "What is the model? It is on the label, usually on the side or back. Type it, or tap below."
            ),
            inline([(t("I don't know"), "rp:model:skip")]),
        )

    async def ask_for_purchase(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await say(
            update,
            context,
            t(
                "When did you buy it? Type the date, for example {example}. It tells us whether the warranty applies.",
                example=self.today(context).isoformat(),
            ),
            inline([(t("I don't remember"), "rp:purchase:skip")]),
        )

    async def ask_for_problem(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        prompt = (
            t(
                "What should be installed, and is there anything the technician should know (wall type, floor, parking)? A few sentences, please."
            )
            if self._installation(context)
            else t(
                "What is wrong? Describe the problem in a few sentences: what happens, since when, any error code."
            )
        )
        await say(update, context, prompt, ReplyKeyboardRemove())

    async def ask_for_photos(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        t = context.t
        await self.ask_photos(
            update,
            context,
            t(
                "Photos help the technician bring the right parts. Send up to 5 (an album is fine), then press Done."
            ),
        )

    async def ask_for_where(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        t = context.t
        draft["data"].pop("address_pending_location", None)
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(t("📍 Share my location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        known = draft["data"].get("lat") is not None or draft["data"].get("address")
        question = (
            t(
                "Type a new address, or share a new location with the button. What you do not change stays as it is."
            )
            if draft.get("editing") and known
            else t(
                "Where should the technician come? Share your location with the button, or type the address (and project name, if any)."
            )
        )
        await say(update, context, question, keyboard)

    async def ask_for_phone(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        await self.ask_phone(update, context)

    async def ask_for_time(self, update: Update, context: AppContext, draft: drafts.Draft) -> None:
        t = context.t
        days = preferred_days(context.clock.now(), context.services.policy.zone)
        buttons = [
            (context.services.translator.format_day(context.lang, d), f"rp:day:{d:%Y%m%d}")
            for d in days
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await say(update, context, t("Which day suits you best for the visit?"), inline(*rows))

    def answers_product(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.product_chosen), pattern=r"^rp:product:")]

    def answers_model(self) -> Handlers:
        w = self._wrap
        return [
            MessageHandler(TEXT, w(self.model_typed)),
            CallbackQueryHandler(w(self.model_skipped), pattern=r"^rp:model:skip$"),
        ]

    def answers_purchase(self) -> Handlers:
        w = self._wrap
        return [
            MessageHandler(TEXT, w(self.purchase_typed)),
            CallbackQueryHandler(w(self.purchase_skipped), pattern=r"^rp:purchase:skip$"),
        ]

    def answers_problem(self) -> Handlers:
        w = self._wrap
        return [MessageHandler(TEXT, w(self.problem_typed))]

    def answers_photos(self) -> Handlers:
        return self.photo_handlers("photos")

    def answers_where(self) -> Handlers:
        w = self._wrap
        return [
            MessageHandler(filters.LOCATION, w(self.location_shared)),
            MessageHandler(TEXT, w(self.address_typed)),
        ]

    def answers_phone(self) -> Handlers:
        return self.phone_handlers("phone")

    def answers_time(self) -> Handlers:
        w = self._wrap
        return [CallbackQueryHandler(w(self.day_chosen), pattern=r"^rp:day:\d{8}$")]

    def today(self, context: AppContext) -> date:
        return context.clock.now().astimezone(context.services.policy.zone).date()

    # -- answers --------------------------------------------------------------------------
    def states(self) -> dict[object, Handlers]:
        states = super().states()
        w = self._wrap
        states[self.state("where_more")] = [
            MessageHandler(filters.LOCATION, w(self.location_shared)),
            MessageHandler(TEXT, w(self.address_typed)),
            CallbackQueryHandler(w(self.where_more_skipped), pattern=r"^rp:where:skip$"),
            MessageHandler(ANYTHING, w(partial(self._reask_more))),
        ]
        states[self.state("slot")] = [
            CallbackQueryHandler(w(self.slot_chosen), pattern=r"^rp:slot:"),
            CallbackQueryHandler(w(self.day_chosen), pattern=r"^rp:day:\d{8}$"),
            MessageHandler(ANYTHING, w(partial(self._reask, "time"))),
        ]
        return states

    async def _answer(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)

    async def product_chosen(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        code = query.data.removeprefix("rp:product:")
        if code != "other" and context.services.policy.product(code) is None:
            return await self._reask("product", update, context)
        await self._answer(update)
        self.data(context)["product"] = code
        return await self.answered(update, context, "product")

    async def model_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            self.data(context)["model"] = check_text(update.message.text, minimum=1, maximum=64)
        except InvalidInput as error:
            return await self.invalid(update, context, error, "model")
        return await self.answered(update, context, "model")

    async def model_skipped(self, update: Update, context: AppContext) -> object:
        await self._answer(update)
        self.data(context)["model"] = None
        return await self.answered(update, context, "model")

    async def purchase_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            day = check_purchase_date(update.message.text, self.today(context))
        except InvalidInput as error:
            return await self.invalid(update, context, error, "purchase")
        self.data(context)["purchase"] = day.isoformat()
        return await self.answered(update, context, "purchase")

    async def purchase_skipped(self, update: Update, context: AppContext) -> object:
        await self._answer(update)
        self.data(context)["purchase"] = None
        return await self.answered(update, context, "purchase")

    async def problem_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        try:
            self.data(context)["problem"] = check_text(update.message.text, minimum=5, maximum=1000)
        except InvalidInput as error:
            return await self.invalid(update, context, error, "problem")
        return await self.answered(update, context, "problem")

    async def location_shared(self, update: Update, context: AppContext) -> object:
        """A location first asks for the address details; after an address it completes the step."""
        assert update.message is not None and update.message.location is not None
        data = self.data(context)
        data["lat"], data["lon"] = (
            update.message.location.latitude,
            update.message.location.longitude,
        )
        keeps_address = self.draft(context).get("editing") and data.get("address")
        if data.get("address_pending_location") or keeps_address:
            data.pop("address_pending_location", None)
            await say(update, context, context.t("Location saved."), ReplyKeyboardRemove())
            return await self.answered(update, context, "where")
        data["address"] = None
        await say(
            update,
            context,
            context.t(
                "Location saved. Please add the address details so the technician finds you: building, floor, room."
            ),
            ReplyKeyboardRemove(),
        )
        await say(
            update,
            context,
            context.t("No details to add?"),
            inline([(context.t("Skip"), "rp:where:skip")]),
        )
        self.draft(context)["at"] = "where"
        return self.state("where_more")

    async def address_typed(self, update: Update, context: AppContext) -> object:
        assert update.message is not None and update.message.text is not None
        data = self.data(context)
        try:
            address = check_text(update.message.text, minimum=5, maximum=200)
        except InvalidInput as error:
            await self.invalid(update, context, error, "where")
            return self.state("where_more") if data.get("lat") is not None else self.state("where")
        data["address"] = address
        if data.get("lat") is not None and not data.get("address_pending_location"):
            return await self.answered(update, context, "where")
        data["lat"] = data["lon"] = None
        data["address_pending_location"] = True
        await say(
            update,
            context,
            context.t(
                "Thank you. Can you also share the location? It lets us send the nearest technician. Use the button, or skip."
            ),
        )
        await say(
            update,
            context,
            context.t("No location to share?"),
            inline([(context.t("Skip"), "rp:where:skip")]),
        )
        return self.state("where_more")

    async def where_more_skipped(self, update: Update, context: AppContext) -> object:
        await self._answer(update)
        await say(update, context, context.t("All right."), ReplyKeyboardRemove())
        self.data(context).pop("address_pending_location", None)
        return await self.answered(update, context, "where")

    async def _reask_more(self, update: Update, context: AppContext) -> object:
        data = self.data(context)
        text = (
            context.t("Please share the location with the button, or press Skip.")
            if data.get("address_pending_location")
            else context.t("Please type the address details, or press Skip.")
        )
        await say(update, context, text, inline([(context.t("Skip"), "rp:where:skip")]))
        return self.state("where_more")

    async def day_chosen(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        try:
            day = datetime.strptime(query.data.removeprefix("rp:day:"), "%Y%m%d").date()
        except ValueError:  # not a button the bot made
            return await self._reask("time", update, context)
        try:
            check_preferred_date(day, self.today(context))
        except InvalidInput:
            await query.answer(
                context.t("That day is no longer available; please pick another."), show_alert=True
            )
            return await self.ask(update, context, "time")
        slots = open_slots(day, context.clock.now(), context.services.policy.zone)
        if not slots:
            await query.answer(
                context.t("That day is no longer available; please pick another."), show_alert=True
            )
            return await self.ask(update, context, "time")
        await self._answer(update)
        self.data(context)["day"] = day.isoformat()
        rows = [[(context.t(SLOT_LABELS[slot]), f"rp:slot:{slot.value}")] for slot in slots]
        await say(
            update,
            context,
            context.t(
                "{day}: which part of the day?",
                day=context.services.translator.format_day(context.lang, day),
            ),
            inline(*rows),
        )
        return self.state("slot")

    async def slot_chosen(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        try:
            slot = Slot(query.data.removeprefix("rp:slot:"))
        except ValueError:
            return await self._reask("time", update, context)
        day = date.fromisoformat(self.data(context)["day"])
        if slot not in open_slots(day, context.clock.now(), context.services.policy.zone):
            await query.answer(
                context.t("That time has passed; please pick another."), show_alert=True
            )
            return await self.ask(update, context, "time")
        await self._answer(update)
        self.data(context)["slot"] = slot.value
        return await self.answered(update, context, "time")

    # -- review and submit ----------------------------------------------------------------
    def _product_name(self, context: AppContext, data: dict[str, Any]) -> str:
        product = context.services.policy.product(data.get("product"))
        return product.name.in_(context.lang) if product else context.t("Something else")

    def _warranty(self, context: AppContext, data: dict[str, Any]) -> Warranty:
        purchase = date.fromisoformat(data["purchase"]) if data.get("purchase") else None
        return warranty_status(
            purchase, context.services.policy.product(data.get("product")), self.today(context)
        )

    def summary(self, context: AppContext, draft: drafts.Draft) -> str:
        t = context.t
        data = draft["data"]
        translator = context.services.translator
        purchase = (
            translator.format_date(context.lang, date.fromisoformat(data["purchase"]))
            if data.get("purchase")
            else t("not known")
        )
        where = data.get("address") or ""
        if data.get("lat") is not None:
            where = (
                t("{address} (location shared)", address=where) if where else t("(location shared)")
            )
        day = date.fromisoformat(data["day"])
        lines = [
            t("Please check your installation request:")
            if self._installation(context)
            else t("Please check your repair request:"),
            t("Product: {product}", product=self._product_name(context, data)),
            t("Model: {model}", model=data.get("model") or t("not known")),
            t(
                "Purchase date: {date} ({warranty})",
                date=purchase,
                warranty=t(WARRANTY[self._warranty(context, data)]),
            ),
            t("Installation details: {problem}", problem=data["problem"])
            if self._installation(context)
            else t("Problem: {problem}", problem=data["problem"]),
            t("Photos: {count}", count=len(data.get("photos", []))),
            t("Address: {address}", address=where),
            t("Phone: {phone}", phone=data["phone"]),
            t(
                "Preferred time: {day}, {slot}",
                day=translator.format_day(context.lang, day),
                slot=t(SLOT_LABELS[Slot(data["slot"])]),
            ),
        ]
        return "\n".join(lines)

    async def submit(self, update: Update, context: AppContext, draft: drafts.Draft) -> object:
        data = draft["data"]
        policy = context.services.policy
        request = RepairRequest(
            kind=TicketKind.INSTALLATION if self._installation(context) else TicketKind.REPAIR,
            product_category=None if data.get("product") == "other" else data.get("product"),
            product_model=data.get("model"),
            purchase_date=date.fromisoformat(data["purchase"]) if data.get("purchase") else None,
            warranty=self._warranty(context, data).value,
            description=data["problem"],
            photos=self.photos_of(data),
            address=data.get("address"),
            latitude=data.get("lat"),
            longitude=data.get("lon"),
            phone=data["phone"],
            preferred_date=date.fromisoformat(data["day"]),
            preferred_slot=Slot(data["slot"]),
            promise=repair_promise(policy, data.get("lat"), data.get("lon")),
        )
        # Recorded and offered to a technician in one transaction (or left for the round).
        await submit_repair(
            context.services.uow,
            context.clock,
            policy,
            customer_id=context.me.id,
            intake_key=draft["key"],
            request=request,
            fleet_cache=context.services.fleet_cache,
        )
        context.services.wake_sender()
        return ConversationHandler.END
