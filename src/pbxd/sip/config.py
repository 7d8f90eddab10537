"""sip.conf as chan_sip reads it: ``[general]``, peers (with templates) and ``register =>``.

``load_sip_config(config_file, problems)`` gives a :class:`SipConfig`: the general settings
(bind addresses, realm, expiry limits, default context, qualify frequency, ...), the peers
in file order (:class:`PeerConfig`; ``type=friend|peer|user``, ``host=dynamic|<host>``,
``secret``/``md5secret``, ``context``, ``mailbox``, ``callerid``, ``qualify=yes|no|<ms>``,
``qualifyfreq``, ``nat``, ``port``, ``defaultuser``, ...) and the outbound registrations
(:class:`Registration` from ``register => user[:secret[:authuser]]@host[:port][/contact][~expiry]``).
Templates (``[name](!)``) only lend their settings to ``[peer](name)``; unknown options draw
a warning. Nothing here raises on bad content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.conf import Category, ConfigFile, Problem, load_optional
from ..config.values import HostPort, Settings, parse_bool, parse_hostport
from .message import is_number

DEFAULT_PORT = 5060
DEFAULT_MAXMS = 2000  # qualify=yes
DEFAULT_QUALIFYFREQ = 60  # seconds

_GENERAL_KEYS = (
    "context", "udpbindaddr", "tcpbindaddr", "bindaddr", "bindport", "tcpenable", "tlsenable",
    "realm", "useragent", "defaultexpiry", "minexpiry", "maxexpiry", "qualifyfreq", "nat",
    "allow", "disallow", "register", "registertimeout", "registerattempts", "alwaysauthreject",
    "allowguest", "externip", "localnet", "srvlookup", "language", "mwi_from", "vmexten",
    "transport", "tlsbindaddr", "tlscertfile", "dtmfmode", "qualify", "callerid",
)  # fmt: skip
_PEER_KEYS = (
    "type", "host", "secret", "md5secret", "remotesecret", "context", "mailbox", "callerid",
    "qualify", "qualifyfreq", "nat", "port", "defaultuser", "username", "fromuser",
    "fromdomain", "description", "accountcode", "language", "allow", "disallow", "permit",
    "deny", "acl", "call-limit", "busylevel", "dtmfmode", "transport", "directmedia",
    "canreinvite", "defaultip", "regexten", "subscribecontext", "insecure", "trustrpid",
    "sendrpid", "callgroup", "pickupgroup", "amaflags", "parkinglot", "videosupport",
    "textsupport", "encryption", "vmexten", "outboundproxy", "rtptimeout", "t38pt_udptl",
    "maxcallbitrate", "session-timers", "qualifytimeout", "contactpermit", "contactdeny",
)  # fmt: skip


@dataclass(frozen=True)
class Registration:
    """One ``register =>`` line: where pbxd registers itself."""

    username: str
    secret: str
    authuser: str
    host: str
    port: int
    contact: str  # the extension incoming calls go to (Contact user)
    expiry: int


@dataclass(frozen=True)
class PeerConfig:
    name: str
    type: str = "friend"
    host: str = "dynamic"
    port: int = DEFAULT_PORT
    secret: str = ""
    md5secret: str = ""
    remotesecret: str = ""
    context: str = "default"
    mailboxes: tuple[str, ...] = ()
    cid_name: str = ""
    cid_num: str = ""
    maxms: int = 0  # qualify: 0 = not monitored
    qualifyfreq: int = DEFAULT_QUALIFYFREQ
    nat: str = "auto_force_rport"
    defaultuser: str = ""
    fromuser: str = ""
    description: str = ""
    accountcode: str = ""
    language: str = ""
    acl: bool = False
    call_limit: int = 0
    busylevel: int = 0
    codecs: tuple[str, ...] = ("ulaw",)
    dtmfmode: str = "rfc2833"

    @property
    def dynamic(self) -> bool:
        return self.host.lower() == "dynamic"

    @property
    def is_peer(self) -> bool:
        """Listed by SIPpeers and reachable by Dial (``user`` only authenticates callers)."""
        return self.type in ("friend", "peer")

    @property
    def force_rport(self) -> bool:
        return any(word in ("force_rport", "yes") for word in self.nat.split(","))

    @property
    def auto_force_rport(self) -> bool:
        return "auto_force_rport" in self.nat.split(",")

    @property
    def forcerport_flag(self) -> str:
        """chan_sip's letter: ``a``/``A`` automatic (off/on now), ``Y``/``N`` fixed."""
        if self.auto_force_rport:
            return "A" if self.force_rport else "a"
        return "Y" if self.force_rport else "N"

    @property
    def comedia_flag(self) -> str:
        if self.auto_comedia:
            return "A" if self.comedia else "a"
        return "Y" if self.comedia else "N"

    @property
    def comedia(self) -> bool:
        return any(word in ("comedia", "yes") for word in self.nat.split(","))

    @property
    def auto_comedia(self) -> bool:
        return "auto_comedia" in self.nat.split(",")


@dataclass(frozen=True)
class SipGeneral:
    context: str = "default"
    udpbind: HostPort = HostPort("0.0.0.0", DEFAULT_PORT)
    tcpenable: bool = False
    tcpbind: HostPort = HostPort("0.0.0.0", DEFAULT_PORT)
    bind_given: bool = False  # udpbindaddr/bindaddr/bindport set explicitly
    realm: str = "asterisk"
    useragent: str = "Asterisk PBX 20.20.1"
    defaultexpiry: int = 120
    minexpiry: int = 60
    maxexpiry: int = 3600
    qualifyfreq: int = DEFAULT_QUALIFYFREQ
    nat: str = "auto_force_rport"
    registertimeout: int = 20
    alwaysauthreject: bool = True
    vmexten: str = "asterisk"
    codecs: tuple[str, ...] = ("ulaw",)


@dataclass
class SipConfig:
    general: SipGeneral = field(default_factory=SipGeneral)
    peers: dict[str, PeerConfig] = field(default_factory=dict)  # by name, file order
    registrations: list[Registration] = field(default_factory=list)

    @property
    def wants_stack(self) -> bool:
        """Start the network side: there are peers, registrations or explicit bindings."""
        return bool(self.peers or self.registrations or self.general.bind_given)


def _codecs(settings: Settings, default: tuple[str, ...]) -> tuple[str, ...]:
    """``disallow``/``allow`` lines in order, as chan_sip applies them."""
    category = settings.category
    if category is None:
        return default
    codecs = list(default)
    for entry in category.entries:
        key = entry.key.lower()
        if key not in ("allow", "disallow"):
            continue
        for name in (n.strip().lower() for n in entry.value.split(",") if n.strip()):
            if key == "disallow":
                codecs = [] if name == "all" else [c for c in codecs if c != name]
            elif name not in codecs:
                codecs.append(name)
    return tuple(codecs)


def _callerid(text: str) -> tuple[str, str]:
    """``"Name" <number>`` (or a bare number) into name and number."""
    text = text.strip()
    if "<" in text and text.endswith(">"):
        name, _, number = text[:-1].partition("<")
        return name.strip().strip('"'), number.strip()
    if is_number(text.replace("+", "")):
        return "", text
    return text.strip('"'), ""


def _qualify(text: str | None, problems: list[Problem], where: str) -> int:
    if text is None:
        return 0
    flag = parse_bool(text)
    if flag is not None:
        return DEFAULT_MAXMS if flag else 0
    if is_number(text.strip()):
        return int(text)
    problems.append(Problem(where, 0, "warning", f"qualify must be yes, no or ms: {text!r}"))
    return 0


def _general(category: Category | None, problems: list[Problem]) -> SipGeneral:
    settings = Settings(category, problems)
    settings.warn_unknown(_GENERAL_KEYS)
    port = settings.get_int("bindport", DEFAULT_PORT, minimum=1, maximum=65535)
    bind_given = any(settings.entry(k) is not None for k in ("udpbindaddr", "bindaddr", "bindport"))
    udp = settings.get_hostport("udpbindaddr", HostPort("0.0.0.0", None))
    if settings.entry("udpbindaddr") is None and settings.entry("bindaddr") is not None:
        udp = settings.get_hostport("bindaddr", HostPort("0.0.0.0", None))
    udp = HostPort(udp.host, udp.port or port)
    tcp = settings.get_hostport("tcpbindaddr", HostPort(udp.host, None))
    tcp = HostPort(tcp.host, tcp.port or port)
    return SipGeneral(
        context=settings.get_str("context", "default"),
        udpbind=udp,
        tcpenable=settings.get_bool("tcpenable", False),
        tcpbind=tcp,
        bind_given=bind_given,
        realm=settings.get_str("realm", "asterisk", allow_empty=False),
        useragent=settings.get_str("useragent", "Asterisk PBX 20.20.1", allow_empty=False),
        defaultexpiry=settings.get_int("defaultexpiry", 120, minimum=1),
        minexpiry=settings.get_int("minexpiry", 60, minimum=1),
        maxexpiry=settings.get_int("maxexpiry", 3600, minimum=1),
        qualifyfreq=settings.get_int("qualifyfreq", DEFAULT_QUALIFYFREQ, minimum=1),
        nat=settings.get_str("nat", "auto_force_rport").lower(),
        registertimeout=settings.get_int("registertimeout", 20, minimum=1),
        alwaysauthreject=settings.get_bool("alwaysauthreject", True),
        vmexten=settings.get_str("vmexten", "asterisk", allow_empty=False),
        codecs=_codecs(settings, ("ulaw",)),
    )


def _peer(category: Category, general: SipGeneral, problems: list[Problem]) -> PeerConfig:
    settings = Settings(category, problems)
    settings.warn_unknown(_PEER_KEYS)
    kind = settings.get_choice("type", "friend", ("friend", "peer", "user"))
    host = settings.get_str("host", "dynamic", allow_empty=False)
    port = settings.get_int("port", DEFAULT_PORT, minimum=1, maximum=65535)
    parsed = parse_hostport(host) if host.lower() != "dynamic" else None
    if host.lower() != "dynamic":
        if parsed is None:
            problems.append(Problem(category.file, category.line, "warning",
                                    f"[{category.name}]: bad host {host!r}"))  # fmt: skip
        elif parsed.port is not None:
            host, port = parsed.host, parsed.port
    cid_name, cid_num = _callerid(settings.get_str("callerid", ""))
    mailboxes = tuple(m.strip() for m in settings.get_str("mailbox", "").split(",") if m.strip())
    return PeerConfig(
        name=category.name,
        type=kind,
        host=host,
        port=port,
        secret=settings.get_str("secret", ""),
        md5secret=settings.get_str("md5secret", ""),
        remotesecret=settings.get_str("remotesecret", ""),
        context=settings.get_str("context", general.context),
        mailboxes=mailboxes,
        cid_name=cid_name,
        cid_num=cid_num,
        maxms=_qualify(settings.get_str("qualify", "no"), problems, category.location),
        qualifyfreq=settings.get_int("qualifyfreq", general.qualifyfreq, minimum=1),
        nat=settings.get_str("nat", general.nat).lower(),
        defaultuser=settings.get_str("defaultuser", settings.get_str("username", "")),
        fromuser=settings.get_str("fromuser", ""),
        description=settings.get_str("description", ""),
        accountcode=settings.get_str("accountcode", ""),
        language=settings.get_str("language", ""),
        acl=any(settings.entry(k) is not None for k in ("permit", "deny", "acl")),
        call_limit=settings.get_int("call-limit", 0, minimum=0),
        busylevel=settings.get_int("busylevel", 0, minimum=0),
        codecs=_codecs(settings, general.codecs),
        dtmfmode=settings.get_str("dtmfmode", "rfc2833").lower(),
    )


def parse_registration(text: str) -> Registration | None:
    """``user[:secret[:authuser]]@host[:port][/contact][~expiry]``; None when malformed."""
    text = text.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    expiry = 120
    if "~" in text:
        text, _, expiry_text = text.rpartition("~")
        if not is_number(expiry_text):
            return None
        expiry = int(expiry_text)
    userpart, at, hostpart = text.rpartition("@")
    if not at or not userpart:
        return None
    hostpart, _, contact = hostpart.partition("/")
    where = parse_hostport(hostpart)
    if where is None:
        return None
    username, _, rest = userpart.partition(":")
    secret, _, authuser = rest.partition(":")
    if not username:
        return None
    return Registration(
        username, secret, authuser, where.host, where.port or DEFAULT_PORT, contact or "s", expiry
    )


def load_sip_config(config: ConfigFile, problems: list[Problem]) -> SipConfig:
    general_category = config.get_category("general")
    general = _general(general_category, problems)
    result = SipConfig(general)
    for entry in general_category.entries_for("register") if general_category else []:
        registration = parse_registration(entry.value)
        if registration is None:
            problems.append(Problem(entry.file, entry.line, "warning",
                                    f"bad register => line: {entry.value!r}"))  # fmt: skip
        else:
            result.registrations.append(registration)
    for category in config.iter_categories():
        if category.name.lower() in ("general", "authentication"):
            continue
        peer = _peer(category, general, problems)
        result.peers[peer.name] = peer
    return result


def read_sip_conf(directory: Path, problems: list[Problem]) -> SipConfig | None:
    """``directory/sip.conf`` read afresh; None when there is none or it has errors."""
    config = load_optional(directory, "sip.conf", problems)
    if config is None or config.errors:
        return None
    return load_sip_config(config, problems)
