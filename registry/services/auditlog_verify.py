"""Verification of the audit log: every chain walked in order (an altered, deleted or moved entry is
found), every chain's end matched against its head, and every head an anchor pinned still there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlmodel import Session, col

from registry.models import AuditChain, AuditLogEntry
from registry.services.auditlog import ANCHOR_CHAIN, GENESIS, entry_hash


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""
    chain: int | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} entries verified"
        return (
            f"audit log BROKEN in chain {self.chain} at entry seq={self.first_bad_seq} (id={self.first_bad_id}): "
            f"{self.problem}; {self.checked} entries before it are intact"
        )


def iter_entries(session: Session, chain: int | None = None, chunk: int = 10_000) -> Iterator[AuditLogEntry]:
    """Every entry (or those of one chain) in chain order: by chain, then position in the chain."""
    last: tuple[int, int] | None = None
    key = tuple_(col(AuditLogEntry.chain), col(AuditLogEntry.seq))
    while True:
        stmt = select(AuditLogEntry).order_by(col(AuditLogEntry.chain), col(AuditLogEntry.seq)).limit(chunk)
        if chain is not None:
            stmt = stmt.where(col(AuditLogEntry.chain) == chain)
        if last is not None:
            stmt = stmt.where(key > tuple_(*last))
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield from rows
        last = (rows[-1].chain, rows[-1].seq)
        session.expunge_all()


def _anchored(session: Session) -> dict[int, dict[int, str]]:
    """What the anchors pinned: {chain: {seq: hash}} (the anchor chain itself is verified with the rest)."""
    pins: dict[int, dict[int, str]] = {}
    for e in iter_entries(session, chain=ANCHOR_CHAIN):
        try:
            heads = json.loads(e.data).get("heads", [])
        except ValueError:
            continue  # an altered anchor fails its hash in the walk
        for c, seq, h in heads:
            pins.setdefault(int(c), {})[int(seq)] = str(h)
    return pins


def verify(session: Session) -> VerifyResult:
    """Walk every chain in order; report the first entry that was altered, deleted or moved, a chain
    whose end does not match its head, and any head an anchor pinned that is no longer there."""
    heads = {
        c: (seq, h)
        for c, seq, h in session.execute(
            select(col(AuditChain.chain), col(AuditChain.seq), col(AuditChain.hash))
        )
    }
    pins = _anchored(session)
    checked = 0
    chain: int | None = None
    prev, expected_seq, last_id = GENESIS, 1, None

    def end_of_chain() -> VerifyResult | None:
        if chain is None:
            return None
        last = (expected_seq - 1, prev)
        head = heads.pop(chain, None)
        pinned = pins.pop(chain, {})
        if head is None:
            return VerifyResult(
                False, checked, last[0], last_id, "the chain has no head (written around the log)", chain
            )
        if head[0] > last[0]:
            return VerifyResult(
                False,
                checked,
                last[0] + 1,
                None,
                f"entries deleted: the chain's head is at seq {head[0]}",
                chain,
            )
        if head != last:
            return VerifyResult(
                False, checked, last[0], last_id, "the chain's head does not match its last entry", chain
            )
        if pinned and max(pinned) > last[0]:
            return VerifyResult(
                False,
                checked,
                last[0] + 1,
                None,
                f"entries deleted: an anchor pinned seq {max(pinned)}",
                chain,
            )
        return None

    for e in iter_entries(session):
        if e.chain != chain:
            bad = end_of_chain()
            if bad:
                return bad
            chain, prev, expected_seq = e.chain, GENESIS, 1
        if e.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                e.seq,
                e.id,
                f"expected seq {expected_seq}: an entry was deleted or reordered",
                chain,
            )
        if e.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                e.seq,
                e.id,
                "prev_hash does not match the previous entry (entry deleted or reordered)",
                chain,
            )
        if entry_hash(prev, e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.data) != e.hash:
            return VerifyResult(
                False, checked, e.seq, e.id, "content does not match its hash (entry altered)", chain
            )
        pinned_hash = pins.get(e.chain, {}).get(e.seq)
        if pinned_hash is not None and pinned_hash != e.hash:
            return VerifyResult(
                False, checked, e.seq, e.id, "the entry differs from what an anchor pinned", chain
            )
        prev, last_id = e.hash, e.id
        expected_seq += 1
        checked += 1
    bad = end_of_chain()
    if bad:
        return bad
    for c, (seq, _h) in sorted(heads.items()):
        if seq > 0:
            return VerifyResult(
                False, checked, 1, None, f"entries deleted: the chain's head is at seq {seq}", c
            )
    for c, pinned in sorted(pins.items()):
        return VerifyResult(
            False, checked, 1, None, f"entries deleted: an anchor pinned seq {max(pinned)}", c
        )
    return VerifyResult(True, checked)
