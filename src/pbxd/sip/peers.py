"""SIP peers: their configuration plus what the network taught us (address, contact, RTT).

``SipPeer.status`` is chan_sip's text: ``Unmonitored`` without qualify, else ``OK (3 ms)``,
``LAGGED (2500 ms)``, ``UNREACHABLE`` or ``UNKNOWN`` (not yet asked). ``Peers`` looks peers
up by name, by source address or registered contact (``by_address``), and gives the
credentials a digest check needs (``credentials``). Changes of state are published on the
PBX bus as :mod:`pbxd.sip.events`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .config import PeerConfig
from .transaction import Endpoint


@dataclass
class SipPeer:
    config: PeerConfig
    address: Endpoint | None = None  # where requests to the peer go (registered or static)
    contact: str = ""  # the registered Contact URI (Reg-Contact)
    useragent: str = ""
    username: str = ""  # the user part the peer registered with
    expires_at: float | None = None  # when the registration runs out (clock time)
    lastms: int = 0  # qualify: >0 round trip in ms, -1 unreachable, 0 not yet known
    last_msgs: tuple[int, int] = (0, 0)  # the MWI counts last notified (new, old)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def monitored(self) -> bool:
        return self.config.maxms > 0

    @property
    def status(self) -> str:
        maxms = self.config.maxms
        if not maxms:
            return "Unmonitored"
        if self.lastms < 0:
            return "UNREACHABLE"
        if self.lastms > maxms:
            return f"LAGGED ({self.lastms} ms)"
        if self.lastms:
            return f"OK ({self.lastms} ms)"
        return "UNKNOWN"

    @property
    def online(self) -> bool:
        """What ``sip show peers`` counts as online."""
        if self.monitored:
            return self.lastms > 0
        return self.address is not None

    def regexpire(self, now: float) -> int:
        """Seconds until the registration ends; -1 when not registered."""
        if self.expires_at is None:
            return -1
        return max(int(self.expires_at - now), 0)


class Peers:
    """The peers of sip.conf by name (case-sensitive, as chan_sip matches them)."""

    def __init__(self, configs: dict[str, PeerConfig]) -> None:
        self._peers: dict[str, SipPeer] = {}
        self.update(configs)

    def update(self, configs: dict[str, PeerConfig]) -> None:
        """New configuration (a reload): peers keep their live state; gone ones are dropped."""
        old = self._peers
        self._peers = {}
        for name, config in configs.items():
            peer = old.get(name)
            if peer is None:
                peer = SipPeer(config)
            else:
                peer.config = config
            if not config.dynamic and config.host:
                peer.address = Endpoint("udp", config.host, config.port)
            self._peers[name] = peer

    def __iter__(self) -> Iterator[SipPeer]:
        return iter(self._peers.values())

    def __len__(self) -> int:
        return len(self._peers)

    def get(self, name: str) -> SipPeer | None:
        return self._peers.get(name)

    def listed(self) -> list[SipPeer]:
        """The peers SIPpeers and ``sip show peers`` list (not ``type=user``), by name."""
        return sorted((p for p in self if p.config.is_peer), key=lambda p: p.name.lower())

    def by_address(self, host: str, port: int) -> SipPeer | None:
        """The peer registered from (or configured at) ``host:port``; else one whose host
        alone matches a static ``host=``."""
        for peer in self:
            if peer.address is not None and (peer.address.host, peer.address.port) == (host, port):
                return peer
        for peer in self:
            if not peer.config.dynamic and peer.config.host == host:
                return peer
        return None

    def credentials(self, name: str) -> tuple[str, str] | None:
        """``(secret, md5secret)`` of a peer or user that may authenticate, else None."""
        peer = self._peers.get(name)
        if peer is None:
            return None
        return peer.config.secret, peer.config.md5secret
