"""Benchmark: a full settlement dossier of the five built-in northern-iraq scenarios.

Target (issue 8): HTML, PDF and XLSX of the dossier in under 30 s together. The script times each
phase (case load, evaluation with maps and charts, HTML, XLSX, PDF) in one process run, and, as the
reference point measured in the same run, the bare evaluation of the five plans with
``dayafter.evaluate`` (what any report has to compute anyway).

    python bench/report.py [--out-dir /tmp/dossier] [--no-pdf] [--councils]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument("--no-pdf", action="store_true", help="skip the PDF (no WeasyPrint here)")
    ap.add_argument("--councils", action="store_true", help="add the case's 2023 council rules")
    args = ap.parse_args()

    import dayafter as da
    from dayafter.report import dossier_from_case, pdf_available, write_report

    out = args.out_dir or Path(tempfile.mkdtemp(prefix="dayafter-report-"))
    times: dict[str, float] = {}

    t0 = time.perf_counter()
    case = da.cases.load("northern-iraq")
    times["load case"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for p in case.plans.values():
        da.evaluate(case.territory, p, reference=case.reference_plan)
    times["reference: evaluate 5 plans"] = time.perf_counter() - t0

    start = time.perf_counter()
    cpu0 = time.process_time()
    t0 = start
    rules = None
    if args.councils:
        from dayafter.cases.northern_iraq.councils import provincial_rules_2023

        rules = provincial_rules_2023()
    d = dossier_from_case(case, councils=rules)
    times["dossier (evaluation, maps, charts)"] = time.perf_counter() - t0
    sizes = {}
    formats = ["html", "xlsx"]
    if not args.no_pdf:
        ok, why = pdf_available()
        if not ok:
            raise SystemExit(f"PDF not available: {why}; rerun with --no-pdf")
        formats.append("pdf")
    for fmt in formats:
        t0 = time.perf_counter()
        path = write_report(d, out / f"dossier.{fmt}")
        times[f"write {fmt}"] = time.perf_counter() - t0
        sizes[fmt] = path.stat().st_size
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu0

    print(f"northern-iraq: {case.territory.n_units} units, {len(case.plans)} scenarios, "
          f"{len(case.territory.census_names)} censuses; output in {out}")
    for k, v in times.items():
        print(f"  {k:40s} {v:7.2f} s")
    for fmt, n in sizes.items():
        print(f"  size of dossier.{fmt:5s}                       {n / 1e6:7.2f} MB")
    print(f"  total dossier ({' + '.join(formats)}){'':14s}{total:7.2f} s wall, {cpu:.2f} s CPU "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"ratio total / 30 s target: {total / 30.0:.2f} (pass: {total < 30.0}); "
          f"total / bare evaluation: {total / times['reference: evaluate 5 plans']:.0f}x")


if __name__ == "__main__":
    main()
