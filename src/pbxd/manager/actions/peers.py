"""SIP and IAX2 peer actions: SIPpeers, SIPshowpeer, SIPqualifypeer, SIPshowregistry,
SIPnotify (chan_sip) and IAXpeers, IAXpeerlist, IAXregistry, IAXnetstats (chan_iax2), with
the fields and header order Asterisk 20 writes."""

from __future__ import annotations

from ...pbx.core import PBX
from ...protocol import Message
from ...sip.cli import codecs_text
from ...sip.peers import SipPeer
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session

READ = Privilege.SYSTEM | Privilege.REPORTING


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def _id_line(message: Message) -> str:
    action_id = message.head()[1]
    return f"ActionID: {action_id}\r\n" if action_id else ""


def _event(name: str, id_line: str, fields: list[tuple[str, str]]) -> str:
    return f"Event: {name}\r\n{id_line}" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"


def _list(
    message: Message, text: str, items: list[str], complete: str = "PeerlistComplete"
) -> Response:
    done = _event(complete, _id_line(message),
                  [("EventList", "Complete"), ("ListItems", str(len(items)))])  # fmt: skip
    return Response("Success", text, (), "start", raw_events=(*items, done))


def _sip_peers(pbx: PBX) -> list[SipPeer]:
    return pbx.sip.peers.listed() if pbx.sip is not None else []


def peer_entry(peer: SipPeer) -> list[tuple[str, str]]:
    config = peer.config
    address = peer.address
    return [
        ("Channeltype", "SIP"),
        ("ObjectName", peer.name),
        ("ChanObjectType", "peer"),
        ("IPaddress", address.host if address else "-none-"),
        ("IPport", str(address.port) if address else "0"),
        ("Dynamic", _yes_no(config.dynamic)),
        ("AutoForcerport", _yes_no(config.auto_force_rport)),
        ("Forcerport", _yes_no(config.force_rport)),
        ("AutoComedia", _yes_no(config.auto_comedia)),
        ("Comedia", _yes_no(config.comedia)),
        ("VideoSupport", "no"),
        ("TextSupport", "no"),
        ("ACL", _yes_no(config.acl)),
        ("Status", peer.status),
        ("RealtimeDevice", "no"),
        ("Description", config.description),
        ("Accountcode", config.accountcode),
    ]


@action(
    "SIPpeers",
    READ,
    "List SIP peers (text format).",
    description="Lists SIP peers in text format with details on current status. Peerlist "
    "will follow as separate events, followed by a final event called PeerlistComplete.",
    since="1.2.0",
    list_responses=("PeerEntry",),
    final_response="PeerlistComplete",
    provided_by="chan_sip",
)
def sip_peers(session: Session, message: Message) -> Response:
    id_line = _id_line(message)
    items = [_event("PeerEntry", id_line, peer_entry(p)) for p in _sip_peers(session.manager.pbx)]
    return _list(message, "Peer status list will follow", items)


def show_peer_fields(peer: SipPeer, pbx: PBX) -> list[tuple[str, str]]:
    config = peer.config
    address = peer.address
    new, old = peer.last_msgs
    return [
        ("Channeltype", "SIP"),
        ("ObjectName", peer.name),
        ("ChanObjectType", "peer"),
        ("SecretExist", _yn(bool(config.secret))),
        ("RemoteSecretExist", _yn(bool(config.remotesecret))),
        ("MD5SecretExist", _yn(bool(config.md5secret))),
        ("Context", config.context),
        ("Language", config.language),
        ("ToneZone", "<Not set>"),
        ("AMAflags", "Unknown"),
        ("CID-CallingPres", "Presentation Allowed, Not Screened"),
        ("Callgroup", ""),
        ("Pickupgroup", ""),
        ("Named Callgroup", ""),
        ("Named Pickupgroup", ""),
        ("MOHSuggest", ""),
        ("VoiceMailbox", ",".join(config.mailboxes)),
        ("TransferMode", "open"),
        ("LastMsgsSent", str((min(new, 0x7FFF) << 16) | min(old, 0xFFFF))),
        ("Maxforwards", "0"),
        ("Call-limit", str(config.call_limit)),
        ("Busy-level", str(config.busylevel)),
        ("MaxCallBR", "384 kbps"),
        ("Dynamic", _yn(config.dynamic)),
        ("Callerid", f'"{config.cid_name}" <{config.cid_num}>'),
        ("RegExpire", f"{peer.regexpire(pbx.clock())} seconds"),
        ("SIP-AuthInsecure", "no"),
        ("SIP-Forcerport", config.forcerport_flag),
        ("SIP-Comedia", config.comedia_flag),
        ("ACL", _yn(config.acl)),
        ("SIP-CanReinvite", "Y"),
        ("SIP-DirectMedia", "Y"),
        ("SIP-PromiscRedir", "N"),
        ("SIP-UserPhone", "N"),
        ("SIP-VideoSupport", "N"),
        ("SIP-TextSupport", "N"),
        ("SIP-T.38Support", "N"),
        ("SIP-T.38EC", "Unknown"),
        ("SIP-T.38MaxDtgrm", "4294967295"),
        ("SIP-Sess-Timers", "Accept"),
        ("SIP-Sess-Refresh", "uas"),
        ("SIP-Sess-Expires", "1800"),
        ("SIP-Sess-Min", "90"),
        ("SIP-RTP-Engine", "asterisk"),
        ("SIP-Encryption", "N"),
        ("SIP-RTCP-Mux", "N"),
        ("SIP-DTMFmode", config.dtmfmode),
        ("ToHost", "" if config.dynamic else config.host),
        ("Address-IP", address.host if address else "(null)"),
        ("Address-Port", str(address.port) if address else "0"),
        ("Default-addr-IP", "(null)"),
        ("Default-addr-port", "0"),
        ("Default-Username", config.defaultuser),
        ("Codecs", codecs_text(config.codecs)),
        ("Status", peer.status),
        ("SIP-Useragent", peer.useragent),
        ("Reg-Contact", peer.contact),
        ("QualifyFreq", f"{config.qualifyfreq * 1000} ms"),
        ("Parkinglot", ""),
        ("SIP-Use-Reason-Header", "N"),
        ("Description", config.description),
    ]


def _find_sip_peer(session: Session, message: Message) -> SipPeer | Response:
    name = message.get("peer")
    if not name:
        return error("Peer: <name> missing.")
    sip = session.manager.pbx.sip
    peer = sip.peers.get(name) if sip is not None else None
    if peer is None or not peer.config.is_peer:
        # Asterisk ends this error with one more blank line
        return Response("Error", f"Peer {name} not found.", raw_events=("\r\n",))
    return peer


@action(
    "SIPshowpeer",
    READ,
    "show SIP peer (text format).",
    description="Show one SIP peer with details on current status.",
    arguments=(Argument("Peer", "The peer name you want to check.", True),),
    since="1.2.0",
    provided_by="chan_sip",
)
def sip_show_peer(session: Session, message: Message) -> Response:
    found = _find_sip_peer(session, message)
    if isinstance(found, Response):
        return found
    return success(None, show_peer_fields(found, session.manager.pbx))


@action(
    "SIPqualifypeer",
    READ,
    "Qualify SIP peers.",
    description="Qualify a SIP peer.",
    arguments=(Argument("Peer", "The peer name you want to qualify.", True),),
    since="1.6.2",
    provided_by="chan_sip",
)
def sip_qualify_peer(session: Session, message: Message) -> Response:
    name = message.get("peer")
    if not name:
        return error("Peer: <name> missing.")
    sip = session.manager.pbx.sip
    peer = sip.peers.get(name) if sip is not None else None
    if sip is None or peer is None:
        return error("Peer not found")
    sip.qualifier.poke(peer, force=True)
    action_id = message.head()[1]
    fields = [("Peer", name)] + ([("ActionID", action_id)] if action_id else [])
    session.manager.publish("SIPQualifyPeerDone", Privilege.CALL, fields)
    return success("SIPQualifyPeer Acknowledged")


@action(
    "SIPshowregistry",
    READ,
    "Show SIP registrations (text format).",
    description="Lists all registration requests and status. Registrations will follow as "
    "separate events followed by a final event called RegistrationsComplete.",
    since="1.6.0",
    list_responses=("RegistryEntry",),
    final_response="RegistrationsComplete",
    provided_by="chan_sip",
)
def sip_show_registry(session: Session, message: Message) -> Response:
    sip = session.manager.pbx.sip
    id_line = _id_line(message)
    items = []
    for registration in sip.registrations if sip is not None else []:
        config = registration.config
        items.append(
            _event("RegistryEntry", id_line, [
                ("Host", config.host),
                ("Port", str(config.port)),
                ("Username", config.username),
                ("Domain", config.host),
                ("DomainPort", str(config.port)),
                ("Refresh", str(registration.refresh)),
                ("State", registration.state),
                ("RegistrationTime", str(int(registration.regtime))),
            ])
        )  # fmt: skip
    return _list(message, "Registrations will follow", items, "RegistrationsComplete")


@action(
    "SIPnotify",
    Privilege.SYSTEM,
    "Send a SIP notify.",
    description="Sends a SIP Notify event. All parameters for this event must be specified "
    "in the body of this request via multiple Variable: name=value sequences.",
    arguments=(
        Argument("Channel", "Peer to receive the notify.", True),
        Argument(
            "Variable",
            "At least one variable pair must be specified. name=value; a Content variable "
            "adds a line to the body.",
            True,
        ),
        Argument(
            "Call-ID", "When specified, SIP notity will be sent as a part of an existing dialog."
        ),  # fmt: skip
    ),
    since="1.6.0",
    provided_by="chan_sip",
)
def sip_notify(session: Session, message: Message) -> Response:
    channel = message.get("channel")
    if not channel:
        return error("SIPNotify requires a channel name")
    pairs = [
        part.partition("=")
        for value in message.get_all("variable")
        for part in value.split(",")
        if part.strip()
    ]
    if not pairs:
        return error("SIPNotify requires variables")
    name = channel[4:] if channel.lower().startswith("sip/") else channel
    sip = session.manager.pbx.sip
    peer = sip.peers.get(name) if sip is not None else None
    if sip is None or peer is None or peer.address is None:
        return error("Could not create address")
    headers = [(key.strip(), value.strip()) for key, _, value in pairs
               if key.strip().lower() != "content"]  # fmt: skip
    body = "".join(f"{value}\r\n" for key, _, value in pairs if key.strip().lower() == "content")
    if not sip.mwi.notify(peer, headers, body.encode()):
        return error("Unable to build sip pvt data for notify (memory/socket error)")
    return success("Notify Sent")


# -- IAX2 ---------------------------------------------------------------------------------


def _iax_peers(session: Session) -> list:  # list[IaxPeer]
    iax = session.manager.pbx.iax
    return iax.listed() if iax is not None else []


@action(
    "IAXpeers",
    READ,
    "List IAX peers.",
    since="1.2.0",
    list_responses=("PeerEntry",),
    final_response="PeerlistComplete",
    provided_by="chan_iax2",
)
def iax_peers(session: Session, message: Message) -> Response:
    # Asterisk leaves the ActionID out of these list items
    items = [
        _event("PeerEntry", "", [
            ("Channeltype", "IAX2"),
            ("ObjectName", peer.name),
            ("ChanObjectType", "peer"),
            ("IPaddress", peer.address or "(null)"),
            ("IPport", "(null)" if peer.dynamic else str(peer.port)),
            ("Dynamic", _yes_no(peer.dynamic)),
            ("Trunk", _yes_no(peer.trunk)),
            ("Encryption", _yes_no(peer.encryption)),
            ("Status", peer.status),
            ("Description", peer.description),
        ])
        for peer in _iax_peers(session)
    ]  # fmt: skip
    return _list(message, "Peer status list will follow", items)


@action(
    "IAXpeerlist",
    READ,
    "List IAX Peers.",
    description="List all the IAX peers.",
    since="1.6.0",
    list_responses=("PeerEntry",),
    final_response="PeerlistComplete",
    provided_by="chan_iax2",
)
def iax_peer_list(session: Session, message: Message) -> Response:
    id_line = _id_line(message)
    items = [
        _event("PeerEntry", id_line, [
            ("Channeltype", "IAX"),
            ("ObjectName", peer.name),
            ("ChanObjectType", "peer"),
            ("IPaddress", peer.address or "(null)"),
            ("Mask", "(null)" if peer.dynamic else peer.mask),
            ("Port", "(null)" if peer.dynamic else str(peer.port)),
            ("Dynamic", _yes_no(peer.dynamic)),
            ("Trunk", _yes_no(peer.trunk)),
            ("Encryption", _yes_no(peer.encryption)),
            ("Status", peer.status),
        ])
        for peer in _iax_peers(session)
    ]  # fmt: skip
    return _list(message, "IAX Peer status list will follow", items)


@action(
    "IAXregistry",
    READ,
    "Show IAX registrations.",
    description="Show IAX registrations.",
    since="13.0.0",
    list_responses=("RegistryEntry",),
    final_response="RegistrationsComplete",
    provided_by="chan_iax2",
)
def iax_registry(session: Session, message: Message) -> Response:
    return _list(message, "Registrations will follow", [], "RegistrationsComplete")


@action(
    "IAXnetstats",
    READ,
    "Show IAX Netstats.",
    description="Show IAX channels network statistics.",
    since="1.6.0",
    provided_by="chan_iax2",
)
def iax_netstats(session: Session, message: Message) -> Response:
    # one line per IAX call, then a blank line; pbxd has no IAX calls
    return Response(raw_text="\r\n")
