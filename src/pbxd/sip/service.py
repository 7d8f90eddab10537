"""The SIP service of one PBX: sip.conf's peers, the stack, registrar, qualify, outbound
registrations and MWI, started and stopped together.

Made from sip.conf by ``SipService(pbx, config, reload=...)`` and kept as ``pbx.sip``; the
network side starts with ``await service.start()`` (binding ``udpbindaddr`` and, with
``tcpenable``, ``tcpbindaddr``; a busy address is logged, the peers stay listed).

For the SIP call code (the ``SIP`` channel technology) the parts to use are:

* ``service.stack.handlers[method] = handler`` for INVITE, ACK, CANCEL, BYE, ... (see
  :mod:`pbxd.sip.stack`); ``service.stack.new_request``/``send_request`` to send;
* ``service.peers.get(name)``, ``service.peers.by_address(host, port)`` and
  ``service.peers.credentials(name)`` (see :mod:`pbxd.sip.peers`): a peer's ``address`` is
  where its requests go, ``contact`` its registered Contact URI, ``config`` its settings
  (context, callerid, secret, nat, ...);
* ``service.authenticate(request, transaction, method)`` answers the 401 challenge (or 403)
  and returns the peer when the request carries the right digest;
* ``service.channel_rows``: callables giving ``sip show channels`` rows
* ``service.on_stop``: callables run when the service stops (the RTP sockets kept for reuse)
  ``(peer host, user, call id, format, hold, last message, expiry, peer)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .config import SipConfig
from .message import Request, Response
from .mwi import Mwi
from .outbound import OutboundRegistration
from .peers import Peers, SipPeer
from .qualify import Qualifier
from .registrar import Registrar
from .stack import SipStack
from .transaction import Endpoint, ServerTransaction

if TYPE_CHECKING:
    from ..pbx.core import PBX

log = logging.getLogger("pbxd.sip")

ChannelRows = Callable[[], list[tuple[str, str, str, str, str, str, str, str]]]


class SipService:
    def __init__(
        self, pbx: PBX, config: SipConfig, reload: Callable[[], SipConfig | None] | None = None
    ) -> None:
        self.pbx = pbx
        self.config = config
        self._reload = reload
        self.peers = Peers(config.peers)
        self.stack = SipStack(pbx.clock, user_agent=config.general.useragent)
        self.registrar = Registrar(self)
        self.qualifier = Qualifier(self)
        self.mwi = Mwi(self)
        self.registrations = [OutboundRegistration(self, r) for r in config.registrations]
        self.channel_rows: list[ChannelRows] = []
        self.on_stop: list[Callable[[], None]] = []
        self.started = False
        self.stack.handlers["REGISTER"] = self.registrar.handle
        self.stack.handlers["OPTIONS"] = self._options
        self._unsubscribe = pbx.bus.subscribe(self.mwi.on_event)
        pbx.reloaders["chan_sip"] = self.reload

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the transports sip.conf names, restore registrations, begin qualifying."""
        self.registrar.restore()
        if not self.config.wants_stack:
            return
        general = self.config.general
        udp = (general.udpbind.host, general.udpbind.port or 5060)
        tcp = (general.tcpbind.host, general.tcpbind.port or 5060) if general.tcpenable else None
        try:
            await self.stack.start(udp=udp, tcp=tcp)
        except OSError as exc:
            log.error("SIP not started: cannot bind %s:%s: %s", udp[0], udp[1], exc)
            await self.stack.close()
            return
        self.started = True
        self.qualifier.start()
        for registration in self.registrations:
            registration.start()

    async def stop(self) -> None:
        self._unsubscribe()
        self.qualifier.close()
        self.registrar.close()
        for registration in self.registrations:
            registration.close()
        self.started = False
        for stopped in self.on_stop:
            stopped()
        await self.stack.close()

    def reload(self) -> str:
        """Re-read sip.conf: peers keep their registrations; new ones are qualified."""
        if self._reload is None:
            return "Success"
        config = self._reload()
        if config is None:
            return "Error"
        self.config = config
        self.peers.update(config.peers)
        for registration in self.registrations:
            registration.close()
        self.registrations = [OutboundRegistration(self, r) for r in config.registrations]
        if self.started:
            self.qualifier.start()
            for registration in self.registrations:
                registration.start()
        return "Success"

    # -- helpers for the parts ------------------------------------------------------------

    def publish(self, event: object) -> None:
        self.pbx.bus.publish(event)

    def decorate(self, message: Request | Response) -> None:
        """Add what chan_sip puts on everything it sends (Server/User-Agent, Allow)."""
        if isinstance(message, Response):
            message.headers.add("Server", self.config.general.useragent)
        message.headers.add("Allow", self.stack.allowed)
        message.headers.add("Supported", "replaces, timer")

    def registered(self, peer: SipPeer) -> None:
        """A peer registered: qualify it now and tell it its mailboxes' counts."""
        if peer.monitored:
            self.qualifier.schedule(peer, 0.0)
        self.mwi.send_summary(peer)

    def authenticate(
        self, request: Request, transaction: ServerTransaction, method: str | None = None
    ) -> SipPeer | None:
        """Digest-check ``request`` against the peer its From user names: the peer when the
        credentials are right (or it has no secret); else None, with the 401 challenge, or
        403, already answered."""
        try:
            name = request.from_.sip_uri.user
        except ValueError:
            transaction.respond(400)
            return None
        return self.registrar.authenticate(request, transaction, name, method or request.method)

    def _options(
        self, request: Request, transaction: ServerTransaction | None, endpoint: Endpoint
    ) -> None:
        assert transaction is not None
        response = transaction.response(200)
        response.headers.add("Accept", "application/sdp")
        self.decorate(response)
        transaction.respond(response)
