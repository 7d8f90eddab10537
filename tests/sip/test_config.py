"""sip.conf and iax.conf peers, and the CLI views of them."""

from __future__ import annotations

from pbxd.config.conf import Problem, loads
from pbxd.iax import load_iax_config
from pbxd.pbx.core import PBX
from pbxd.sip.cli import register_iax_cli, register_sip_cli
from pbxd.sip.config import load_sip_config, parse_registration
from pbxd.sip.service import SipService
from pbxd.sip.transaction import Endpoint

SIP_CONF = """
[general]
context = from-sip
udpbindaddr = 127.0.0.1:15999
tcpenable = yes
allow = alaw
register => trunkuser:trunkpass@sip.example.com:5070/1000~300
register => bad line
nosuchoption = 1

[phone](!)
type = friend
host = dynamic
qualify = yes
nat = force_rport,comedia
disallow = all
allow = ulaw,alaw

[alice](phone)
secret = alicepass
mailbox = 1000@default,1001
callerid = "Alice A" <1000>
description = Front desk

[bob](phone)
qualify = 500
defaultuser = bobby
nat = no

[trunk]
type = peer
host = 10.0.0.9:5070
context = trunk-in

[guest]
type = user
"""


def sip_config(problems: list[Problem] | None = None):  # noqa: ANN201
    return load_sip_config(loads(SIP_CONF, "sip.conf"), problems if problems is not None else [])


def test_general_peers_templates_and_registrations() -> None:
    problems: list[Problem] = []
    config = sip_config(problems)
    general = config.general
    assert (general.udpbind.host, general.udpbind.port, general.tcpenable) == (
        "127.0.0.1", 15999, True
    )  # fmt: skip
    assert general.codecs == ("ulaw", "alaw") and config.wants_stack
    assert list(config.peers) == ["alice", "bob", "trunk", "guest"]  # templates are not peers
    alice, bob, trunk, guest = config.peers.values()
    assert alice.dynamic and alice.maxms == 2000 and alice.context == "from-sip"
    assert alice.mailboxes == ("1000@default", "1001")
    assert (alice.cid_name, alice.cid_num) == ("Alice A", "1000")
    assert alice.forcerport_flag == "Y" and alice.comedia_flag == "Y"
    assert alice.codecs == ("ulaw", "alaw")
    assert bob.maxms == 500 and bob.defaultuser == "bobby" and bob.forcerport_flag == "N"
    assert (trunk.host, trunk.port, trunk.dynamic, trunk.type) == ("10.0.0.9", 5070, False, "peer")
    assert not guest.is_peer
    assert config.registrations == [
        parse_registration("trunkuser:trunkpass@sip.example.com:5070/1000~300")
    ]
    registration = config.registrations[0]
    assert (registration.username, registration.secret, registration.host) == (
        "trunkuser", "trunkpass", "sip.example.com"
    )  # fmt: skip
    assert (registration.port, registration.contact, registration.expiry) == (5070, "1000", 300)
    texts = [p.message for p in problems]
    assert any("bad register" in t for t in texts)
    assert any("nosuchoption" in t for t in texts)


def test_cli_views() -> None:
    pbx = PBX()
    pbx.sip = SipService(pbx, sip_config())
    register_sip_cli(pbx)
    pbx.sip.peers.get("alice").address = Endpoint("udp", "127.0.0.1", 5062)  # type: ignore[union-attr]
    lines = pbx.cli.run("sip show peers").lines
    assert lines[0].startswith("Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description")  # noqa: E501
    assert lines[1].startswith("alice                     127.0.0.1                                D   Y   Y      5062     UNKNOWN     Front desk")  # noqa: E501
    assert lines[2].startswith("bob/bobby                 (Unspecified)                            D   N   N      0        UNKNOWN")  # noqa: E501
    assert lines[3].startswith("trunk                     10.0.0.9                                     a   N      5070     Unmonitored")  # noqa: E501
    assert lines[-1] == (
        "3 sip peers [Monitored: 0 online, 2 offline Unmonitored: 1 online, 0 offline]"
    )
    assert "guest" not in "\n".join(lines)
    assert pbx.cli.run("sip show peers like ^b").lines[1].startswith("bob/bobby")
    peer = pbx.cli.run("sip show peer alice").lines
    assert "  * Name       : alice" in peer and "  Mailbox      : 1000@default,1001" in peer
    assert '  Callerid     : "Alice A" <1000>' in peer and "  Codecs       : (ulaw|alaw)" in peer
    assert pbx.cli.run("sip show peer nobody").lines == ["Peer nobody not found.", ""]
    registry = pbx.cli.run("sip show registry").lines
    assert registry[0].split() == ["Host", "dnsmgr", "Username", "Refresh", "State", "Reg.Time"]
    assert registry[1].split()[:5] == ["sip.example.com:5070", "N", "trunkuser", "300",
                                       "Unregistered"]  # fmt: skip
    assert registry[-1] == "1 SIP registration."
    assert pbx.cli.run("sip show channels").lines[-1] == "0 active SIP dialogs"


def test_iax_peers() -> None:
    config = load_iax_config(
        loads("[general]\nbindport=4569\n[p1]\ntype=friend\nhost=dynamic\n"
              "[p2]\ntype=peer\nhost=10.1.1.1\ntrunk=yes\nqualify=yes\n[u]\ntype=user\n",
              "iax.conf"),
        [],
    )  # fmt: skip
    assert [p.name for p in config.listed()] == ["p1", "p2"]
    pbx = PBX()
    pbx.iax = config
    register_iax_cli(pbx)
    lines = pbx.cli.run("iax2 show peers").lines
    assert lines[0].split() == ["Name/Username", "Host", "Mask", "Port", "Status", "Description"]
    assert lines[1].split() == ["p1", "(Unspecified)", "(D)", "255.255.255.255", "0",
                                "Unmonitored"]  # fmt: skip
    assert lines[2].split() == ["p2", "10.1.1.1", "(S)", "255.255.255.255", "4569", "(T)",
                                "UNKNOWN"]  # fmt: skip
    assert lines[-1] == "2 iax2 peers [0 online, 1 offline, 1 unmonitored]"
