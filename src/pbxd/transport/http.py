"""The HTTP manager (aiohttp): /rawman, /manager, /mxml, their digest variants, and /ws.

Requests are routed as Asterisk's mini-HTTP server routes them (an optional prefix, names
compared without case, no sub-paths) and answered with its status lines, headers and error
pages. Each action goes through a manager session (see ``manager.http_session``): the
same login, permissions, filters and actions as on TCP. ``/ws`` is pbxd's own: a WebSocket
carrying AMI as JSON objects both ways, one manager session per socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web, web_protocol
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong
from multidict import CIMultiDict

from ..manager.http_session import HttpSession, HttpSessions
from ..protocol import Message
from . import digest
from .ami_json import JsonMessageError, dumps, message_from_json, messages_to_json
from .http_render import (
    AUTH_HTML_HEAD,
    AUTH_HTML_TAIL,
    HTML_HEAD,
    HTML_TAIL,
    XML_HEAD,
    XML_TAIL,
    translate,
)
from .http_settings import HttpSettings

if TYPE_CHECKING:
    from ..manager.server import Manager
    from ..manager.session import Session

log = logging.getLogger("pbxd.http")

RAW, HTML, XML = "plain", "html", "xml"
#: URI -> description, as ``http show status`` lists them (longest first, as Asterisk does)
DESCRIPTIONS = {
    "amanager": "HTML Manager Event Interface w/Digest authentication",
    "arawman": "Raw HTTP Manager Event Interface w/Digest authentication",
    "manager": "HTML Manager Event Interface",
    "rawman": "Raw HTTP Manager Event Interface",
    "amxml": "XML Manager Event Interface w/Digest authentication",
    "mxml": "XML Manager Event Interface",
    "ws": "AMI as JSON over WebSocket (pbxd)",
}
#: URI -> (output format, digest authentication)
MANAGER_URIS = {
    "rawman": (RAW, False),
    "manager": (HTML, False),
    "mxml": (XML, False),
    "arawman": (RAW, True),
    "amanager": (HTML, True),
    "amxml": (XML, True),
}
WEBSOCKET_URI = "ws"
MAX_CONTENT_LENGTH = 40960  # bytes of a form body (Asterisk's limit)
MAX_LINE = 4096  # bytes of the request line or one header line
MAX_HEADERS = 100  # header lines of a request
MAX_PARAMS = 128  # action headers kept from one request (AST_MAX_MANHEADERS)
MAX_WS_MESSAGE = 64 * 1024
KEEP_ALIVE = 15.0  # seconds an idle persistent connection is kept (session_keep_alive)
PURGE_EVERY = 5.0  # seconds between sweeps of expired sessions
NOT_FOUND = (404, "Not Found", "The requested URL was not found on this server.")
NOT_IMPLEMENTED = (501, "Not Implemented", "Attempt to use unimplemented / unsupported method")


def error_body(server_name: str, status: int, title: str, text: str) -> bytes:
    address = f"<address>{server_name}</address>\r\n" if server_name else ""
    return (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n'
        "<html><head>\r\n"
        f"<title>{status} {title}</title>\r\n"
        "</head><body>\r\n"
        f"<h1>{title}</h1>\r\n"
        f"<p>{text}</p>\r\n"
        "<hr />\r\n"
        f"{address}"
        "</body></html>\r\n"
    ).encode()


def reply(
    server_name: str,
    status: int,
    reason: str,
    headers: list[tuple[str, str]],
    body: bytes,
    close: bool,
) -> web.Response:
    """A response with Asterisk's headers in Asterisk's order."""
    fields: CIMultiDict[str] = CIMultiDict()
    if server_name:
        fields["Server"] = server_name
    fields["Date"] = formatdate(usegmt=True)
    if close:
        fields["Connection"] = "close"
    fields["Cache-Control"] = "no-cache, no-store"
    for name, value in headers:
        fields.add(name, value)
    fields["Content-Length"] = str(len(body))
    response = web.Response(status=status, reason=reason, body=body, headers=fields)
    if close:
        response.force_close()
    return response


def session_cookie(request: web.BaseRequest) -> int:
    """The ``mansession_id`` cookie's session id (hex, quotes allowed); 0 when absent."""
    for header in request.headers.getall("Cookie", ()):
        for part in header.split(";"):
            name, sep, value = part.partition("=")
            if sep and name.strip().lower() == "mansession_id":
                return digest.parse_hex(value.strip().strip('"'))
    return 0


def _clean(text: str) -> str:
    """A parameter as one header value: line breaks cannot start new headers."""
    return text.replace("\r", " ").replace("\n", " ")


class BadRequest(Exception):
    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


class _Handler(web_protocol.RequestHandler):
    """Asterisk's error pages for requests that do not parse; the connection limit; a
    connection that sends nothing for ``session_inactivity`` while no request is being
    answered is closed (a half-sent request cannot hold a place forever)."""

    _idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        server: _Server = self._manager  # type: ignore[assignment]
        if len(server.connections) >= server.http.settings.sessionlimit:
            log.warning("HTTP session count exceeded %d", server.http.settings.sessionlimit)
            transport.close()
            return
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        super().connection_lost(exc)

    def _watch(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        server: _Server = self._manager  # type: ignore[assignment]
        delay = server.http.settings.session_inactivity / 1000
        self._idle = self._loop.call_later(delay, self._silent)

    def _silent(self) -> None:
        if self._request_in_progress:  # answering (a long poll, a WebSocket): not idle
            self._watch()
        elif self.transport is not None:
            self.transport.close()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status == 500:
            log.error("HTTP request failed", exc_info=exc)
            status, title, text = 500, "Server Error", "Internal Server Error"
        elif isinstance(exc, LineTooLong):
            status, title, text = 400, "Bad Request", "Header line too long"
        elif "Too many headers" in str(exc):
            status, title, text = 413, "Request Entity Too Large", "Too many headers"
        elif isinstance(exc, BadHttpMethod):
            status, title, text = NOT_IMPLEMENTED
        else:
            status, title, text = 400, "Bad Request", "Invalid Request"
        server: _Server = self._manager  # type: ignore[assignment]
        name = server.http.settings.servername
        body = error_body(name, status, title, text)
        return reply(name, status, title, [("Content-type", "text/html")], body, True)


class _Server(web.Server):
    def __init__(self, http: HttpManager, **kwargs: Any) -> None:
        super().__init__(http.handle, **kwargs)
        self.http = http

    def __call__(self) -> _Handler:
        return _Handler(self, loop=self._loop, **self._kwargs)


async def start_http(
    manager: Manager, settings: HttpSettings, port: int | None = None
) -> HttpManager | None:
    """The HTTP manager, when manager.conf has ``webenabled`` and http.conf ``enabled`` and a
    ``bindaddr`` (``port`` overrides ``bindport``); None otherwise or if it cannot listen."""
    http = HttpManager(manager, settings)
    register_cli(http)
    if not (manager.settings.webenabled and settings.enabled):
        return None
    if not settings.bindaddr:
        log.warning("http.conf: no bindaddr; the HTTP manager is not started")
        return None
    try:
        await http.start(settings.bindaddr, settings.bindport if port is None else port)
    except OSError as exc:
        log.error("HTTP manager not started: %s", exc)
        return None
    return http


def register_cli(http: HttpManager) -> None:
    @http.manager.pbx.cli.register("http show status", "Display HTTP server status")
    def show_status(args: list[str]) -> list[str]:
        settings = http.settings
        lines = ["HTTP Server Status:", f"Prefix: {settings.prefix}"]
        lines.append(f"Server: {settings.servername}")
        address = http.address
        if address is None:
            lines += ["Server Disabled", ""]
        else:
            lines += [f"Server Enabled and Bound to {address[0]}:{address[1]}", ""]
        lines.append("Enabled URI's:")
        if address is None:
            lines.append("None.")
        else:
            lines += [f"{settings.prefix}/{uri} => {text}" for uri, text in DESCRIPTIONS.items()]
        lines += ["", "Enabled Redirects:", "  None."]
        return lines


class HttpManager:
    """The manager's HTTP listener and its sessions."""

    def __init__(self, manager: Manager, settings: HttpSettings) -> None:
        self.manager = manager
        self.settings = settings
        self.sessions = HttpSessions(manager)
        self.server: asyncio.AbstractServer | None = None
        self._web: _Server | None = None
        self._purger: asyncio.TimerHandle | None = None
        self.sockets: set[web.WebSocketResponse] = set()

    @property
    def address(self) -> tuple[str, int] | None:
        if self.server is None or not self.server.sockets:  # type: ignore[attr-defined]
            return None
        host, port = self.server.sockets[0].getsockname()[:2]  # type: ignore[attr-defined]
        return host, port

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._web = _Server(
            self,
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
            max_headers=MAX_HEADERS,
            keepalive_timeout=KEEP_ALIVE,
            access_log=None,
        )
        self.server = await loop.create_server(self._web, host, port, reuse_address=True)
        self._purger = loop.call_later(PURGE_EVERY, self._purge)
        bound = self.address
        assert bound is not None
        log.info("HTTP manager listening on %s:%d", *bound)

    def _purge(self) -> None:
        self.sessions.purge()
        self._purger = self.manager.loop.call_later(PURGE_EVERY, self._purge)

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):  # a peer that stopped reading cannot hold us
                await asyncio.wait_for(ws.close(), 1.0)
        if self.server is not None:
            self.server.close()
            if self._web is not None:
                await self._web.shutdown(1.0)
            await self.server.wait_closed()

    # -- routing ----------------------------------------------------------------------

    def route(self, path: str) -> str | None:
        """The registered URI name ``path`` asks for, or None."""
        prefix = self.settings.prefix
        head, rest = path[: len(prefix)], path[len(prefix) :]
        if head.lower() != prefix.lower() or not rest.startswith("/"):
            return None
        name = rest[1:].lower()
        if name in MANAGER_URIS or name == WEBSOCKET_URI:
            return name
        return None

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        name = self.route(request.path)
        try:
            if name is None:
                raise BadRequest(*NOT_FOUND)
            if name == WEBSOCKET_URI:
                return await self.websocket(request)
            if request.method not in ("GET", "HEAD", "POST"):
                raise BadRequest(*NOT_IMPLEMENTED)
            fmt, with_digest = MANAGER_URIS[name]
            params = await self.parameters(request)
            if with_digest:
                return await self.digest_action(request, fmt, params)
            return await self.cookie_action(request, fmt, params)
        except BadRequest as exc:
            return self.error(request, exc.status, exc.title, exc.text)

    def error(
        self, request: web.BaseRequest, status: int, title: str, text: str, close: bool = False
    ) -> web.Response:
        body = error_body(self.settings.servername, status, title, text)
        return reply(
            self.settings.servername, status, title, [("Content-type", "text/html")], body,
            close or not request.keep_alive,
        )  # fmt: skip

    async def parameters(self, request: web.BaseRequest) -> list[tuple[str, str]]:
        """The action's headers: the query string, or a POSTed form (which replaces it)."""
        if request.method != "POST":
            pairs = list(request.query.items())
        else:
            kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind != "application/x-www-form-urlencoded":
                return []
            if (request.content_length or 0) > MAX_CONTENT_LENGTH:
                raise BadRequest(413, "Request Entity Too Large", "Body too large")
            body = bytearray()
            async for chunk in request.content.iter_chunked(8192):
                body += chunk
                if len(body) > MAX_CONTENT_LENGTH:
                    raise BadRequest(413, "Request Entity Too Large", "Body too large")
            pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                              errors="replace")  # fmt: skip
        return [(_clean(name), _clean(value)) for name, value in pairs[:MAX_PARAMS]]

    @staticmethod
    def _ends(request: web.BaseRequest) -> tuple[tuple[str, int], tuple[str, int]]:
        transport = request.transport
        local = transport.get_extra_info("sockname") if transport else None
        peer = transport.get_extra_info("peername") if transport else None
        local = local or ("", 0)
        peer = peer or ("", 0)
        return (local[0], local[1]), (peer[0], peer[1])

    async def cookie_action(
        self, request: web.BaseRequest, fmt: str, params: list[tuple[str, str]]
    ) -> web.Response:
        ident = session_cookie(request)
        session = self.sessions.find(ident) if ident else None
        if session is None:
            session = self.sessions.create(*self._ends(request))
        output = await session.perform(Message.from_pairs(params))
        headers = [
            ("Content-type", f"text/{fmt}"),
            ("Set-Cookie", f'mansession_id="{session.cookie}"; Version=1; '
                           f"Max-Age={self.manager.settings.httptimeout}"),
            ("Pragma", "SuppressEvents"),
        ]  # fmt: skip
        body = self.render(fmt, output, params, HTML_HEAD, HTML_TAIL)
        return reply(self.settings.servername, 200, "OK", headers, body, not request.keep_alive)

    async def digest_action(
        self, request: web.BaseRequest, fmt: str, params: list[tuple[str, str]]
    ) -> web.Response:
        session = self.digest_session(request)
        if isinstance(session, web.Response):
            return session
        output = await session.perform(Message.from_pairs(params))
        headers = [("Content-type", f"text/{fmt}")]
        body = self.render(fmt, output, params, AUTH_HTML_HEAD, AUTH_HTML_TAIL)
        return reply(self.settings.servername, 200, "OK", headers, body, not request.keep_alive)

    def challenge(
        self, request: web.BaseRequest, nonce: int = 0, stale: bool = False
    ) -> web.Response:
        nonce = nonce or self.sessions.issue_nonce()
        body = error_body(self.settings.servername, 401, "Unauthorized", "")
        headers = [
            ("WWW-authenticate", digest.challenge(nonce, stale)),
            ("Content-type", "text/html"),
        ]
        name = self.settings.servername
        return reply(name, 401, "Unauthorized", headers, body, not request.keep_alive)

    def digest_session(self, request: web.BaseRequest) -> HttpSession | web.Response:
        """The session the Authorization header proves, or the 401/403 answer."""
        credentials = digest.parse_digest(request.headers.get("Authorization", ""))
        if credentials is None:
            return self.challenge(request)
        nonce = digest.parse_hex(credentials.nonce)
        user = self.manager.settings.users.get(credentials.username.lower())
        if nonce == 0 or user is None or user.secret is None:
            return self.challenge(request)
        local, remote = self._ends(request)
        if not user.allows_address(remote[0]):
            log.info("%s failed to pass IP ACL as '%s'", remote[0], credentials.username)
            return self.error(request, 403, "Permission denied", "Permission denied", True)
        method = "GET" if request.method == "HEAD" else request.method
        if not digest.verify(credentials, user.secret, method, nonce):
            return self.challenge(request)
        session = self.sessions.find(nonce)
        if session is None or not session.digest or session.user is not user:
            stale = self.sessions.by_old_nonce(credentials.username, nonce)
            if stale is not None:
                return self.challenge(request, stale.managerid, stale=True)
            fresh = self.sessions.digest_session(user, nonce, local, remote)
            return fresh if fresh is not None else self.challenge(request)
        count = digest.parse_hex(credentials.nc)
        clock = self.manager.clock()
        if session.nc >= count or clock - session.nonce_time > 62:
            return self.challenge(request, self.sessions.renew_nonce(session), stale=True)
        session.nc = count
        return session

    @staticmethod
    def render(
        fmt: str, output: bytes, params: list[tuple[str, str]], head: str, tail: str
    ) -> bytes:
        if fmt == RAW:
            return output
        text = output.decode("utf-8", "surrogateescape")
        if fmt == XML:
            options = {name.lower(): value for name, value in reversed(params)}
            dest = options.get("ajaxdest") or "unknown"
            objtype = options.get("ajaxobjtype") or "generic"
            page = XML_HEAD + translate(text, True, dest, objtype) + XML_TAIL
        else:
            page = head + translate(text, False) + tail
        return page.encode("utf-8", "surrogateescape")

    # -- WebSocket: AMI as JSON -------------------------------------------------------

    async def websocket(self, request: web.BaseRequest) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_WS_MESSAGE, autoping=True)
        if not ws.can_prepare(request).ok:
            raise BadRequest(400, "Bad Request", "WebSocket upgrade expected")
        await ws.prepare(request)
        link = WebSocketLink(ws, self.manager, request.transport)
        local, remote = self._ends(request)
        session = self.manager.open_session(link, local, remote, banner=False)
        if session is None:
            await ws.close()
            return ws
        link.session = session
        self.sockets.add(ws)
        writer = asyncio.ensure_future(link.run())
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    link.send_error("Failed to parse message: frames must be JSON text")
                    continue
                try:
                    message = message_from_json(frame.data)
                except JsonMessageError as exc:
                    link.send_error(str(exc))
                    continue
                session.messages_received([message])
                await link.readable.wait()
                if session.closed:
                    break
        finally:
            self.sockets.discard(ws)
            session.connection_lost()
            link.stop()
            await writer
        return ws


class WebSocketLink:
    """A session's link over a WebSocket: each AMI message written goes out as JSON."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        manager: Manager,
        transport: asyncio.BaseTransport | None,
    ) -> None:
        self.ws = ws
        self.manager = manager
        self.transport = transport
        self.session: Session | None = None
        self.pending: deque[str] = deque()
        self.size = 0
        self.readable = asyncio.Event()
        self.readable.set()
        self._wake = asyncio.Event()
        self._closing = False
        self._stopped = False

    def write(self, data: bytes) -> None:
        if self._closing:
            return
        for obj in messages_to_json(data):
            text = dumps(obj)
            self.pending.append(text)
            self.size += len(text)
        self._wake.set()
        if self.size > self.manager.settings.max_queue and self.session is not None:
            self.session.overflow()

    def send_error(self, text: str) -> None:
        self.pending.append(dumps({"Response": "Error", "Message": text}))
        self._wake.set()

    def close(self) -> None:
        self._closing = True
        self._wake.set()

    def abort(self) -> None:
        """Drop the connection now (a peer that does not read must not hold its backlog)."""
        self._closing = True
        self.pending.clear()
        self.size = 0
        self._wake.set()
        if self.transport is not None:
            self.transport.abort()  # type: ignore[attr-defined]

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def pause_reading(self) -> None:
        self.readable.clear()

    def resume_reading(self) -> None:
        self.readable.set()

    def buffered(self) -> int:
        return self.size

    async def run(self) -> None:
        """Send what is written, in order; close when the session asks."""
        ws = self.ws
        with contextlib.suppress(ConnectionError, RuntimeError):
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self.pending:
                    text = self.pending.popleft()
                    self.size -= len(text)
                    await ws.send_str(text)
                if self._closing:
                    self.readable.set()
                    await ws.close()
                    return
                if self._stopped:
                    return
