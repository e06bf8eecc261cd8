"""Domain errors, one tree so that handlers can turn any of them into a polite reply.

DomainError
├── IllegalTransition      a ticket may not move from its status to the one asked
├── NotFound               the ticket / user / invite asked for does not exist
├── NotAllowed             the acting user's role does not permit the action
├── ConcurrentUpdate       somebody else changed the row first; nothing was written
├── InviteRefused          the invite token is unknown, used, or expired
├── DuplicateRequest       this request (a Telegram update) was handled before
└── InvalidInput           what a user typed breaks a rule; carries the msgid that says which
"""

from __future__ import annotations

from dispatch.messages import Param

__all__ = [
    "ConcurrentUpdate",
    "DomainError",
    "DuplicateRequest",
    "IllegalTransition",
    "InvalidInput",
    "InviteRefused",
    "NotAllowed",
    "NotFound",
    "OfferClosed",
]


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class IllegalTransition(DomainError):
    def __init__(self, kind: str, current: str, wanted: str) -> None:
        super().__init__(f"a {kind} ticket cannot go from {current} to {wanted}")
        self.kind = kind
        self.current = current
        self.wanted = wanted


class NotFound(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class ConcurrentUpdate(DomainError):
    pass


class InviteRefused(DomainError):
    """``reason`` is one of ``unknown``, ``used``, ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invite refused: {reason}")
        self.reason = reason


class InvalidInput(DomainError):
    """``message`` is a msgid (with ``params``) telling the user what to fix."""

    def __init__(self, message: str, **params: Param) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class DuplicateRequest(DomainError):
    """The same request arrived again (Telegram redelivers updates it thinks were lost)."""


class OfferClosed(DomainError):
    """The offer can no longer be answered; ``reason``: expired, taken, yours (accepted by
    this technician already), declined, withdrawn."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"offer closed: {reason}")
        self.reason = reason
