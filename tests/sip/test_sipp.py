"""End to end: sipp registers with pbxd, is qualified and unregisters, watched over AMI."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REFERENCE_CONF
from support.ami import AmiSocket, action, headers
from support.server import PbxdProcess

from .harness import free_udp_port

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP = shutil.which("sipp")

pytestmark = pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) not installed")


def sipp(
    port: int,
    scenario: str,
    user: str,
    secret: str,
    local_port: int,
    transport: str = "u1",
    out_of_call: str = "options.xml",
    *extra: str,
) -> subprocess.Popen:
    command = [
        str(SIPP), f"127.0.0.1:{port}", "-sf", str(SCENARIOS / scenario),
        "-oocsf", str(SCENARIOS / out_of_call), *extra,
        "-s", user, "-au", user, "-ap", secret,
        "-i", "127.0.0.1", "-p", str(local_port), "-m", "1", "-nostdin",
        "-timeout", "20s", "-timeout_error", "-t", transport,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def sip_pbxd(tmp_path: Path, start_pbxd: Callable[..., PbxdProcess]) -> tuple[PbxdProcess, int]:
    conf = tmp_path / "conf"
    conf.mkdir()
    shutil.copy(REFERENCE_CONF / "manager.conf", conf / "manager.conf")
    port = free_udp_port()
    (conf / "sip.conf").write_text(
        f"[general]\nudpbindaddr = 127.0.0.1:{port}\ntcpenable = yes\n"
        f"tcpbindaddr = 127.0.0.1:{port}\n\n"
        "[phone](!)\ntype = friend\nhost = dynamic\nqualify = yes\n\n"
        "[alice](phone)\nsecret = alicepass\n\n[bob](phone)\nsecret = bobpass\n\n"
        "[carol]\ntype = friend\nhost = dynamic\nsecret = carolpass\nmailbox = 1000\n"
    )
    return start_pbxd(conf), port


def list_items(ami: AmiSocket, request: bytes, complete: str) -> list[dict[str, str]]:
    ami.send(request)
    items = []
    while True:
        message = ami.read_message()
        if message.startswith(b"Event: PeerStatus"):
            continue
        fields = headers(message)
        if fields.get("event") == complete:
            return items
        if "event" in fields:
            items.append(fields)


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
def test_register_qualify_unregister_with_sipp(
    sip_pbxd: tuple[PbxdProcess, int], transport: str
) -> None:
    server, port = sip_pbxd
    local = free_udp_port()
    with AmiSocket(*server.address, timeout=10) as ami:
        ami.login(events="on")
        phone = sipp(port, "register.xml", "alice", "alicepass", local, transport)
        try:
            registered = headers(ami.read_event("PeerStatus"))
            assert registered["peer"] == "SIP/alice" and registered["peerstatus"] == "Registered"
            assert registered["address"] == f"127.0.0.1:{local}"
            assert registered["channeltype"] == "SIP"
            reachable = headers(ami.read_event("PeerStatus"))
            assert reachable["peerstatus"] == "Reachable" and int(reachable["time"]) >= 1
            peers = list_items(ami, action("SIPpeers", action_id="p"), "PeerlistComplete")
            alice = next(p for p in peers if p["objectname"] == "alice")
            assert (alice["ipaddress"], alice["ipport"]) == ("127.0.0.1", str(local))
            assert alice["status"].startswith("OK (") and alice["status"].endswith(" ms)")
            bob = next(p for p in peers if p["objectname"] == "bob")
            assert (bob["ipaddress"], bob["status"]) == ("-none-", "UNKNOWN")
            ami.send(action("SIPshowpeer", ("Peer", "alice"), action_id="s"))
            shown = headers(ami.read_message())
            assert shown["reg-contact"] == f"sip:alice@127.0.0.1:{local}"
            assert shown["sip-useragent"] == "sipp" and shown["address-port"] == str(local)
            ami.send(action("Command", ("Command", "sip show peers")))
            output = ami.read_message().decode()
            assert "alice" in output and "OK (" in output
            assert "3 sip peers [Monitored: 1 online, 1 offline" in output
            gone = headers(ami.read_event("PeerStatus"))
            assert (gone["peer"], gone["peerstatus"]) == ("SIP/alice", "Unregistered")
        finally:
            out, _ = phone.communicate(timeout=30)
        assert phone.returncode == 0, out.decode(errors="replace")[-2000:]


def test_wrong_secret_and_garbage_do_not_hurt(sip_pbxd: tuple[PbxdProcess, int]) -> None:
    server, port = sip_pbxd
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for garbage in (b"\x00\x01garbage", b"REGISTER sip:x SIP/2.0\r\nContent-Length: 99\r\n\r\n",
                        b"INVITE sip:a@b SIP/2.0\r\n"):  # fmt: skip
            raw.sendto(garbage, ("127.0.0.1", port))
        raw.settimeout(5)
        raw.sendto(
            b"OPTIONS sip:pbx@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa\r\n"
            b"Max-Forwards: 0\r\nFrom: <sip:x@h>;tag=1\r\nTo: <sip:pbx@h>\r\nCall-ID: c\r\n"
            b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            ("127.0.0.1", port),
        )
        assert raw.recv(4096).startswith(b"SIP/2.0 483 Too Many Hops\r\n")
        raw.sendto(
            b"PUBLISH sip:pbx@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKb\r\n"
            b"From: <sip:x@h>;tag=1\r\nTo: <sip:pbx@h>\r\nCall-ID: d\r\n"
            b"CSeq: 1 PUBLISH\r\nContent-Length: 0\r\n\r\n",
            ("127.0.0.1", port),
        )
        assert raw.recv(4096).startswith(b"SIP/2.0 501 Not Implemented\r\n")
    phone = sipp(port, "register_refused.xml", "alice", "wrong", free_udp_port())
    out, _ = phone.communicate(timeout=30)
    assert phone.returncode == 0, out.decode(errors="replace")[-2000:]
    with AmiSocket(*server.address) as ami:
        ami.login()
        peers = list_items(ami, action("SIPpeers"), "PeerlistComplete")
        assert [p["ipaddress"] for p in peers] == ["-none-", "-none-", "-none-"]
    assert "Wrong password" in server.diagnostics(50)


def test_mwi_and_sipnotify_reach_sipp(sip_pbxd: tuple[PbxdProcess, int], tmp_path: Path) -> None:
    """carol has a mailbox: registering brings a message-summary NOTIFY; SIPnotify another."""
    server, port = sip_pbxd
    messages = tmp_path / "messages.log"
    trace = ("-trace_msg", "-message_file", str(messages))
    phone = sipp(port, "register.xml", "carol", "carolpass", free_udp_port(), "u1",
                 "notify.xml", *trace)  # fmt: skip
    try:
        with AmiSocket(*server.address, timeout=10) as ami:
            ami.login(events="on")
            registered = headers(ami.read_event("PeerStatus"))
            assert (registered["peer"], registered["peerstatus"]) == ("SIP/carol", "Registered")
            ami.send(action("SIPnotify", ("Channel", "SIP/carol"),
                            ("Variable", "Event=check-sync"), action_id="n"))  # fmt: skip
            while not (answer := ami.read_message()).startswith(b"Response:"):
                pass
            assert answer == b"Response: Success\r\nActionID: n\r\nMessage: Notify Sent\r\n\r\n"
    finally:
        out, _ = phone.communicate(timeout=30)
    assert phone.returncode == 0, out.decode(errors="replace")[-2000:]
    log = messages.read_text(errors="replace")
    assert "NOTIFY sip:carol@127.0.0.1" in log
    assert "Event: message-summary" in log and "Voice-Message: 0/0 (0/0)" in log
    assert "Messages-Waiting: no" in log and "Event: check-sync" in log
