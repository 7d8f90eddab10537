"""Registrar, qualify, outbound registration and MWI over real UDP on the virtual clock."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import NamedTuple

import pytest

from pbxd.pbx.astdb import AstDB
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.sip import digest
from pbxd.sip.events import PeerStatusChanged, RegistryChanged
from pbxd.sip.registrar import ASTDB_FAMILY
from pbxd.sip.service import SipService

from .harness import Phone, run


class MailboxChanged(NamedTuple):
    """The shape of voicemail's event (pbxd.pbx.voicemail.MailboxChanged)."""

    mailbox: str
    context: str
    new: int
    old: int
    urgent: int = 0


CONF = """
[general]
udpbindaddr = 127.0.0.1:@PORT@
minexpiry = 30
maxexpiry = 600

[alice]
type = friend
host = dynamic
secret = alicepass
mailbox = 1000

[bob]
type = friend
host = dynamic
secret = bobpass
qualify = 200

[open]
type = friend
host = dynamic

[static]
type = peer
host = 127.0.0.1
"""


def statuses(seen: list[object]) -> list[tuple[str, str]]:
    return [(e.peer, e.status) for e in seen if isinstance(e, PeerStatusChanged)]


def test_register_with_digest_then_unregister(tmp_path: Path) -> None:
    async def scenario(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        first = await phone.send(phone.register_request("alice"))
        assert first.status == 401
        fields = digest.parse_digest(first.headers.get("WWW-Authenticate") or "")
        assert fields["realm"] == "asterisk" and fields["qop"] == "auth" and fields["nonce"]
        ok = await phone.register("alice", "alicepass", expires="9999")
        assert ok.status == 200 and ok.headers.get("Expires") == "600"  # cut to maxexpiry
        peer = service.peers.get("alice")
        assert peer is not None and peer.address is not None
        assert (peer.address.host, peer.address.port) == ("127.0.0.1", phone.port)
        assert peer.contact == f"sip:alice@127.0.0.1:{phone.port}"
        assert peer.useragent == "test-phone" and peer.regexpire(clock()) == 610  # 10 s grace
        assert pbx.astdb is not None
        stored = pbx.astdb.get(ASTDB_FAMILY, "alice")
        assert stored == f"127.0.0.1:{phone.port}:600:alice:sip:alice@127.0.0.1:{phone.port}"
        registered = [e for e in seen if isinstance(e, PeerStatusChanged)][0]
        assert registered == PeerStatusChanged("alice", "Registered", f"127.0.0.1:{phone.port}")
        gone = await phone.register("alice", "alicepass", expires="0")
        assert gone.status == 200
        assert peer.address is None and pbx.astdb.get(ASTDB_FAMILY, "alice") is None
        assert statuses(seen)[-1] == ("alice", "Unregistered")
        star = await phone.register("alice", "alicepass", expires="0", contact="*")
        assert star.status == 200

    run(CONF, scenario, tmp_path / "astdb.sqlite3")


def test_refusals_and_stale_nonce() -> None:
    async def scenario(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        assert (await phone.register("alice", "wrong")).status == 403
        assert (await phone.register("nobody", "x")).status == 403  # challenged first
        assert (await phone.register("static", "")).status == 403  # not host=dynamic
        brief = await phone.register("alice", "alicepass", expires="5")
        assert brief.status == 423 and brief.headers.get("Min-Expires") == "30"
        # a nonce that has outlived its lifetime: challenged again with stale=true
        first = await phone.send(phone.register_request("alice"))
        challenge = digest.parse_digest(first.headers.get("WWW-Authenticate") or "")
        await clock.advance(60)
        request = phone.register_request("alice", cseq=2)
        request.headers.add("Authorization", digest.authorization(
            challenge, "REGISTER", request.uri, "alice", "alicepass"))  # fmt: skip
        stale = await phone.send(request)
        assert stale.status == 401
        assert "stale=true" in (stale.headers.get("WWW-Authenticate") or "")
        # a flood of wrong passwords: each refused, the service keeps answering
        answers = await asyncio.gather(*(phone.register("alice", f"bad{i}") for i in range(30)))
        assert {a.status for a in answers} == {403}
        assert (await phone.register("open", "")).status == 200  # no secret, no challenge
        assert service.registrar.failures == 33
        assert statuses(seen) == [("open", "Registered")]

    run(CONF, scenario)


def test_expiry_and_restore_from_astdb(tmp_path: Path) -> None:
    path = tmp_path / "astdb.sqlite3"

    async def scenario(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        assert (await phone.register("alice", "alicepass", expires="60")).status == 200
        await clock.advance(69)
        peer = service.peers.get("alice")
        assert peer is not None and peer.address is not None  # expiry + 10 s of grace
        await clock.advance(2)
        assert peer.address is None
        unregistered = [e for e in seen if isinstance(e, PeerStatusChanged)][-1]
        assert unregistered == PeerStatusChanged("alice", "Unregistered", cause="Expired")
        assert (await phone.register("alice", "alicepass", expires="120")).status == 200

    run(CONF, scenario, path)
    with AstDB(path) as astdb:  # what a restart finds
        assert astdb.get(ASTDB_FAMILY, "alice") is not None

    async def restarted(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        peer = service.peers.get("alice")
        assert peer is not None and peer.address is not None
        assert peer.contact.startswith("sip:alice@127.0.0.1:") and peer.regexpire(clock()) == 130

    run(CONF, restarted, path)


def test_qualify_reachable_lagged_unreachable() -> None:
    async def scenario(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        peer = service.peers.get("bob")
        assert peer is not None and peer.status == "UNKNOWN"
        assert (await phone.register("bob", "bobpass", expires="600")).status == 200
        await clock.advance(0)
        for _ in range(50):  # the poke goes out at once on registration
            await asyncio.sleep(0.01)
            if peer.lastms:
                break
        assert peer.status == "OK (1 ms)" and phone.options == 1
        assert statuses(seen) == [("bob", "Registered"), ("bob", "Reachable")]
        reachable = [e for e in seen if isinstance(e, PeerStatusChanged)][-1]
        assert reachable.time == 1
        phone.mute = True
        await clock.advance(61)  # the next poke, unanswered for 2 * maxms
        await asyncio.sleep(0.05)
        await clock.advance(1)
        assert peer.status == "UNREACHABLE"
        assert statuses(seen)[-1] == ("bob", "Unreachable")
        phone.mute = False
        await clock.advance(10)  # poked again 10 s later while unreachable
        for _ in range(50):
            await asyncio.sleep(0.01)
            if peer.lastms > 0:
                break
        assert statuses(seen)[-1] == ("bob", "Reachable") and peer.online
        # an answer slower than maxms is lagged
        service.qualifier._answered(peer, 450)
        assert peer.status == "LAGGED (450 ms)" and statuses(seen)[-1] == ("bob", "Lagged")

    run(CONF, scenario)


def test_mwi_notify_on_mailbox_change_and_sipnotify() -> None:
    async def scenario(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        assert (await phone.register("alice", "alicepass")).status == 200
        await asyncio.sleep(0.05)
        assert len(phone.notifies) == 1  # the counts on registration
        pbx.bus.publish(MailboxChanged("1000", "default", 1, 5, urgent=1))
        pbx.bus.publish(MailboxChanged("1000", "other", 9, 9))  # nobody's mailbox
        for _ in range(50):
            await asyncio.sleep(0.01)
            if len(phone.notifies) == 2:
                break
        notify = phone.notifies[-1]
        assert notify.headers.get("Event") == "message-summary"
        assert notify.headers.get("Content-Type") == "application/simple-message-summary"
        assert b"Messages-Waiting: yes\r\n" in notify.body
        assert b"Voice-Message: 2/5 (0/0)\r\n" in notify.body
        peer = service.peers.get("alice")
        assert peer is not None
        assert service.mwi.notify(peer, [("Event", "check-sync")], b"")
        for _ in range(50):
            await asyncio.sleep(0.01)
            if len(phone.notifies) == 3:
                break
        assert phone.notifies[-1].headers.get("Event") == "check-sync"

    run(CONF, scenario)


OUTBOUND = """
[general]
udpbindaddr = 127.0.0.1:@PORT@
register => alice:alicepass@@HOST@:@PORT@/1000~120

[alice]
type = friend
host = dynamic
secret = alicepass
"""


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_outbound_registration_to_a_registrar(host: str) -> None:
    """pbxd registers itself (a register => line) with a registrar: here, itself (by address
    or by a name looked up first)."""

    async def scenario(
        pbx: PBX, service: SipService, clock: VirtualClock, phone: Phone, seen: list[object]
    ) -> None:
        registration = service.registrations[0]
        await clock.advance(0.1)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if registration.state == "Registered":
                break
        assert registration.state == "Registered" and registration.refresh == 120
        assert [e for e in seen if isinstance(e, RegistryChanged)] == [
            RegistryChanged("alice", host, "Registered")
        ]
        peer = service.peers.get("alice")
        assert peer is not None and peer.contact.startswith("sip:1000@127.0.0.1:")
        await clock.advance(106)  # re-registers 15 s before the 120 s run out
        for _ in range(100):
            await asyncio.sleep(0.01)
            if len([e for e in seen if isinstance(e, RegistryChanged)]) == 2:
                break
        assert peer.regexpire(clock()) > 100  # refreshed (else 14 s would be left)

    run(OUTBOUND.replace("@HOST@", host), scenario)
