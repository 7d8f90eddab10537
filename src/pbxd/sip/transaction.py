"""SIP transactions (RFC 3261 section 17), driven by a clock and a send callback.

The layer owns no socket: it is given ``send(message, endpoint)`` and a clock with
``call_later`` (the PBX's, so tests run on the virtual clock). Four state machines:

* :class:`ClientInvite` (Calling, Proceeding, Completed, Terminated): timer A retransmits
  the INVITE over UDP (T1, doubling), B gives up after 64*T1, D absorbs retransmitted final
  answers (32 s over UDP); a 300-699 answer is acknowledged here, a 2xx goes to the caller,
  who sends its own ACK.
* :class:`ClientNonInvite` (Trying, Proceeding, Completed, Terminated): timer E retransmits
  (T1 doubling up to T2), F gives up after 64*T1, K absorbs retransmissions (T4).
* :class:`ServerInvite` (Proceeding, Completed, Confirmed, Terminated): a retransmitted
  INVITE gets the last answer again; a 300-699 answer is retransmitted by timer G (T1
  doubling up to T2) until the ACK comes or H (64*T1) expires; I absorbs ACKs (T4).
  A 2xx ends the transaction (the dialog retransmits it until its ACK, RFC 3261 13.3.1.4).
* :class:`ServerNonInvite` (Trying, Proceeding, Completed, Terminated): retransmitted
  requests get the last answer again; J (64*T1 over UDP) keeps the transaction for them.

Over a reliable transport (TCP) there are no retransmissions and D, I, J, K are zero.

Client transactions report to their owner through ``on_response(response)`` and
``on_timeout()``; matching of incoming messages to transactions is
:class:`TransactionLayer`'s job (by top Via branch and CSeq method, RFC 3261 17.1.3 and
17.2.3).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .message import MAGIC_COOKIE, Headers, Request, Response, make_response, new_tag

if TYPE_CHECKING:
    from ..pbx.clock import Clock, TimerHandle

log = logging.getLogger("pbxd.sip")

T1 = 0.5
T2 = 4.0
T4 = 5.0


class Endpoint(NamedTuple):
    """Where a message came from or goes to: ``protocol`` is ``udp`` or ``tcp``."""

    protocol: str
    host: str
    port: int

    @property
    def reliable(self) -> bool:
        return self.protocol != "udp"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


Send = Callable[["Request | Response", Endpoint], None]
ResponseCallback = Callable[[Response], None]
TimeoutCallback = Callable[[], None]


class Timers:
    """The RFC's timer values (T1, T2, T4 in seconds; tests may shorten them)."""

    def __init__(self, t1: float = T1, t2: float = T2, t4: float = T4) -> None:
        self.t1, self.t2, self.t4 = t1, t2, t4


class _Transaction:
    kind = ""

    def __init__(self, layer: TransactionLayer, request: Request, endpoint: Endpoint) -> None:
        self.layer = layer
        self.request = request
        self.endpoint = endpoint
        self.state = ""
        self.key = transaction_key(request, request.method)
        self._timers: dict[str, TimerHandle] = {}

    @property
    def clock(self) -> Clock:
        return self.layer.clock

    @property
    def timers(self) -> Timers:
        return self.layer.timers

    def start_timer(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self.stop_timer(name)
        self._timers[name] = self.clock.call_later(delay, callback)

    def stop_timer(self, name: str) -> None:
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def terminate(self) -> None:
        self.state = "Terminated"
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self.layer.forget(self)

    def send(self, message: Request | Response) -> None:
        self.layer.send(message, self.endpoint)


# -- client transactions ------------------------------------------------------------------


class _Client(_Transaction):
    def __init__(
        self,
        layer: TransactionLayer,
        request: Request,
        endpoint: Endpoint,
        on_response: ResponseCallback,
        on_timeout: TimeoutCallback,
    ) -> None:
        super().__init__(layer, request, endpoint)
        self.on_response = on_response
        self.on_timeout = on_timeout
        self._interval = self.timers.t1

    def timed_out(self) -> None:
        if self.state == "Terminated":
            return
        self.terminate()
        self.on_timeout()

    @abstractmethod
    def receive(self, response: Response) -> None: ...


class ClientInvite(_Client):
    kind = "INVITE client"

    def start(self) -> None:
        self.state = "Calling"
        self.send(self.request)
        if not self.endpoint.reliable:
            self.start_timer("A", self._interval, self._retransmit)
        self.start_timer("B", 64 * self.timers.t1, self.timed_out)

    def _retransmit(self) -> None:
        if self.state != "Calling":
            return
        self.send(self.request)
        self._interval *= 2
        self.start_timer("A", self._interval, self._retransmit)

    def receive(self, response: Response) -> None:
        status = response.status
        if self.state in ("Calling", "Proceeding"):
            if status < 200:
                self.state = "Proceeding"
                self.stop_timer("A")
                self.on_response(response)
            elif status < 300:
                self.terminate()
                self.on_response(response)
            else:
                self.state = "Completed"
                self.stop_timer("A")
                self.stop_timer("B")
                self.send(self.ack_for(response))
                wait = 0.0 if self.endpoint.reliable else 32.0
                self.start_timer("D", wait, self.terminate)
                self.on_response(response)
        elif self.state == "Completed" and status >= 300:
            self.send(self.ack_for(response))

    def ack_for(self, response: Response) -> Request:
        """The ACK of a 300-699 answer: same branch, the answer's To (RFC 3261 17.1.1.3)."""
        headers = Headers()
        headers.add("Via", self.request.headers.values("Via")[0])
        for name in ("Route", "From"):
            for value in self.request.headers.get_all(name):
                headers.add(name, value)
        headers.add("To", response.headers.get("To") or "")
        headers.add("Call-ID", self.request.call_id)
        headers.add("CSeq", f"{self.request.cseq[0]} ACK")
        headers.add("Max-Forwards", "70")
        return Request(headers, b"", "ACK", self.request.uri)

    def cancel_request(self) -> Request:
        """The CANCEL for this INVITE: same Request-URI, top Via, From, To, Call-ID and
        CSeq number (RFC 3261 9.1). Send it with ``TransactionLayer.request``."""
        headers = Headers()
        headers.add("Via", self.request.headers.values("Via")[0])
        for name in ("Route", "From", "To", "Call-ID"):
            for value in self.request.headers.get_all(name):
                headers.add(name, value)
        headers.add("CSeq", f"{self.request.cseq[0]} CANCEL")
        headers.add("Max-Forwards", "70")
        return Request(headers, b"", "CANCEL", self.request.uri)


class ClientNonInvite(_Client):
    kind = "non-INVITE client"

    def start(self) -> None:
        self.state = "Trying"
        self.send(self.request)
        if not self.endpoint.reliable:
            self.start_timer("E", self._interval, self._retransmit)
        self.start_timer("F", 64 * self.timers.t1, self.timed_out)

    def _retransmit(self) -> None:
        if self.state not in ("Trying", "Proceeding"):
            return
        self.send(self.request)
        if self.state == "Trying":
            self._interval = min(self._interval * 2, self.timers.t2)
        else:
            self._interval = self.timers.t2
        self.start_timer("E", self._interval, self._retransmit)

    def receive(self, response: Response) -> None:
        if self.state not in ("Trying", "Proceeding"):
            return
        if response.status < 200:
            self.state = "Proceeding"
            self.on_response(response)
            return
        self.state = "Completed"
        self.stop_timer("E")
        self.stop_timer("F")
        self.start_timer("K", 0.0 if self.endpoint.reliable else self.timers.t4, self.terminate)
        self.on_response(response)


# -- server transactions ------------------------------------------------------------------


class _Server(_Transaction):
    def __init__(self, layer: TransactionLayer, request: Request, endpoint: Endpoint) -> None:
        super().__init__(layer, request, endpoint)
        self.last_response: Response | None = None
        self.to_tag = ""  # the tag this side puts on To in its answers (set by the TU)

    def response(self, status: int, reason: str | None = None) -> Response:
        """A response to the request, To tagged with ``to_tag`` (made on first use)."""
        if not self.to_tag:
            self.to_tag = new_tag()
        return make_response(self.request, status, reason, self.to_tag)

    def respond(self, response: Response | int, reason: str | None = None) -> Response:
        """Send an answer (a Response, or a status code to build one from); returns it."""
        if isinstance(response, int):
            response = self.response(response, reason)
        self._respond(response)
        return response

    @abstractmethod
    def _respond(self, response: Response) -> None: ...

    @abstractmethod
    def retransmission(self, request: Request) -> None:
        """The same request again (or the ACK of this INVITE's 300-699 answer)."""


class ServerInvite(_Server):
    kind = "INVITE server"

    def __init__(self, layer: TransactionLayer, request: Request, endpoint: Endpoint) -> None:
        super().__init__(layer, request, endpoint)
        self.state = "Proceeding"
        self._interval = self.timers.t1
        self.on_ack: Callable[[Request], None] | None = None
        self.on_timeout: TimeoutCallback | None = None  # no ACK for a 300-699 answer

    def _respond(self, response: Response) -> None:
        if self.state != "Proceeding":
            return
        self.last_response = response
        self.send(response)
        if response.status < 200:
            return
        if response.status < 300:
            self.terminate()
            return
        self.state = "Completed"
        if not self.endpoint.reliable:
            self.start_timer("G", self._interval, self._retransmit)
        self.start_timer("H", 64 * self.timers.t1, self._no_ack)

    def _retransmit(self) -> None:
        if self.state != "Completed" or self.last_response is None:
            return
        self.send(self.last_response)
        self._interval = min(self._interval * 2, self.timers.t2)
        self.start_timer("G", self._interval, self._retransmit)

    def _no_ack(self) -> None:
        log.info("no ACK from %s for %s", self.endpoint, self.request.call_id)
        self.terminate()
        if self.on_timeout is not None:
            self.on_timeout()

    def retransmission(self, request: Request) -> None:
        if request.method == "ACK":
            if self.state == "Completed":
                self.state = "Confirmed"
                self.stop_timer("G")
                self.stop_timer("H")
                self.start_timer(
                    "I", 0.0 if self.endpoint.reliable else self.timers.t4, self.terminate
                )
                if self.on_ack is not None:
                    self.on_ack(request)
            return
        if self.state in ("Proceeding", "Completed") and self.last_response is not None:
            self.send(self.last_response)


class ServerNonInvite(_Server):
    kind = "non-INVITE server"

    def __init__(self, layer: TransactionLayer, request: Request, endpoint: Endpoint) -> None:
        super().__init__(layer, request, endpoint)
        self.state = "Trying"

    def _respond(self, response: Response) -> None:
        if self.state not in ("Trying", "Proceeding"):
            return
        self.last_response = response
        self.send(response)
        if response.status < 200:
            self.state = "Proceeding"
            return
        self.state = "Completed"
        wait = 0.0 if self.endpoint.reliable else 64 * self.timers.t1
        self.start_timer("J", wait, self.terminate)

    def retransmission(self, request: Request) -> None:
        if self.state in ("Proceeding", "Completed") and self.last_response is not None:
            self.send(self.last_response)


ServerTransaction = ServerInvite | ServerNonInvite
ClientTransaction = ClientInvite | ClientNonInvite


def transaction_key(message: Request | Response, method: str) -> tuple[str, ...]:
    """Branch and method (ACK and CANCEL keep their own method), plus sent-by for requests
    of RFC 2543 peers whose branch lacks the magic cookie."""
    via = message.top_via
    branch = via.branch
    if branch.startswith(MAGIC_COOKIE):
        return (branch, via.sent_by, method)
    from_tag = message.from_.tag or ""
    return (message.call_id, from_tag, str(message.cseq[0]), via.sent_by, branch, method)


class TransactionLayer:
    """The live transactions, matched to incoming messages; timers on ``clock``."""

    def __init__(self, clock: Clock, send: Send, timers: Timers | None = None) -> None:
        self.clock = clock
        self.send = send
        self.timers = timers or Timers()
        self.clients: dict[tuple[str, ...], ClientTransaction] = {}
        self.servers: dict[tuple[str, ...], ServerTransaction] = {}

    def request(
        self,
        request: Request,
        endpoint: Endpoint,
        on_response: ResponseCallback,
        on_timeout: TimeoutCallback,
    ) -> ClientTransaction:
        """Send ``request`` (its top Via carries a fresh magic-cookie branch) in a new client
        transaction."""
        kind = ClientInvite if request.method == "INVITE" else ClientNonInvite
        transaction = kind(self, request, endpoint, on_response, on_timeout)
        self.clients[transaction.key] = transaction
        transaction.start()
        return transaction

    def match_response(self, response: Response) -> ClientTransaction | None:
        """The client transaction ``response`` answers (None for a stray one)."""
        return self.clients.get(transaction_key(response, response.cseq[1]))

    def match_request(self, request: Request) -> ServerTransaction | None:
        """The server transaction a retransmitted request (or the ACK of a 300-699 answer)
        belongs to."""
        method = "INVITE" if request.method == "ACK" else request.method
        return self.servers.get(transaction_key(request, method))

    def find_invite(self, cancel: Request) -> ServerInvite | None:
        """The INVITE server transaction a CANCEL names (same branch and sent-by)."""
        found = self.servers.get(transaction_key(cancel, "INVITE"))
        return found if isinstance(found, ServerInvite) else None

    def server(self, request: Request, endpoint: Endpoint) -> ServerTransaction:
        """A new server transaction for a request seen for the first time (not ACK)."""
        kind = ServerInvite if request.method == "INVITE" else ServerNonInvite
        transaction = kind(self, request, endpoint)
        self.servers[transaction.key] = transaction
        return transaction

    def forget(self, transaction: _Transaction) -> None:
        table: dict[tuple[str, ...], ClientTransaction] | dict[tuple[str, ...], ServerTransaction]
        table = self.clients if isinstance(transaction, _Client) else self.servers
        if table.get(transaction.key) is transaction:
            del table[transaction.key]
