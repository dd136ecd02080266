"""Jobs: ensembles and optimizations run by the library in the background, with progress (SSE)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import Field

from dayafter._util import json_dumps
from dayafter.validation import PARAMETERS
from dayafter.web.routers._common import JobsDep, Name, ShortText, WorkspaceDep, _Body, session_of

router = APIRouter()


MetricName = Annotated[str, Field(min_length=1, max_length=64)]


class ObjectiveTerm(_Body):
    metric: Annotated[str, Field(min_length=1, max_length=64)]
    communities: list[ShortText] | None = Field(None, max_length=100)
    weight: float | None = Field(None, allow_inf_nan=False, ge=-1e6, le=1e6)
    level: ShortText | None = None


class JobParams(_Body):
    """Parameters of a job; the kinds check which of them apply (an ensemble takes no objective)."""

    steps: int = Field(2000, ge=1, le=100_000_000)
    seed: int = Field(2718, ge=0, le=2**63 - 1)
    tolerance: float = PARAMETERS["tolerance"].field()
    balance: Literal["plan", "equal"] = "plan"
    census: Name | None = None
    # an ensemble's subset (a province question): "LEVEL=CODE[,CODE...]" or unit ids, comma-separated
    subset: Annotated[str, Field(min_length=1, max_length=20_000)] | None = None
    chunk: int = Field(200, ge=1, le=1_000_000)
    # an optimization robust over census draws (the optimize kind checks the range, with its reason)
    draws: int | None = None
    draw_seed: int | None = Field(None, ge=0, le=2**63 - 1)
    maximize: list[ObjectiveTerm | MetricName] = Field(default_factory=list, max_length=20)
    minimize: list[ObjectiveTerm | MetricName] = Field(default_factory=list, max_length=20)
    plans: list[Name] = Field(default_factory=list, max_length=20)
    formats: list[Literal["html", "pdf"]] = Field(default_factory=list, max_length=2)
    title: ShortText | None = None
    maps: bool | None = None


class JobBody(_Body):
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    params: JobParams = Field(default_factory=lambda: JobParams())


@router.get("/jobs/kinds")
def job_kinds(request: Request) -> list[dict[str, Any]]:
    """The kinds of job this installation can run (those whose engine is installed)."""
    from dayafter.web.jobs import available_kinds

    return available_kinds()


@router.get("/jobs")
def list_jobs(jobs: JobsDep) -> list[dict[str, Any]]:
    """Every job of this session, newest first."""
    return jobs.list()


@router.post("/jobs")
def start_job(request: Request, ws: WorkspaceDep, jobs: JobsDep, body: JobBody) -> dict[str, Any]:
    """Start a job on the draft plan."""
    from dayafter.web.jobs import make_job

    # only what the client sent: the kinds have their own defaults and refuse what does not apply
    params = body.params.model_dump(exclude_unset=True, exclude_none=True)
    job = make_job(body.kind, ws, ws.draft_of(session_of(request)).plan, params)
    return jobs.submit(job)


@router.get("/jobs/{job_id}")
def get_job(jobs: JobsDep, job_id: str) -> dict[str, Any]:
    """A job's status, progress and (when finished) results."""
    return jobs.get(job_id).to_dict(results=True)


@router.post("/jobs/{job_id}/cancel")
def cancel_job(jobs: JobsDep, job_id: str) -> dict[str, Any]:
    """Ask a job to stop (it stops at its next progress report)."""
    return jobs.cancel(job_id)


@router.get("/jobs/{job_id}/files/{name}")
def job_file(jobs: JobsDep, job_id: str, name: Annotated[str, Path(max_length=64)]) -> FileResponse:
    """A file a finished job wrote (a report's ``dossier.html`` or ``dossier.pdf``)."""
    from dayafter.web.jobs import job_file as find

    path = find(jobs.get(job_id), name)
    media = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}.get(path.suffix.lstrip("."),
                                                                                "application/octet-stream")
    return FileResponse(path, media_type=media, filename=f"{job_id}-{path.name}",
                        content_disposition_type="attachment")


@router.get("/jobs/{job_id}/events")
async def job_events(request: Request, jobs: JobsDep, job_id: str) -> StreamingResponse:
    """Server-sent events: ``progress`` while the job runs, then one ``end`` event."""
    job = jobs.get(job_id)

    async def stream() -> Any:
        last = -1
        while True:
            if await request.is_disconnected():
                return
            seq, snap = job.snapshot()
            if seq != last:
                last = seq
                kind = "end" if snap["state"] in ("done", "failed", "cancelled") else "progress"
                body = json_dumps(snap)
                yield f"event: {kind}\ndata: {body}\n\n"
                if kind == "end":
                    return
            await asyncio.sleep(0.1)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
