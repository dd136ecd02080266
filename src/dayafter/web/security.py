"""Access control and request limits of the workbench, as plain ASGI middleware.

- :class:`TokenMiddleware`: when the server has an access token (it must, once it listens beyond
  this machine), every request carries it: ``Authorization: Bearer <token>``, an
  ``X-Dayafter-Token`` header, or ``?token=`` in the address (the browser's first page load), after
  which the ``HttpOnly``, ``SameSite=Strict`` cookie the server sets is accepted. Tokens are compared
  with :func:`hmac.compare_digest`.
- :class:`BodyLimitMiddleware`: a request body larger than the limit is refused with 413 before it
  is read whole: by its ``Content-Length`` when it has one, else by counting the bytes as they come.

- :class:`HostCheckMiddleware`: a server without a token (loopback) answers only requests whose
  ``Host`` names this machine, so a web page whose domain was re-pointed at 127.0.0.1 (DNS
  rebinding) cannot read or change the user's plans through the browser.
- :class:`SameOriginMiddleware`: every state-changing request (any method but GET, HEAD and
  OPTIONS) must prove it comes from the workbench's own page: a ``Sec-Fetch-Site`` other than
  ``same-origin`` is refused, an ``Origin`` must be this server's, and the ``X-Dayafter-CSRF``
  header must be present (a cross-site form or "simple" request cannot carry a custom header; a
  cross-origin script that adds one needs a CORS pre-flight the server never grants). Bodies are
  JSON except on the upload endpoints (raw file or multipart form).
- :class:`SecurityHeadersMiddleware`: no framing (``X-Frame-Options: DENY``, CSP
  ``frame-ancestors 'none'``), no MIME sniffing, no referrer, responses readable by this origin
  only.
- :func:`uvicorn_options`: keep-alive, slow-header and slow-body timeouts and a connection limit
  for ``dayafter serve`` (uvicorn itself has no timeout on a connection that never finishes its
  request).

All answer in the JSON error shape of the API: ``{error, message, hint, unit_ids, source}``.

References
----------
OWASP Cheat Sheet Series, *Cross-Site Request Forgery Prevention* (custom request headers,
verifying the origin with standard headers, Fetch Metadata); W3C, *Fetch Metadata Request
Headers* (``Sec-Fetch-Site``).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from dayafter.errors import ConfigError

__all__ = ["COOKIE", "CSRF_HEADER", "SECURITY_HEADERS", "BodyLimitMiddleware", "HostCheckMiddleware",
           "SameOriginMiddleware", "SecurityHeadersMiddleware", "TokenMiddleware", "error_body",
           "is_loopback", "resolve_token", "uvicorn_options"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "dayafter_token"
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """True when ``host`` only reaches this machine (127.0.0.0/8, ::1, ``localhost``).

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    h = host.strip().strip("[]").lower()
    if h in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


@functools.lru_cache(maxsize=256)
def _is_loopback_name(name: str) -> bool:
    """:func:`is_loopback`, kept for the few names requests carry (it parses an address)."""
    return is_loopback(name)


def resolve_token(host: str, token: str | None, *, disabled: bool = False) -> str | None:
    """The access token a server listening on ``host`` uses.

    Parameters
    ----------
    host
        The address the server listens on.
    token
        A token the user chose (``--token`` or ``DAYAFTER_TOKEN``); ``None`` to generate one when
        one is needed.
    disabled
        The user asked for no token (``--no-token``); refused beyond loopback.

    Returns
    -------
    str or None
        ``None`` on loopback without a given token (no token needed), else the token.

    Raises
    ------
    ConfigError
        When the token is disabled or empty beyond loopback, or too short.
    """
    loop = is_loopback(host)
    if disabled or token == "":
        if not loop:
            raise ConfigError(f"the server would listen on {host} without an access token",
                              hint="drop --no-token (a token is generated and printed), or listen on 127.0.0.1")
        return None
    if token is not None:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"the access token is {len(token)} characters long; at least "
                              f"{MIN_TOKEN_LENGTH} are needed",
                              hint="leave --token out to get a generated one")
        return token
    return None if loop else secrets.token_urlsafe(32)


def error_body(error: str, message: str, hint: str, *, key: str | None = None,
               args: dict[str, Any] | None = None, hint_key: str | None = None,
               hint_args: dict[str, Any] | None = None) -> bytes:
    """The API's JSON error shape (:meth:`DayafterError.to_dict`), encoded.

    ``key``/``args`` and ``hint_key``/``hint_args`` are the catalogue keys of the message and
    the hint, as for :class:`~dayafter.errors.DayafterError` (``hint_args`` default to ``args``).
    """
    body: dict[str, Any] = {"error": error, "message": message, "hint": hint, "unit_ids": [],
                            "source": "request"}
    if key:
        body["message_i18n"] = {"key": key, "args": dict(args or {})}
    if hint_key:
        body["hint_i18n"] = {"key": hint_key, "args": dict(args or {} if hint_args is None else hint_args)}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


async def _send_error(send: Send, status: int, body: bytes,
                      extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k.lower() == name:
            return bytes(v).decode("latin-1")
    return None


def adding_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send`` with ``headers`` appended to the response's start message (set-cookie lines...)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return wrapped


class TokenMiddleware:
    """Refuse (401) every request that does not carry ``token``.

    Parameters
    ----------
    app
        The application to protect.
    token
        The access token; ``None`` lets every request through (loopback).
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None

    def _ok(self, candidate: str | None) -> bool:
        if not candidate or self.token is None:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogateescape"), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        auth = _header(scope, b"authorization") or ""
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        query = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"),
                               keep_blank_values=True))
        cookie: str | None = None
        raw_cookie = _header(scope, b"cookie")
        if raw_cookie:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(raw_cookie)
            except Exception:  # a malformed Cookie header only means: no token there
                jar = SimpleCookie()
            if COOKIE in jar:
                cookie = jar[COOKIE].value
        from_query = self._ok(query.get("token"))
        if not (self._ok(bearer) or self._ok(_header(scope, b"x-dayafter-token")) or self._ok(cookie)
                or from_query):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            given = any(x is not None for x in (bearer, _header(scope, b"x-dayafter-token"), cookie,
                                                query.get("token")))
            await _send_error(send, 401, error_body(
                "Unauthorized",
                "this request carries a wrong access token" if given else "this server needs its access token",
                "open the address 'dayafter serve' printed (it ends in ?token=...), or send the header "
                "'Authorization: Bearer TOKEN'", key="web.token_wrong" if given else "web.token_needed",
                hint_key="web.token"), [(b"www-authenticate", b'Bearer realm="dayafter"')])
            return
        if not from_query or (cookie is not None and self._ok(cookie)):
            await self.app(scope, receive, send)
            return
        # the first page load (?token=...): hand the browser a cookie so later requests need no token
        assert self.token is not None
        set_cookie = (f"{COOKIE}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict").encode("latin-1")
        await self.app(scope, receive, adding_headers(send, [(b"set-cookie", set_cookie)]))


class BodyLimitMiddleware:
    """Refuse (413) request bodies larger than ``max_bytes``, before reading them whole.

    A ``Content-Length`` above the limit is refused at once. Otherwise the bytes are counted as the
    application reads them; once the count passes the limit the 413 answer is sent and the
    application sees the client as gone (what it sends from then on is dropped).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ConfigError(f"the upload limit must be positive, got {max_bytes} bytes")
        self.app = app
        self.max_bytes = int(max_bytes)

    def _body(self) -> bytes:
        mib = self.max_bytes / 2**20
        limit = f"{mib:g} MiB" if mib >= 1 else f"{self.max_bytes} bytes"
        return error_body("RequestTooLarge", f"the request body is larger than the upload limit of {limit}",
                          "send a smaller file, or start the server with a larger --max-upload-mb",
                          key="web.body_too_large_mib" if mib >= 1 else "web.body_too_large_bytes",
                          args={"mib": round(mib, 3)} if mib >= 1 else {"bytes": self.max_bytes},
                          hint_key="web.smaller_file", hint_args={})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await _send_error(send, 400, error_body("BadRequest", f"invalid Content-Length {length!r}",
                                                        "send a whole number of bytes"))
                return
            if declared > self.max_bytes:
                await _send_error(send, 413, self._body())
                return
        seen = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await _send_error(send, 413, self._body())
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 answer went out already
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # the application failed on the cut-off body (ClientDisconnect...): the 413 went out


def _host_name(host_header: str) -> str:
    """The host part of a ``Host`` header (no port; IPv6 without brackets)."""
    h = host_header.strip()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h[1:]
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


class HostCheckMiddleware:
    """Refuse (403) requests whose ``Host`` header does not name this machine.

    Parameters
    ----------
    app
        The application to protect.
    extra
        Host names accepted besides the loopback ones (``localhost``, 127.0.0.0/8, ``::1``).
    """

    def __init__(self, app: ASGIApp, extra: tuple[str, ...] = ()) -> None:
        self.app = app
        self.extra = {h.lower() for h in extra}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        name = _host_name(_header(scope, b"host") or "")
        if name and (_is_loopback_name(name) or name.lower() in self.extra):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _send_error(send, 403, error_body(
            "Forbidden",
            f"this server only answers requests addressed to this machine, not to host {name!r}",
            "open http://127.0.0.1:PORT/ as 'dayafter serve' printed it; to serve other machines, "
            "listen on their network (--host 0.0.0.0) with the access token",
            key="web.wrong_host", args={"host": name}, hint_key="web.wrong_host_hint"))


CSRF_HEADER = "X-Dayafter-CSRF"
"""The header the workbench page sends with every request (any non-empty value)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOAD_PREFIXES = ("/api/import/",)
"""Paths whose bodies are files (raw or a multipart form) rather than JSON."""
_FORM_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded"})
"""Body types a cross-site HTML form can send (besides multipart): never accepted."""
_SCRIPT_HINT = (f"use the workbench page; a script sends the header '{CSRF_HEADER}: 1' and no Origin "
                "of another site")


def _media_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def _own_origin(scope: Scope) -> str:
    """``scheme://host[:port]`` as the client addressed this server (its ``Host`` header)."""
    scheme = str(scope.get("scheme") or "http")
    host = (_header(scope, b"host") or "").strip().lower()
    default = {"http": ":80", "https": ":443"}.get(scheme, "")
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


def _normal_origin(origin: str) -> str:
    o = origin.strip().lower().rstrip("/")
    for scheme, port in (("http://", ":80"), ("https://", ":443")):
        if o.startswith(scheme) and o.endswith(port):
            o = o[: -len(port)]
    return o


class Refusal(NamedTuple):
    """Why :class:`SameOriginMiddleware` refuses a request: the HTTP status, the English message and
    hint, and their catalogue keys (see :func:`error_body`)."""

    status: int
    message: str
    hint: str
    key: str
    args: dict[str, Any]
    hint_key: str


class SameOriginMiddleware:
    """Refuse state-changing requests that do not come from the workbench's own page (403), and
    bodies of the wrong type (415).

    A request whose method is not GET, HEAD or OPTIONS passes only when

    - its ``Sec-Fetch-Site`` header, when the browser sends one, is ``same-origin`` (or ``none``:
      typed by the user);
    - its ``Origin`` header, when sent, is the server's own (scheme and the ``Host`` it was
      addressed to; ``null`` is refused);
    - it carries the :data:`CSRF_HEADER` header;
    - its body, when it has one, is JSON (``application/json``), except under
      :data:`UPLOAD_PREFIXES` where a file is accepted as the raw body (any type but the two an
      HTML form sends, ``text/plain`` and ``application/x-www-form-urlencoded``) or as a
      ``multipart/form-data`` form.

    GET requests (pages, data, the jobs' event streams) are unaffected; they change nothing.

    Parameters
    ----------
    app
        The application to protect.
    upload_prefixes
        Path prefixes of the upload endpoints.
    """

    def __init__(self, app: ASGIApp, upload_prefixes: tuple[str, ...] = UPLOAD_PREFIXES) -> None:
        self.app = app
        self.upload_prefixes = tuple(upload_prefixes)

    def problem(self, scope: Scope) -> Refusal | None:
        """The refusal (status, message, hint and their keys), or ``None`` when the request may pass."""
        method = str(scope.get("method", "GET")).upper()
        if method in SAFE_METHODS:
            return None
        fetch_site = _header(scope, b"sec-fetch-site")
        if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
            return Refusal(403, f"a {method} request from another site or origin (Sec-Fetch-Site: "
                           f"{fetch_site.strip()}) may not change the workbench", _SCRIPT_HINT,
                           key="web.cross_site", args={"method": method, "site": fetch_site.strip()},
                           hint_key="web.use_the_page")
        origin = _header(scope, b"origin")
        if origin is not None and _normal_origin(origin) != _own_origin(scope):
            return Refusal(403, f"a {method} request from the page of {origin.strip()!r} may not change the "
                           f"workbench served at {_own_origin(scope)!r}", _SCRIPT_HINT,
                           key="web.cross_origin", args={"method": method, "origin": origin.strip(),
                                                         "own": _own_origin(scope)},
                           hint_key="web.use_the_page")
        if not (_header(scope, CSRF_HEADER.lower().encode()) or "").strip():
            return Refusal(403, f"the {method} request lacks the {CSRF_HEADER} header the workbench page sends",
                           _SCRIPT_HINT, key="web.csrf_missing", args={"method": method, "header": CSRF_HEADER},
                           hint_key="web.use_the_page")
        length = _header(scope, b"content-length")
        has_body = _header(scope, b"transfer-encoding") is not None or (
            length is not None and length.strip() not in ("0", ""))
        ctype = _media_type(_header(scope, b"content-type"))
        path = str(scope.get("path", ""))
        if path.startswith(self.upload_prefixes):
            if ctype in _FORM_TYPES:
                return Refusal(415, f"an upload is sent as the raw file (application/octet-stream) or a "
                               f"multipart form, not {ctype}", "send the file as the raw body or as a multipart form",
                               key="web.upload_type", args={"type": ctype}, hint_key="web.upload_raw")
        elif has_body or ctype is not None:
            if ctype is None or not (ctype == "application/json" or ctype.endswith("+json")):
                return Refusal(415, f"this endpoint reads a JSON body, not {ctype or 'a body without a type'}",
                               "send 'Content-Type: application/json' and a JSON body",
                               key="web.json_only", args={"type": ctype or ""}, hint_key="web.send_json")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self.problem(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        await _send_error(send, found.status, error_body(
            "CrossSiteRequest" if found.status == 403 else "UnsupportedMediaType", found.message, found.hint,
            key=found.key, args=found.args, hint_key=found.hint_key))


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
"""Headers added to every response (the application's own values win)."""


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response: the workbench is never framed by
    another page (clickjacking), its files are not sniffed into another type, and another origin's
    page cannot embed its responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                have = {bytes(k).lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in SECURITY_HEADERS if k not in have]]
            await send(message)

        await self.app(scope, receive, send_with_headers)


HEAD_LIMIT = 64 * 1024
"""Largest request line plus headers accepted, in bytes (431 above it)."""


def uvicorn_options(*, keep_alive: float = 5.0, header_timeout: float = 10.0, body_timeout: float = 120.0,
                    max_connections: int = 512, fast: bool | None = None) -> dict[str, Any]:
    """Keyword arguments for :class:`uvicorn.Config` that bound idle and slow connections.

    Parameters
    ----------
    keep_alive
        Seconds an idle kept-alive connection stays open.
    header_timeout
        Seconds a client has to send a request's line and headers, from the connection or from
        its first byte (a "slowloris" client that trickles headers is disconnected).
    body_timeout
        Seconds a client has to send a request's body once its headers arrived.
    max_connections
        Connections served at once; more are answered 503.
    fast
        Parse HTTP with httptools (C) and run the event loop on uvloop (libuv) rather than h11
        and asyncio's own loop (pure Python): about half the CPU per request (``bench/load.py``).
        ``None`` (default): when both are installed (``pip install 'dayafter[web]'``).

    Returns
    -------
    dict
        ``timeout_keep_alive``, ``limit_concurrency``, ``h11_max_incomplete_event_size``, ``loop``
        and ``http`` (a protocol class with the two timeouts and a limit of :data:`HEAD_LIMIT`
        bytes on a request's line and headers).
    """
    if fast is None:
        fast = _fast_available()
    return {"timeout_keep_alive": keep_alive, "limit_concurrency": max_connections,
            "h11_max_incomplete_event_size": HEAD_LIMIT,
            "loop": "uvloop" if fast else "asyncio",
            "http": (_timed_httptools if fast else _timed_h11)(header_timeout, body_timeout)}


def _fast_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("httptools", "uvloop"))


class _OneWrite:
    """A transport that sends a response's status line and headers together with its body.

    uvicorn writes the head of a response as soon as the application starts it and the body
    right after: two system calls, and two wake-ups of the client, per answer. The head is held
    until the next write (the body, which follows in the same turn of the event loop) or until
    the end of that turn (a streamed response whose first part comes later). Everything else is
    the transport's own.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: Any, loop: Any) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._held is None:
            if data.startswith(b"HTTP/1.1 ") and data.endswith(b"\r\n\r\n"):
                self._held = data  # a response's head: wait for its body
                self._loop.call_soon(self.flush)
                return
            self._transport.write(data)
        else:
            head, self._held = self._held, None
            self._transport.write(head + data)

    def flush(self) -> None:
        if self._held is not None:
            head, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _timed_httptools(header_timeout: float, body_timeout: float) -> type:
    """uvicorn's httptools protocol with a deadline on each request's headers and on its body,
    and a limit on the size of its line and headers."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _HeadTooLarge(Exception):
        pass

    class TimedHttpToolsProtocol(HttpToolsProtocol):
        # One timer per connection, moved lazily: a phase (the head, the body) only notes its
        # deadline; the timer, when it fires, closes the connection if that phase is still on and
        # past its deadline, else waits for the current deadline. Quick requests on a kept-alive
        # connection then cost no timer each.
        _timer: Any = None
        _timer_at = 0.0
        _phase: str | None = None
        _until = 0.0
        _head_bytes = 0
        _head_too_large = False

        def _arm(self, phase: str, seconds: float) -> None:
            if self._phase == phase:
                return
            self._phase = phase
            self._until = self.loop.time() + seconds
            if self._timer is not None and self._timer_at > self._until:
                self._timer.cancel()
                self._timer = None
            if self._timer is None:
                self._timer_at = self._until
                self._timer = self.loop.call_at(self._until, self._expire)

        def _disarm(self) -> None:
            self._phase = None

        def _expire(self) -> None:
            self._timer = None
            if self._phase is None or self.transport.is_closing():
                return
            if self.loop.time() >= self._until - 1e-3:
                self.transport.close()  # headers or body too slow: drop the connection
            else:
                self._timer_at = self._until
                self._timer = self.loop.call_at(self._until, self._expire)

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.transport = _OneWrite(transport, self.loop)  # type: ignore[assignment]  # a transport in all but name
            self._arm("head", header_timeout)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes = 0
            self._arm("head", header_timeout)  # from the request's first byte

        def _count(self, n: int) -> None:
            self._head_bytes += n
            if self._head_bytes > HEAD_LIMIT:
                self._head_too_large = True
                raise _HeadTooLarge

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._arm("body", body_timeout)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()  # the keep-alive timeout takes over once the answer is sent
            super().on_message_complete()

        def send_400_response(self, msg: str) -> None:
            self._disarm()
            if not self._head_too_large:
                super().send_400_response(msg)
                return
            body = error_body("RequestHeaderFieldsTooLarge", "the request's line and headers are too large",
                              f"send at most {HEAD_LIMIT // 1024} KiB of headers")
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                 b"content-type: application/json\r\nconnection: close\r\n"
                                 + b"".join(k + b": " + v + b"\r\n" for k, v in SECURITY_HEADERS)
                                 + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            super().connection_lost(exc)

    return TimedHttpToolsProtocol


def _timed_h11(header_timeout: float, body_timeout: float) -> type:
    """uvicorn's h11 protocol with a deadline on each request's headers and on its body."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TimedH11Protocol(H11Protocol):
        _deadline: Any = None
        _phase: Any = None

        def _arm(self, phase: Any, seconds: float) -> None:
            if self._phase is phase:
                return
            self._disarm()
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._expire, phase)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline, self._phase = None, None

        def _expire(self, phase: Any) -> None:
            self._deadline = None
            if self.conn.their_state is phase and not self.transport.is_closing():
                self.transport.close()  # headers or body too slow: drop the connection

        def _watch(self) -> None:
            state = self.conn.their_state
            if state is h11.SEND_BODY:
                self._arm(h11.SEND_BODY, body_timeout)
            elif state is not h11.IDLE:
                self._disarm()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm(h11.IDLE, header_timeout)

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm(h11.IDLE, header_timeout)  # a new request begins (kept-alive connection)
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            self._disarm()  # the keep-alive timeout takes over until the next request's first byte
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return TimedH11Protocol
