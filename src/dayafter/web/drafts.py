"""Drafts of the workbench, one per browser session, kept in SQLite so they survive a restart.

A draft is the plan being edited with its undo and redo stacks, its locked regions, whether it
has unsaved changes, and a *version* that grows with every change (a tab sends the version it
shows with each edit; an edit to a draft that has changed since is refused, see
:class:`StaleDraft`). :class:`DraftStore` mirrors every change of the in-memory drafts into one
SQLite file, each change in one transaction: after a crash or a restart the drafts and their undo
history are read back as they were after the last completed edit.

Layout of the file (``<plans folder>.drafts.sqlite`` next to the saved plans):

- ``drafts``: one row per session: territory hash, version, base plan, dirty flag, locked regions
  (JSON), and the plan (JSON head + zlib-compressed ``int32`` assignment and ``int8`` control);
- ``history``: one row per undo or redo entry (``stack``, ``pos`` from the bottom), same columns;
- ``settings``: the schema version and values the server keeps (the share-link key).

The journal is WAL with ``synchronous=NORMAL``: a killed server loses nothing that was answered; a
power cut may lose the last edits, never the file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dayafter._util import json_dumps, to_jsonable
from dayafter.errors import DayafterError, InputDataError
from dayafter.plan import Plan, Region

__all__ = ["DraftStore", "StaleDraft", "flush_pending", "pack", "unpack"]

SCHEMA_VERSION = 1
SESSION_DAYS = 90
"""Drafts of sessions not seen for this many days are removed when the store opens."""


class StaleDraft(DayafterError):
    """An edit was made to a draft version that is no longer current (HTTP 409): another tab or
    window changed the draft in between."""

    http_status = 409


# An undo or redo entry: a plan's parts (assignment, regions, name, notes, meta, territory hash,
# control, control labels). A stack entry is one tuple, and consecutive entries share their regions
# and meta objects when they are equal (a stroke changes neither): the stacks grow by one object
# per edit, not by the handful a Plan is, so a long session does not slow every garbage collection
# down (see bench/load.py).
Snap = tuple[Any, ...]


def pack(plan: Plan, stack: list[Snap]) -> Snap:
    """A plan as a stack entry (sharing the regions and meta of the entry below when equal)."""
    regions, meta = plan.regions, plan.meta
    if stack:
        top = stack[-1]
        regions = top[1] if top[1] == regions else regions
        meta = top[4] if top[4] == meta else meta
    return (plan.assignment, regions, plan.name, plan.notes, meta, plan.territory_hash, plan.control,
            plan.control_labels)


def unpack(snap: Snap) -> Plan:
    """The plan a stack entry holds."""
    assignment, regions, name, notes, meta, territory_hash, control, control_labels = snap
    return Plan(assignment, regions, territory_hash, name=name, notes=notes, meta=meta,
                control=control, control_labels=control_labels)


@dataclass
class Draft:
    """One session's draft (see the module's description)."""

    plan: Plan
    base: str
    undo: list[Snap] = field(default_factory=list)
    redo: list[Snap] = field(default_factory=list)
    locked: set[int] = field(default_factory=set)
    dirty: bool = False
    version: int = 0
    tab: str = ""
    """The tab that made the last change (so that tab does not reload its own change)."""


# ---------------------------------------------------------------------------------- encoding
_HEADS: list[tuple[tuple[Any, ...], str]] = []
"""The last few heads encoded, with what they were made from: a stroke changes neither the regions
nor the notes or meta, so the draft and the undo entry of every stroke share their head."""
_HEADS_KEPT = 4
_HEADS_LOCK = threading.Lock()


def _head(assignment: Any, regions: Any, name: str, notes: str, meta: Any, territory_hash: str,
          control_labels: Any) -> str:
    # meta by its repr: equal values of other types (1 and True) must not share a head
    key = (regions, name, notes, repr(dict(meta)), territory_hash, control_labels, len(assignment))
    with _HEADS_LOCK:
        for i, (k, head) in enumerate(_HEADS):
            if k == key:
                if i:
                    _HEADS.insert(0, _HEADS.pop(i))
                return head
    head = json_dumps({"regions": [r.to_dict() for r in regions], "name": name, "notes": notes,
                       "meta": to_jsonable(dict(meta)), "territory_hash": territory_hash,
                       "control_labels": list(control_labels), "n": len(assignment)})
    with _HEADS_LOCK:
        _HEADS.insert(0, (key, head))
        del _HEADS[_HEADS_KEPT:]
    return head


def _encode(snap: Snap) -> tuple[str, bytes, bytes]:
    assignment, regions, name, notes, meta, territory_hash, control, control_labels = snap
    head = _head(assignment, regions, name, notes, meta, territory_hash, control_labels)
    a = zlib.compress(np.ascontiguousarray(assignment, dtype="<i4").tobytes(), 1)
    c = zlib.compress(np.ascontiguousarray(control, dtype="i1").tobytes(), 1)
    return head, a, c


def _decode(head: str, a: bytes, c: bytes) -> Snap:
    h = json.loads(head)
    n = int(h["n"])
    assignment = np.frombuffer(zlib.decompress(a), dtype="<i4").astype(np.int32)
    control = np.frombuffer(zlib.decompress(c), dtype="i1").astype(np.int8)
    if assignment.size != n or control.size != n:
        raise InputDataError(f"a stored draft holds {assignment.size} units where its header says {n}",
                             hint="the drafts file is damaged: delete it (the saved plans are not in it)")
    assignment.setflags(write=False)
    control.setflags(write=False)
    regions = tuple(Region(**r) for r in h["regions"])
    return (assignment, regions, h["name"], h["notes"], h["meta"], h["territory_hash"], control,
            tuple(h["control_labels"]))


_PENDING: set[DraftStore] = set()
"""Stores holding edits that are not committed yet (:attr:`DraftStore.group_commits`)."""


def flush_pending() -> None:
    """Commit the edits every store holds: the web app calls it before it starts any answer."""
    if _PENDING:
        for store in list(_PENDING):
            store.flush()


class DraftStore:
    """The drafts file: every change of a session's draft, written as one transaction.

    Parameters
    ----------
    path
        The SQLite file (created with its folder when missing); ``None`` keeps nothing (drafts
        live in memory only).
    territory_hash
        :attr:`~dayafter.territory.Territory.content_hash` of the served data: drafts made for
        other data are not read (and are removed).
    """

    def __init__(self, path: str | Path | None, territory_hash: str) -> None:
        self.path = Path(path) if path is not None else None
        self.territory_hash = territory_hash
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._depth = 0
        if self.path is not None:
            self._open()

    # ------------------------------------------------------------------ file
    def _open(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript("""
                CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS drafts (
                    session TEXT PRIMARY KEY, territory_hash TEXT NOT NULL, version INTEGER NOT NULL,
                    base TEXT NOT NULL, dirty INTEGER NOT NULL, locked TEXT NOT NULL,
                    head TEXT NOT NULL, assignment BLOB NOT NULL, control BLOB NOT NULL,
                    updated REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS history (
                    session TEXT NOT NULL, stack TEXT NOT NULL CHECK (stack IN ('undo', 'redo')),
                    pos INTEGER NOT NULL, head TEXT NOT NULL, assignment BLOB NOT NULL,
                    control BLOB NOT NULL, PRIMARY KEY (session, stack, pos));
            """)
            row = db.execute("SELECT value FROM settings WHERE key = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO settings VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise InputDataError(f"the drafts file {self.path} was written by a newer dayafter "
                                     f"(schema {row[0]})", hint="upgrade dayafter, or move the file away")
            cutoff = time.time() - SESSION_DAYS * 86400
            with_tx = [("DELETE FROM history WHERE session IN (SELECT session FROM drafts WHERE "
                        "territory_hash != ? OR updated < ?)", (self.territory_hash, cutoff)),
                       ("DELETE FROM drafts WHERE territory_hash != ? OR updated < ?",
                        (self.territory_hash, cutoff))]
            db.execute("BEGIN IMMEDIATE")
            for sql, args in with_tx:
                db.execute(sql, args)
            db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise InputDataError(f"cannot use the drafts file {self.path}: {exc}",
                                 hint="delete it (it holds only unsaved drafts, not the saved plans)",
                                 source=str(self.path)) from None
        self._db = db

    def close(self) -> None:
        """Close the file (the store keeps nothing afterwards); edits held by
        :attr:`group_commits` are committed first."""
        with self._lock:
            if self._db is not None:
                self.flush()
                self._db.close()
                self._db = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group the writes inside into one transaction (nested calls join the outer one).

        With :attr:`group_commits` on, a finished edit is not committed at once: it is released
        into a transaction that stays open until :meth:`flush` (or :func:`flush_pending`), which
        commits every edit made since in one go. An edit that fails is rolled back alone (a
        savepoint), leaving the others.
        """
        with self._lock:
            db = self._db
            if db is None:
                yield
                return
            outer = self._depth == 0
            if outer:
                if self.group_commits:
                    if not self._open_tx:
                        db.execute("BEGIN IMMEDIATE")
                        self._open_tx = True
                        _PENDING.add(self)
                    db.execute("SAVEPOINT edit")
                else:
                    db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    if self.group_commits:
                        db.execute("ROLLBACK TO edit")
                        db.execute("RELEASE edit")
                    else:
                        db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                db.execute("RELEASE edit" if self.group_commits else "COMMIT")

    group_commits = False
    """Commit edits in groups (:meth:`transaction`): the web app turns it on, and commits before
    it answers any request (so nothing answered is ever lost); off, every edit commits at once."""
    _open_tx = False

    def flush(self) -> None:
        """Commit the edits :attr:`group_commits` holds (nothing to do when there are none)."""
        if not self._open_tx:
            return
        with self._lock:
            if self._open_tx and self._db is not None and self._depth == 0:
                self._open_tx = False
                _PENDING.discard(self)
                self._db.execute("COMMIT")

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        if self._db is not None:
            with self.transaction():
                self._db.execute(sql, args)

    # ------------------------------------------------------------------ settings
    def setting(self, key: str) -> str | None:
        """A value the server keeps (``None`` when unset or without a file)."""
        with self._lock:
            if self._db is None:
                return None
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Keep a value."""
        self._exec("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------------ drafts
    def load(self, session: str) -> Draft | None:
        """A session's draft as last written, or ``None``."""
        with self._lock:
            if self._db is None:
                return None
            row = self._db.execute(
                "SELECT version, base, dirty, locked, head, assignment, control FROM drafts "
                "WHERE session = ? AND territory_hash = ?", (session, self.territory_hash)).fetchone()
            if row is None:
                return None
            version, base, dirty, locked, head, a, c = row
            d = Draft(unpack(_decode(head, a, c)), base=str(base), dirty=bool(dirty),
                      locked={int(x) for x in json.loads(locked)}, version=int(version))
            for stack in ("undo", "redo"):
                rows = self._db.execute(
                    "SELECT head, assignment, control FROM history WHERE session = ? AND stack = ? "
                    "ORDER BY pos", (session, stack)).fetchall()
                getattr(d, stack).extend(_decode(*r) for r in rows)
            return d

    def save(self, session: str, d: Draft) -> None:
        """Write a draft's state (plan, version, base, dirty flag, locks)."""
        if self._db is None:
            return
        head, a, c = _encode(pack(d.plan, []))
        self._exec("INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (session, self.territory_hash, d.version, d.base, int(d.dirty),
                    json.dumps(sorted(d.locked)), head, a, c, time.time()))

    def push(self, session: str, stack: str, pos: int, snap: Snap) -> None:
        """Put an entry on the undo or redo stack at position ``pos`` (from the bottom)."""
        if self._db is None:
            return
        head, a, c = _encode(snap)
        self._exec("INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?, ?, ?)", (session, stack, pos, head, a, c))

    def pop(self, session: str, stack: str, pos: int) -> None:
        """Remove the entry at ``pos`` of a stack."""
        self._exec("DELETE FROM history WHERE session = ? AND stack = ? AND pos = ?", (session, stack, pos))

    def clear(self, session: str, stack: str | None = None) -> None:
        """Empty one stack, or both."""
        if stack is None:
            self._exec("DELETE FROM history WHERE session = ?", (session,))
        else:
            self._exec("DELETE FROM history WHERE session = ? AND stack = ?", (session, stack))

    def rename_base(self, old: str, new: str) -> None:
        """Drafts based on plan ``old`` are now based on ``new`` (a saved plan was renamed)."""
        self._exec("UPDATE drafts SET base = ? WHERE base = ?", (new, old))

    def sessions(self) -> list[str]:
        """The sessions that have a draft."""
        with self._lock:
            if self._db is None:
                return []
            return [str(r[0]) for r in self._db.execute("SELECT session FROM drafts ORDER BY session")]
