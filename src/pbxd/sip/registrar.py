"""The registrar: REGISTER from dynamic peers, with digest authentication.

The peer is named by the user part of the To URI. Without an Authorization header the answer
is ``401`` with a fresh nonce (``qop="auth"``); a wrong password, an unknown peer or a peer
that is not ``host=dynamic`` gets ``403 Forbidden`` and a log line (unknown peers are
challenged first, as chan_sip does with ``alwaysauthreject``, so names cannot be probed); the
right password on an expired nonce gets ``401`` with ``stale=true``. A peer without a secret
needs no authentication.

Accepted: ``Expires: 0`` (or ``;expires=0``, or ``Contact: *``) unregisters; a shorter
expiry than ``minexpiry`` gets ``423`` with ``Min-Expires``; a longer one is cut to
``maxexpiry``; no Contact at all asks for the current binding. A binding is dropped 10 s
after its expiry (chan_sip's grace), with a ``PeerStatus`` Unregistered, Cause Expired. The binding (address, contact,
User-Agent, expiry) is kept in ASTdb under ``SIP/Registry/<peer>`` as
``host:port:expiry:username:contact`` (chan_sip's layout) and restored at start.
"""

from __future__ import annotations

import logging
from email.utils import formatdate
from typing import TYPE_CHECKING

from . import digest
from .events import PeerStatusChanged
from .message import NameAddr, Request, SipParseError, is_number
from .transaction import Endpoint, ServerTransaction

if TYPE_CHECKING:
    from ..pbx.clock import Clock, TimerHandle
    from .peers import SipPeer
    from .service import SipService

log = logging.getLogger("pbxd.sip")

ASTDB_FAMILY = "SIP/Registry"
EXPIRY_GRACE = 10  # seconds a binding outlives its expiry, as chan_sip keeps it


class Registrar:
    def __init__(self, service: SipService) -> None:
        self.service = service
        self.nonces = digest.Nonces()
        self._expiry_timers: dict[str, TimerHandle] = {}
        self.failures = 0  # refused registrations (wrong credentials, unknown peers)

    @property
    def clock(self) -> Clock:
        return self.service.pbx.clock

    # -- REGISTER ---------------------------------------------------------------------------

    def handle(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        assert transaction is not None
        try:
            name = request.to.sip_uri.user
        except SipParseError:
            transaction.respond(400)
            return
        peer = self.authenticate(request, transaction, name, "REGISTER")
        if peer is None:
            return
        if not peer.config.dynamic or not peer.config.is_peer:
            self.refuse(transaction, name, "Peer is not supposed to register")
            return
        self._bind(peer, request, transaction, endpoint)

    def authenticate(
        self, request: Request, transaction: ServerTransaction, name: str, method: str
    ) -> SipPeer | None:
        """The peer ``name`` when ``request`` proves its secret (or it has none); else None,
        the 401 challenge or the 403 already answered."""
        peer = self.service.peers.get(name)
        if peer is not None and not (peer.config.secret or peer.config.md5secret):
            return peer
        header = request.headers.get("Authorization")
        if header is None:
            self.challenge(transaction, stale=False)
            return None
        if peer is None:
            self.refuse(transaction, name, "No matching peer found")
            return None
        verdict = digest.check(
            digest.parse_digest(header), method, peer.name, peer.config.secret,
            peer.config.md5secret, self.service.config.general.realm, self.nonces, self.clock(),
        )  # fmt: skip
        if verdict is digest.Verdict.OK:
            return peer
        if verdict is digest.Verdict.STALE:
            self.challenge(transaction, stale=True)
        else:
            reason = "Wrong password" if verdict is digest.Verdict.WRONG else "Bad auth"
            self.refuse(transaction, name, reason)
        return None

    def challenge(self, transaction: ServerTransaction, stale: bool) -> None:
        general = self.service.config.general
        response = transaction.response(401)
        nonce = self.nonces.new(self.clock())
        response.headers.add("WWW-Authenticate", digest.challenge(general.realm, nonce, stale))
        self.service.decorate(response)
        transaction.respond(response)

    def refuse(self, transaction: ServerTransaction, name: str, reason: str) -> None:
        self.failures += 1
        log.warning(
            "Registration from '%s' failed for '%s' - %s", name, transaction.endpoint, reason
        )
        response = transaction.response(403, "Forbidden")
        self.service.decorate(response)
        transaction.respond(response)

    def _bind(
        self, peer: SipPeer, request: Request, transaction: ServerTransaction, endpoint: Endpoint
    ) -> None:
        general = self.service.config.general
        contacts = request.headers.values("Contact")
        header_expiry = (request.headers.get("Expires") or "").strip()
        if not contacts:  # a query: the current binding
            self._ok(transaction, peer, peer.regexpire(self.clock()))
            return
        try:
            contact = NameAddr.parse(contacts[0])
        except SipParseError:
            transaction.respond(400)
            return
        text = contact.params.get("expires") or header_expiry
        if text is None or not is_number(text):
            expiry = general.defaultexpiry if not text else -1
        else:
            expiry = int(text)
        if contact.uri == "*" or expiry == 0:
            if contact.uri == "*" and header_expiry != "0":
                transaction.respond(400)
                return
            self.unregister(peer, cause="")
            self._ok(transaction, peer, 0)
            return
        if expiry < 0:
            transaction.respond(400)
            return
        if expiry < general.minexpiry:
            response = transaction.response(423)
            response.headers.add("Min-Expires", str(general.minexpiry))
            self.service.decorate(response)
            transaction.respond(response)
            return
        expiry = min(expiry, general.maxexpiry)
        try:
            uri = contact.sip_uri
        except SipParseError:
            transaction.respond(400)
            return
        address = endpoint
        if peer.config.nat == "no":
            address = Endpoint(endpoint.protocol, uri.host, uri.port or 5060)
        self.register(peer, address, contact.uri, request.headers.get("User-Agent") or "",
                      uri.user, expiry)  # fmt: skip
        self._ok(transaction, peer, expiry)
        self.service.registered(peer)

    def _ok(self, transaction: ServerTransaction, peer: SipPeer, expiry: int) -> None:
        response = transaction.response(200)
        if peer.contact and expiry > 0:
            response.headers.add("Expires", str(expiry))
            response.headers.add("Contact", f"<{peer.contact}>;expires={expiry}")
        response.headers.add("Date", formatdate(self.clock(), usegmt=True))
        self.service.decorate(response)
        transaction.respond(response)

    # -- bindings ---------------------------------------------------------------------------

    def register(
        self,
        peer: SipPeer,
        address: Endpoint,
        contact: str,
        useragent: str,
        username: str,
        expiry: int,
        announce: bool = True,
    ) -> None:
        """Bind ``peer`` to ``address`` for ``expiry`` seconds (kept in ASTdb)."""
        peer.address = address
        peer.contact = contact
        peer.useragent = useragent
        peer.username = username
        peer.expires_at = self.clock() + expiry + EXPIRY_GRACE
        self._arm(peer, expiry + EXPIRY_GRACE)
        astdb = self.service.pbx.astdb
        if astdb is not None:
            value = f"{address.host}:{address.port}:{expiry}:{username}:{contact}"
            try:
                astdb.put(ASTDB_FAMILY, peer.name, value)
            except Exception as exc:  # AstDBError: the binding still holds in memory
                log.error("SIP: registration of %s not stored in ASTdb: %s", peer.name, exc)
        if announce:
            log.info("Registered SIP '%s' at %s", peer.name, address)
            self.service.publish(
                PeerStatusChanged(peer.name, "Registered", f"{address.host}:{address.port}")
            )

    def unregister(self, peer: SipPeer, cause: str) -> None:
        """Drop ``peer``'s binding (``cause`` ``Expired`` when it ran out)."""
        timer = self._expiry_timers.pop(peer.name, None)
        if timer is not None:
            timer.cancel()
        was_bound = peer.expires_at is not None
        peer.address = None
        peer.contact = ""
        peer.expires_at = None
        peer.lastms = 0
        astdb = self.service.pbx.astdb
        if astdb is not None:
            try:
                astdb.delete(ASTDB_FAMILY, peer.name)
            except Exception as exc:  # AstDBError
                log.error("SIP: registration of %s not removed from ASTdb: %s", peer.name, exc)
        if was_bound:
            log.info("Unregistered SIP '%s'%s", peer.name, f" ({cause})" if cause else "")
            self.service.publish(PeerStatusChanged(peer.name, "Unregistered", cause=cause))

    def _arm(self, peer: SipPeer, expiry: int) -> None:
        old = self._expiry_timers.pop(peer.name, None)
        if old is not None:
            old.cancel()
        self._expiry_timers[peer.name] = self.clock.call_later(expiry, lambda: self._expired(peer))

    def _expired(self, peer: SipPeer) -> None:
        self._expiry_timers.pop(peer.name, None)
        if self.service.peers.get(peer.name) is peer:
            self.unregister(peer, cause="Expired")

    def restore(self) -> None:
        """Bindings kept in ASTdb from before a restart (each runs its stored expiry anew)."""
        astdb = self.service.pbx.astdb
        if astdb is None:
            return
        try:
            rows = astdb.get_tree(ASTDB_FAMILY)
        except Exception as exc:  # AstDBError
            log.error("SIP: registrations not restored from ASTdb: %s", exc)
            return
        prefix = f"/{ASTDB_FAMILY}/"
        for key, value in rows:
            name = key[len(prefix) :] if key.startswith(prefix) else ""
            peer = self.service.peers.get(name)
            parsed = parse_binding(value)
            if peer is None or not peer.config.dynamic or parsed is None:
                continue
            address, expiry, username, contact = parsed
            self.register(peer, address, contact, "", username, expiry, announce=False)

    def close(self) -> None:
        for timer in self._expiry_timers.values():
            timer.cancel()
        self._expiry_timers.clear()


def parse_binding(value: str) -> tuple[Endpoint, int, str, str] | None:
    """``host:port:expiry:username:contact`` (host may be ``[v6]``) or None."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]:")
        host = f"[{host}]"
    else:
        host, _, rest = value.partition(":")
    port, _, rest = rest.partition(":")
    expiry, _, rest = rest.partition(":")
    username, _, contact = rest.partition(":")
    if not host or not is_number(port) or not is_number(expiry) or not contact:
        return None
    return Endpoint("udp", host.strip("[]"), int(port)), int(expiry), username, contact
