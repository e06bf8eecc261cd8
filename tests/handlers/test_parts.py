"""Spare parts through the real bot: a manager's stocktake file, parts a service record
names leaving the technician's stock, and the managers' low-stock ping, once."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import PartStockRow
from tests.handlers.test_dispatch import CUSTOMER, crew, request_installation  # noqa: F401
from tests.harness import Desk, Person

CSV = "text/csv"


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

    customer = desk.person(510, "Kai")
    await request_installation(customer, "Air conditioner", "KFR-35GW", "A split unit.")
    await tom.press("✅ Accept")
    await tom.share_location(CUSTOMER[0] + 0.001, CUSTOMER[1], accuracy=10)
    await tom.command("jobs")
    await tom.press("📍 Check in")
    await tom.press("🧾 Fill in the service record")
    await tom.press("In warranty")
    await tom.send("Solid wall.")
    await tom.send("Mounted both units and ran them 30 minutes.")
    await tom.send(
        "Drain pump x2 - seized in the old unit\ncapacitor - bulging\nfoam tape - wall hole"
    )
    await tom.press("Done")
    await tom.press("✅ Send to the customer")
    # The drain pumps fall below their level: one ping. The capacitor was below already.
    assert manager.new_texts() == ["📦 Low stock: Drain pump at Tom Li: 1 left (reorder level 2)."]
    async with desk.db() as session:
        stock = {
            (row.holder.split(":")[0], row.part_code): row.quantity
            for row in await session.scalars(select(PartStockRow))
        }
    assert stock == {
        ("point", "capacitor"): 12,
        ("technician", "capacitor"): 3,
        ("technician", "drain_pump"): 1,
    }
    await tom.command("parts")
    assert tom.last.text == (
        "📦 Spare parts in stock:\n⚠️ Tom Li · Compressor capacitor: 3\n⚠️ Tom Li · Drain pump: 1"
    )

    # Restocked above the level, the ping is armed again.
    await manager.send_document("restock.csv", CSV, b"part,held by,quantity\ndrain_pump,Tom Li,6\n")
    assert manager.new_texts() == ["📦 Stock counted: 0 new lines, 1 updated."]
    await manager.command("parts")
    assert manager.last.text == (
        "📦 Spare parts in stock:\nShanghai Minhang · Compressor capacitor: 12\n"
        "⚠️ Tom Li · Compressor capacitor: 3\nTom Li · Drain pump: 6"
    )
