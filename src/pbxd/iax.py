"""IAX2 peers from iax.conf: the configuration side only (pbxd speaks no IAX2 on the wire).

``load_iax_config(config_file, problems)`` gives the peers (``type=friend|peer|user``,
``host=dynamic|<host>``, ``port``, ``secret``, ``context``, ``trunk``, ``encryption``,
``description``, ``mask``, ``qualify``) that IAXpeers, IAXpeerlist and ``iax2 show peers``
list. They never register, so their address is unknown unless ``host`` is an address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config.conf import ConfigFile, Problem, load_optional
from .config.values import Settings, parse_bool
from .sip.message import is_number

_KEYS = (
    "type", "host", "port", "secret", "context", "trunk", "encryption", "description", "mask",
    "qualify", "allow", "disallow", "callerid", "mailbox", "username", "auth", "requirecalltoken",
    "defaultip", "permit", "deny", "accountcode", "language", "transfer", "jitterbuffer",
)  # fmt: skip


@dataclass(frozen=True)
class IaxPeer:
    name: str
    type: str = "friend"
    host: str = "dynamic"
    port: int = 4569
    secret: str = ""
    context: str = "default"
    trunk: bool = False
    encryption: bool = False
    description: str = ""
    mask: str = "255.255.255.255"
    monitored: bool = False

    @property
    def dynamic(self) -> bool:
        return self.host.lower() == "dynamic"

    @property
    def is_peer(self) -> bool:
        return self.type in ("friend", "peer")

    @property
    def address(self) -> str:
        """The configured address of a static peer, else ``""``."""
        return "" if self.dynamic else self.host

    @property
    def status(self) -> str:
        return "UNKNOWN" if self.monitored else "Unmonitored"


@dataclass
class IaxConfig:
    peers: dict[str, IaxPeer] = field(default_factory=dict)

    def listed(self) -> list[IaxPeer]:
        """The peers IAXpeers lists (friends and peers), in file order."""
        return [peer for peer in self.peers.values() if peer.is_peer]


def load_iax_config(config: ConfigFile, problems: list[Problem]) -> IaxConfig:
    result = IaxConfig()
    for category in config.iter_categories():
        if category.name.lower() in ("general", "authentication"):
            continue
        settings = Settings(category, problems)
        settings.warn_unknown(_KEYS)
        qualify = settings.get_str("qualify", "no")
        result.peers[category.name] = IaxPeer(
            name=category.name,
            type=settings.get_choice("type", "friend", ("friend", "peer", "user")),
            host=settings.get_str("host", "dynamic", allow_empty=False),
            port=settings.get_int("port", 4569, minimum=1, maximum=65535),
            secret=settings.get_str("secret", ""),
            context=settings.get_str("context", "default"),
            trunk=settings.get_bool("trunk", False),
            encryption=parse_bool(settings.get_str("encryption", "no")) is True,
            description=settings.get_str("description", ""),
            mask=settings.get_str("mask", "255.255.255.255"),
            monitored=is_number(qualify) or parse_bool(qualify) is True,
        )
    return result


def read_iax_conf(directory: Path, problems: list[Problem]) -> IaxConfig | None:
    """``directory/iax.conf`` read afresh; None when there is none or it has errors."""
    config = load_optional(directory, "iax.conf", problems)
    if config is None or config.errors:
        return None
    return load_iax_config(config, problems)
