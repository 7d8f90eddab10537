"""Qualify: OPTIONS to peers with ``qualify=yes|<ms>``, as chan_sip pokes them.

A peer with an address is asked every ``qualifyfreq`` seconds (10 s while it is lagged or
unreachable); any answer counts, and its round trip (at least 1 ms) becomes ``lastms``.
No answer within twice ``maxms`` makes it unreachable (``lastms`` -1). ``PeerStatus``
events go out when the state changes: Reachable and Lagged carry the new round trip,
Unreachable the last one known.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .config import DEFAULT_MAXMS
from .events import PeerStatusChanged
from .message import Response

if TYPE_CHECKING:
    from ..pbx.clock import TimerHandle
    from .peers import SipPeer
    from .service import SipService

log = logging.getLogger("pbxd.sip")

FREQ_NOTOK = 10.0  # seconds between pokes of a peer that is not OK


class Qualifier:
    def __init__(self, service: SipService) -> None:
        self.service = service
        self._next: dict[str, TimerHandle] = {}
        self._waiting: dict[str, TimerHandle] = {}  # the no-answer timer of a poke under way
        self._pokes = 0
        self._poke_ids: dict[str, int] = {}  # the poke each peer waits for

    def schedule(self, peer: SipPeer, delay: float) -> None:
        old = self._next.pop(peer.name, None)
        if old is not None:
            old.cancel()
        if peer.monitored:
            clock = self.service.pbx.clock
            self._next[peer.name] = clock.call_later(delay, lambda: self.poke(peer))

    def start(self) -> None:
        """Poke every monitored peer (spread over the first seconds, as chan_sip does)."""
        for index, peer in enumerate(p for p in self.service.peers if p.monitored):
            self.schedule(peer, 0.1 + 0.05 * index)

    def poke(self, peer: SipPeer, force: bool = False) -> bool:
        """Send one OPTIONS now (``force``: even to a peer without qualify, as SIPqualifypeer
        does); False when the peer has no address to send it to."""
        self._next.pop(peer.name, None)
        if self.service.peers.get(peer.name) is not peer or not (peer.monitored or force):
            return False
        if peer.address is None or not self.service.started:
            self.schedule(peer, peer.config.qualifyfreq)
            return False
        old = self._waiting.pop(peer.name, None)
        if old is not None:
            old.cancel()
        stack = self.service.stack
        address = peer.address
        host, port = stack.local_address(address)
        uri = peer.contact or f"sip:{peer.name}@{address.host}:{address.port}"
        request = stack.new_request(
            "OPTIONS", uri, address, f"<sip:{self.service.config.general.vmexten}@{host}:{port}>",
            f"<{uri}>",
        )  # fmt: skip
        self.service.decorate(request)
        clock = self.service.pbx.clock
        sent_at = clock()
        self._pokes += 1
        poke = self._pokes

        def answered(response: Response) -> None:
            if response.status >= 200 and self._current(peer, poke):
                self._answered(peer, max(1, round((clock() - sent_at) * 1000)))

        def unanswered() -> None:
            if self._current(peer, poke):
                self._no_answer(peer)

        maxms = peer.config.maxms or DEFAULT_MAXMS
        self._waiting[peer.name] = clock.call_later(2 * maxms / 1000, unanswered)
        self._poke_ids[peer.name] = poke
        stack.send_request(request, address, answered, lambda: None)
        return True

    def _current(self, peer: SipPeer, poke: int) -> bool:
        if self._poke_ids.get(peer.name) != poke:
            return False
        del self._poke_ids[peer.name]
        timer = self._waiting.pop(peer.name, None)
        if timer is not None:
            timer.cancel()
        return self.service.peers.get(peer.name) is peer

    def _answered(self, peer: SipPeer, ms: int) -> None:
        maxms = peer.config.maxms
        old = peer.lastms
        peer.lastms = ms
        if not peer.monitored:
            return  # a forced poke of a peer without qualify: nothing to announce
        lagged = ms > maxms
        changed = old <= 0 or (old > maxms) != lagged
        if changed:
            status = "Lagged" if lagged else "Reachable"
            log.info("Peer '%s' is now %s. (%dms / %dms)", peer.name, status, ms, maxms)
            self.service.publish(PeerStatusChanged(peer.name, status, time=ms))
        self.schedule(peer, FREQ_NOTOK if lagged else peer.config.qualifyfreq)

    def _no_answer(self, peer: SipPeer) -> None:
        if not peer.monitored:
            peer.lastms = -1
            return
        if peer.lastms > -1:
            log.warning("Peer '%s' is now UNREACHABLE!  Last qualify: %d", peer.name, peer.lastms)
            self.service.publish(PeerStatusChanged(peer.name, "Unreachable", time=peer.lastms))
        peer.lastms = -1
        self.schedule(peer, FREQ_NOTOK)

    def close(self) -> None:
        for timer in [*self._next.values(), *self._waiting.values()]:
            timer.cancel()
        self._next.clear()
        self._waiting.clear()
