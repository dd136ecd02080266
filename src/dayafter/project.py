"""One project context: the territory, its plans, reference, criteria and engine data, loaded once.

A :class:`Project` is what the CLI, the web app and the report work on, whether it comes from a
built-in case (:meth:`Project.from_case`) or from a project GeoPackage (:meth:`Project.from_gpkg`).
Plans are named the same way everywhere (:meth:`Project.resolve_plan`: a scenario or saved plan
name, or a plan file), and the engines' data (council rules, forces, parties...) is read from the
case's data files (:meth:`Project.data_file`), never from names written into the code.

>>> from dayafter.project import Project
>>> p = Project.from_case("northern-iraq")
>>> p.resolve_plan(p.reference).name == p.reference
True
>>> p.council_rules.method
'sainte-lague'

Notes
-----
The project layer sits above the engines and below the CLI, web app and report: it imports the
engines only to read their data files, lazily, so a core-only install can open a project.
Fields that other parts of dayafter add to the territory (census ranges for uncertainty) or to
plans (the polity and control layers) travel with the :class:`~dayafter.territory.Territory` and
:class:`~dayafter.plan.Plan` objects a project holds; new engine data goes in as one more
property reading one more data file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dayafter.errors import InputDataError
from dayafter.plan import Plan
from dayafter.territory import Territory

if TYPE_CHECKING:
    import pandas as pd

    from dayafter.councils import CouncilRules
    from dayafter.criteria import Criterion
    from dayafter.security import ForceCatalog

__all__ = ["DEFAULT_CASE", "Project"]

DEFAULT_CASE = "northern-iraq"
"""The built-in case opened when neither a case nor a project file is named."""


@dataclass(frozen=True, eq=False)
class Project:
    """A territory with its plans, reference plan, criteria, labels and engine data.

    Build one with :meth:`from_case`, :meth:`from_gpkg` or :meth:`open`; the fields are read-only.

    Attributes
    ----------
    name
        The case name, or the project's territory name.
    title
        Display title.
    territory
        Units, censuses (with their ranges where stated), graph, admin levels.
    plans
        Plans by name: a case's scenarios, or the plans saved in a project GeoPackage.
    reference
        Name of the reference plan (the status quo) changes are measured from, or ``None``.
    criteria
        Default criteria (each citing its sources).
    community_labels
        Community key to display label.
    communities
        Community key to every column the data gives about it (``label_en``, ``label_ar``...).
    provenance
        One row per census figure (status, rule, sources), when the data states it.
    sources_md
        The attribution and licences of the data (Markdown).
    source
        Where it came from: ``case <name>`` or the GeoPackage's path.
    case
        The built-in case's name, or ``None`` for a project file.
    path
        The project GeoPackage, or ``None`` for a case.
    data_dir
        Folder of the engine data files (a case's package folder), or ``None``.
    """

    name: str
    title: str
    territory: Territory
    plans: Mapping[str, Plan] = field(default_factory=dict)
    reference: str | None = None
    criteria: tuple[Criterion, ...] = ()
    community_labels: Mapping[str, str] = field(default_factory=dict)
    communities: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    provenance: pd.DataFrame | None = None
    sources_md: str = ""
    source: str = ""
    case: str | None = None
    path: Path | None = None
    data_dir: Path | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_case(cls, name: str | None = None) -> Project:
        """The built-in case ``name`` (default :data:`DEFAULT_CASE`), loaded once per process.

        Raises
        ------
        InputDataError
            Unknown case name (the message lists the cases there are).
        """
        return _from_case(name or DEFAULT_CASE)

    @classmethod
    def from_gpkg(cls, path: str | Path) -> Project:
        """A project GeoPackage (territory and saved plans), read again only when the file changes.

        Raises
        ------
        InputDataError
            The file is missing or is not a dayafter project.
        """
        from dayafter._inputs import MAX_LAYER_BYTES, check_input_file

        p = Path(path)
        if not p.exists() and not p.is_symlink():
            raise InputDataError("file not found", hint="check the path", source=str(p))
        check_input_file(p, what="project", max_bytes=MAX_LAYER_BYTES, allow_empty=False)
        return _from_gpkg(str(p.resolve()), p.stat().st_mtime_ns)

    @classmethod
    def open(cls, case: str | None = None, project: str | Path | None = None) -> Project:
        """The project file when one is given, else the built-in case (the CLI's ``--case`` and
        ``--project``, the web app's settings)."""
        return cls.from_gpkg(project) if project is not None else cls.from_case(case)

    # ------------------------------------------------------------------ plans
    @property
    def reference_plan(self) -> Plan | None:
        """The reference plan, or ``None`` when the project names none."""
        return self.plans.get(self.reference) if self.reference is not None else None

    def resolve_plan(self, spec: str | Path) -> Plan:
        """A plan from a file path, or a scenario / saved plan of this project by name.

        A path that exists wins over a name (so a file called like a scenario can still be read).

        Raises
        ------
        InputDataError
            Neither a file nor a plan of the project (the hint lists the names there are).
        """
        path = Path(spec)
        if path.exists() or path.is_symlink():
            from dayafter.io.plans import read_plan

            return read_plan(path, self.territory)
        if str(spec) in self.plans:
            return self.plans[str(spec)]
        if "/" in str(spec) or path.suffix.lower() in (".json", ".csv", ".psv", ".txt", ".gpkg"):
            raise InputDataError("plan file not found",
                                 hint="check the path (or name a saved plan or scenario)", source=str(spec))
        what = f"a scenario of case {self.name!r}" if self.case else "a plan saved in the project"
        names = sorted(self.plans)
        raise InputDataError(
            f"{str(spec)!r} is neither a plan file nor {what}",
            hint=f"give a path, or one of {names}" if names else "check the path",
            source="" if self.case else str(self.path or ""))

    def community_label(self, key: str) -> str:
        """Display label of a community key (the key itself when the data gives none)."""
        return self.community_labels.get(key, key)

    # ------------------------------------------------------------------ engine data
    def data_file(self, *parts: str) -> Path | None:
        """Path of one of the project's data files (``data_file("security", "forces.json")``), or
        ``None`` when it has none there."""
        if self.data_dir is None:
            return None
        p = self.data_dir.joinpath(*parts)
        return p if p.is_file() else None

    def require_data_file(self, *parts: str, option: str) -> Path:
        """:meth:`data_file`, or an :class:`InputDataError` naming the option that gives the file."""
        p = self.data_file(*parts)
        if p is None:
            raise InputDataError(f"{self.source or self.name} ships no {'/'.join(parts)}",
                                 hint=f"pass {option} FILE")
        return p

    @functools.cached_property
    def council_rules(self) -> CouncilRules | None:
        """Council rules from ``councils/rules.json`` (sizes and quota seats from the CSV files it
        names), or ``None``."""
        path = self.data_file("councils", "rules.json")
        return None if path is None else council_rules_from_file(path)

    @functools.cached_property
    def force_catalog(self) -> ForceCatalog | None:
        """Security forces from ``security/forces.json``, or ``None``."""
        path = self.data_file("security", "forces.json")
        if path is None:
            return None
        from dayafter.security import load_force_catalog

        return load_force_catalog(path)

    @functools.cached_property
    def parties_spec(self) -> dict[str, Any] | None:
        """Parties and disputed units (``settle/parties.json``) as parsed JSON, or ``None``."""
        path = self.data_file("settle", "parties.json")
        return None if path is None else read_json(path)


def read_json(path: Path) -> Any:
    """Parsed JSON of a data file; a syntax error names the file, line and column (the file is
    checked and bounded first: see :func:`dayafter._inputs.read_json_file`)."""
    from dayafter._inputs import read_json_file

    return read_json_file(Path(path), what="data file")


def council_rules_from_file(path: Path) -> CouncilRules:
    """:class:`~dayafter.councils.CouncilRules` from a rules file.

    The keys of :meth:`CouncilRules.from_dict <dayafter.councils.CouncilRules.from_dict>`, plus
    optionally ``councils`` and ``quotas``: CSV files next to the rules file with the council size
    and quota seats of each unit of ``admin_level`` (default ``governorate``).
    """
    from dayafter.councils import CouncilRules, read_admin_councils

    spec = dict(read_json(path))
    folder = Path(path).parent
    councils, quotas = spec.pop("councils", None), spec.pop("quotas", None)
    level = spec.pop("admin_level", "governorate")
    admin = None
    if councils:
        admin = read_admin_councils(folder / councils, folder / quotas if quotas else None, level=level)
    return CouncilRules.from_dict(spec, source=str(path), admin=admin)


@functools.lru_cache(maxsize=4)
def _from_case(name: str) -> Project:
    from importlib import resources

    from dayafter import cases

    c = cases.load(name)
    pkg = resources.files(cases.__name__).joinpath(cases._CASES[name])
    data_dir = Path(str(pkg))
    return Project(
        name=c.name, title=c.title, territory=c.territory, plans=dict(c.plans),
        reference=c.reference, criteria=tuple(c.criteria),
        community_labels={k: c.community_label(k) for k in c.territory.communities},
        communities=dict(c.communities), provenance=c.provenance, sources_md=c.sources_md, source=f"case {c.name}", case=c.name,
        data_dir=data_dir if data_dir.is_dir() else None)


@functools.lru_cache(maxsize=2)
def _from_gpkg(path: str, mtime_ns: int) -> Project:
    from dayafter.io.project import read_project

    proj = read_project(path)
    t = proj.territory
    p = Path(path)
    return Project(name=t.name or p.stem, title=t.name or p.stem, territory=t, plans=dict(proj.plans),
                   source=str(p), path=p)
