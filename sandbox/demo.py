"""The sandbox's demo desk: who is in it, and the config and database that make it.

Everything happens around Shanghai's People's Square: two managers, three technicians
on duty with their skills and bases, three customers (one per language) and the staff
group with its topics. The bot is the real ``aftercare run`` process, pointed at the
local server by its config; the technicians' profiles are written with the same
services onboarding uses, before it starts.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.config import Settings, load_settings
from dispatch.certificates import import_certificates
from dispatch.clock import SystemClock
from dispatch.contract_table import import_contracts
from dispatch.model import Role
from dispatch.parts import import_stock
from dispatch.technicians import save_technician_profile, set_duty
from dispatch.users import register_user
from sandbox.people import Someone
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory

__all__ = [
    "CITY",
    "STAFF_GROUP",
    "TOKEN",
    "Member",
    "demo_people",
    "seed_demo",
    "write_config",
]

TOKEN = "7000000001:aftercare-sandbox"
STAFF_GROUP = -1001000000001
CITY = (31.2304, 121.4737)  # People's Square, Shanghai


@dataclass
class Member:
    """A person of the demo: who they are to Telegram, and what they are at the desk."""

    someone: Someone
    role: Role
    skills: tuple[str, ...] = ()
    base: tuple[float, float] = CITY
    phone: str = ""


def demo_people() -> list[Member]:
    return [
        Member(Someone(1001, "王芳", "zh-hans"), Role.MANAGER),
        Member(Someone(1002, "Mia", "en"), Role.MANAGER),
        Member(
            Someone(2001, "李伟", "zh-hans"),
            Role.TECHNICIAN,
            ("aircon", "washer"),
            (31.2455, 121.4551),
            "+8613900002001",
        ),
        Member(
            Someone(2002, "Tom", "en"),
            Role.TECHNICIAN,
            ("aircon", "fridge", "heater"),
            (31.2108, 121.4900),
            "+8613900002002",
        ),
        Member(
            Someone(2003, "陳志明", "zh-hant"),
            Role.TECHNICIAN,
            ("heater", "washer"),
            (31.2250, 121.5200),
            "+8613900002003",
        ),
        Member(Someone(3001, "Amy", "en"), Role.CUSTOMER),
        Member(Someone(3002, "李雷", "zh-hans"), Role.CUSTOMER),
        Member(Someone(3003, "陳美玲", "zh-hant"), Role.CUSTOMER, phone="+8613800003003"),
    ]


async def _field_service(
    uow: UnitOfWorkFactory, clock: SystemClock, settings: Settings, today: date
) -> None:
    """Spare parts in the vans and at the service point, and 陳美玲's contract, loaded
    through the same services as a manager's files."""
    policy = settings.policy
    await import_stock(
        uow(),
        clock,
        policy.parts,
        policy.service_points,
        [
            ["part", "held by", "quantity", "reorder level"],
            ["capacitor", "Tom", "3", ""],
            ["drain_pump", "Tom", "1", ""],
            ["capacitor", "李伟", "6", ""],
            ["heating_element", "陳志明", "2", ""],
            *[
                [part.code, point.name, "20", ""]
                for part in policy.parts
                for point in policy.service_points[:1]
            ],
        ],
    )
    await import_contracts(
        uow(),
        clock,
        policy,
        [
            [
                "contract",
                "customer phone",
                "site",
                "address",
                "products",
                "start",
                "end",
                "cadence",
                "latitude",
                "longitude",
            ],
            [
                "WB-2026-001",
                "13800003003",
                "人民廣場辦公室",
                "人民大道 200 號 12 樓",
                "冷氣",
                (today + timedelta(days=3)).isoformat(),
                (today + timedelta(days=364)).isoformat(),
                "月訪",
                str(CITY[0]),
                str(CITY[1]),
            ],
        ],
        region=settings.desk.calendar_country,
        lead_days=settings.contracts.plan_days_ahead,
    )


def free_port() -> int:
    """A TCP port free on this machine right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    folder: Path,
    base_url: str,
    base_file_url: str,
    *,
    managers: tuple[int, ...],
    staff_group: int | None = None,
    token: str = TOKEN,
    quiet_hours: bool = True,
    health_port: int = 0,
    extra: str = "",
) -> tuple[Path, dict[str, str]]:
    """The example config pointed at a local Bot API server, on a SQLite file in
    ``folder``, and the environment to run ``aftercare`` with it. Without
    ``quiet_hours`` customers hear from the desk at any hour (a demo tried at night would
    otherwise hold every message to a customer until 9:00, and the follow-up survey to
    the next morning). ``/healthz`` and ``/metrics`` are served on ``health_port`` (0:
    not served, so that desks side by side do not contend for the default port)."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace("port = 8081", f"port = {health_port}")
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{base_url}"')
    text = text.replace(
        'base_file_url = "https://api.telegram.org/file/bot"', f'base_file_url = "{base_file_url}"'
    )
    if staff_group is not None:
        text = text.replace("# staff_group = -1001234567890", f"staff_group = {staff_group}")
    if not quiet_hours:  # and the follow-up survey right after the signature
        text = text.replace('quiet_hours = "21:00-09:00"', 'quiet_hours = "00:00-00:00"')
        text = text.replace("after_days = 1", "after_days = 0").replace(
            'send_at = "10:00"', 'send_at = "00:00"'
        )
    config = folder / "config.toml"
    config.write_text(text + "\n" + extra, encoding="utf-8")
    env = {
        **os.environ,
        "AFTERCARE_TELEGRAM_TOKEN": token,
        "AFTERCARE_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'desk.db'}",
        "AFTERCARE_MANAGER_IDS": ",".join(str(m) for m in managers),
    }
    env.pop("AFTERCARE_CONFIG", None)
    return config, env


async def seed_demo(
    config: Path, env: dict[str, str], people: list[Member], *, field_service: bool = False
) -> None:
    """Everyone registered, the technicians with their profiles, on duty, and the water
    heater installation licence held by Tom for a year and by 陳志明 for 20 more days (the
    warning shows at once), loaded as a manager's file would be. With ``field_service``
    (the sandbox people try), also the technicians' spare parts and a maintenance contract
    of 陳美玲's whose first visit is three days away (proposed to her at once)."""
    settings = load_settings(config, env=env, require_token=False)
    engine = make_engine(settings.database.url)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    clock = SystemClock()
    managers = [m.someone.id for m in people if m.role is Role.MANAGER]
    try:
        for member in people:
            person = member.someone
            registration = await register_user(
                uow(),
                clock,
                telegram_id=person.id,
                display_name=person.first_name,
                username=None,
                telegram_language=person.language_code,
                manager_ids=managers,
            )
            if member.role is Role.CUSTOMER and member.phone:
                async with uow() as unit:
                    user = await unit.users.get(registration.user.id)
                    assert user is not None
                    user.phone = member.phone
                    await unit.users.save(user)
                    await unit.commit()
            if member.role is not Role.TECHNICIAN:
                continue
            user_id = registration.user.id
            async with uow() as unit:
                user = await unit.users.get(user_id)
                assert user is not None
                user.role = Role.TECHNICIAN
                await unit.users.save(user)
                await unit.commit()
            await save_technician_profile(
                uow(),
                clock,
                user_id=user_id,
                name=person.first_name,
                phone=member.phone,
                skills=member.skills,
                latitude=member.base[0],
                longitude=member.base[1],
                service_radius_km=30,
                capacity=3,
            )
            await set_duty(uow(), clock, technician_id=user_id, on=True)
        today = clock.now().astimezone(settings.zone).date()
        await import_certificates(
            uow(),
            clock,
            settings.policy.certificates,
            [
                ["technician", "certificate", "number", "valid until"],
                ["Tom", "heater_install", "HX-2002", (today + timedelta(days=365)).isoformat()],
                ["陳志明", "heater_install", "HX-2003", (today + timedelta(days=20)).isoformat()],
            ],
            zone=settings.zone,
        )
        if field_service:
            await _field_service(uow, clock, settings, today)
    finally:
        await engine.dispose()
