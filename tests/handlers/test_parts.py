"""Spare parts through the real bot: a manager's stocktake file, parts a service record
names leaving the technician's stock, and the managers' low-stock ping, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from dispatch.parts_list import load_parts_list
from storage.field_models import PartKindRow, PartStockRow
from storage.models import TicketRow
from tests.handlers.test_dispatch import CUSTOMER, crew, request_installation  # noqa: F401
from tests.harness import Desk, Person

CSV = "text/csv"


async def _on_site(desk: Desk, tom: Person) -> Person:
    """Kai's installation, accepted by Tom, who checks in by location; Kai is returned."""
    customer = desk.person(510, "Kai")
    await request_installation(customer, "Air conditioner", "KFR-35GW", "A split unit.")
    await tom.press("✅ Accept")
    await tom.share_location(CUSTOMER[0] + 0.001, CUSTOMER[1], accuracy=10)
    await tom.command("jobs")
    await tom.press("📍 Check in")
    return customer


async def test_a_stocktake_then_a_record_takes_its_parts_from_the_technicians_stock(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, tom, _wu = crew
    table = (
        "Part,Held by,Quantity,Reorder level\n"
        "capacitor,Shanghai Minhang,12,\n"
        "drain_pump,Tom Li,3,2\n"
        "压缩机电容,13900000601,4,\n"  # by its Chinese name, Tom by his phone; below 5
        "widget,Tom Li,1,\n"
        "capacitor,Nobody,1,\n"
        "capacitor,Wu Gang,many,\n"
    )
    await manager.send_document("stock.csv", CSV, table.encode())
    assert sorted(manager.new_texts()) == [
        "📦 Low stock: Compressor capacitor at Tom Li: 4 left (reorder level 5).",
        "📦 Stock counted: 3 new lines, 0 updated.\n"
        "These lines were left out; correct them and send the file again:\n"
        "line 5: no part called widget\n"
        "line 6: no service point or technician called Nobody\n"
        "line 7: many is not a quantity",
    ]

    await _on_site(desk, tom)
    await tom.press("🧾 Fill in the service record")
    await tom.press("In warranty")
    await tom.send("Solid wall.")
    await tom.send("Mounted both units and ran them 30 minutes.")
    await tom.send(
        "Drain pump x2 - seized in the old unit\ncapacitor x5 - bulging\nfoam tape - wall hole"
    )
    await tom.press("Done")
    await tom.press("✅ Send to the customer")
    # The drain pumps fall below their level: one ping. Tom had 4 capacitors (below their
    # level already): the fifth comes from the service point nearest the job.
    assert manager.new_texts() == ["📦 Low stock: Drain pump at Tom Li: 1 left (reorder level 2)."]
    async with desk.db() as session:
        stock = {
            (row.holder.split(":")[0], row.part_code): row.quantity
            for row in await session.scalars(select(PartStockRow))
        }
    assert stock == {
        ("point", "capacitor"): 11,
        ("technician", "capacitor"): 0,
        ("technician", "drain_pump"): 1,
    }
    await tom.command("parts")
    assert tom.last.text == (
        "📦 Spare parts in stock:\n⚠️ Tom Li · Compressor capacitor: 0\n⚠️ Tom Li · Drain pump: 1"
    )

    # Restocked above the level, the ping is armed again.
    await manager.send_document("restock.csv", CSV, b"part,held by,quantity\ndrain_pump,Tom Li,6\n")
    assert manager.new_texts() == ["📦 Stock counted: 0 new lines, 1 updated."]
    await manager.command("parts")
    assert manager.last.text == (
        "📦 Spare parts in stock:\nShanghai Minhang · Compressor capacitor: 11\n"
        "⚠️ Tom Li · Compressor capacitor: 0\nTom Li · Drain pump: 6"
    )


async def test_a_job_waiting_for_a_part_pauses_its_on_site_clock_until_the_part_arrives(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, tom, _wu = crew
    customer = desk.person(510, "Kai")
    await request_installation(customer, "Air conditioner", "KFR-35GW", "A split unit.")
    await tom.press("✅ Accept")
    async with desk.db() as session:
        row = await session.scalar(select(TicketRow))
        assert row is not None and row.arrive_due_at is not None
        number, first_due = row.number, row.arrive_due_at
    await desk.advance(timedelta(hours=2))
    paused_at = desk.clock.now()
    await tom.command("jobs")
    await tom.press("⏸ Waiting for a part")
    assert tom.last.text == (
        f"Which part is missing for {number}? Type its name and how many, for example "
        "Compressor capacitor x1. Send /cancel to go back."
    )
    await tom.send("x")  # too short: asked again, nothing paused
    assert tom.last.text == "That is a little short. Please write at least 2 characters."
    manager.new_texts()
    customer.new_texts()
    await tom.send("Drain pump x2")
    assert tom.last.text == (
        f"⏸ {number} now waits for Drain pump ×2. The managers and the customer have been "
        "told, and the on-site clock is paused. When the part is with you, press the button "
        "below or use /jobs."
    )
    assert customer.new_texts() == [
        f"🔧 {number} needs a spare part (Drain pump); we are getting it. The visit waits for "
        "it; the technician will set a new visit time with you as soon as it arrives."
    ]
    [ping] = manager.new_texts()
    assert ping.startswith(f"📦 {number} waits for a spare part: Drain pump ×2 for Tom Li.")
    await manager.command("parts")
    assert manager.last.text.startswith(
        f"⏸ Jobs waiting for a part:\n{number} · Drain pump ×2 · Tom Li · since "
    )

    # Past the on-site limit while paused: nobody is told the technician is late.
    await desk.advance(first_due - desk.clock.now() + timedelta(hours=6))
    await desk.sweep()
    late = [t for t in manager.new_texts() + tom.new_texts() if "on site" in t]
    assert late == []

    await manager.press("📦 The part has arrived")
    assert manager.last.text == (
        f"📦 Part arrived: {number} is back on the technician's list, with its on-site clock "
        "running again."
    )
    assert tom.new_texts()[-1] == (
        f"📦 The part for {number} has arrived. Please agree a visit time with the customer: /jobs"
    )
    assert customer.new_texts() == [
        f"📦 The spare part for {number} has arrived. Tom Li will confirm the visit time with you."
    ]
    async with desk.db() as session:
        row = await session.scalar(select(TicketRow))
        assert row is not None
        # The clock runs on with the 22 hours it had left when the job was paused.
        assert (row.status, row.arrive_due_at) == (
            "assigned",
            desk.clock.now() + (first_due - paused_at),
        )
    await tom.press("📦 The part has arrived")  # a second press, from the older message
    assert tom.alerts()[-1] == "That step is already done."
    await tom.command("jobs")
    assert [b["text"] for b in tom.last.inline_buttons] == [
        "🕒 Confirm the visit time",
        "🚗 On my way",
        "📍 Check in",
        "⏸ Waiting for a part",
    ]


async def test_a_part_found_missing_on_site_brings_a_return_visit_with_the_full_limit(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, tom, _wu = crew
    await _on_site(desk, tom)
    await tom.command("jobs")
    await tom.press("⏸ Waiting for a part")
    await tom.send("2× 压缩机电容")  # the Chinese name, the count first
    assert tom.last.text.startswith("⏸ ") and "Compressor capacitor ×2" in tom.last.text
    await desk.advance(timedelta(days=3))
    await desk.sweep()
    # The part request's own limit (2 working days) has passed: the managers hear of it.
    assert any(
        "getting a spare part to the technician was due" in text for text in manager.new_texts()
    )
    await tom.press("📦 The part has arrived")
    async with desk.db() as session:
        row = await session.scalar(select(TicketRow))
        assert row is not None
        # The customer lives in a priority area: a return visit within its 12 hours again.
        assert (row.status, row.arrive_step, row.arrive_due_at) == (
            "assigned",
            "repair_on_site_priority",
            desk.clock.now() + timedelta(hours=12),
        )


async def test_a_parts_list_file_adds_and_corrects_parts_and_outlives_a_restart(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, tom, _wu = crew
    table = (
        "编码,Name,简体名称,繁體名稱,价格,补货线,适用产品\n"
        "fan_motor,Fan motor,风扇电机,風扇馬達,88,2,空调\n"
        'capacitor,Compressor capacitor,压缩机电容,壓縮機電容,50,5,"aircon, fridge"\n'
        "Bad Code!,X,X,X,1,,\n"
        "belt,Belt,皮带,,10,,\n"
        "valve,Valve,阀门,閥門,cheap,,\n"
        "hose,Hose,软管,軟管,5,,toaster\n"
    )
    await manager.send_document("配件清单.csv", CSV, table.encode())
    assert manager.last.text == (
        "🔩 Parts list loaded: 1 new, 1 updated.\n"
        "These lines were left out; correct them and send the file again:\n"
        "line 4: Bad Code! is not a part code (letters, digits and _, at most 24)\n"
        "line 5: the part needs its name in English, 简体 and 繁體\n"
        "line 6: cheap is not an amount\n"
        "line 7: no product called toaster"
    )
    async with desk.db() as session:
        loaded = {
            row.code: (row.price, row.products)
            for row in await session.scalars(select(PartKindRow))
        }
    assert loaded == {"capacitor": (50.0, ["aircon", "fridge"]), "fan_motor": (88.0, ["aircon"])}

    # The new part counts at once; another process (its list read from the database, as
    # at start and with every sweep) counts it too.
    stock = "part,held by,quantity\nfan_motor,Tom Li,3\n"
    await manager.send_document("stock.csv", CSV, stock.encode())
    assert manager.last.text == "📦 Stock counted: 1 new lines, 0 updated."
    parts = desk.services.policy.parts
    parts.use_loaded(())  # as a process that has not read the list yet
    again = "part,held by,quantity\n风扇电机,Tom Li,4\n"
    await manager.send_document("stock.csv", CSV, again.encode())
    assert manager.last.text.endswith("line 2: no part called 风扇电机")
    await load_parts_list(desk.services.uow(), parts)
    await manager.send_document("stock.csv", CSV, again.encode())
    assert manager.last.text == "📦 Stock counted: 0 new lines, 1 updated."
    # Out of warranty the part is charged at the loaded price.
    customer = await _on_site(desk, tom)
    await tom.press("🧾 Fill in the service record")
    await tom.press("Out of warranty")
    await tom.send("The fan did not turn.")
    await tom.send("Replaced the fan motor.")
    await tom.send("Fan motor - burnt")
    await tom.press("Done")
    await tom.press("Done")
    await tom.press("✅ Send to the customer")
    assert "Fees: Fan motor × 1 = CN¥88.00\nTotal: CN¥88.00" in customer.last.text
