"""RFC 3261 transaction timers and retransmissions on the virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pbxd.pbx.clock import VirtualClock
from pbxd.sip.message import Request, Response, make_response, parse_message
from pbxd.sip.transaction import Endpoint, TransactionLayer

UDP = Endpoint("udp", "127.0.0.1", 5062)
TCP = Endpoint("tcp", "127.0.0.1", 5062)


def request(method: str, branch: str = "z9hG4bKabc") -> Request:
    data = (
        f"{method} sip:bob@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5062;branch={branch}\r\n"
        "From: <sip:alice@h>;tag=1\r\nTo: <sip:bob@h>\r\nCall-ID: c1\r\n"
        f"CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    message = parse_message(data)
    assert isinstance(message, Request)
    return message


class Wire:
    """What the layer sent, with the virtual time of each send."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.start = clock()
        self.sent: list[tuple[float, str]] = []

    def __call__(self, message: Request | Response, endpoint: Endpoint) -> None:
        label = message.method if isinstance(message, Request) else str(message.status)
        self.sent.append((round(self.clock() - self.start, 3), label))


def run(test: Callable[[VirtualClock, TransactionLayer, Wire], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = VirtualClock()
        wire = Wire(clock)
        await test(clock, TransactionLayer(clock, wire), wire)

    asyncio.run(main())


def test_non_invite_client_retransmits_with_timer_e_and_gives_up_at_f() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        timeouts: list[bool] = []
        layer.request(request("OPTIONS"), UDP, lambda r: None, lambda: timeouts.append(True))
        await clock.advance(40)
        times = [t for t, _ in wire.sent]
        assert times == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
        assert timeouts == [True] and not layer.clients

    run(test)


def test_non_invite_client_completes_then_timer_k() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        answers: list[int] = []
        sent = request("OPTIONS")
        layer.request(sent, UDP, lambda r: answers.append(r.status), lambda: None)
        await clock.advance(0.7)
        ok = make_response(sent, 200, to_tag="x")
        match = layer.match_response(ok)
        assert match is not None
        match.receive(ok)
        match.receive(ok)  # a retransmitted answer is absorbed
        await clock.advance(4)
        assert answers == [200] and len(wire.sent) == 2 and layer.clients
        await clock.advance(2)  # T4 = 5 s after the answer
        assert not layer.clients

    run(test)


def test_invite_client_timer_a_doubles_and_b_times_out() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        timeouts: list[bool] = []
        layer.request(request("INVITE"), UDP, lambda r: None, lambda: timeouts.append(True))
        await clock.advance(40)
        assert [t for t, _ in wire.sent] == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
        assert timeouts == [True]

    run(test)


def test_invite_client_acks_a_failure_and_absorbs_retransmissions() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        sent = request("INVITE")
        answers: list[int] = []
        layer.request(sent, UDP, lambda r: answers.append(r.status), lambda: None)
        busy = make_response(sent, 486, to_tag="b")
        ringing = make_response(sent, 180, to_tag="b")
        transaction = layer.match_response(ringing)
        assert transaction is not None
        transaction.receive(ringing)
        await clock.advance(5)  # no retransmission once Proceeding
        transaction.receive(busy)
        transaction.receive(busy)
        assert [label for _, label in wire.sent] == ["INVITE", "ACK", "ACK"]
        assert answers == [180, 486]
        await clock.advance(33)  # timer D
        assert not layer.clients

    run(test)


def test_reliable_transport_has_no_retransmissions() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        layer.request(request("INVITE"), TCP, lambda r: None, lambda: None)
        layer.request(request("OPTIONS", "z9hG4bKo"), TCP, lambda r: None, lambda: None)
        await clock.advance(40)
        assert [label for _, label in wire.sent] == ["INVITE", "OPTIONS"]

    run(test)


def test_invite_server_retransmits_failure_until_ack() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        invite = request("INVITE")
        server = layer.server(invite, UDP)
        server.respond(180)
        match = layer.match_request(invite)
        assert match is server
        server.retransmission(invite)  # the INVITE again: the 180 again
        server.respond(486)
        await clock.advance(1.6)  # timer G at 0.5 and 1.5
        ack = request("ACK")
        acked = layer.match_request(ack)
        assert acked is server
        acked.retransmission(ack)
        await clock.advance(10)
        assert [label for _, label in wire.sent] == ["180", "180", "486", "486", "486"]
        assert server.state == "Terminated" and not layer.servers
        assert server.to_tag and server.last_response is not None
        assert server.last_response.to.tag == server.to_tag

    run(test)


def test_invite_server_timer_h_without_ack() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        server = layer.server(request("INVITE"), UDP)
        lost: list[bool] = []
        server.on_timeout = lambda: lost.append(True)
        server.respond(603)
        await clock.advance(40)
        times = [t for t, _ in wire.sent]
        assert times[:6] == [0, 0.5, 1.5, 3.5, 7.5, 11.5] and times[-1] < 32
        assert lost == [True] and not layer.servers

    run(test)


def test_non_invite_server_answers_retransmissions_until_timer_j() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        options = request("OPTIONS")
        server = layer.server(options, UDP)
        server.respond(200)
        await clock.advance(10)
        match = layer.match_request(options)
        assert match is server
        match.retransmission(options)
        await clock.advance(30)
        assert layer.match_request(options) is None
        assert [label for _, label in wire.sent] == ["200", "200"]

    run(test)


def test_cancel_finds_its_invite() -> None:
    async def test(clock: VirtualClock, layer: TransactionLayer, wire: Wire) -> None:
        invite = request("INVITE")
        server = layer.server(invite, UDP)
        assert layer.find_invite(request("CANCEL")) is server
        assert layer.find_invite(request("CANCEL", "z9hG4bKother")) is None

    run(test)
