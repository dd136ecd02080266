"""Files of a run directory: inputs, per-chain parts, checkpoints and merged results.

Layout of a run directory::

    manifest.json              parameters, versions, input hashes, seeds, counts, diagnostics
    inputs.npz                 the territory arrays, the plan and each chain's starting plan (replay
                               needs nothing else)
    chain_000.npz              per-step scalars (and thinned int16 assignments) of chain 0
    chain_000.parquet          ... or the scalars as Parquet, with chain_000_assignments.npz
    chain_000.parts/           blocks written while the chain runs (merged at the end)
    chain_000.ckpt.npz         checkpoint after the last complete block (removed at the end)
    chain_000.progress.json    steps done so far (for progress bars)
    cancel                     present while a cancelled run's chains are stopping
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._util.atomic import atomic_path, atomic_savez, atomic_write_json
from dayafter.errors import InputDataError
from dayafter.graph import UnitGraph
from dayafter.territory import Territory

__all__ = [
    "chain_file",
    "load_assignments",
    "load_chain",
    "load_inputs",
    "load_starts",
    "merge_parts",
    "save_inputs",
    "write_part",
]

ASSIGN_KEY = "assignments"
ASSIGN_STEP_KEY = "assignment_steps"


def _atomic_savez(path: Path, arrays: dict[str, NDArray[Any]]) -> None:
    atomic_savez(path, arrays)


def atomic_json(path: Path, data: dict[str, Any]) -> None:
    """Write a small JSON file atomically (progress notes: rewritten often, not fsynced)."""
    atomic_write_json(path, data, indent=None, durable=False)


# ------------------------------------------------------------------------------ inputs
def save_inputs(run_dir: Path, territory: Territory, assignment: NDArray[np.integer], k: int,
                region_names: list[str],
                starts: list[tuple[NDArray[np.integer], int, list[str]]] | None = None) -> Path:
    """Write the territory's arrays, the plan and each chain's starting plan (``starts``:
    ``(assignment, k, region names)`` per chain, when they differ from the plan) to
    ``inputs.npz``."""
    arrays: dict[str, NDArray[Any]] = {
        "unit_ids": np.asarray(territory.unit_ids.tolist(), dtype=str),
        "communities": np.asarray(territory.communities, dtype=str),
        "census_names": np.asarray(list(territory.census_names), dtype=str),
        "indptr": np.asarray(territory.graph.indptr),
        "indices": np.asarray(territory.graph.indices),
        "border_length": np.asarray(territory.graph.border_length),
        "area": np.asarray(territory.area),
        "outer_border": np.asarray(territory.outer_border),
        "admin_levels": np.asarray(list(territory.admin), dtype=str),
        "assignment": np.asarray(assignment, dtype=np.int32),
        "k": np.asarray(k, dtype=np.int64),
        "region_names": np.asarray(region_names, dtype=str),
        "name": np.asarray(territory.name, dtype=str),
        "crs": np.asarray(territory.crs, dtype=str),
    }
    for j, name in enumerate(territory.census_names):
        arrays[f"census_{j}"] = np.asarray(territory.census(name))
    for j, level in enumerate(territory.admin):
        arrays[f"admin_{j}"] = np.asarray(territory.admin[level].tolist(), dtype=str)
    for i, (a, ki, names) in enumerate(starts or []):
        arrays[f"start_{i}_assignment"] = np.asarray(a, dtype=np.int32)
        arrays[f"start_{i}_k"] = np.asarray(ki, dtype=np.int64)
        arrays[f"start_{i}_region_names"] = np.asarray(names, dtype=str)
    path = run_dir / "inputs.npz"
    _atomic_savez(path, arrays)
    return path


def load_inputs(run_dir: Path) -> tuple[Territory, NDArray[np.int32], int, list[str]]:
    """Territory, starting assignment, ``k`` and region names from ``inputs.npz``."""
    path = Path(run_dir) / "inputs.npz"
    if not path.exists():
        raise InputDataError(f"run directory {run_dir} has no inputs.npz",
                             hint="give the directory that `dayafter ensemble run` wrote")
    with np.load(path, allow_pickle=False) as z:
        census_names = z["census_names"].tolist()
        levels = z["admin_levels"].tolist()
        t = Territory(
            unit_ids=np.asarray(z["unit_ids"].tolist(), dtype=object),
            communities=tuple(z["communities"].tolist()),
            censuses={name: z[f"census_{j}"] for j, name in enumerate(census_names)},
            graph=UnitGraph(z["indptr"], z["indices"], z["border_length"]),
            area=z["area"],
            outer_border=z["outer_border"],
            admin={lvl: np.asarray(z[f"admin_{j}"].tolist(), dtype=object)
                   for j, lvl in enumerate(levels)},
            name=str(z["name"]),
            crs=str(z["crs"]),
        )
        return t, z["assignment"].astype(np.int32), int(z["k"]), z["region_names"].tolist()


def load_starts(run_dir: Path, chains: int) -> list[tuple[NDArray[np.int32], int, list[str]]]:
    """Each chain's starting plan ``(assignment, k, region names)`` (the plan itself for chains
    that start from it)."""
    path = Path(run_dir) / "inputs.npz"
    if not path.exists():
        raise InputDataError(f"run directory {run_dir} has no inputs.npz",
                             hint="give the directory that `dayafter ensemble run` wrote")
    out = []
    with np.load(path, allow_pickle=False) as z:
        for i in range(chains):
            if f"start_{i}_assignment" in z.files:
                out.append((z[f"start_{i}_assignment"].astype(np.int32), int(z[f"start_{i}_k"]),
                            z[f"start_{i}_region_names"].tolist()))
            else:
                out.append((z["assignment"].astype(np.int32), int(z["k"]),
                            z["region_names"].tolist()))
    return out


# ------------------------------------------------------------------------------ chain outputs
def chain_file(run_dir: Path, chain: int, fmt: str) -> Path:
    """Path of a chain's merged scalar results."""
    return Path(run_dir) / f"chain_{chain:03d}.{'parquet' if fmt == 'parquet' else 'npz'}"


def parts_dir(run_dir: Path, chain: int) -> Path:
    """Folder of a chain's blocks."""
    return Path(run_dir) / f"chain_{chain:03d}.parts"


def write_part(run_dir: Path, chain: int, index: int, scalars: dict[str, NDArray[Any]],
               assignments: NDArray[np.int16] | None, assignment_steps: NDArray[np.int64] | None,
               fmt: str) -> None:
    """Write block ``index`` of a chain (scalars, and thinned assignments if any)."""
    folder = parts_dir(run_dir, chain)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = dict(scalars)
    if assignments is not None:
        if assignment_steps is None:
            raise ValueError("thinned assignments need the steps they were recorded at")
        arrays[ASSIGN_KEY] = assignments
        arrays[ASSIGN_STEP_KEY] = assignment_steps
    _atomic_savez(folder / f"part_{index:06d}.npz", arrays)


def drop_parts_from(run_dir: Path, chain: int, first: int) -> None:
    """Delete blocks ``first`` and later (left over by an interrupted run)."""
    folder = parts_dir(run_dir, chain)
    if not folder.exists():
        return
    for p in folder.glob("part_*.npz"):
        if int(p.stem.split("_")[1]) >= first:
            p.unlink()


def merge_parts(run_dir: Path, chain: int, n_parts: int, fmt: str) -> dict[str, NDArray[Any]]:
    """Concatenate a chain's blocks into its result file(s); returns all arrays."""
    folder = parts_dir(run_dir, chain)
    pieces: dict[str, list[NDArray[Any]]] = {}
    for i in range(n_parts):
        with np.load(folder / f"part_{i:06d}.npz", allow_pickle=False) as z:
            for key in z.files:
                pieces.setdefault(key, []).append(z[key])
    arrays = {key: np.concatenate(vals) for key, vals in pieces.items()}
    out = chain_file(run_dir, chain, fmt)
    scalars = {k: v for k, v in arrays.items() if k not in (ASSIGN_KEY, ASSIGN_STEP_KEY)}
    assigns = {k: v for k, v in arrays.items() if k in (ASSIGN_KEY, ASSIGN_STEP_KEY)}
    # the scalar file is written last: once it exists the chain's results are complete
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if assigns:
            _atomic_savez(Path(run_dir) / f"chain_{chain:03d}_assignments.npz", assigns)
        table = pa.table({k: pa.array(v) for k, v in scalars.items()})
        with atomic_path(out) as tmp:
            pq.write_table(table, tmp)
    else:
        _atomic_savez(out, arrays)
    shutil.rmtree(folder, ignore_errors=True)
    return arrays


def load_chain(run_dir: Path, chain: int, fmt: str) -> dict[str, NDArray[Any]]:
    """Per-step scalar columns of a finished chain."""
    path = chain_file(run_dir, chain, fmt)
    if not path.exists():
        raise InputDataError(f"chain {chain} has no results in {run_dir}",
                             hint="the run may have been interrupted; resume it with --resume")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return {name: table.column(name).to_numpy() for name in table.column_names}
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k not in (ASSIGN_KEY, ASSIGN_STEP_KEY)}


def load_assignments(run_dir: Path, chain: int, fmt: str) -> tuple[NDArray[np.int16],
                                                                    NDArray[np.int64]]:
    """Thinned assignments ``int16[samples, n]`` of a chain and the steps they were taken at."""
    path = (Path(run_dir) / f"chain_{chain:03d}_assignments.npz" if fmt == "parquet"
            else chain_file(run_dir, chain, fmt))
    if not path.exists():
        raise InputDataError(f"chain {chain} stored no assignments in {run_dir}",
                             hint="run with --thin N to keep every N-th plan")
    with np.load(path, allow_pickle=False) as z:
        if ASSIGN_KEY not in z.files:
            raise InputDataError(f"chain {chain} stored no assignments in {run_dir}",
                                 hint="run with --thin N to keep every N-th plan")
        return z[ASSIGN_KEY], z[ASSIGN_STEP_KEY]
