"""The SIP stack: transport, transactions and dispatch of requests by method.

``SipStack(clock)`` is started with ``await stack.start(udp=(host, port), tcp=(host, port))``.
Incoming requests are checked (mandatory headers, CSeq method, Max-Forwards), then:

* a retransmission goes to its server transaction, which answers it again;
* an ACK matching an INVITE server transaction (a 300-699 answer's) completes it; any
  other ACK (a 2xx's, RFC 3261 13.2.2.4) goes to ``handlers["ACK"]`` with no transaction;
* a CANCEL whose INVITE transaction is unknown gets 481; otherwise
  ``handlers["CANCEL"]`` (``stack.transactions.find_invite(request)`` gives the INVITE's);
* a new INVITE gets ``100 Trying`` at once, then, like every other new request, goes to
  ``handlers[method](request, transaction, endpoint)`` in a new server transaction; a method
  nobody handles gets ``501 Not Implemented``; Max-Forwards 0 gets ``483 Too Many Hops``;
  with ``max_transactions`` server transactions open, new requests get ``503``.

Handlers answer with ``transaction.respond(status)`` or ``transaction.respond(response)``
(``transaction.response(status)`` builds one to add headers or a body to first). A handler
that raises gets ``500`` answered and a log line, never an escape to the network code.

Responses go to their client transaction's callbacks (see ``send_request``); a response no
transaction expects (a 2xx retransmitted for an INVITE whose transaction ended) goes to
``on_stray_response(response, endpoint)`` when set, else it is dropped. Bad bytes are
dropped with a log line (and a ``400`` when the request is readable enough to answer).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from .message import (
    Headers,
    NameAddr,
    Request,
    Response,
    SipParseError,
    is_number,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
)
from .transaction import (
    ClientTransaction,
    Endpoint,
    ResponseCallback,
    ServerTransaction,
    TimeoutCallback,
    Timers,
    TransactionLayer,
)
from .transport import SipTransport

if TYPE_CHECKING:
    from ..pbx.clock import Clock

log = logging.getLogger("pbxd.sip")

Handler = Callable[[Request, "ServerTransaction | None", Endpoint], None]
#: chan_sip's default ``useragent``.
USER_AGENT = "Asterisk PBX 20.20.1"
#: Server transactions open at once (each lives 32 s after its answer over UDP); past this a
#: flood gets 503 instead of memory.
MAX_TRANSACTIONS = 50_000
_MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")


class SipStack:
    def __init__(
        self, clock: Clock, timers: Timers | None = None, user_agent: str = USER_AGENT
    ) -> None:
        self.clock = clock
        self.user_agent = user_agent
        self.transport = SipTransport(self.receive, self.bad_message)
        self.transactions = TransactionLayer(clock, self.send, timers)
        self.handlers: dict[str, Handler] = {}
        self.on_stray_response: Callable[[Response, Endpoint], None] | None = None
        self.bad_messages = 0  # dropped or refused as malformed
        self.max_transactions = MAX_TRANSACTIONS
        self.overloaded = 0  # requests refused because too many transactions were open

    async def start(
        self, udp: tuple[str, int] | None = None, tcp: tuple[str, int] | None = None
    ) -> None:
        """Bind the transports asked for; raises OSError when an address is taken."""
        if udp is not None:
            await self.transport.start_udp(*udp)
        if tcp is not None:
            await self.transport.start_tcp(*tcp)

    async def close(self) -> None:
        await self.transport.close()

    @property
    def allowed(self) -> str:
        """The Allow header's value: the methods handled here."""
        methods = ["ACK", "CANCEL", *sorted(set(self.handlers) - {"ACK", "CANCEL"})]
        return ", ".join(methods)

    # -- sending --------------------------------------------------------------------------

    def send(self, message: Request | Response, endpoint: Endpoint) -> None:
        self.transport.send(message, endpoint)

    def local_address(self, endpoint: Endpoint) -> tuple[str, int]:
        """The host and port this side is reached at from ``endpoint``."""
        bound = (
            (self.transport.tcp_address if endpoint.reliable else self.transport.udp_address)
            or self.transport.udp_address
            or ("127.0.0.1", 5060)
        )
        host, port = bound
        if host in ("0.0.0.0", "::"):
            host = _route_to(endpoint.host)
        return host, port

    def new_request(
        self,
        method: str,
        uri: str,
        endpoint: Endpoint,
        from_: str,
        to: str,
        *,
        call_id: str | None = None,
        cseq: int = 1,
        from_tag: str | None = None,
    ) -> Request:
        """A request with a fresh Via (branch, rport), From (tagged), To, Call-ID, CSeq,
        Max-Forwards and User-Agent; ``from_``/``to`` are name-addr texts."""
        host, port = self.local_address(endpoint)
        sender = NameAddr.parse(from_)
        sender.params["tag"] = from_tag or new_tag()
        headers = Headers()
        headers.add(
            "Via", f"SIP/2.0/{endpoint.protocol.upper()} {host}:{port};branch={new_branch()};rport"
        )
        headers.add("Max-Forwards", "70")
        headers.add("From", str(sender))
        headers.add("To", to)
        headers.add("Call-ID", call_id or new_call_id(host))
        headers.add("CSeq", f"{cseq} {method}")
        headers.add("User-Agent", self.user_agent)
        return Request(headers, b"", method, uri)

    def send_request(
        self,
        request: Request,
        endpoint: Endpoint,
        on_response: ResponseCallback,
        on_timeout: TimeoutCallback,
    ) -> ClientTransaction:
        """Send ``request`` in a client transaction; answers come to ``on_response``."""
        return self.transactions.request(request, endpoint, on_response, on_timeout)

    def answer(self, request: Request, endpoint: Endpoint, status: int) -> None:
        """Answer outside any transaction (a request refused before one was made)."""
        response = make_response(request, status, None, new_tag())
        response.headers.add("Server", self.user_agent)
        if status in (405, 501):
            response.headers.add("Allow", self.allowed)
        self.send(response, endpoint)

    # -- receiving ------------------------------------------------------------------------

    def bad_message(self, data: bytes, endpoint: Endpoint, error: SipParseError) -> None:
        self.bad_messages += 1
        log.warning("SIP: dropped a malformed message from %s: %s", endpoint, error)

    def receive(self, message: Request | Response, endpoint: Endpoint) -> None:
        try:
            if isinstance(message, Response):
                self._response(message, endpoint)
            else:
                self._request(message, endpoint)
        except SipParseError as exc:
            self.bad_messages += 1
            log.warning("SIP: dropped a malformed %s from %s: %s", _kind(message), endpoint, exc)

    def _response(self, response: Response, endpoint: Endpoint) -> None:
        transaction = self.transactions.match_response(response)
        if transaction is not None:
            transaction.receive(response)
        elif self.on_stray_response is not None:
            self.on_stray_response(response, endpoint)

    def _request(self, request: Request, endpoint: Endpoint) -> None:
        via = request.top_via  # raises SipParseError: no Via, no answer
        missing = [name for name in _MANDATORY if name not in request.headers]
        if missing:
            raise SipParseError(f"missing {', '.join(missing)}")
        try:
            request.from_, request.to  # noqa: B018 (parsed to check them)
            cseq_method = request.cseq[1]
        except SipParseError as exc:
            self.bad_messages += 1
            log.warning("SIP: bad %s from %s: %s", request.method, endpoint, exc)
            self.answer(request, endpoint, 400)
            return
        _mark_received(request, via.host, endpoint)
        if cseq_method != request.method:
            self.answer(request, endpoint, 400)
            return
        existing = self.transactions.match_request(request)
        if existing is not None:
            existing.retransmission(request)
            return
        if request.method == "ACK":
            handler = self.handlers.get("ACK")
            if handler is not None:
                self._call(handler, request, None, endpoint)
            return
        hops = (request.headers.get("Max-Forwards") or "70").strip()
        if not is_number(hops):
            self.answer(request, endpoint, 400)
            return
        if int(hops) == 0:
            self.answer(request, endpoint, 483)
            return
        if request.method == "CANCEL" and self.transactions.find_invite(request) is None:
            self.answer(request, endpoint, 481)
            return
        handler = self.handlers.get(request.method)
        if handler is None:
            self.answer(request, endpoint, 501)
            return
        if len(self.transactions.servers) >= self.max_transactions:
            self.overloaded += 1
            if self.overloaded == 1 or self.overloaded % 1000 == 0:
                log.warning("SIP: %d server transactions open, %s refused with 503 (%d so far)",
                            len(self.transactions.servers), request.method, self.overloaded)  # fmt: skip
            self.answer(request, endpoint, 503)
            return
        transaction = self.transactions.server(request, endpoint)
        if request.method == "INVITE":
            transaction.respond(100)
        self._call(handler, request, transaction, endpoint)

    def _call(
        self,
        handler: Handler,
        request: Request,
        transaction: ServerTransaction | None,
        endpoint: Endpoint,
    ) -> None:
        try:
            handler(request, transaction, endpoint)
        except Exception:
            log.exception("SIP: the %s handler failed", request.method)
            if transaction is not None and (
                transaction.last_response is None or transaction.last_response.status < 200
            ):
                transaction.respond(500)


def _mark_received(request: Request, via_host: str, endpoint: Endpoint) -> None:
    """Add ``received`` (and fill ``rport``) on the top Via, RFC 3261 18.2.1 / RFC 3581."""
    top = request.top_via
    if via_host == endpoint.host and ("rport" not in top.params or top.params["rport"]):
        return
    top = top.copy()
    if via_host != endpoint.host:
        top.params["received"] = endpoint.host
    if "rport" in top.params and not top.params["rport"]:
        top.params["rport"] = str(endpoint.port)
        top.params.setdefault("received", endpoint.host)
    request.headers.replace_all("Via", [str(top), *request.headers.values("Via")[1:]])


def _route_to(host: str) -> str:
    """The local address the system routes to ``host`` from (no packet is sent)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 9))
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def _kind(message: Request | Response) -> str:
    return message.method if isinstance(message, Request) else f"{message.status} response"
