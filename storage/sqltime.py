"""Elapsed time and the local day in SQL, written per database: SQLite has ``julianday``
and ``date(..., '+8 hours')``, PostgreSQL ``EXTRACT(EPOCH ...)`` and ``AT TIME ZONE``;
SQLAlchemy has no portable form of either."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["hours_between", "local_day"]


class hours_between(FunctionElement[float]):
    """Hours from the second timestamp to the first."""

    type = Float()
    inherit_cache = True


@compiles(hours_between)
def _hours_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 24.0)"
    )


@compiles(hours_between, "postgresql")
def _hours_postgres(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) / 3600.0)"
    )


class local_day(FunctionElement[str]):
    """The desk's calendar day of a UTC timestamp, as ``YYYY-MM-DD``: by the zone's name
    on PostgreSQL, by its offset (given as the second argument, in hours) on SQLite."""

    type = String()
    inherit_cache = True


@compiles(local_day)
def _day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment, offset, _zone = list(element.clauses)
    return (
        f"date({compiler.process(moment, **kw)}, "
        f"printf('%+d hours', {compiler.process(offset, **kw)}))"
    )


@compiles(local_day, "postgresql")
def _day_postgres(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment, _offset, zone = list(element.clauses)
    return (
        f"to_char(({compiler.process(moment, **kw)} AT TIME ZONE "
        f"{compiler.process(zone, **kw)}), 'YYYY-MM-DD')"
    )
