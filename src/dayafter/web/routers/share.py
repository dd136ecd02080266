"""Read-only share links of the draft (see :mod:`dayafter.web.share`)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from dayafter.web.routers._common import _Body, _ws, session_of
from dayafter.web.share import MAX_HOURS, make_token, read_token, share_secret

router = APIRouter()


class ShareBody(_Body):
    hours: int = Field(24 * 7, ge=1, le=MAX_HOURS)


@router.post("/share")
def make_share(request: Request, body: ShareBody) -> dict[str, Any]:
    """A read-only link to a copy of this session's draft as it is now, valid for ``hours``.

    Returns ``{"query": "?share=TOKEN", "token", "expires"}``: the page's own address with the
    query is the link. The server refuses every change asked through it (403).
    """
    ws = _ws(request)
    sid = ws.share_snapshot(session_of(request))
    expires = time.time() + body.hours * 3600
    token = make_token(share_secret(ws), sid, expires)
    return {"query": f"?share={token}", "token": token, "expires": int(expires)}


@router.get("/share")
def share_state(request: Request) -> dict[str, Any]:
    """Whether this request comes through a read-only link (``{"read_only": bool, "expires"}``)."""
    given = request.headers.get("x-dayafter-share") or request.query_params.get("share")
    data = read_token(share_secret(_ws(request)), given) if given else None
    return {"read_only": data is not None, "expires": data["e"] if data else None}
