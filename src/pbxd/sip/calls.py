"""SIP calls: the ``SIP`` channel technology (INVITE dialogs with RTP media), as chan_sip.

An INVITE from a peer (checked by ``authenticate``) becomes a channel ``SIP/<peer>-<8 hex>``
that runs the dialplan at the peer's context and the Request-URI's user; answering it
sends ``200 OK`` with our SDP answer, retransmitted until the ACK comes. ``Dial(SIP/bob)``
and ``Originate`` send an INVITE with our offer to the peer's contact; 180/183 ring the
channel, 200 answers it (we ACK), a final failure is mapped to a hangup cause and a
DIALSTATUS as chan_sip maps them. CANCEL and BYE work from either side; a re-INVITE
changes the media (hold: ``sendonly``/``inactive``/0.0.0.0).

Peers come from ``peer_of(name)`` (a ``CallPeer``: context, where to reach it; made from
the ``SipService``'s peers by ``attach_calls``); an INVITE from a peer with a secret is
digest-checked by the service (the 401 challenge); callers that are no peer are guests in
the general context. ``sip show channels`` lists the calls (``channel_rows``).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..media import sdp
from ..pbx import causes
from ..pbx.channel import Channel, ChannelState, Party
from ..pbx.engine import run_dialplan
from ..pbx.flag import Flag, wait_any
from ..pbx.media import HoldChanged
from ..pbx.technology import ChannelUnavailable
from ..techs.rtp import Interleave, PortAllocator, RtpStream, load_port_range
from . import digest
from .message import NameAddr, Request, Response, SipParseError, SipUri, name_addr, new_tag
from .transaction import ClientInvite, Endpoint, ServerInvite, ServerTransaction

if TYPE_CHECKING:
    from ..pbx.clock import TimerHandle
    from ..pbx.core import PBX
    from .peers import SipPeer
    from .stack import SipStack

log = logging.getLogger("pbxd.sip")

#: A final answer's status to the hangup cause chan_sip gives it.
SIP_TO_CAUSE = {
    401: causes.CALL_REJECTED,
    403: causes.CALL_REJECTED,
    404: causes.UNALLOCATED,
    405: causes.INTERWORKING,
    407: causes.CALL_REJECTED,
    408: causes.NO_USER_RESPONSE,
    409: 41,  # normal temporary failure
    410: 22,  # number changed
    411: causes.INTERWORKING,
    413: causes.INTERWORKING,
    414: causes.INTERWORKING,
    415: causes.INTERWORKING,
    420: causes.NO_ROUTE_DESTINATION,
    480: causes.NO_ANSWER,
    481: causes.INTERWORKING,
    482: causes.INTERWORKING,
    483: causes.NO_ANSWER,
    484: causes.INVALID_NUMBER_FORMAT,
    485: causes.UNALLOCATED,
    486: causes.USER_BUSY,
    487: causes.INTERWORKING,
    488: causes.INTERWORKING,
    491: causes.INTERWORKING,
    493: causes.INTERWORKING,
    500: 38,  # failure
    501: 29,  # facility rejected
    502: 27,  # destination out of order
    503: causes.CONGESTION,
    504: 102,  # recovery on timer expiry
    505: causes.INTERWORKING,
    600: causes.USER_BUSY,
    603: causes.CALL_REJECTED,
    604: causes.UNALLOCATED,
    606: 58,  # bearer capability not available
}
#: A hangup cause to the final answer an unanswered incoming call gets (else 603).
CAUSE_TO_SIP = {
    causes.UNALLOCATED: 404,
    causes.NO_ROUTE_DESTINATION: 404,
    causes.USER_BUSY: 486,
    causes.NO_USER_RESPONSE: 408,
    causes.NO_ANSWER: 480,
    20: 480,  # subscriber absent (unregistered)
    causes.CALL_REJECTED: 403,
    22: 410,
    27: 502,
    causes.INVALID_NUMBER_FORMAT: 484,
    29: 501,
    causes.NORMAL_UNSPECIFIED: 480,
    causes.CONGESTION: 503,
    42: 503,
    38: 500,
    58: 488,
    causes.CHAN_NOT_IMPLEMENTED: 501,
    88: 488,
    causes.INTERWORKING: 500,
}
DIALSTATUS_OF_CAUSE = {
    causes.USER_BUSY: "BUSY",
    causes.CONGESTION: "CONGESTION",
    causes.NO_ANSWER: "NOANSWER",
    causes.NORMAL_CLEARING: "NOANSWER",
}
CODECS = ("PCMU", "PCMA")
EVENT_PT = sdp.DEFAULT_EVENT_PT


def dialstatus(cause: int) -> str:
    """The DIALSTATUS Dial reports for a callee that ended with ``cause`` (app_dial)."""
    return DIALSTATUS_OF_CAUSE.get(cause, "CHANUNAVAIL")


@dataclass
class CallPeer:
    """What a call needs of a peer: its context, and for calls to it where it is."""

    name: str
    context: str = "default"
    uri: str = ""  # the registered contact or the static host (empty: unreachable)
    endpoint: Endpoint | None = None
    codecs: tuple[str, ...] = CODECS
    nat: bool = False  # learn the RTP source (symmetric RTP)
    callerid: Party = field(default_factory=Party)
    username: str = ""  # what we answer a challenge to our INVITE with
    secret: str = ""


PeerLookup = Callable[[str], "CallPeer | None"]
#: Checks an INVITE from a peer: True to go on; False when it answered (401 challenge, 403).
Authenticator = Callable[[Request, ServerTransaction], bool]
#: sip.conf's codec names and the RTP encodings they stand for.
CODEC_NAMES = {"ulaw": "PCMU", "alaw": "PCMA"}


def call_peer(peer: SipPeer) -> CallPeer:
    """The call's view of a ``sip.conf`` peer: where it is reached (its registered contact,
    else its static host), its context, codecs and caller ID."""
    config = peer.config
    endpoint = peer.address
    uri = peer.contact
    if not uri and endpoint is not None:
        uri = f"sip:{config.defaultuser or peer.name}@{endpoint.host}:{endpoint.port}"
    codecs = tuple(CODEC_NAMES[c] for c in config.codecs if c in CODEC_NAMES) or ("PCMU",)
    nat = config.nat.split(",")
    return CallPeer(
        peer.name,
        config.context,
        uri,
        endpoint,
        codecs,
        "comedia" in nat or "auto_comedia" in nat or "yes" in nat,
        Party(config.cid_num, config.cid_name),
        config.defaultuser or peer.name,
        config.remotesecret or config.secret,
    )


def attach_calls(pbx: PBX, directory: Path) -> SipTechnology | None:
    """The ``SIP`` technology on the PBX's SIP service (none without sip.conf): RTP ports
    from ``rtp.conf``, bound on the SIP address."""
    service = pbx.sip
    if service is None:
        return None

    def peer_of(name: str) -> CallPeer | None:
        peer = service.peers.get(name)
        return call_peer(peer) if peer is not None and peer.config.is_peer else None

    def authenticate(request: Request, transaction: ServerTransaction) -> bool:
        return service.authenticate(request, transaction) is not None

    general = service.config.general
    ports = PortAllocator(load_port_range(directory), general.udpbind.host)
    tech = SipTechnology(
        pbx,
        service.stack,
        peer_of,
        ports,
        authenticate,
        guest_context=general.context,
        known=lambda name: service.peers.get(name) is not None,
    )
    pbx.technologies["sip"] = tech
    service.channel_rows.append(tech.channel_rows)
    service.on_stop.append(ports.close)

    @pbx.cli.register("sip show channelstats", "List statistics for active SIP channels")
    def channelstats(args: list[str]) -> list[str]:
        return tech.channelstats_lines()

    return tech


_STATS_HEAD = "%-15.15s  %-11.11s  %-8.8s %-10.10s  %-10.10s (     %%) %-6.6s %-10.10s  %-10.10s (     %%) %-6.6s"
_STATS_ROW = (
    "%-15.15s  %-11.11s  %-8.8s %-10d  %-10d (%5.2f%%) %-6.4f %-10d  %-10d (%5.2f%%) %-6.4f"
)


@dataclass
class Dialog:
    """One side's view of an INVITE dialog (RFC 3261 12)."""

    call_id: str
    local_tag: str
    remote_tag: str
    local: str  # our name-addr, without tag
    remote: str  # theirs, without tag
    target: str  # their Contact URI
    routes: list[str]
    endpoint: Endpoint
    cseq: int = 1

    def request(self, stack: SipStack, method: str, cseq: int | None = None) -> Request:
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        to = self.remote + (f";tag={self.remote_tag}" if self.remote_tag else "")
        request = stack.new_request(
            method,
            self.target,
            self.endpoint,
            self.local,
            to,
            call_id=self.call_id,
            cseq=cseq,
            from_tag=self.local_tag,
        )
        for route in self.routes:
            request.headers.add("Route", route)
        return request


INFO_DURATION_MS = 100  # a press whose INFO says no Duration (chan_sip's default)
_INFO_SIGNALS = {"10": "*", "11": "#"}  # numeric events some phones send for * and #


def info_digit(kind: str, body: bytes) -> tuple[str, int] | None:
    """The key and its duration (ms) of an INFO body, None if it names no DTMF key:
    ``application/dtmf-relay`` (``Signal=5``, ``Duration=160``) or ``application/dtmf``
    (the key alone)."""
    text = body.decode("latin-1").strip()
    duration = INFO_DURATION_MS
    if kind == "application/dtmf-relay":
        fields: dict[str, str] = {}
        for line in text.splitlines():
            name, equals, value = line.partition("=")
            if equals:
                fields[name.strip().lower()] = value.strip()
        signal = fields.get("signal", "")
        if fields.get("duration", "").isdigit():
            duration = min(int(fields["duration"]), 10_000)
    elif kind == "application/dtmf":
        signal = text
    else:
        return None
    signal = _INFO_SIGNALS.get(signal, signal).upper()
    if len(signal) != 1 or signal not in "0123456789*#ABCD":
        return None
    return signal, duration


@functools.lru_cache(maxsize=4096)
def _untagged(header: str) -> str:
    address = NameAddr.parse(header)
    address.params.pop("tag", None)
    return str(address)


def _contact_uri(message: Request | Response) -> str:
    values = message.headers.values("Contact")
    return name_addr(values[0]).uri if values else ""


class SipCall:
    """The driver of one SIP channel: its dialog, its INVITE transaction, its RTP."""

    def __init__(self, tech: SipTechnology, channel: Channel, peer: CallPeer, outgoing: bool):
        self.tech = tech
        self.channel = channel
        self.peer = peer
        self.outgoing = outgoing
        self.stream: RtpStream | None = None
        self.dialog: Dialog | None = None
        self.server: ServerInvite | None = None  # an incoming call's INVITE transaction
        self.client: ClientInvite | None = None  # an outgoing call's
        self.invite: Request | None = None
        self.answered = False
        self.ended = False  # no more signalling: BYE, CANCEL or a final answer was sent
        self.failure = 0  # the final status of an outgoing call that failed
        self.decided = Flag()  # an outgoing call was answered or failed
        self.provisional = False  # an outgoing call heard a 1xx: CANCEL may be sent
        self.cancel_pending = False
        self.sdp_version = 0
        self.session_id = tech.next_session_id()
        self.offer_pending = False  # a late-offer INVITE: the answer comes in the ACK
        self.ok_response: Response | None = None  # our 200, until its ACK
        self._ok_timer: TimerHandle | None = None
        self._ok_interval = 0.0
        self._ok_deadline = 0.0
        self.on_hold = False
        self.answered_media = False  # our SDP is an answer (one codec), not an offer
        self.dialed_user = ""  # ``exten@peer``: the user the INVITE asks for
        self.requestor: Channel | None = None  # who dialed this outgoing call
        self.rang = False
        self.early_sdp: bytes | None = None  # our answer, sent in a 183 before the 200
        self.authenticated = False  # a challenge to our INVITE was answered
        self.last_message = ""
        self.media_host = "127.0.0.1"  # the address our SDP gives for RTP

    # -- media --------------------------------------------------------------------------

    def local_sdp(self, direction: str = "sendrecv") -> bytes:
        stream = self.stream
        assert stream is not None
        self.sdp_version += 1
        if stream.remote is not None and self.answered_media:
            codecs: tuple[tuple[str, int], ...] = ((stream.codec, stream.payload_type),)
            event_pt = stream.event_pt
        else:
            codecs = tuple((c, sdp.CODEC_PT[c]) for c in self.peer.codecs)
            event_pt = EVENT_PT
        return sdp.describe(
            self.media_host,
            stream.local[1],
            codecs,
            event_pt,
            direction,
            self.session_id,
            self.sdp_version,
        )

    def apply_sdp(self, body: bytes) -> sdp.Negotiated:
        """Their offer or answer: the stream sends where and how it says (SdpError if not)."""
        found = sdp.negotiate(sdp.parse(body), self.peer.codecs)
        stream = self.stream
        assert stream is not None
        stream.configure(
            found.codec,
            found.pt,
            found.event_pt,
            (found.address, found.port),
            found.direction in ("sendrecv", "sendonly"),
        )
        self.on_hold = found.on_hold
        return found

    # -- the channel's hooks ------------------------------------------------------------

    def state_changed(self, channel: Channel) -> None:
        if self.outgoing or self.ended or self.server is None or self.answered:
            return
        if channel.state == ChannelState.RINGING:
            self.ring()
        elif channel.state == ChannelState.UP:
            self._answer()
        elif channel.state == ChannelState.BUSY:  # Busy(): the caller hears it at once
            self.ended = True
            self._respond(486)

    def hangup_requested(self, channel: Channel) -> None:
        self.decided.set()
        self.end_signalling()

    def destroyed(self, channel: Channel) -> None:
        self.end_signalling()
        self.stop_ok_retransmissions()
        if self.stream is not None:
            self.stream.close()
        self.tech.forget(self)
        self.client = None  # its callbacks point back here (the channel's links go in core)

    # -- ending -------------------------------------------------------------------------

    def end_signalling(self) -> None:
        """Whatever ends the call on the wire from this side: BYE, CANCEL or a final answer."""
        if self.ended:
            return
        if self.answered and self.dialog is not None:
            self.ended = True
            self.stop_ok_retransmissions()
            self._send_in_dialog("BYE")
        elif self.outgoing:
            if self.client is None:
                self.ended = True
            elif self.provisional:
                self.ended = True
                self._cancel()
            else:
                self.cancel_pending = True  # CANCEL once a provisional answer comes
        elif self.server is not None:
            self.ended = True
            self._respond(CAUSE_TO_SIP.get(self.channel.hangup_cause, 603))

    def _cancel(self) -> None:
        if self.client is None:
            return
        cancel = self.client.cancel_request()
        self.tech.stack.send_request(cancel, self.client.endpoint, _ignore, _nothing)

    def _send_in_dialog(self, method: str) -> None:
        dialog = self.dialog
        assert dialog is not None
        request = dialog.request(self.tech.stack, method)
        self.last_message = f"Tx: {method}"
        self.tech.stack.send_request(request, dialog.endpoint, _ignore, _nothing)

    # -- an incoming call ---------------------------------------------------------------

    def _respond(self, status: int, body: bytes = b"") -> Response | None:
        server = self.server
        if server is None or server.state != "Proceeding":
            return None
        response = server.response(status)
        if status < 300 or status == 180:
            response.headers.add("Contact", self.tech.contact(self.channel.exten, server.endpoint))
        if body:
            response.headers.add("Content-Type", "application/sdp")
            response.body = body
        response.headers.add("Server", self.tech.stack.user_agent)
        self.last_message = f"Tx: {status}"
        server.respond(response)
        return response

    def progress(self, channel: Channel) -> None:
        """Early media for an incoming caller: 183 Session Progress with our answer, once
        (nothing for a late offer, whose answer only the 200 may carry)."""
        if self.outgoing or self.ended or self.answered or self.early_sdp is not None:
            return
        if self.stream is None or self.server is None or self.offer_pending:
            return
        self.stream.before_sending = None
        body = self.local_sdp("recvonly" if self.on_hold else "sendrecv")
        if self._respond(183, body) is not None:
            self.early_sdp = body

    def ring(self) -> None:
        """Tell an incoming caller its call rings (180), once."""
        if not self.outgoing and not self.rang and not self.ended and not self.answered:
            self.rang = True
            self._respond(180)

    def _answer(self) -> None:
        if self.stream is None or self.server is None:
            return
        self.answered = True
        self.stream.before_sending = None
        body = self.early_sdp or self.local_sdp("recvonly" if self.on_hold else "sendrecv")
        response = self._respond(200, body)
        if response is None:
            return
        self.ok_response = response
        timers = self.tech.stack.transactions.timers
        self._ok_interval = timers.t1
        self._ok_deadline = self.tech.pbx.clock() + 64 * timers.t1
        if not self.server.endpoint.reliable:
            self._ok_timer = self.tech.pbx.clock.call_later(self._ok_interval, self._resend_ok)
        else:
            self._ok_timer = self.tech.pbx.clock.call_later(64 * timers.t1, self._no_ack)

    def _resend_ok(self) -> None:
        if self.ok_response is None or self.server is None:
            return
        if self.tech.pbx.clock() >= self._ok_deadline:
            self._no_ack()
            return
        self.tech.stack.send(self.ok_response, self.server.endpoint)
        self._ok_interval = min(self._ok_interval * 2, self.tech.stack.transactions.timers.t2)
        self._ok_timer = self.tech.pbx.clock.call_later(self._ok_interval, self._resend_ok)

    def _no_ack(self) -> None:
        log.warning("No ACK for the 200 OK of %s: hanging up", self.channel.name)
        self.ok_response = None
        self._ok_timer = None
        self.channel.queue_hangup(causes.NO_USER_RESPONSE)

    def stop_ok_retransmissions(self) -> None:
        self.ok_response = None
        timer, self._ok_timer = self._ok_timer, None
        if timer is not None:
            timer.cancel()

    def acknowledged(self, ack: Request) -> None:
        self.stop_ok_retransmissions()
        self.last_message = "Rx: ACK"
        if self.offer_pending and ack.body:
            self.offer_pending = False
            try:
                self.apply_sdp(ack.body)
            except sdp.SdpError as exc:
                log.warning("Bad SDP in the ACK of %s: %s", self.channel.name, exc)
                self.channel.queue_hangup(causes.INTERWORKING)

    # -- an outgoing call ---------------------------------------------------------------

    def on_invite_response(self, response: Response) -> None:
        status = response.status
        self.last_message = f"Rx: {status}"
        if status < 200:
            if status > 100:
                self.provisional = True
                if self.cancel_pending:
                    self.ended = True
                    self._cancel()
                    return
                if response.body and self.stream is not None:
                    try:
                        self.apply_sdp(response.body)
                    except sdp.SdpError:
                        pass
                if status == 183:  # Dial tells the caller, who hears the early media
                    self.channel.progress()
                elif status == 180 and self.channel.state != ChannelState.UP:
                    self.channel.set_state(ChannelState.RINGING)
                    caller = self.requestor.driver if self.requestor is not None else None
                    if isinstance(caller, SipCall):  # the SIP phone that dialed hears it ring
                        caller.ring()
            return
        if status < 300:
            self._answered(response)
            return
        if status in (401, 407) and self._authenticate(response):
            return
        self.ended = True
        self.failure = status
        cause = SIP_TO_CAUSE.get(status, causes.INTERWORKING)
        if self.channel.hangup_cause == causes.UNKNOWN:
            self.channel.hangup_cause = cause
        self.decided.set()

    def _authenticate(self, challenge: Response) -> bool:
        """Answer the far end's 401/407 once with the peer's credentials: the INVITE again
        (new branch, next CSeq) with the digest; False when there is nothing to answer."""
        header = "WWW-Authenticate" if challenge.status == 401 else "Proxy-Authenticate"
        fields = digest.parse_digest(challenge.headers.get(header) or "")
        invite, peer = self.invite, self.peer
        if self.authenticated or not fields or not peer.secret or invite is None:
            return False
        if self.ended or self.channel.hangup_requested:
            return False
        self.authenticated = True
        self.provisional = False
        self.tech.send_invite(
            self,
            invite.headers.get("From") or "",
            invite.cseq[0] + 1,
            (
                "Authorization" if challenge.status == 401 else "Proxy-Authorization",
                digest.authorization(fields, "INVITE", invite.uri, peer.username, peer.secret),
            ),
        )
        return True

    def _answered(self, response: Response) -> None:
        invite = self.invite
        assert invite is not None and self.client is not None
        tag = response.to.tag or ""
        if self.dialog is None:
            routes = list(reversed(response.headers.values("Record-Route")))
            self.dialog = Dialog(
                invite.call_id,
                invite.from_.tag or "",
                tag,
                _untagged(invite.headers.get("From") or ""),
                _untagged(invite.headers.get("To") or ""),
                _contact_uri(response) or invite.uri,
                routes,
                self.client.endpoint,
                invite.cseq[0],
            )
        self.send_ack(response)
        if self.answered:
            return
        self.answered = True
        if self.ended or self.channel.hangup_requested:  # too late: it was cancelled
            self.ended = False
            self.end_signalling()
            return
        try:
            if response.body:
                self.apply_sdp(response.body)
        except sdp.SdpError as exc:
            log.warning("Bad SDP answer on %s: %s", self.channel.name, exc)
        self.channel.set_state(ChannelState.UP)
        self.decided.set()

    def send_ack(self, response: Response) -> None:
        """The ACK of a 2xx: a new transaction-less request in the dialog."""
        dialog = self.dialog
        if dialog is None:
            return
        ack = dialog.request(self.tech.stack, "ACK", response.cseq[0])
        self.tech.stack.send(ack, dialog.endpoint)

    def on_invite_timeout(self) -> None:
        self.ended = True
        self.failure = 408
        if self.channel.hangup_cause == causes.UNKNOWN:
            self.channel.hangup_cause = causes.NO_USER_RESPONSE
        self.decided.set()


def _ignore(response: Response) -> None:
    """Answers to BYE and CANCEL need nothing more."""


def _nothing() -> None:
    """A BYE or CANCEL that timed out: the call is over anyway."""


class SipTechnology:
    """``SIP/peer``: calls to and from the peers of ``sip.conf``."""

    name = "SIP"

    def __init__(
        self,
        pbx: PBX,
        stack: SipStack,
        peer_of: PeerLookup,
        ports: PortAllocator,
        authenticate: Authenticator | None = None,
        guest_context: str = "default",
        known: Callable[[str], bool] | None = None,
    ) -> None:
        self.pbx = pbx
        self.stack = stack
        self.peer_of = peer_of
        self.ports = ports
        self.authenticate = authenticate
        self.known = known or (lambda name: peer_of(name) is not None)  # who must authenticate
        self.guest_context = guest_context  # where calls from no known peer go
        self.calls: dict[tuple[str, str], SipCall] = {}  # by Call-ID and our tag
        self.by_invite: dict[int, SipCall] = {}  # incoming calls by INVITE transaction
        self._sequence = itertools.count(1)
        self._session_ids = itertools.count(1000)
        #: SIP read between RTP bursts when media keeps the loop busy
        self.between_bursts = Interleave(stack.transport.poll)
        self._tasks: set[asyncio.Task[None]] = set()
        for method, handler in (
            ("INVITE", self.on_invite),
            ("ACK", self.on_ack),
            ("BYE", self.on_bye),
            ("CANCEL", self.on_cancel),
            ("INFO", self.on_info),
        ):
            stack.handlers[method] = handler
        if stack.on_stray_response is None:
            stack.on_stray_response = self.on_stray_response

    def next_session_id(self) -> int:
        return next(self._session_ids)

    def channel_name(self, peer: str) -> str:
        return f"SIP/{peer}-{next(self._sequence):08x}"

    def contact(self, user: str, endpoint: Endpoint) -> str:
        host, port = self.stack.local_address(endpoint)
        transport = ";transport=tcp" if endpoint.reliable else ""
        return f"<sip:{user}@{host}:{port}{transport}>" if user else f"<sip:{host}:{port}>"

    def forget(self, call: SipCall) -> None:
        if call.dialog is not None:
            key = (call.dialog.call_id, call.dialog.local_tag)
            if self.calls.get(key) is call:
                del self.calls[key]
        if call.server is not None:
            self.by_invite.pop(id(call.server), None)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _media_host(self, endpoint: Endpoint) -> str:
        host = self.ports.host
        if host in ("", "0.0.0.0"):
            host = self.stack.local_address(endpoint)[0]
        return host

    def channel_rows(self) -> list[tuple[str, str, str, str, str, str, str, str]]:
        """``sip show channels``: peer address, user, Call-ID, format, hold, last message,
        expiry, peer."""
        rows = []
        for call in self.calls.values():
            dialog = call.dialog
            endpoint = dialog.endpoint if dialog is not None else call.peer.endpoint
            known = self.known(call.peer.name)
            user = call.peer.name if known else call.channel.caller.number or "(None)"
            codec = call.stream.codec if call.stream is not None else "PCMU"
            rows.append(
                (
                    endpoint.host if endpoint is not None else "(None)",
                    user,
                    call.invite.call_id if call.invite is not None else "",
                    f"({ {'PCMU': 'ulaw', 'PCMA': 'alaw'}[codec] })",
                    "Yes" if call.on_hold else "No",
                    call.last_message,
                    "",
                    call.peer.name if known else "(None)",
                )
            )
        return rows

    def channelstats_lines(self) -> list[str]:
        """``sip show channelstats``: RTP packets each call received and sent so far."""
        lines = [
            _STATS_HEAD
            % ("Peer", "Call ID", "Duration", "Recv: Pack", "Lost", "Jitter", "Send: Pack",
               "Lost", "Jitter")
        ]  # fmt: skip
        now = self.pbx.clock()
        for call in self.calls.values():
            stream = call.stream
            if stream is None or call.invite is None:
                continue
            seconds = int(now - call.channel.created)
            duration = f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"
            host = stream.remote[0] if stream.remote is not None else "(None)"
            lines.append(
                _STATS_ROW
                % (host, call.invite.call_id, duration, stream.received_packets, 0, 0.0, 0.0,
                   stream.sent_packets, 0, 0.0, 0.0)
            )  # fmt: skip
        count = len(lines) - 1
        lines.append(f"{count} active SIP channel{'' if count == 1 else 's'}")
        return lines

    def _new_stream(self, channel: Channel) -> RtpStream:
        return RtpStream(channel, self.ports.bind(), self.ports.release, self.between_bursts)

    # -- outgoing -------------------------------------------------------------------------

    def request(self, resource: str, requestor: Channel | None, caller: Party) -> Channel:
        """``peer`` or ``exten@peer``: a channel for a call to the peer (not yet sent)."""
        exten, _, name = resource.rpartition("@")
        name = name.split("/", 1)[0]
        peer = self.peer_of(name)
        if peer is None:
            raise ChannelUnavailable(f"No such SIP peer '{name}'", causes.NO_ROUTE_DESTINATION)
        if not peer.uri or peer.endpoint is None:
            raise ChannelUnavailable(f"SIP peer '{name}' is not registered", 20)
        channel = Channel(
            self.pbx,
            self.channel_name(peer.name),
            "SIP",
            context=peer.context,
            exten=exten or "s",
            caller=caller,
            parent=requestor,
        )
        call = SipCall(self, channel, peer, outgoing=True)
        call.dialed_user = exten
        call.requestor = requestor
        channel.driver = call
        self.pbx.add_channel(channel)
        return channel

    async def call(self, channel: Channel, timeout: float) -> str:
        call = channel.driver
        assert isinstance(call, SipCall)
        peer = call.peer
        assert peer.endpoint is not None
        try:
            stream = self._new_stream(channel)
            stream.open()
        except OSError as exc:
            log.warning("No RTP port for %s: %s", channel.name, exc)
            channel.hangup_cause = causes.CONGESTION
            return "CONGESTION"
        stream.learn = peer.nat
        call.stream = stream
        call.media_host = self._media_host(peer.endpoint)
        channel.media = stream
        target = peer.uri
        user = call.dialed_user
        if user:
            uri = SipUri.parse(target)
            uri.user = user
            target = str(uri)
        number = channel.connected.number or channel.caller.number or "asterisk"
        name = channel.connected.name or channel.caller.name
        host, _ = self.stack.local_address(peer.endpoint)
        display = f'"{name}" ' if name else ""
        call.invite = Request(uri=target)
        self.send_invite(call, f"{display}<sip:{number}@{host}>", 102)  # chan_sip's first CSeq
        await wait_any((call.decided, channel.hung_up), timeout, self.pbx.clock)
        if call.answered and channel.state == ChannelState.UP:
            return "ANSWER"
        if call.failure:
            return dialstatus(channel.hangup_cause)
        if channel.hangup_requested:
            return "CANCEL"
        call.end_signalling()  # no answer in time: CANCEL
        channel.hangup_cause = causes.NO_ANSWER
        return "NOANSWER"

    def send_invite(
        self, call: SipCall, sender: str, cseq: int, credentials: tuple[str, str] | None = None
    ) -> None:
        """Our INVITE (with our offer) to the peer, in a new client transaction; the same
        Call-ID and From tag as the one before it, if any."""
        peer, previous = call.peer, call.invite
        assert peer.endpoint is not None and previous is not None
        target = previous.uri
        sender_tag = name_addr(sender).tag
        invite = self.stack.new_request(
            "INVITE",
            target,
            peer.endpoint,
            _untagged(sender),
            f"<{target}>",
            call_id=previous.call_id or None,
            cseq=cseq,
            from_tag=sender_tag,
        )
        number = name_addr(sender).sip_uri.user
        invite.headers.add("Contact", self.contact(number, peer.endpoint))
        invite.headers.add("Allow", "INVITE, ACK, CANCEL, OPTIONS, BYE, INFO")
        if credentials is not None:
            invite.headers.add(*credentials)
        invite.headers.add("Content-Type", "application/sdp")
        invite.body = previous.body or call.local_sdp()
        call.invite = invite
        call.last_message = "Tx: INVITE"
        self.calls[(invite.call_id, invite.from_.tag or "")] = call
        call.client = self.stack.send_request(  # type: ignore[assignment]
            invite, peer.endpoint, call.on_invite_response, call.on_invite_timeout
        )

    def on_stray_response(self, response: Response, endpoint: Endpoint) -> None:
        """A 2xx retransmitted after its transaction ended: ACK it again."""
        if response.status < 200 or response.status >= 300:
            return
        try:
            method = response.cseq[1]
            tag = response.from_.tag or ""
        except SipParseError:
            return
        call = self.calls.get((response.call_id, tag))
        if call is not None and method == "INVITE":
            call.send_ack(response)

    # -- incoming -------------------------------------------------------------------------

    def on_invite(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        assert isinstance(transaction, ServerInvite)
        to_tag = request.to.tag
        if to_tag:
            call = self.calls.get((request.call_id, to_tag))
            if call is None or call.dialog is None:
                transaction.respond(481)
                return
            self._reinvite(call, request, transaction)
            return
        self._spawn(self._new_call(request, transaction, endpoint))

    async def _new_call(
        self, request: Request, transaction: ServerInvite, endpoint: Endpoint
    ) -> None:
        sender = request.from_
        try:
            user = sender.sip_uri.user
            exten = SipUri.parse(request.uri).user or "s"
        except SipParseError:
            transaction.respond(400)
            return
        if user and self.known(user):
            if self.authenticate is not None and not self.authenticate(request, transaction):
                return
            peer = self.peer_of(user) or CallPeer(user, self.guest_context)
        else:
            peer = CallPeer(endpoint.host, self.guest_context)
        channel = Channel(
            self.pbx,
            self.channel_name(peer.name),
            "SIP",
            context=peer.context,
            exten=exten,
            state=ChannelState.RING,
            caller=Party(user, sender.display),
        )
        call = SipCall(self, channel, peer, outgoing=False)
        channel.driver = call
        call.server = transaction
        call.invite = request
        call.last_message = "Rx: INVITE"
        transaction.to_tag = new_tag()
        try:
            call.stream = self._new_stream(channel)
        except OSError as exc:
            log.warning("No RTP port for a call from %s: %s", endpoint, exc)
            transaction.respond(503)
            return
        call.stream.learn = peer.nat
        call.media_host = self._media_host(endpoint)
        try:
            if request.body:
                call.apply_sdp(request.body)
                call.answered_media = True
            else:
                call.offer_pending = True
        except sdp.SdpError as exc:
            log.warning("Cannot answer the SDP of a call from %s: %s", endpoint, exc)
            call.stream.close()
            transaction.respond(488)
            return
        call.stream.open()
        call.stream.before_sending = channel.progress  # audio before the answer: 183 first
        channel.media = call.stream
        call.dialog = Dialog(
            request.call_id,
            transaction.to_tag,
            sender.tag or "",
            _untagged(request.headers.get("To") or ""),
            _untagged(request.headers.get("From") or ""),
            _contact_uri(request) or str(sender.uri),
            request.headers.values("Record-Route"),
            endpoint,
            0,
        )
        self.calls[(request.call_id, transaction.to_tag)] = call
        self.by_invite[id(transaction)] = call
        self.pbx.add_channel(channel)
        await run_dialplan(channel)

    def _reinvite(self, call: SipCall, request: Request, transaction: ServerInvite) -> None:
        call.last_message = "Rx: INVITE"
        call.answered_media = True
        was_held = call.on_hold
        if request.body:
            try:
                found = call.apply_sdp(request.body)
            except sdp.SdpError:
                transaction.respond(488)
                return
            direction = found.direction
        else:
            direction = "sendrecv"
        if call.on_hold != was_held:
            channel = call.channel
            channel.publish(HoldChanged(channel.snapshot(), call.on_hold))
        response = transaction.response(200)
        response.headers.add("Contact", self.contact(call.channel.exten, transaction.endpoint))
        response.headers.add("Content-Type", "application/sdp")
        response.body = call.local_sdp(direction)
        transaction.respond(response)

    def _call_in_dialog(self, request: Request) -> SipCall | None:
        tag = request.to.tag
        return self.calls.get((request.call_id, tag)) if tag else None

    def on_ack(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        call = self._call_in_dialog(request)
        if call is not None:
            call.acknowledged(request)

    def on_bye(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        assert transaction is not None
        call = self._call_in_dialog(request)
        if call is None:
            transaction.respond(481)
            return
        transaction.respond(200)
        call.last_message = "Rx: BYE"
        call.stop_ok_retransmissions()
        call.ended = True
        call.channel.queue_hangup(causes.NORMAL_CLEARING)

    def on_info(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        """SIP INFO DTMF (``application/dtmf-relay`` or ``application/dtmf``): a key press,
        as if it had come as RFC 4733 events; an empty INFO is a keep-alive (200)."""
        assert transaction is not None
        call = self._call_in_dialog(request)
        if call is None:
            transaction.respond(481)
            return
        if not request.body.strip():
            transaction.respond(200)
            return
        kind = (request.headers.get("Content-Type") or "").partition(";")[0].strip().lower()
        press = info_digit(kind, request.body)
        if press is None:
            transaction.respond(415)
            return
        transaction.respond(200)
        call.last_message = "Rx: INFO"
        port = call.channel.media
        if port is not None:
            digit, duration_ms = press
            port.digit_received(digit, True)
            port.digit_received(digit, False, duration_ms)

    def on_cancel(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        assert transaction is not None
        invite = self.stack.transactions.find_invite(request)
        call = self.by_invite.get(id(invite)) if invite is not None else None
        transaction.respond(200)
        if invite is None:
            return
        if call is None:  # still authenticating or setting up: refuse the INVITE
            invite.respond(487)
            return
        call.last_message = "Rx: CANCEL"
        if not call.answered:
            call.ended = True
            invite.respond(487)
            call.channel.queue_hangup(causes.NORMAL_CLEARING)
