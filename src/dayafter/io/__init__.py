"""Reading and writing: layers, tables, plans and project GeoPackages."""

from dayafter.io.plans import read_plan, write_plan
from dayafter.io.project import Project, read_project, write_project
from dayafter.io.units import read_table, read_territory, read_units

__all__ = [
    "Project",
    "read_plan",
    "read_project",
    "read_table",
    "read_territory",
    "read_units",
    "write_plan",
    "write_project",
]
