"""Settlement dossiers: maps, tables, ensemble context, comparison and provenance, rendered as one
self-contained HTML file, a PDF of the same content, or an XLSX workbook of the tables.

>>> import dayafter as da
>>> from dayafter.report import dossier_from_case, write_report
>>> d = dossier_from_case(da.cases.load("northern-iraq"))          # doctest: +SKIP
>>> write_report(d, "dossier.html")                                  # doctest: +SKIP

Matplotlib, Jinja2 and WeasyPrint are imported only by the functions that need them.
"""

from dayafter.report.dossier import (
    Dossier,
    PlanSection,
    build_dossier,
    census_comparison_table,
    dossier_from_case,
    plan_hash,
    provenance_statuses,
    provenance_summary,
)
from dayafter.report.ensemble import EnsembleContext, percentile_of
from dayafter.report.render import (
    FORMATS,
    pdf_available,
    render_html,
    render_pdf,
    render_xlsx,
    report_format,
    write_html,
    write_pdf,
    write_report,
    write_xlsx,
    xlsx_tables,
)

__all__ = [
    "FORMATS",
    "Dossier",
    "EnsembleContext",
    "PlanSection",
    "build_dossier",
    "census_comparison_table",
    "dossier_from_case",
    "pdf_available",
    "percentile_of",
    "plan_hash",
    "provenance_statuses",
    "provenance_summary",
    "render_html",
    "render_pdf",
    "render_xlsx",
    "report_format",
    "write_html",
    "write_pdf",
    "write_report",
    "write_xlsx",
    "xlsx_tables",
]
