"""Read-only share links: a second party opens the workbench on a copy of a draft and cannot
change anything.

``POST /api/share`` copies the caller's draft into a session of its own
(:meth:`~dayafter.web.workspace.Workspace.share_snapshot`) and returns a signed token naming that
session and an expiry: ``base64url(payload) "." base64url(HMAC-SHA256(secret, payload))``. The
secret is kept in the drafts file, so links outlive a restart of the server (and a new drafts
file invalidates them).

:class:`ShareMiddleware` (the outermost layer after the host check) looks for a token in the
``X-Dayafter-Share`` header, the ``share`` query parameter (the link itself, and the page's event streams and downloads; the page
load also sets a ``dayafter_share`` cookie so the page's scripts and styles load) or, outside
``/api/``, that cookie. A request with a valid token:

- is refused (403) unless its method is ``GET`` or ``HEAD``: read-only is enforced here, by the
  server, whatever the page does;
- is served as the shared session (its session cookie is replaced by the token's), so every read
  (the draft, its metrics, exports) shows the shared copy;
- passes the access-token check: the link works for someone who does not hold the server's token.

A request with an invalid or expired token is refused (403) rather than served as an ordinary
request. Loading the page without ``share`` clears the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from dayafter.web.security import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    _header,
    _send_error,
    adding_headers,
    error_body,
)

__all__ = ["SHARE_COOKIE", "ShareMiddleware", "make_token", "read_token"]

SHARE_COOKIE = "dayafter_share"
SESSION_COOKIE = "dayafter_session"
MAX_HOURS = 24 * 90


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: bytes, session: str, expires: float) -> str:
    """A share token for ``session`` valid until ``expires`` (seconds since the epoch).

    >>> t = make_token(b"k" * 32, "ab" * 16, 2e9)
    >>> read_token(b"k" * 32, t, now=1e9)["s"] == "ab" * 16
    True
    >>> read_token(b"other" * 8, t, now=1e9) is None
    True
    """
    payload = json.dumps({"s": session, "e": int(expires)}, separators=(",", ":")).encode()
    sig = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(sig)}"


def read_token(secret: bytes, token: str, *, now: float | None = None) -> dict[str, Any] | None:
    """The token's payload (``{"s": session, "e": expiry}``) when its signature holds and it has
    not expired, else ``None``."""
    try:
        p, s = token.split(".", 1)
        payload, sig = _unb64(p), _unb64(s)
    except (ValueError, TypeError):
        return None
    want = hmac.new(secret, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(sig, want):
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("e"), int):
        return None
    if data["e"] < (time.time() if now is None else now):
        return None
    return data


def share_secret(workspace: Any) -> bytes:
    """The workspace's signing key for share tokens (made once, kept in the drafts file)."""
    store = workspace.store
    key = store.setting("share_secret")
    if not key:
        key = secrets.token_hex(32)
        store.set_setting("share_secret", key)
    return bytes.fromhex(key)


def _cookies(scope: Scope) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    raw = _header(scope, b"cookie")
    if raw:
        try:
            jar.load(raw)
        except Exception:  # a malformed Cookie header: no cookies
            jar = SimpleCookie()
    return jar


class ShareMiddleware:
    """Serve requests that carry a share token read-only, as the shared session (see the module).

    Parameters
    ----------
    app
        The application (with its access-token layer inside this one).
    secret
        ``secret()`` returns the signing key (read lazily: the workspace may change).
    token
        The server's access token (``None`` on loopback without one); a valid share token stands
        in for it.
    """

    def __init__(self, app: ASGIApp, secret: Any, token: str | None = None) -> None:
        self.app = app
        self.secret = secret
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"), keep_blank_values=True))
        jar = _cookies(scope)
        from_query = query.get("share")
        path = scope.get("path", "")
        # the cookie only loads the page's own files: the API wants the header or the query, so a
        # tab of the same browser that is not the shared view keeps editing
        given = _header(scope, b"x-dayafter-share") or from_query or (
            jar[SHARE_COOKIE].value if SHARE_COOKIE in jar and not path.startswith("/api/") else None)
        if not given:
            await self.app(scope, receive, send)
            return
        if SHARE_COOKIE in jar and not from_query and not _header(scope, b"x-dayafter-share") and path in ("/", "/index.html"):
            # the plain workbench page: leave the shared view (clear the cookie), serve as usual
            await self._without_share(scope, receive, send)
            return
        data = read_token(self.secret(), given)
        if data is None:
            await _send_error(send, 403, error_body(
                "ShareLinkInvalid", "this read-only link is not valid (expired, or made by another server)",
                "ask for a new link", key="web.share_invalid", hint_key="web.share_new_link"), [(b"set-cookie", f"{SHARE_COOKIE}=; Path=/; Max-Age=0".encode())])
            return
        if scope.get("method", "GET") not in ("GET", "HEAD"):
            await _send_error(send, 403, error_body(
                "ReadOnly", "this page was opened from a read-only link: it cannot change anything",
                "open the workbench itself (without ?share=) to edit", key="web.read_only",
                hint_key="web.read_only_hint"))
            return
        scope = dict(scope)
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"cookie"]
        others = "; ".join(f"{k}={m.value}" for k, m in jar.items() if k not in (SESSION_COOKIE, SHARE_COOKIE))
        cookie = f"{SESSION_COOKIE}={data['s']}" + (f"; {others}" if others else "")
        headers.append((b"cookie", cookie.encode("latin-1")))
        if self.token:
            headers.append((b"x-dayafter-token", self.token.encode("utf-8")))
        scope["headers"] = headers
        if not from_query:
            await self.app(scope, receive, send)
            return
        max_age = max(60, min(int(data["e"] - time.time()), MAX_HOURS * 3600))
        set_cookie = f"{SHARE_COOKIE}={given}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict".encode("latin-1")
        await self.app(scope, receive, adding_headers(send, [(b"set-cookie", set_cookie)]))

    async def _without_share(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = dict(scope)
        jar = _cookies(scope)
        rest = "; ".join(f"{k}={m.value}" for k, m in jar.items() if k != SHARE_COOKIE)
        scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"cookie"] + (
            [(b"cookie", rest.encode("latin-1"))] if rest else [])
        clear = f"{SHARE_COOKIE}=; Path=/; Max-Age=0".encode()
        await self.app(scope, receive, adding_headers(send, [(b"set-cookie", clear)]))
