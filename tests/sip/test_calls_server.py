"""SIP calls through a real ``pbxd serve``, watched over AMI: a phone registers, another
calls it through ``Dial(SIP/bob)`` with RTP, ``sip show channels`` lists the call, and
``Originate`` rings the registered phone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support.ami import AmiSocket, action, headers

from .sipp import SCENARIOS, Sipp, free_port

pytestmark = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed")

SIP_CONF = """
[general]
context = default
udpbindaddr = 127.0.0.1:{port}

[carol]
type = friend
host = dynamic

[bob]
type = friend
host = dynamic
secret = bobpw
nat = no
"""

EXTENSIONS = """
[default]
exten => bob,1,Dial(SIP/bob,10)
 same => n,Hangup()
"""


def run(sipp: Sipp) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        sipp.command(), cwd=SCENARIOS,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def finish(process: subprocess.Popen[bytes]) -> None:
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()


def events_until(ami: AmiSocket, name: str, count: int, raw: list[bytes]) -> list[dict[str, str]]:
    """Every message read until the ``count``-th ``name`` event (included); names of
    headers lower-cased, the raw messages kept in ``raw``."""
    seen: list[dict[str, str]] = []
    while sum(1 for e in seen if e.get("event") == name) < count:
        message = ami.read_message(20)
        raw.append(message)
        seen.append(headers(message))
    return seen


def test_dial_and_originate_watched_over_ami(
    start_pbxd, reference_conf_dir: Path, tmp_path: Path
) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    shutil.copy(reference_conf_dir / "manager.conf", conf)
    port, bob_port = free_port(), free_port()
    (conf / "sip.conf").write_text(SIP_CONF.format(port=port))
    (conf / "extensions.conf").write_text(EXTENSIONS)
    (conf / "rtp.conf").write_text("[general]\nrtpstart=31000\nrtpend=31999\n")
    server = start_pbxd(conf)
    target = f"127.0.0.1:{port}"
    with AmiSocket(*server.address) as ami:
        ami.login(events="on")
        register = Sipp("call_uac_register.xml", free_port(), target, caller="bob",
                        extra=("-au", "bob", "-ap", "bobpw", "-key", "contact_port", str(bob_port)))  # fmt: skip
        finish(run(register))
        status = headers(ami.read_event("PeerStatus"))
        assert (status["peer"], status["peerstatus"]) == ("SIP/bob", "Registered")

        bob = run(Sipp("call_uas_answer.xml", bob_port, extra=("-rtp_echo",)))
        # the call lasts long enough for the CLI commands below to see it even on a busy machine
        carol = run(Sipp("call_uac_bye.xml", free_port(), target, "bob", duration_ms=4000))
        raw: list[bytes] = []
        seen = events_until(ami, "BridgeEnter", 2, raw)
        ami.send(action("Command", ("Command", "sip show channels")))
        ami.send(action("Command", ("Command", "sip show channelstats")))
        seen += events_until(ami, "Hangup", 2, raw)
        finish(carol)
        finish(bob)
        names = [e["channel"] for e in seen if e.get("event") == "Newchannel"]
        assert len(names) == 2
        caller, callee = names
        assert caller.startswith("SIP/carol-") and callee.startswith("SIP/bob-")
        assert all(len(n.rsplit("-", 1)[1]) == 8 for n in names)
        dial_end = next(e for e in seen if e.get("event") == "DialEnd")
        assert (dial_end["channel"], dial_end["destchannel"]) == (caller, callee)
        assert dial_end["dialstatus"] == "ANSWER"
        entered = [e["channel"] for e in seen if e.get("event") == "BridgeEnter"]
        assert sorted(entered) == sorted(names)
        hangups = {e["channel"]: e["cause"] for e in seen if e.get("event") == "Hangup"}
        assert hangups == {caller: "16", callee: "16"}

        output, stats = [m.decode() for m in raw if m.startswith(b"Response: Success")]
        assert "Output: 2 active SIP dialogs\r\n" in output
        assert output.count("(ulaw)") == 2
        assert "Output: 2 active SIP channels\r\n" in stats
        assert stats.count("Output: 127.0.0.1 ") == 2

        # Originate rings the registered phone; it answers, then hangs up
        bob = run(Sipp("call_uas_bye.xml", bob_port, duration_ms=500))
        ami.send(action("Originate", ("Channel", "SIP/bob"), ("Application", "Echo"),
                        ("Async", "true"), action_id="o1"))  # fmt: skip
        originated = headers(ami.read_event("OriginateResponse"))
        assert (originated["response"], originated["channel"][:8]) == ("Success", "SIP/bob-")
        hangup = headers(ami.read_event("Hangup"))
        assert hangup["channel"] == originated["channel"] and hangup["cause"] == "16"
        finish(bob)
