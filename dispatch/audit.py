"""Tamper evidence: the audit log's hash chain and the signed service records' hashes.

Every event the desk records is sealed, in the order the sealer finds them, with
``sha256(previous seal's hash + the event's canonical text)``: changing, removing or
re-ordering a sealed event breaks every seal after it. A signed service record keeps the
canonical text the customer signed and its SHA-256, which the ``signed`` event repeats.
``aftercare verify`` (bot.verify) recomputes both and reports what no longer matches.

Pure: the storage side (storage.audit) reads and writes the rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "GENESIS",
    "Finding",
    "SealedEvent",
    "SignedRecord",
    "check_record",
    "check_seals",
    "event_text",
    "next_hash",
]

GENESIS = "0" * 64  # the hash "before" the first seal


def event_text(
    event_id: int,
    ticket_id: int | None,
    actor_id: int | None,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    details: dict[str, Any] | None,
    created_at: datetime,
) -> str:
    """An event's canonical text: every field, in a fixed order, keys sorted."""
    return json.dumps(
        [
            event_id,
            ticket_id,
            actor_id,
            kind,
            from_status,
            to_status,
            details or {},
            created_at.isoformat(),
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def next_hash(previous: str, text: str) -> str:
    return hashlib.sha256((previous + text).encode()).hexdigest()


@dataclass(frozen=True)
class Finding:
    """One thing that no longer matches: what (``subject``) and how."""

    subject: str
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"


@dataclass(frozen=True)
class SealedEvent:
    """A seal as stored, with the event's canonical text as it reads now (None: gone)."""

    seq: int
    event_id: int
    hash: str
    text: str | None


def check_seals(seals: Sequence[SealedEvent], previous: str, expected_seq: int) -> list[Finding]:
    """Check a run of seals that follows ``previous`` (the hash of seal ``expected_seq - 1``)."""
    findings = []
    for seal in seals:
        subject = f"event {seal.event_id}"
        if seal.seq != expected_seq:
            findings.append(Finding(f"seal {expected_seq}", "missing: the chain has a gap"))
        if seal.text is None:
            findings.append(Finding(subject, "deleted after it was recorded"))
        elif next_hash(previous, seal.text) != seal.hash:
            findings.append(Finding(subject, "changed after it was recorded (or its seal was)"))
        previous, expected_seq = seal.hash, seal.seq + 1
    return findings


@dataclass(frozen=True)
class SignedRecord:
    """A signed service record as stored, and the hash its ``signed`` event recorded."""

    number: str
    payload: str | None  # None once the customer's data was erased (/forget): the hash stays
    signed_hash: str
    event_hash: str | None
    ticket_id: int


def check_record(record: SignedRecord, current: str) -> list[Finding]:
    """``current``: the record's canonical text as its rows read now (canonical_record)."""
    subject = f"the service record of {record.number}"
    findings = []
    if record.event_hash != record.signed_hash:
        findings.append(
            Finding(subject, "its signature's hash differs from the one the audit log recorded")
        )
    if record.payload is None:
        return findings  # erased with the customer's data: only the hash is left to check
    if hashlib.sha256(record.payload.encode()).hexdigest() != record.signed_hash:
        findings.append(Finding(subject, "what was signed was changed after the signature"))
    try:
        signed, now = json.loads(record.payload), json.loads(current)
    except ValueError:
        return findings
    if isinstance(signed, dict) and isinstance(now, dict):
        changed = sorted(k for k in signed.keys() | now.keys() if signed.get(k) != now.get(k))
        if changed:
            findings.append(
                Finding(subject, f"{', '.join(changed)} no longer read as the customer signed")
            )
    return findings
