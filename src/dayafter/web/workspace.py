"""The state behind the web workbench: one territory, its plans, and the plan being painted.

A :class:`Workspace` holds the scenario plans (read-only), the user's saved plans (kept as dayafter
JSON files in a plan folder), and a *draft*: the plan being edited, with unbounded undo and redo
stacks of whole plans (a plan is an immutable ``int32`` array plus region rows, so a stack entry
costs ``4 n`` bytes; the stacks keep a plan's parts, see ``_pack``). Every method is thread-safe
(one lock), because FastAPI runs plain endpoints in a thread pool.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import Criterion, check_criteria
from dayafter.errors import ConfigError, DataQualityWarning, InputDataError
from dayafter.metrics import evaluate
from dayafter.plan import UNASSIGNED, Plan, Region
from dayafter.territory import Territory

if TYPE_CHECKING:
    from dayafter.project import Project

__all__ = ["Workspace"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(name: str) -> str:
    """``name`` reduced to a file stem of ASCII letters, digits, ``.``, ``_`` and ``-`` that neither
    starts nor ends with ``.`` or ``-`` (so never ``..``, never a path): ``"plan"`` when nothing is left."""
    stem = _SAFE_NAME.sub("-", name).strip("-.")
    return stem or "plan"


# An undo or redo entry: a plan's parts (assignment, regions, name, notes, meta, territory hash). A
# stack entry is one tuple, and consecutive entries share their regions and meta objects when they
# are equal (a stroke changes neither): the stacks grow by one object per edit, not by the handful a
# Plan is, so a long session does not slow every garbage collection down (see bench/load.py).
_Snap = tuple[Any, ...]


def _pack(plan: Plan, stack: list[_Snap]) -> _Snap:
    regions, meta = plan.regions, plan.meta
    if stack:
        top = stack[-1]
        regions = top[1] if top[1] == regions else regions
        meta = top[4] if top[4] == meta else meta
    return (plan.assignment, regions, plan.name, plan.notes, meta, plan.territory_hash, plan.control,
            plan.control_labels)


def _unpack(snap: _Snap) -> Plan:
    assignment, regions, name, notes, meta, territory_hash, control, control_labels = snap
    return Plan(assignment, regions, territory_hash, name=name, notes=notes, meta=meta,
                control=control, control_labels=control_labels)


@dataclass
class _Draft:
    plan: Plan
    base: str
    undo: list[_Snap] = field(default_factory=list)
    redo: list[_Snap] = field(default_factory=list)
    locked: set[int] = field(default_factory=set)
    dirty: bool = False


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
    """

    EVALUATIONS_KEPT = 64
    """How many plan evaluations :meth:`evaluation` keeps (the undo stack's recent states, scenarios)."""

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
        self.saved: dict[str, Plan] = self._load_saved()
        if reference is not None and reference not in self.scenarios and reference not in self.saved:
            raise ConfigError(f"reference plan {reference!r} is not among the plans",
                              hint=f"use one of {sorted(self.scenarios) + sorted(self.saved)}")
        self.reference = reference
        first = next(iter(self.scenarios.values()), None) or next(iter(self.saved.values()), None)
        if first is None:
            first = Plan(np.full(territory.n_units, UNASSIGNED, dtype=np.int32),
                         (Region("Region 1"),), territory.content_hash, name="new plan")
        self.draft = _Draft(first, base=first.name)

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
        return cls(
            project.territory, scenarios=project.plans, reference=project.reference,
            criteria=project.criteria, plans_dir=plans_dir, title=project.title,
            community_labels=project.community_labels, provenance=project.provenance,
            sources_md=project.sources_md, council_rules=project.council_rules,
            force_catalog=project.force_catalog, parties_spec=project.parties_spec)

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
        raise InputDataError(f"no plan called {name!r}",
                             hint=f"use one of {sorted(self.scenarios) + sorted(self.saved)}")

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
            raise InputDataError("a plan needs a name", hint="type a name")
        if name in (".", ".."):
            raise InputDataError(f"a plan cannot be called {name!r}", hint="choose another name")
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise InputDataError(f"the plan name {name!r} holds control characters (line breaks, tabs, NUL)",
                                 hint="type the name on one line, with letters, digits and punctuation")
        if name in self.scenarios:
            raise InputDataError(f"{name!r} is a built-in scenario and cannot be overwritten",
                                 hint="choose another name")
        return name

    def save_draft(self, name: str, *, overwrite: bool = True) -> Plan:
        """Save the draft under ``name`` (replacing a saved plan of that name when ``overwrite``)."""
        with self._lock:
            name = self._check_new_name(name)
            if name in self.saved and not overwrite:
                raise InputDataError(f"a saved plan is already called {name!r}",
                                     hint="choose another name or overwrite it")
            plan = self.draft.plan.renamed(name)
            self._write_saved(plan)
            self.saved[name] = plan
            self.draft.plan = plan
            self.draft.base = name
            self.draft.dirty = False
            return plan

    def add_plan(self, plan: Plan, *, open_it: bool = True) -> Plan:
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
                self.open(name)
            return plan

    def duplicate(self, name: str, new_name: str) -> Plan:
        """Copy a scenario or saved plan into a new saved plan."""
        with self._lock:
            src = self.plan(name)
            new_name = self._check_new_name(new_name)
            if new_name in self.saved:
                raise InputDataError(f"a saved plan is already called {new_name!r}",
                                     hint="choose another name")
            plan = src.renamed(new_name)
            self._write_saved(plan)
            self.saved[new_name] = plan
            return plan

    def rename(self, name: str, new_name: str) -> Plan:
        """Rename a saved plan (scenarios cannot be renamed)."""
        with self._lock:
            if name not in self.saved:
                raise InputDataError(f"{name!r} is not a saved plan",
                                     hint="built-in scenarios cannot be renamed; duplicate one first")
            new_name = self._check_new_name(new_name)
            if new_name in self.saved and new_name != name:
                raise InputDataError(f"a saved plan is already called {new_name!r}",
                                     hint="choose another name")
            plan = self.saved[name].renamed(new_name)
            self._write_saved(plan)  # the new file first: a failed write loses nothing
            self._remove_saved_file(name)
            del self.saved[name]
            self.saved[new_name] = plan
            if self.reference == name:
                self.reference = new_name
            if self.draft.base == name:
                self.draft.base = new_name
                self.draft.plan = self.draft.plan.renamed(new_name)
            return plan

    def delete(self, name: str) -> None:
        """Delete a saved plan."""
        with self._lock:
            if name not in self.saved:
                raise InputDataError(f"{name!r} is not a saved plan", hint="only saved plans can be deleted")
            if self.reference == name:
                raise InputDataError(f"{name!r} is the reference plan", hint="choose another reference first")
            del self.saved[name]
            self._remove_saved_file(name)

    # ------------------------------------------------------------------ draft editing
    def open(self, name: str) -> Plan:
        """Start editing a copy of a plan (clears undo and redo)."""
        with self._lock:
            plan = self.plan(name)
            self.draft = _Draft(plan, base=name)
            return plan

    def new_plan(self, regions: Sequence[Region] | None = None, name: str = "new plan") -> Plan:
        """Start a draft with every unit unassigned."""
        with self._lock:
            regs = tuple(regions) if regions else (Region("Region 1"),)
            plan = Plan(np.full(self.territory.n_units, UNASSIGNED, dtype=np.int32), regs,
                        self.territory.content_hash, name=name)
            self.draft = _Draft(plan, base="", dirty=True)
            return plan

    def _commit(self, plan: Plan) -> None:
        self.draft.undo.append(_pack(self.draft.plan, self.draft.undo))
        self.draft.redo.clear()
        self.draft.plan = plan
        self.draft.dirty = True

    def paint(self, units: NDArray[np.int64] | Sequence[int], region: int) -> dict[str, Any]:
        """Move units to ``region`` (``-1`` erases); units of locked regions stay where they are.

        Returns the indices that changed and how many were skipped because of a lock. A stroke
        that changes nothing is not put on the undo stack.
        """
        with self._lock:
            plan = self.draft.plan
            idx = np.unique(np.asarray(units, dtype=np.int64))
            if idx.size and (idx[0] < 0 or idx[-1] >= plan.n_units):
                raise InputDataError(f"unit index out of range 0..{plan.n_units - 1}",
                                     hint="reload the page: the territory may have changed")
            if not UNASSIGNED <= region < plan.k:
                raise InputDataError(f"region {region} does not exist (the plan has {plan.k})",
                                     hint="add the region first")
            if region in self.draft.locked:
                raise InputDataError(f"region {plan.regions[region].name!r} is locked",
                                     hint="unlock it to paint into it")
            current = plan.assignment[idx]
            locked = np.isin(current, np.fromiter(self.draft.locked, dtype=np.int64,
                                                  count=len(self.draft.locked)))
            move = idx[(~locked) & (current != region)]
            if move.size:
                self._commit(plan.with_moves(move, region))
            return {"changed": move.tolist(), "region": int(region), "skipped_locked": int(locked.sum())}

    def admin_units(self, level: str, code: str) -> NDArray[np.int64]:
        """Indices of the units of one existing admin unit (e.g. a district)."""
        t = self.territory
        if level not in t.admin:
            raise InputDataError(f"unknown admin level {level!r}", hint=f"use one of {sorted(t.admin)}")
        sel = np.flatnonzero(t.admin[level].astype(str) == str(code))
        if sel.size == 0:
            raise InputDataError(f"no {level} with code {code!r}", hint="pick a unit on the map")
        return sel

    def undo(self) -> bool:
        """Undo the last edit; False when there is nothing to undo."""
        with self._lock:
            if not self.draft.undo:
                return False
            self.draft.redo.append(_pack(self.draft.plan, self.draft.redo))
            self.draft.plan = _unpack(self.draft.undo.pop())
            self.draft.dirty = True
            return True

    def redo(self) -> bool:
        """Redo the last undone edit; False when there is nothing to redo."""
        with self._lock:
            if not self.draft.redo:
                return False
            self.draft.undo.append(_pack(self.draft.plan, self.draft.undo))
            self.draft.plan = _unpack(self.draft.redo.pop())
            self.draft.dirty = True
            return True

    def apply_plan(self, plan: Plan) -> None:
        """Make ``plan`` (built from the draft, e.g. by a settlement) the draft, as one undoable edit."""
        with self._lock:
            plan.check_territory(self.territory)
            self._commit(plan.renamed(self.draft.plan.name))

    def add_region(self, name: str, authority: str = "", status: str = "") -> int:
        """Add an empty region to the draft; returns its index."""
        with self._lock:
            name = name.strip()
            if not name:
                raise InputDataError("a region needs a name", hint="type a name")
            if name in self.draft.plan.region_names:
                raise InputDataError(f"the plan already has a region called {name!r}",
                                     hint="choose another name")
            self._commit(self.draft.plan.add_region(Region(name, authority, status)))
            return self.draft.plan.k - 1

    def edit_region(self, index: int, **changes: str) -> Region:
        """Change a region's name, authority or status."""
        with self._lock:
            plan = self.draft.plan
            if not 0 <= index < plan.k:
                raise InputDataError(f"region {index} does not exist", hint=f"use 0..{plan.k - 1}")
            unknown = set(changes) - {"name", "authority", "status"}
            if unknown:
                raise InputDataError(f"unknown region fields {sorted(unknown)}",
                                     hint="regions have name, authority and status")
            clean = {k: str(v).strip() for k, v in changes.items() if v is not None}
            if "name" in clean:
                if not clean["name"]:
                    raise InputDataError("a region needs a name", hint="type a name")
                if clean["name"] in plan.region_names and plan.region_names.index(clean["name"]) != index:
                    raise InputDataError(f"the plan already has a region called {clean['name']!r}",
                                         hint="choose another name")
            new = plan.with_region(index, **clean)
            if new.regions != plan.regions:
                self._commit(new)
            return self.draft.plan.regions[index]

    def set_lock(self, index: int, locked: bool) -> None:
        """Lock or unlock a region of the draft (locks are not part of undo)."""
        with self._lock:
            if not 0 <= index < self.draft.plan.k:
                raise InputDataError(f"region {index} does not exist",
                                     hint=f"use 0..{self.draft.plan.k - 1}")
            if locked:
                self.draft.locked.add(index)
            else:
                self.draft.locked.discard(index)

    def draft_snapshot(self, *, assignment: bool = True) -> tuple[dict[str, Any], Plan]:
        """:meth:`draft_state` and the draft plan it describes, read together (another request may
        paint in between two separate reads)."""
        with self._lock:
            return self.draft_state(assignment=assignment), self.draft.plan

    def draft_state(self, *, assignment: bool = True) -> dict[str, Any]:
        """The draft as JSON: regions, locks, undo/redo depth, and (optionally) the assignment."""
        with self._lock:
            d = self.draft
            out: dict[str, Any] = {
                "name": d.plan.name, "base": d.base, "dirty": d.dirty,
                "regions": [r.to_dict() for r in d.plan.regions],
                "locked": sorted(d.locked), "undo": len(d.undo), "redo": len(d.redo),
                "control_summary": d.plan.control_summary(),
            }
            if assignment:
                out["assignment"] = d.plan.assignment.tolist()
                out["control"] = d.plan.control_of_units().tolist()
            return out

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
            plan = self.draft.plan if plan is None else plan
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
