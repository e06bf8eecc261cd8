"""The after-sales domain: tickets, their state machines, roles, SLA policy.

Nothing here imports Telegram or SQLAlchemy (a test enforces it): handlers call
the service functions in :mod:`dispatch.services` with plain values and a unit
of work, and the adapters in ``storage/`` and ``bot/`` implement the ports in
:mod:`dispatch.ports`.
"""
