"""The state behind the web workbench: one territory, its plans, and the plans being painted.

A :class:`Workspace` holds the scenario plans (read-only), the user's saved plans (kept as dayafter
JSON files in a plan folder), and a *draft* per browser session: the plan being edited, with
unbounded undo and redo stacks of whole plans (a plan is an immutable ``int32`` array plus region
rows, so a stack entry costs ``4 n`` bytes; see :func:`dayafter.web.drafts.pack`). Every change of
a draft raises its version; an edit that names an older version is refused
(:class:`~dayafter.web.drafts.StaleDraft`), so a tab that missed another tab's change cannot paint
over it. The drafts and their undo history are written to SQLite as they change
(:class:`~dayafter.web.drafts.DraftStore`) and survive a restart. Every method is thread-safe (one
lock), because FastAPI runs plain endpoints in a thread pool.

Draft methods take ``session`` (the browser session; ``""`` is the session of clients that have
none, which :attr:`Workspace.draft` returns) and ``expect`` (the version the client shows; ``None``
skips the check).
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import Criterion, check_criteria
from dayafter.errors import ConfigError, DataQualityWarning, DayafterError, InputDataError
from dayafter.metrics import evaluate
from dayafter.plan import UNASSIGNED, Plan, Region
from dayafter.territory import Territory
from dayafter.web.drafts import Draft, DraftStore, StaleDraft, pack, unpack

if TYPE_CHECKING:
    from dayafter.project import Project

__all__ = ["StaleDraft", "Workspace", "current_tab"]

current_tab: ContextVar[str] = ContextVar("dayafter_tab", default="")
"""The browser tab a request comes from (set by the routes); a draft remembers which tab changed it
last, so that tab does not reload its own change when the others are told."""

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
PURPOSES = ("polities", "districts")
"""What a plan's regions are for: ``polities`` (provinces, regions: sizes may differ, population
deviation does not apply) or ``districts`` (electoral districts of equal population)."""

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(name: str) -> str:
    """``name`` reduced to a file stem of ASCII letters, digits, ``.``, ``_`` and ``-`` that neither
    starts nor ends with ``.`` or ``-`` (so never ``..``, never a path): ``"plan"`` when nothing is left."""
    stem = _SAFE_NAME.sub("-", name).strip("-.")
    return stem or "plan"


class Workspace:
    """A territory, its scenario and saved plans, and the draft being painted.

    Parameters
    ----------
    territory
        The units (with geometry, for the map).
    scenarios
        Built-in plans by name (read-only in the workbench).
    reference
        Name of the plan changes are measured from (a scenario or saved plan); ``None`` for none.
    criteria
        Criteria checked on every evaluation.
    plans_dir
        Folder of saved plans (dayafter JSON, one file per plan); created on the first save.
    title
        Display title.
    community_labels
        Display label of each community key.
    provenance
        Optional table (pandas DataFrame) of census figures with their sources, one row per
        figure; rows with a ``unit_id`` column are shown with that unit.
    sources_md
        Free text about the data sources (Markdown).
    council_rules
        :class:`dayafter.councils.CouncilRules` for the councils panel (``None``: one seat per
        100,000 residents).
    force_catalog
        :class:`dayafter.security.ForceCatalog` for the security panel (``None``: no panel).
    parties_spec
        Parties and disputed units (the case's ``settle/parties.json`` form) for the settlement
        panel (``None``: no panel).
    drafts_db
        SQLite file of the drafts (one per browser session, with their undo history): ``"auto"``
        puts ``<plans_dir>.drafts.sqlite`` next to the plan folder (nothing without a plan
        folder); ``None`` keeps drafts in memory only.
    """

    EVALUATIONS_KEPT = 64
    """How many plan evaluations :meth:`evaluation` keeps (the undo stack's recent states, scenarios)."""

    case: str | None = None
    """The built-in case the workspace was opened from (its Article 140 data: returns, referendum,
    claims, settlements), or ``None``."""

    def __init__(
        self,
        territory: Territory,
        *,
        scenarios: Mapping[str, Plan] | None = None,
        reference: str | None = None,
        criteria: Sequence[Criterion] = (),
        plans_dir: str | Path | None = None,
        title: str = "",
        community_labels: Mapping[str, str] | None = None,
        provenance: Any = None,
        sources_md: str = "",
        council_rules: Any = None,
        force_catalog: Any = None,
        parties_spec: Mapping[str, Any] | None = None,
        drafts_db: str | Path | None = "auto",
    ) -> None:
        self.territory = territory
        self.scenarios: dict[str, Plan] = dict(scenarios or {})
        self.criteria = list(criteria)
        self.plans_dir = Path(plans_dir) if plans_dir is not None else None
        self.title = title or territory.name or "territory"
        self.community_labels = {c: (community_labels or {}).get(c, c) for c in territory.communities}
        self.provenance = provenance
        self.sources_md = sources_md
        self.council_rules = council_rules
        self.force_catalog = force_catalog
        self.parties_spec = parties_spec
        self._lock = threading.RLock()
        self.cache: dict[str, Any] = {}
        """Derived data the routes keep for this workspace (map geometry as GeoJSON bytes, unit
        borders, force allocations by census); it goes with the workspace when another is served."""
        self._evaluations: OrderedDict[int, list[Any]] = OrderedDict()
        self._plan_states: OrderedDict[int, tuple[Plan, dict[str, Any]]] = OrderedDict()
        self._static_json: tuple[tuple[Any, ...], bytes] | None = None
        self.saved: dict[str, Plan] = self._load_saved()
        if reference is not None and reference not in self.scenarios and reference not in self.saved:
            raise ConfigError(f"reference plan {reference!r} is not among the plans",
                              hint=f"use one of {sorted(self.scenarios) + sorted(self.saved)}")
        self.reference = reference
        first = next(iter(self.scenarios.values()), None) or next(iter(self.saved.values()), None)
        if first is None:
            first = Plan(np.full(territory.n_units, UNASSIGNED, dtype=np.int32),
                         (Region("Region 1"),), territory.content_hash, name="new plan")
        self._first = first
        if drafts_db == "auto":
            drafts_db = (self.plans_dir.with_name(self.plans_dir.name + ".drafts.sqlite")
                         if self.plans_dir is not None else None)
        self.store = DraftStore(drafts_db, territory.content_hash)
        self._drafts: dict[str, Draft] = {}
        self.draft_of("")

    @property
    def runs_dir(self) -> Path:
        """Folder of the engine runs started from the workbench (each with its manifest):
        ``<plans_dir>.runs`` next to the saved plans, or ``dayafter-runs`` in the temporary folder
        when plans are not saved."""
        if self.plans_dir is not None:
            return self.plans_dir.with_name(self.plans_dir.name + ".runs")
        import tempfile

        return Path(tempfile.gettempdir()) / "dayafter-runs"

    @classmethod
    def from_project(cls, project: Project, *, plans_dir: str | Path | None = None) -> Workspace:
        """The workspace of a :class:`~dayafter.project.Project`: its plans as scenarios, its
        reference, criteria, labels, sources and engine data (council rules, forces, parties)."""
        ws = cls(
            project.territory, scenarios=project.plans, reference=project.reference,
            criteria=project.criteria, plans_dir=plans_dir, title=project.title,
            community_labels=project.community_labels, provenance=project.provenance,
            sources_md=project.sources_md, council_rules=project.council_rules,
            force_catalog=project.force_catalog, parties_spec=project.parties_spec)
        ws.case = project.case
        return ws

    # ------------------------------------------------------------------ plan store
    def _load_saved(self) -> dict[str, Plan]:
        from dayafter.io.plans import read_plan

        out: dict[str, Plan] = {}
        self.skipped_files: list[str] = []
        if self.plans_dir is None or not self.plans_dir.is_dir():
            return out
        for path in self._plan_files(report=True):
            try:
                plan = read_plan(path, self.territory)
            except InputDataError as exc:  # a damaged file, or a plan for other data: keep going
                self.skipped_files.append(exc.one_line())
                warnings.warn(f"saved plan skipped: {exc.one_line()}", DataQualityWarning, stacklevel=3)
                continue
            out[plan.name or path.stem] = plan
        return out

    def _plan_files(self, *, report: bool = False) -> list[Path]:
        """The plan folder's ``*.json`` files, leaving out links that lead outside the folder (the
        workbench reads and writes nothing outside it)."""
        if self.plans_dir is None or not self.plans_dir.is_dir():
            return []
        root = self.plans_dir.resolve()
        out = []
        for path in sorted(self.plans_dir.glob("*.json")):
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                if report:
                    msg = f"{path.name}: a link to a file outside the plan folder; not read"
                    self.skipped_files.append(msg)
                    warnings.warn(f"saved plan skipped: {msg}", DataQualityWarning, stacklevel=4)
                continue
            out.append(path)
        return out

    def _write_saved(self, plan: Plan) -> None:
        from dayafter.io.plans import write_plan

        if self.plans_dir is None:
            return
        self.plans_dir.mkdir(parents=True, exist_ok=True)
        write_plan(plan, self.territory, self._plan_path(plan.name))

    def _plan_path(self, name: str) -> Path:
        assert self.plans_dir is not None
        stem = file_stem(name)
        if stem == name:
            return self.plans_dir / f"{stem}.json"
        # a name that sanitising changed (spaces, Arabic script...) always gets its own digest, so the
        # same name maps to the same file on every save and two names never share one
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        return self.plans_dir / f"{stem}-{digest}.json"

    def _remove_saved_file(self, name: str) -> None:
        if self.plans_dir is None:
            return
        from dayafter.io.plans import read_plan

        for path in self._plan_files():
            try:
                if read_plan(path, self.territory).name == name:
                    path.unlink()
            except InputDataError:
                continue

    def plan(self, name: str) -> Plan:
        """A scenario or saved plan by name."""
        with self._lock:
            if name in self.saved:
                return self.saved[name]
            if name in self.scenarios:
                return self.scenarios[name]
        options = sorted(self.scenarios) + sorted(self.saved)
        raise InputDataError(f"no plan called {name!r}", hint=f"use one of {options}",
                             key="web.no_plan", args={"name": name},
                             hint_key="web.use_one_of", hint_args={"options": options})

    def reference_plan(self) -> Plan | None:
        """The plan changes are measured from, if any."""
        return self.plan(self.reference) if self.reference else None

    def list_plans(self) -> list[dict[str, Any]]:
        """Scenario plans first (case order), then saved plans by name."""
        with self._lock:
            rows = [self._plan_row(p, "scenario") for p in self.scenarios.values()]
            rows += [self._plan_row(self.saved[n], "saved") for n in sorted(self.saved)]
        return rows

    def _plan_row(self, plan: Plan, kind: str) -> dict[str, Any]:
        return {"name": plan.name, "kind": kind, "regions": plan.k, "notes": plan.notes,
                "title": str(plan.meta.get("title", plan.name)),
                "reference": plan.name == self.reference, "complete": plan.is_complete}

    def _check_new_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise InputDataError("a plan needs a name", hint="type a name", key="web.plan_needs_name",
                                 hint_key="web.type_name")
        if name in (".", ".."):
            raise InputDataError(f"a plan cannot be called {name!r}", hint="choose another name",
                                 key="web.plan_name_reserved", args={"name": name},
                                 hint_key="web.choose_another_name")
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise InputDataError(f"the plan name {name!r} holds control characters (line breaks, tabs, NUL)",
                                 hint="type the name on one line, with letters, digits and punctuation",
                                 key="web.plan_name_control", args={"name": name},
                                 hint_key="web.one_line_name")
        if name in self.scenarios:
            raise InputDataError(f"{name!r} is a built-in scenario and cannot be overwritten",
                                 hint="choose another name", key="web.plan_is_scenario",
                                 args={"name": name}, hint_key="web.choose_another_name")
        return name

    def save_draft(self, name: str, *, overwrite: bool = True, session: str = "",
                   expect: int | None = None) -> Plan:
        """Save the draft under ``name`` (replacing a saved plan of that name when ``overwrite``).

        A draft opened from a scenario keeps neither the scenario's title nor its notes unless they
        were edited: the saved plan is titled by its name and notes where it comes from.
        """
        with self._lock:
            d = self._editable(session, expect)
            name = self._check_new_name(name)
            if name in self.saved and not overwrite:
                raise InputDataError(f"a saved plan is already called {name!r}",
                                     hint="choose another name or overwrite it", key="web.plan_exists",
                                     args={"name": name}, hint_key="web.choose_or_overwrite")
            plan = d.plan
            src = self.scenarios.get(d.base)
            if src is not None and name != d.base:
                meta = dict(plan.meta)
                if str(meta.get("title", "")) in ("", str(src.meta.get("title", "")), src.name):
                    meta["title"] = name
                meta.setdefault("derived_from", d.base)
                notes = plan.notes
                if notes == src.notes:
                    notes = f"Derived from the scenario {d.base!r}."
                plan = Plan(plan.assignment, plan.regions, plan.territory_hash, name=plan.name,
                            notes=notes, meta=meta, control=plan.control,
                            control_labels=plan.control_labels)
            elif str(plan.meta.get("title", "")) in ("", plan.name) and name != plan.name:
                plan = _with_meta(plan, title=name)
            plan = plan.renamed(name)
            self._write_saved(plan)
            self.saved[name] = plan
            d.plan = plan
            d.base = name
            d.dirty = False
            self._changed(session, d)
            return plan

    def add_plan(self, plan: Plan, *, open_it: bool = True, session: str = "") -> Plan:
        """Add an imported plan to the saved plans (renamed if the name is taken)."""
        with self._lock:
            plan.check_territory(self.territory)
            base = plan.name.strip() or "imported plan"
            name, i = base, 2
            while name in self.saved or name in self.scenarios:
                name, i = f"{base} ({i})", i + 1
            plan = plan.renamed(name)
            self._write_saved(plan)
            self.saved[name] = plan
            if open_it:
                self.open(name, session=session)
            return plan

    def duplicate(self, name: str, new_name: str) -> Plan:
        """Copy a scenario or saved plan into a new saved plan."""
        with self._lock:
            src = self.plan(name)
            new_name = self._check_new_name(new_name)
            if new_name in self.saved:
                raise InputDataError(f"a saved plan is already called {new_name!r}",
                                     hint="choose another name", key="web.plan_exists",
                                     args={"name": new_name}, hint_key="web.choose_another_name")
            plan = src.renamed(new_name)
            self._write_saved(plan)
            self.saved[new_name] = plan
            return plan

    def rename(self, name: str, new_name: str) -> Plan:
        """Rename a saved plan (scenarios cannot be renamed)."""
        with self._lock:
            if name not in self.saved:
                raise InputDataError(f"{name!r} is not a saved plan",
                                     hint="built-in scenarios cannot be renamed; duplicate one first",
                                     key="web.not_saved", args={"name": name},
                                     hint_key="web.rename_scenario")
            new_name = self._check_new_name(new_name)
            if new_name in self.saved and new_name != name:
                raise InputDataError(f"a saved plan is already called {new_name!r}",
                                     hint="choose another name", key="web.plan_exists",
                                     args={"name": new_name}, hint_key="web.choose_another_name")
            plan = self.saved[name].renamed(new_name)
            self._write_saved(plan)  # the new file first: a failed write loses nothing
            self._remove_saved_file(name)
            del self.saved[name]
            self.saved[new_name] = plan
            if self.reference == name:
                self.reference = new_name
            self.store.rename_base(name, new_name)
            for session, d in self._drafts.items():
                if d.base == name:
                    d.base = new_name
                    d.plan = d.plan.renamed(new_name)
                    self._changed(session, d)
            return plan

    def delete(self, name: str) -> None:
        """Delete a saved plan."""
        with self._lock:
            if name not in self.saved:
                raise InputDataError(f"{name!r} is not a saved plan", hint="only saved plans can be deleted",
                                     key="web.not_saved", args={"name": name},
                                     hint_key="web.delete_saved_only")
            if self.reference == name:
                raise InputDataError(f"{name!r} is the reference plan", hint="choose another reference first",
                                     key="web.is_reference", args={"name": name},
                                     hint_key="web.change_reference")
            del self.saved[name]
            self._remove_saved_file(name)

    def warm(self) -> None:
        """Do once what the first requests would otherwise wait for: the compiled kernels are
        loaded (or compiled) and the plans' evaluations computed and kept.

        The server calls it before it announces its address (``dayafter serve``, and the app's
        start-up), so the first stroke is answered as fast as the others. Problems are left to the
        requests that meet them (one warning here).
        """
        try:
            plans = [self.draft.plan, *self.scenarios.values(), *self.saved.values()]
            for plan in plans[:1 + self.EVALUATIONS_KEPT // 2]:
                self.evaluation_json(plan)
            # a stroke: the metrics of a changed plan, and the pieces of its regions
            p = plans[0]
            if p.n_units:
                moved = p.with_moves([0], (int(p.assignment[0]) + 1) % p.k if p.k > 1 else UNASSIGNED)
                self.territory.graph.components(moved.assignment)
                self._evaluation_entry(moved)
        except DayafterError as exc:
            warnings.warn(f"the workbench could not prepare its first evaluations: {exc.one_line()}",
                          DataQualityWarning, stacklevel=2)

    # ------------------------------------------------------------------ drafts
    @property
    def draft(self) -> Draft:
        """The draft of the session without a name (clients that do not ask for a session)."""
        return self.draft_of("")

    def draft_of(self, session: str = "") -> Draft:
        """A session's draft: as kept in memory, else as last written to the drafts file, else a
        copy of the first plan (a new session)."""
        with self._lock:
            d = self._drafts.get(session)
            if d is not None:
                return d
            try:
                d = self.store.load(session)
            except InputDataError as exc:  # a damaged row: start this session afresh
                warnings.warn(f"draft of a session not restored: {exc.one_line()}", DataQualityWarning,
                              stacklevel=2)
                d = None
            if d is None:
                d = Draft(self._first, base=self._first.name)
                self.store.save(session, d)
            self._drafts[session] = d
            return d

    def draft_version(self, session: str = "") -> tuple[int, str]:
        """``(version, tab that made the last change)`` of a session's draft (a cheap read)."""
        d = self._drafts.get(session)
        if d is None:
            d = self.draft_of(session)
        return d.version, d.tab

    def _editable(self, session: str, expect: int | None) -> Draft:
        """The session's draft, after checking that the client edits the version it shows."""
        d = self.draft_of(session)
        if expect is not None and int(expect) != d.version:
            raise StaleDraft(
                f"this tab shows version {expect} of the draft {d.plan.name or '(unnamed)'!r}, which is "
                f"now at version {d.version}: it was changed in another tab or window",
                hint="the tab now shows the current draft; make the edit again",
                key="web.stale_draft" if d.plan.name else "web.stale_draft_unnamed",
                args={"expect": expect, "plan": d.plan.name, "version": d.version},
                hint_key="web.stale_draft_hint")
        return d

    def share_snapshot(self, session: str = "") -> str:
        """Copy a session's draft as it is now into a new session of its own (no undo history)
        and return that session's id: what a read-only share link shows (see
        :mod:`dayafter.web.share`). Later edits of the session do not change the copy."""
        import secrets

        with self._lock:
            src = self.draft_of(session)
            sid = secrets.token_hex(16)
            d = Draft(src.plan, base=src.base, dirty=src.dirty, version=0)
            self._drafts[sid] = d
            self.store.save(sid, d)
            return sid

    def _changed(self, session: str, d: Draft) -> None:
        """A new version of the draft: remember who made it and write it down."""
        d.version += 1
        d.tab = current_tab.get()
        self.store.save(session, d)

    def _replace(self, session: str, plan: Plan, base: str, dirty: bool) -> Plan:
        """Start the session's draft afresh from ``plan`` (undo, redo and locks cleared); the
        version keeps growing, so a tab that showed the old draft cannot edit the new one."""
        old = self.draft_of(session)
        d = Draft(plan, base=base, dirty=dirty, version=old.version)
        with self.store.transaction():
            self.store.clear(session)
            self._drafts[session] = d
            self._changed(session, d)
        return plan

    def open(self, name: str, *, session: str = "", expect: int | None = None) -> Plan:
        """Start editing a copy of a plan (clears undo and redo)."""
        with self._lock:
            self._editable(session, expect)
            plan = self.plan(name)
            return self._replace(session, plan, name, False)

    def new_plan(self, regions: Sequence[Region] | None = None, name: str = "new plan", *,
                 session: str = "", expect: int | None = None) -> Plan:
        """Start a draft with every unit unassigned."""
        with self._lock:
            self._editable(session, expect)
            regs = tuple(regions) if regions else (Region("Region 1"),)
            plan = Plan(np.full(self.territory.n_units, UNASSIGNED, dtype=np.int32), regs,
                        self.territory.content_hash, name=name)
            return self._replace(session, plan, "", True)

    def _commit(self, session: str, d: Draft, plan: Plan) -> None:
        with self.store.transaction():
            d.undo.append(pack(d.plan, d.undo))
            self.store.push(session, "undo", len(d.undo) - 1, d.undo[-1])
            if d.redo:
                d.redo.clear()
                self.store.clear(session, "redo")
            d.plan = plan
            d.dirty = True
            self._changed(session, d)

    def paint(self, units: NDArray[np.int64] | Sequence[int], region: int, *, session: str = "",
              expect: int | None = None) -> dict[str, Any]:
        """Move units to ``region`` (``-1`` erases); units of locked regions stay where they are.

        Returns the indices that changed and how many were skipped because of a lock. A stroke
        that changes nothing is not put on the undo stack.
        """
        with self._lock:
            d = self._editable(session, expect)
            plan = d.plan
            idx = np.unique(np.asarray(units, dtype=np.int64))
            if idx.size and (idx[0] < 0 or idx[-1] >= plan.n_units):
                raise InputDataError(f"unit index out of range 0..{plan.n_units - 1}",
                                     hint="reload the page: the territory may have changed",
                                     key="web.unit_out_of_range", args={"last": plan.n_units - 1},
                                     hint_key="web.reload_territory")
            if not UNASSIGNED <= region < plan.k:
                raise InputDataError(f"region {region} does not exist (the plan has {plan.k})",
                                     hint="add the region first", key="web.no_region",
                                     args={"region": region, "k": plan.k}, hint_key="web.add_region_first")
            if region in d.locked:
                raise InputDataError(f"region {plan.regions[region].name!r} is locked",
                                     hint="unlock it to paint into it", key="web.region_locked",
                                     args={"region": plan.regions[region].name},
                                     hint_key="web.unlock_region")
            current = plan.assignment[idx]
            locked = np.isin(current, np.fromiter(d.locked, dtype=np.int64, count=len(d.locked)))
            move = idx[(~locked) & (current != region)]
            if move.size:
                self._commit(session, d, plan.with_moves(move, region))
            return {"changed": move.tolist(), "region": int(region), "skipped_locked": int(locked.sum())}

    def admin_units(self, level: str, code: str) -> NDArray[np.int64]:
        """Indices of the units of one existing admin unit (e.g. a district)."""
        t = self.territory
        if level not in t.admin:
            raise InputDataError(f"unknown admin level {level!r}", hint=f"use one of {sorted(t.admin)}",
                                 key="web.unknown_admin_level", args={"level": level},
                                 hint_key="web.use_one_of", hint_args={"options": sorted(t.admin)})
        sel = np.flatnonzero(t.admin[level].astype(str) == str(code))
        if sel.size == 0:
            raise InputDataError(f"no {level} with code {code!r}", hint="pick a unit on the map",
                                 key="web.no_admin_unit", args={"level": level, "code": str(code)},
                                 hint_key="web.pick_unit")
        return sel

    def undo(self, *, session: str = "", expect: int | None = None) -> bool:
        """Undo the last edit; False when there is nothing to undo."""
        with self._lock:
            d = self._editable(session, expect)
            if not d.undo:
                return False
            with self.store.transaction():
                d.redo.append(pack(d.plan, d.redo))
                self.store.push(session, "redo", len(d.redo) - 1, d.redo[-1])
                d.plan = unpack(d.undo.pop())
                self.store.pop(session, "undo", len(d.undo))
                d.dirty = True
                self._changed(session, d)
            return True

    def redo(self, *, session: str = "", expect: int | None = None) -> bool:
        """Redo the last undone edit; False when there is nothing to redo."""
        with self._lock:
            d = self._editable(session, expect)
            if not d.redo:
                return False
            with self.store.transaction():
                d.undo.append(pack(d.plan, d.undo))
                self.store.push(session, "undo", len(d.undo) - 1, d.undo[-1])
                d.plan = unpack(d.redo.pop())
                self.store.pop(session, "redo", len(d.redo))
                d.dirty = True
                self._changed(session, d)
            return True

    def apply_plan(self, plan: Plan, *, session: str = "", expect: int | None = None) -> None:
        """Make ``plan`` (built from the draft, e.g. by a settlement) the draft, as one undoable edit."""
        with self._lock:
            d = self._editable(session, expect)
            plan.check_territory(self.territory)
            self._commit(session, d, plan.renamed(d.plan.name))

    def add_region(self, name: str, authority: str = "", status: str = "", *, session: str = "",
                   expect: int | None = None) -> int:
        """Add an empty region to the draft; returns its index."""
        with self._lock:
            d = self._editable(session, expect)
            name = name.strip()
            if not name:
                raise InputDataError("a region needs a name", hint="type a name", key="web.region_needs_name",
                                     hint_key="web.type_name")
            if name in d.plan.region_names:
                raise InputDataError(f"the plan already has a region called {name!r}",
                                     hint="choose another name", key="web.region_exists",
                                     args={"name": name}, hint_key="web.choose_another_name")
            self._commit(session, d, d.plan.add_region(Region(name, authority, status)))
            return d.plan.k - 1

    def _region(self, d: Draft, index: int) -> None:
        if not 0 <= index < d.plan.k:
            raise InputDataError(f"region {index} does not exist (the plan has {d.plan.k})",
                                 hint="reload the page: the draft may have changed", key="web.no_region",
                                 args={"region": index, "k": d.plan.k}, hint_key="web.reload_draft")

    def edit_region(self, index: int, *, session: str = "", expect: int | None = None,
                    **changes: str) -> Region:
        """Change a region's name, authority or status (and its colour, ``color="#rrggbb"`` or
        ``""`` for the palette's)."""
        with self._lock:
            d = self._editable(session, expect)
            plan = d.plan
            self._region(d, index)
            unknown = set(changes) - {"name", "authority", "status", "color"}
            if unknown:
                raise InputDataError(f"unknown region fields {sorted(unknown)}",
                                     hint="regions have name, authority, status and color",
                                     key="web.unknown_region_fields", args={"fields": sorted(unknown)},
                                     hint_key="web.region_fields")
            clean = {k: str(v).strip() for k, v in changes.items() if v is not None}
            color = clean.pop("color", None)
            if "name" in clean:
                if not clean["name"]:
                    raise InputDataError("a region needs a name", hint="type a name",
                                         key="web.region_needs_name", hint_key="web.type_name")
                if clean["name"] in plan.region_names and plan.region_names.index(clean["name"]) != index:
                    raise InputDataError(f"the plan already has a region called {clean['name']!r}",
                                         hint="choose another name", key="web.region_exists",
                                         args={"name": clean["name"]}, hint_key="web.choose_another_name")
            old_name = plan.regions[index].name
            new = plan.with_region(index, **clean)
            colors = dict(_colors(plan))
            if "name" in clean and old_name in colors and clean["name"] != old_name:
                colors[clean["name"]] = colors.pop(old_name)
            if color is not None:
                if color and not _COLOR.match(color):
                    raise InputDataError(f"colour {color!r} is not #rrggbb", hint="pick a colour",
                                         key="web.bad_colour", args={"color": color},
                                         hint_key="web.pick_colour")
                colors.pop(new.regions[index].name, None)
                if color:
                    colors[new.regions[index].name] = color.lower()
            if colors != dict(_colors(plan)):
                new = _with_meta(new, colors=colors or None)
            if new.regions != plan.regions or dict(new.meta) != dict(plan.meta):
                self._commit(session, d, new)
            return d.plan.regions[index]

    def remove_region(self, index: int, *, session: str = "", expect: int | None = None) -> None:
        """Delete a region of the draft: its units become unassigned and the regions after it move
        up by one (an undoable edit). The last region cannot be deleted."""
        with self._lock:
            d = self._editable(session, expect)
            plan = d.plan
            self._region(d, index)
            if plan.k == 1:
                raise InputDataError("a plan keeps at least one region",
                                     hint="add another region before deleting this one",
                                     key="web.last_region", hint_key="web.add_region_before_delete")
            a = plan.assignment.astype(np.int64)
            a = np.where(a == index, UNASSIGNED, np.where(a > index, a - 1, a))
            regions = tuple(r for j, r in enumerate(plan.regions) if j != index)
            colors = {k: v for k, v in _colors(plan).items() if k != plan.regions[index].name}
            meta = dict(plan.meta)
            if colors:
                meta["colors"] = colors
            else:
                meta.pop("colors", None)
            new = Plan(a.astype(np.int32), regions, plan.territory_hash, name=plan.name, notes=plan.notes,
                       meta=meta, control=plan.control, control_labels=plan.control_labels)
            d.locked = {j - (j > index) for j in d.locked if j != index}
            self._commit(session, d, new)

    def edit_details(self, *, session: str = "", expect: int | None = None, title: str | None = None,
                     notes: str | None = None, purpose: str | None = None) -> Plan:
        """Change the draft's title, notes or purpose (see :data:`PURPOSES`), as an undoable edit."""
        with self._lock:
            d = self._editable(session, expect)
            plan = d.plan
            if purpose is not None and purpose not in PURPOSES:
                raise InputDataError(f"unknown plan purpose {purpose!r}", hint=f"use one of {list(PURPOSES)}",
                                     key="web.unknown_purpose", args={"purpose": purpose},
                                     hint_key="web.use_one_of", hint_args={"options": list(PURPOSES)})
            changes: dict[str, Any] = {}
            if title is not None:
                changes["title"] = title.strip() or None
            if purpose is not None:
                changes["purpose"] = purpose
            new = _with_meta(plan, **changes) if changes else plan
            if notes is not None and notes != plan.notes:
                new = new.renamed(new.name, notes=notes)
            if new != plan:
                self._commit(session, d, new)
            return d.plan

    def set_lock(self, index: int, locked: bool, *, session: str = "", expect: int | None = None) -> None:
        """Lock or unlock a region of the draft (locks are not part of undo)."""
        with self._lock:
            d = self._editable(session, expect)
            self._region(d, index)
            before = set(d.locked)
            if locked:
                d.locked.add(index)
            else:
                d.locked.discard(index)
            if d.locked != before:
                self._changed(session, d)

    def draft_snapshot(self, *, assignment: bool = True, session: str = "") -> tuple[dict[str, Any], Plan]:
        """:meth:`draft_state` and the draft plan it describes, read together (another request may
        paint in between two separate reads)."""
        with self._lock:
            return self.draft_state(assignment=assignment, session=session), self.draft_of(session).plan

    def draft_snapshot_json(self, *, assignment: bool = True, session: str = "") -> tuple[bytes, Plan]:
        """:meth:`draft_snapshot` with the state as JSON (the same fields): the plan's part is
        encoded once per plan and kept with it (the notes, the regions), the draft's part (version,
        undo depth...) each time."""
        from dayafter._util import json_bytes

        with self._lock:
            d = self.draft_of(session)
            part = self._plan_state(d.plan)
            key = "_json_assignment" if assignment else "_json"
            frag = part.get(key)
            if frag is None:
                # a stroke changes neither the notes nor the regions: their JSON is shared by the
                # plans that have the same (compared by value, meta by its repr)
                p = d.plan
                static_key = (p.name, p.notes, p.regions, repr(dict(p.meta)))
                if self._static_json is None or self._static_json[0] != static_key:
                    fields = {k: part[k] for k in ("name", "title", "notes", "purpose", "regions", "colors")}
                    self._static_json = (static_key, json_bytes(fields)[1:-1])
                fields = {"control_summary": part["control_summary"]}
                if assignment:
                    self._add_assignment(part, d.plan)
                    fields["assignment"], fields["control"] = part["assignment"], part["control"]
                frag = part[key] = self._static_json[1] + b"," + json_bytes(fields)[1:-1]
            own = json_bytes({"base": d.base, "dirty": d.dirty, "version": d.version, "locked": sorted(d.locked),
                              "undo": len(d.undo), "redo": len(d.redo)})
            return b"{" + frag + b"," + own[1:], d.plan

    @staticmethod
    def _add_assignment(part: dict[str, Any], plan: Plan) -> None:
        if "assignment" not in part:
            part["assignment"] = plan.assignment.tolist()
            part["control"] = plan.control_of_units().tolist()

    def draft_state(self, *, assignment: bool = True, session: str = "") -> dict[str, Any]:
        """The draft as JSON: version, regions (with their colours), title, notes, purpose, locks,
        undo/redo depth, and (optionally) the assignment and control of every unit."""
        with self._lock:
            d = self.draft_of(session)
            part = self._plan_state(d.plan)
            out: dict[str, Any] = {
                "name": part["name"], "base": d.base, "dirty": d.dirty, "version": d.version,
                "title": part["title"], "notes": part["notes"], "purpose": part["purpose"],
                "regions": part["regions"], "colors": part["colors"],
                "locked": sorted(d.locked), "undo": len(d.undo), "redo": len(d.redo),
                "control_summary": part["control_summary"],
            }
            if assignment:
                self._add_assignment(part, d.plan)
                out["assignment"] = part["assignment"]
                out["control"] = part["control"]
            return out

    PLAN_STATES_KEPT = 8

    def _plan_state(self, p: Plan) -> dict[str, Any]:
        """What :meth:`draft_state` says of the plan itself (not of the draft: version, undo...),
        kept for the last :attr:`PLAN_STATES_KEPT` plan objects: plans are immutable, and every
        answer about the draft repeats it (the control summary walks every unit). Shared: read
        it, do not change it."""
        hit = self._plan_states.get(id(p))
        if hit is not None and hit[0] is p:
            return hit[1]
        colors = _colors(p)
        part: dict[str, Any] = {
            "name": p.name, "title": str(p.meta.get("title") or ""), "notes": p.notes,
            "purpose": self.purpose(p), "regions": [r.to_dict() for r in p.regions],
            "colors": [colors.get(r.name) for r in p.regions], "control_summary": p.control_summary()}
        # the entry holds the plan, so its id() is not reused while the entry lives
        self._plan_states[id(p)] = (p, part)
        while len(self._plan_states) > self.PLAN_STATES_KEPT:
            self._plan_states.popitem(last=False)
        return part

    def purpose(self, plan: Plan) -> str:
        """What a plan's regions are for (:data:`PURPOSES`): the plan's own ``meta["purpose"]``,
        else ``polities`` when its regions carry an authority (provinces, regions), else
        ``districts``."""
        stated = str(plan.meta.get("purpose") or "")
        if stated in PURPOSES:
            return stated
        return "polities" if any(r.authority for r in plan.regions) else "districts"

    # ------------------------------------------------------------------ metrics
    def evaluation(self, plan: Plan | None = None) -> dict[str, Any]:
        """Every metric of a plan (the draft by default), criteria and contiguity problems.

        Plans are immutable, so the result is kept for the last :attr:`EVALUATIONS_KEPT` plan objects
        evaluated (with the reference plan they were measured from): asking again for a scenario's
        metrics, or for the draft's after the stroke that made it, costs a look-up. The returned
        dict is shared: read it, do not change it.
        """
        entry = self._evaluation_entry(plan)
        out = entry[2]
        if out is None:  # only its JSON was kept
            import json

            out = json.loads(entry[3])
        return out

    def evaluation_json(self, plan: Plan | None = None) -> bytes:
        """:meth:`evaluation` as compact JSON (UTF-8; NaN and infinities as ``null``), kept too.

        Once encoded, only the JSON is kept: one bytes object, which the garbage collector does
        not walk, where the dict is thousands of objects (under load, the full collections that
        walked those kept dicts stalled every request for tens of milliseconds).
        """
        entry = self._evaluation_entry(plan)
        if entry[3] is None:
            from dayafter._util import json_bytes

            entry[3] = json_bytes(entry[2])
            entry[2] = None
        return entry[3]

    def cached_evaluation_json(self, plan: Plan) -> bytes | None:
        """:meth:`evaluation_json` when it is at hand (no computing), else ``None``."""
        with self._lock:
            hit = self._evaluations.get(id(plan))
            if hit is None or hit[0] is not plan or hit[1] is not self.reference_plan() or hit[3] is None:
                return None
            self._evaluations.move_to_end(id(plan))
            return hit[3]

    def _evaluation_entry(self, plan: Plan | None) -> list[Any]:
        """``[plan, reference, evaluation, json or None]`` from the cache, or computed and kept."""
        with self._lock:
            plan = self.draft_of("").plan if plan is None else plan
            ref = self.reference_plan()
            hit = self._evaluations.get(id(plan))
            if hit is not None and hit[0] is plan and hit[1] is ref:
                self._evaluations.move_to_end(id(plan))
                return hit
        ev = evaluate(self.territory, plan, reference=ref if ref is not None and ref is not plan else None)
        out = ev.to_dict()
        out["criteria"] = [r.to_dict() for r in check_criteria(ev, self.criteria)] if self.criteria else []
        out["contiguity"] = self.contiguity_problems(plan, ev.geometry.pieces)
        entry: list[Any] = [plan, ref, out, None]
        with self._lock:
            # the entry holds the plan itself, so its id() cannot be reused while the entry lives
            self._evaluations[id(plan)] = entry
            self._evaluations.move_to_end(id(plan))
            while len(self._evaluations) > self.EVALUATIONS_KEPT:
                self._evaluations.popitem(last=False)
        return entry

    def contiguity_problems(self, plan: Plan, pieces: NDArray[np.int64]) -> list[dict[str, Any]]:
        """For each region in several pieces: the units of every piece but the largest."""
        bad = np.flatnonzero(np.asarray(pieces) > 1)
        if bad.size == 0:
            return []
        a = plan.assignment
        comp = self.territory.graph.components(a)
        out = []
        for j in bad.tolist():
            members = np.flatnonzero(a == j)
            labels, counts = np.unique(comp[members], return_counts=True)
            main = labels[np.argmax(counts)]
            detached = [members[comp[members] == lab].tolist() for lab in labels if lab != main]
            out.append({"region": plan.regions[j].name, "index": j, "pieces": int(labels.size),
                        "detached": detached})
        return out


def _colors(plan: Plan) -> dict[str, str]:
    """Region colours a plan states (``meta["colors"]``: region name to ``#rrggbb``)."""
    raw = plan.meta.get("colors")
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(v, str) and _COLOR.match(v)}


def _with_meta(plan: Plan, **changes: Any) -> Plan:
    """``plan`` with ``meta`` keys set (``None`` removes a key)."""
    meta = dict(plan.meta)
    for k, v in changes.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    return Plan(plan.assignment, plan.regions, plan.territory_hash, name=plan.name, notes=plan.notes,
                meta=meta, control=plan.control, control_labels=plan.control_labels)
