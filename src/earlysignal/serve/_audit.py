"""The audit log: every view of a person's page, search, export and judgement,
append-only and chained by hash so that an edited, removed or inserted entry is
found by :func:`verify`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from earlysignal.serve._settings import ServeError

__all__ = ["ACTIONS", "GENESIS", "ChainCheck", "append", "chain_check", "entry_hash",
           "verify"]

#: The hash a first entry points back to.
GENESIS = "0" * 64
ACTIONS = ("view", "search", "export", "judgement", "assign", "publish")
_FIELDS = ("at", "username", "action", "person_id", "run", "client", "detail")


def entry_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 of an entry's fields and its predecessor's hash.

    Examples
    --------
    >>> f = {"at": "2024-01-02T03:04:05+00:00", "username": "asha",
    ...      "action": "view", "person_id": "P1", "run": "demo",
    ...      "client": "127.0.0.1", "detail": ""}
    >>> h = entry_hash(GENESIS, f)
    >>> len(h), h == entry_hash(GENESIS, dict(f)), h == entry_hash(GENESIS,
    ...                                                           {**f, "person_id": "P2"})
    (64, True, False)
    """
    body = json.dumps([previous_hash, *(_text(fields[k]) for k in _FIELDS)],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify` found: entries checked, the first broken one (None
    when the chain holds), why, and the hash of the last entry."""

    entries: int
    broken_at: int | None
    reason: str
    head: str

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    def sentence(self) -> str:
        """The result in one line.

        Examples
        --------
        >>> ChainCheck(3, None, "", "ab" * 32).sentence()[:48]
        'The audit log holds 3 entries and its hash chain'
        >>> ChainCheck(3, 2, "its hash does not match", "").sentence()
        'The audit log is broken at entry 2 of 3: its hash does not match.'
        """
        if self.ok:
            return (f"The audit log holds {self.entries} entries and its hash chain "
                    f"is intact; last entry's hash {self.head}.")
        return (f"The audit log is broken at entry {self.broken_at} of "
                f"{self.entries}: {self.reason}.")


def chain_check(entries: Iterable[dict[str, Any]]) -> ChainCheck:
    """Check entries (dicts with ``id``, the hashed fields, ``previous_hash`` and
    ``entry_hash``) in order.

    Examples
    --------
    >>> f = {"at": "t", "username": "u", "action": "view", "person_id": "P1",
    ...      "run": "r", "client": "", "detail": ""}
    >>> a = {**f, "id": 1, "previous_hash": GENESIS, "entry_hash": entry_hash(GENESIS, f)}
    >>> b = {**f, "id": 2, "previous_hash": a["entry_hash"],
    ...      "entry_hash": entry_hash(a["entry_hash"], f)}
    >>> chain_check([a, b]).ok, chain_check([b]).broken_at
    (True, 2)
    >>> chain_check([a, {**b, "person_id": "P9"}]).reason
    'its fields do not match its hash (edited after it was written)'
    """
    previous, n = GENESIS, 0
    for e in entries:
        n += 1
        if e["previous_hash"] != previous:
            return ChainCheck(n, int(e["id"]), "it does not point to the entry before "
                              "it (an entry was removed, inserted or reordered)",
                              previous)
        if entry_hash(previous, e) != e["entry_hash"]:
            return ChainCheck(n, int(e["id"]), "its fields do not match its hash "
                              "(edited after it was written)", previous)
        previous = e["entry_hash"]
    return ChainCheck(n, None, "", previous)


def append(*, username: str, action: str, person_id: str = "", run: str = "",
           client: str = "", detail: str = "") -> Any:
    """Write one entry at the end of the chain (Django must be configured).

    Two writers racing for the same predecessor cannot both succeed (the
    predecessor's hash is unique), so the loser retries on the new end.
    """
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from earlysignal.serve.models import AuditEntry

    if action not in ACTIONS:
        raise ServeError(f"unknown audit action '{action}'")
    for _ in range(50):
        try:
            with transaction.atomic():
                last = AuditEntry.objects.order_by("-id").values_list(
                    "entry_hash", flat=True).first()
                prev = last or GENESIS
                fields = {"at": timezone.now(), "username": username,
                          "action": action, "person_id": person_id, "run": run,
                          "client": client[:64], "detail": detail}
                entry = AuditEntry(previous_hash=prev,
                                   entry_hash=entry_hash(prev, fields), **fields)
                entry.save()
                return entry
        except IntegrityError:
            continue
    raise ServeError("the audit log could not be appended to (the database is too "
                     "busy); the request was not served")


def verify() -> ChainCheck:
    """Check the whole chain in the configured database."""
    from earlysignal.serve.models import AuditEntry

    rows = AuditEntry.objects.order_by("id").values(
        "id", *_FIELDS, "previous_hash", "entry_hash")
    return chain_check(rows.iterator(chunk_size=2000))
