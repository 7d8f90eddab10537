"""CLI commands of chan_sip and chan_iax2 with their output formats: ``sip show peers``,
``sip show peer X``, ``sip show registry``, ``sip show channels``, ``sip reload`` and
``iax2 show peers``. ``register_sip_cli(pbx)`` / ``register_iax_cli(pbx)`` add them."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from ..pbx.cli import CliFailure, ShowUsage

if TYPE_CHECKING:
    from ..iax import IaxConfig
    from ..pbx.core import PBX
    from .peers import SipPeer
    from .service import SipService

_PEERS_HEAD = "%-25.25s %-39.39s %-3.3s %-10.10s %-10.10s %-3.3s %-8s %-11s %-32.32s %s"
_PEERS_ROW = "%-25.25s %-39.39s %-3.3s %-3.3s %-3.3s %-3.3s %-8s %-11s %-32.32s %s"
_REGISTRY_HEAD = "%-39.39s %-6.6s %-12.12s  %8.8s %-20.20s %-25.25s"
_REGISTRY_ROW = "%-39.39s %-6.6s %-12.12s  %8d %-20.20s %-25.25s"
_CHANNELS = "%-15.15s  %-15.15s  %-15.15s  %-15.15s  %-7.7s  %-15.15s %-10.10s %-10.10s"
_IAX_HEAD = "%-15.15s  %-15.15s %s  %-15.15s  %-8s  %s %-11s %-32.32s"
_IAX_ROW = "%-15.15s  %-15.15s %s  %-15.15s  %-8d  %s %-11s %-32.32s"

SHOW_PEER_USAGE = (
    "Usage: sip show peer <name> [load]\n"
    "       Shows all details on one SIP peer and the current status.\n"
    '       Option "load" forces lookup of peer in realtime storage.'
)
SHOW_PEERS_USAGE = (
    "Usage: sip show peers [like <pattern>]\n"
    "       Lists all known SIP peers.\n"
    "       Optional regular expression pattern is used to filter the peer list."
)


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def codecs_text(codecs: tuple[str, ...]) -> str:
    return "(" + "|".join(codecs) + ")" if codecs else "(nothing)"


def peer_counts(peers: list[SipPeer]) -> str:
    """The ``sip show peers`` footer."""
    monitored = [p for p in peers if p.monitored]
    unmonitored = [p for p in peers if not p.monitored]
    on_m = sum(p.online for p in monitored)
    on_u = sum(p.online for p in unmonitored)
    return (
        f"{len(peers)} sip peers [Monitored: {on_m} online, {len(monitored) - on_m} offline "
        f"Unmonitored: {on_u} online, {len(unmonitored) - on_u} offline]"
    )


def show_peers(service: SipService, like: str = "") -> list[str]:
    lines = [
        _PEERS_HEAD
        % ("Name/username", "Host", "Dyn", "Forcerport", "Comedia", "ACL", "Port", "Status",
           "Description", "")
    ]  # fmt: skip
    pattern = re.compile(like) if like else None
    peers = [p for p in service.peers.listed() if pattern is None or pattern.search(p.name)]
    for peer in peers:
        config = peer.config
        username = peer.username or config.defaultuser
        address = peer.address
        lines.append(
            _PEERS_ROW
            % (
                f"{peer.name}/{username}" if username else peer.name,
                address.host if address else "(Unspecified)",
                " D " if config.dynamic else "   ",
                f" {config.forcerport_flag} ",
                f" {config.comedia_flag} ",
                " A " if config.acl else "   ",
                str(address.port) if address else "0",
                peer.status,
                config.description,
                "",
            )
        )
    lines.append(peer_counts(peers))
    return lines


def show_peer(service: SipService, peer: SipPeer) -> list[str]:
    config = peer.config
    general = service.config.general
    now = service.pbx.clock()
    address = peer.address
    new, old = peer.last_msgs
    rows = [
        ("Description", config.description),
        ("Secret", "<Set>" if config.secret else "<Not set>"),
        ("MD5Secret", "<Set>" if config.md5secret else "<Not set>"),
        ("Remote Secret", "<Set>" if config.remotesecret else "<Not set>"),
        ("Context", config.context),
        ("Language", config.language),
        ("Tonezone", "<Not set>"),
        ("AMA flags", "Unknown"),
        ("Transfer mode", "open"),
        ("CallingPres", "Presentation Allowed, Not Screened"),
        ("Callgroup", ""),
        ("Pickupgroup", ""),
        ("MOH Suggest", ""),
        ("Mailbox", ",".join(config.mailboxes)),
        ("VM Extension", general.vmexten),
        ("LastMsgsSent", f"{new}/{old}"),
        ("Call limit", str(config.call_limit)),
        ("Max forwards", "0"),
        ("Dynamic", _yes(config.dynamic)),
        ("Callerid", f'"{config.cid_name}" <{config.cid_num}>'),
        ("MaxCallBR", "384 kbps"),
        ("Expire", str(peer.regexpire(now))),
        ("Insecure", "no"),
        ("Force rport", {"a": "Auto (No)", "A": "Auto (Yes)", "Y": "Yes", "N": "No"}[
            config.forcerport_flag]),
        ("Symmetric RTP", {"a": "Auto (No)", "A": "Auto (Yes)", "Y": "Yes", "N": "No"}[
            config.comedia_flag]),
        ("ACL", _yes(config.acl)),
        ("DirectMedia", "Yes"),
        ("DTMFmode", config.dtmfmode),
        ("ToHost", "" if config.dynamic else config.host),
        ("Addr->IP", f"{address.host}:{address.port}" if address else "(null)"),
        ("Defaddr->IP", "(null)"),
        ("Prim.Transp.", (address.protocol if address else "udp").upper()),
        ("Def. Username", config.defaultuser),
        ("Codecs", codecs_text(config.codecs)),
        ("Status", peer.status),
        ("Useragent", peer.useragent),
        ("Reg. Contact", peer.contact),
        ("Qualify Freq", f"{config.qualifyfreq * 1000} ms"),
        ("Sess-Timers", "Accept"),
        ("Sess-Refresh", "uas"),
        ("Sess-Expires", "1800 secs"),
        ("Min-Sess", "90 secs"),
        ("RTP Engine", "asterisk"),
        ("Parkinglot", ""),
        ("Use Reason", "No"),
        ("Encryption", "No"),
    ]  # fmt: skip
    lines = ["", "", f"  * Name       : {peer.name}"]
    lines += [f"  {label:<13.13s}: {value}" for label, value in rows]
    lines.append("")
    return lines


def show_registry(service: SipService) -> list[str]:
    lines = [_REGISTRY_HEAD % ("Host", "dnsmgr", "Username", "Refresh", "State", "Reg.Time")]
    for registration in service.registrations:
        config = registration.config
        regtime = (
            time.strftime("%a, %d %b %Y %T", time.localtime(registration.regtime))
            if registration.regtime
            else ""
        )
        lines.append(
            _REGISTRY_ROW
            % (f"{config.host}:{config.port}", "N", config.username, registration.refresh,
               registration.state, regtime)
        )  # fmt: skip
    count = len(service.registrations)
    lines.append(f"{count} SIP registration{'' if count == 1 else 's'}.")
    return lines


def show_channels(service: SipService) -> list[str]:
    lines = [
        _CHANNELS
        % ("Peer", "User/ANR", "Call ID", "Format", "Hold", "Last Message", "Expiry", "Peer")
    ]
    rows = [row for source in service.channel_rows for row in source()]
    lines += [_CHANNELS % row for row in rows]
    lines.append(f"{len(rows)} active SIP dialog{'' if len(rows) == 1 else 's'}")
    return lines


def register_sip_cli(pbx: PBX) -> None:
    cli = pbx.cli

    def service() -> SipService:
        if pbx.sip is None:
            raise CliFailure("chan_sip is not loaded")
        return pbx.sip

    @cli.register("sip show peers", "List defined SIP peers", SHOW_PEERS_USAGE, takes_args=True)
    def peers(args: list[str]) -> list[str]:
        if args and (len(args) != 2 or args[0].lower() != "like"):
            raise ShowUsage
        try:
            return show_peers(service(), args[1] if args else "")
        except re.error as exc:
            raise CliFailure(f"Invalid pattern: {exc}") from exc

    @cli.register("sip show peer", "Show details on specific SIP peer", SHOW_PEER_USAGE,
                  takes_args=True)  # fmt: skip
    def peer(args: list[str]) -> list[str]:
        if len(args) not in (1, 2):
            raise ShowUsage
        found = service().peers.get(args[0])
        if found is None:
            return [f"Peer {args[0]} not found.", ""]
        return show_peer(service(), found)

    @cli.register("sip show registry", "List SIP registration status")
    def registry(args: list[str]) -> list[str]:
        return show_registry(service())

    @cli.register("sip show channels", "List active SIP channels or subscriptions")
    def channels(args: list[str]) -> list[str]:
        return show_channels(service())

    @cli.register("sip reload", "Reload SIP configuration")
    def reload(args: list[str]) -> list[str]:
        status = pbx.reload("chan_sip")
        if status != "Success":
            raise CliFailure("Reloading SIP failed: sip.conf has errors")
        return []


def show_iax_peers(iax: IaxConfig) -> list[str]:
    lines = [_IAX_HEAD % ("Name/Username", "Host", "   ", "Mask", "Port", "   ", "Status",
                          "Description")]  # fmt: skip
    peers = iax.listed()
    for peer in peers:
        lines.append(
            _IAX_ROW
            % (
                peer.name,
                peer.address or "(Unspecified)",
                "(D)" if peer.dynamic else "(S)",
                peer.mask,
                0 if peer.dynamic else peer.port,
                "(T)" if peer.trunk else "   ",
                peer.status,
                peer.description,
            )
        )
    unmonitored = sum(not p.monitored for p in peers)
    offline = len(peers) - unmonitored
    lines.append(
        f"{len(peers)} iax2 peers [0 online, {offline} offline, {unmonitored} unmonitored]"
    )
    return lines


def register_iax_cli(pbx: PBX) -> None:
    @pbx.cli.register("iax2 show peers", "List defined IAX peers")
    def peers(args: list[str]) -> list[str]:
        return show_iax_peers(pbx.iax) if pbx.iax is not None else []
