"""The SIP peer actions over AMI against a pbxd that registers with itself (register =>)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from support import REFERENCE_CONF
from support.ami import AmiSocket, action, headers
from support.server import PbxdProcess

from .harness import free_udp_port


def sip_conf(port: int, extra: str = "") -> str:
    return (
        f"[general]\nudpbindaddr = 127.0.0.1:{port}\n"
        f"register => trunk:trunkpass@127.0.0.1:{port}/1000~120\n\n"
        "[trunk]\ntype = friend\nhost = dynamic\nsecret = trunkpass\nmailbox = 1000\n"
        'callerid = "Trunk" <555>\n' + extra
    )


def registry(ami: AmiSocket) -> list[dict[str, str]]:
    ami.send(action("SIPshowregistry", action_id="r"))
    items = []
    while True:
        fields = headers(ami.read_message())
        if fields.get("event") == "RegistrationsComplete":
            return items
        if fields.get("event") == "RegistryEntry":
            items.append(fields)


def test_peer_actions(tmp_path: Path, start_pbxd: Callable[..., PbxdProcess]) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    shutil.copy(REFERENCE_CONF / "manager.conf", conf / "manager.conf")
    port = free_udp_port()
    (conf / "sip.conf").write_text(sip_conf(port))
    server = start_pbxd(conf)
    with AmiSocket(*server.address) as ami:
        ami.login()
        deadline = time.monotonic() + 10
        while (entries := registry(ami))[0]["state"] != "Registered":
            assert time.monotonic() < deadline, entries
            time.sleep(0.05)
        entry = entries[0]
        assert list(entry)[1:] == ["actionid", "host", "port", "username", "domain",
                                   "domainport", "refresh", "state", "registrationtime"]  # fmt: skip
        assert (entry["host"], entry["port"], entry["username"], entry["refresh"]) == (
            "127.0.0.1", str(port), "trunk", "120"
        )  # fmt: skip
        assert int(entry["registrationtime"]) > 0
        shown = headers(ami.request(action("SIPshowpeer", ("Peer", "trunk"))))
        assert shown["reg-contact"] == f"sip:1000@127.0.0.1:{port}"
        assert shown["voicemailbox"] == "1000" and shown["callerid"] == '"Trunk" <555>'
        assert shown["regexpire"].endswith(" seconds") and shown["address-ip"] == "127.0.0.1"
        assert ami.request(action("SIPshowpeer")) == (
            b"Response: Error\r\nMessage: Peer: <name> missing.\r\n\r\n"
        )
        answer = ami.request(action("SIPqualifypeer", ("Peer", "trunk"), action_id="q"))
        assert answer == (
            b"Response: Success\r\nActionID: q\r\nMessage: SIPQualifyPeer Acknowledged\r\n\r\n"
        )
        assert b"Message: Peer not found\r\n" in ami.request(
            action("SIPqualifypeer", ("Peer", "nobody"))
        )
        notify = action("SIPnotify", ("Channel", "SIP/trunk"), ("Variable", "Event=check-sync"))
        assert b"Message: Notify Sent\r\n" in ami.request(notify)
        for request, text in (
            (action("SIPnotify"), b"SIPNotify requires a channel name"),
            (action("SIPnotify", ("Channel", "trunk")), b"SIPNotify requires variables"),
            (action("SIPnotify", ("Channel", "x"), ("Variable", "a=b")), b"Could not create"),
        ):
            assert text in ami.request(request)
        ami.send(action("Command", ("Command", "sip show registry")))
        output = ami.read_message().decode()
        assert f"127.0.0.1:{port}" in output and "Registered" in output
        assert "Output: 1 SIP registration." in output
        # sip reload: a new peer appears, the registered one keeps its binding
        (conf / "sip.conf").write_text(sip_conf(port, "\n[carol]\ntype = peer\nhost = 10.9.9.9\n"))
        ami.send(action("Command", ("Command", "sip reload")))
        assert b"Response: Success" in ami.read_message()
        ami.send(action("SIPpeers"))
        names = []
        while (fields := headers(ami.read_message())).get("event") != "PeerlistComplete":
            if fields.get("event") == "PeerEntry":
                names.append((fields["objectname"], fields["ipaddress"]))
        assert names == [("carol", "10.9.9.9"), ("trunk", "127.0.0.1")]
        ami.send(action("Command", ("Command", "sip show channels")))
        assert b"Output: 0 active SIP dialogs" in ami.read_message()
