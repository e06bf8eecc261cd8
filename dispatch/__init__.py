"""The after-sales domain: tickets, their state machines, roles, SLA policy.

Nothing here imports Telegram or SQLAlchemy (a test enforces it): handlers call
the service functions (one module per feature: users, invites, technicians,
tickets, customer requests, offers, visits, records, surveys...) with plain values
and a unit of work, and the adapters in ``storage/`` and ``bot/`` implement the ports in
:mod:`dispatch.ports`.
"""
