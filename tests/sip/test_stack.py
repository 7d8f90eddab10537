"""The stack over real UDP and TCP on 127.0.0.1: dispatch by method and bad input."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from pbxd.pbx.clock import VirtualClock
from pbxd.sip.message import Request, Response, StreamFramer, parse_message
from pbxd.sip.stack import SipStack
from pbxd.sip.transaction import Endpoint, ServerTransaction


def text(method: str, *, branch: str = "z9hG4bK1", hops: str = "70", extra: str = "") -> bytes:
    return (
        f"{method} sip:pbx@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:9;branch={branch};rport\r\n"
        f"Max-Forwards: {hops}\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:pbx@h>\r\n"
        f"Call-ID: {branch}@h\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answers: asyncio.Queue[Response | Request] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.answers.put_nowait(parse_message(data))

    async def next(self) -> Response:
        answer = await asyncio.wait_for(self.answers.get(), 5)
        assert isinstance(answer, Response)
        return answer


Test = Callable[[SipStack, Client, asyncio.DatagramTransport], Awaitable[None]]


def run(test: Test) -> None:
    async def main() -> None:
        stack = SipStack(VirtualClock())
        await stack.start(udp=("127.0.0.1", 0), tcp=("127.0.0.1", 0))
        address = stack.transport.udp_address
        assert address is not None
        loop = asyncio.get_running_loop()
        transport, client = await loop.create_datagram_endpoint(Client, remote_addr=address)
        try:
            await test(stack, client, transport)
        finally:
            transport.close()
            await stack.close()

    asyncio.run(main())


def test_dispatch_by_method_and_refusals() -> None:
    async def test(stack: SipStack, client: Client, wire: asyncio.DatagramTransport) -> None:
        seen: list[tuple[str, Endpoint]] = []

        def options(request: Request, transaction: ServerTransaction | None, where: Endpoint):
            seen.append((request.method, where))
            assert transaction is not None
            transaction.respond(200)

        stack.handlers["OPTIONS"] = options
        wire.sendto(text("OPTIONS"))
        answer = await client.next()
        assert answer.status == 200 and answer.to.tag
        port = wire.get_extra_info("sockname")[1]
        assert seen == [("OPTIONS", Endpoint("udp", "127.0.0.1", port))]
        assert answer.top_via.params["rport"] == str(port)
        assert answer.top_via.params["received"] == "127.0.0.1"
        wire.sendto(text("OPTIONS"))  # the same again: answered again, handler not re-run
        assert (await client.next()).status == 200 and len(seen) == 1
        wire.sendto(text("FOO", branch="z9hG4bK2"))
        refused = await client.next()
        assert (refused.status, refused.reason) == (501, "Not Implemented")
        assert refused.headers.get("Allow") == "ACK, CANCEL, OPTIONS"
        wire.sendto(text("OPTIONS", branch="z9hG4bK3", hops="0"))
        assert (await client.next()).status == 483
        wire.sendto(text("CANCEL", branch="z9hG4bK4"))
        assert (await client.next()).status == 481
        stack.max_transactions = len(stack.transactions.servers)  # a flood filled the table
        wire.sendto(text("OPTIONS", branch="z9hG4bK5"))
        assert (await client.next()).status == 503 and stack.overloaded == 1

    run(test)


def test_invite_gets_trying_and_a_failing_handler_gets_500() -> None:
    async def test(stack: SipStack, client: Client, wire: asyncio.DatagramTransport) -> None:
        def broken(request: Request, transaction: ServerTransaction | None, where: Endpoint):
            raise RuntimeError("boom")

        stack.handlers["INVITE"] = broken
        wire.sendto(text("INVITE"))
        assert [(await client.next()).status for _ in range(2)] == [100, 500]

    run(test)


def test_bad_input_is_dropped_or_refused_and_the_stack_keeps_going() -> None:
    async def test(stack: SipStack, client: Client, wire: asyncio.DatagramTransport) -> None:
        stack.handlers["OPTIONS"] = lambda r, t, e: t.respond(200) if t else None
        for garbage in (
            b"\x00\xff garbage",
            b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 50\r\n\r\nshort",
            text("OPTIONS").replace(b"Via", b"Vxa"),  # no Via: nobody to answer
            b"\r\n\r\n",  # keep-alive
        ):
            wire.sendto(garbage)
        wire.sendto(text("OPTIONS", extra="CSeq: 2 INVITE\r\n").replace(b"CSeq: 1 OPTIONS\r\n", b""))
        assert (await client.next()).status == 400
        wire.sendto(text("OPTIONS", branch="z9hG4bKok"))
        assert (await client.next()).status == 200
        assert stack.bad_messages == 3

    run(test)


def test_tcp_requests_are_answered_on_their_connection() -> None:
    async def main() -> None:
        stack = SipStack(VirtualClock())
        stack.handlers["OPTIONS"] = lambda r, t, e: t.respond(200) if t else None
        await stack.start(tcp=("127.0.0.1", 0))
        address = stack.transport.tcp_address
        assert address is not None
        reader, writer = await asyncio.open_connection(*address)
        writer.write(text("OPTIONS").replace(b"UDP", b"TCP") * 2)
        framer = StreamFramer()
        answers: list[Request | Response] = []
        while len(answers) < 2:
            answers += framer.feed(await asyncio.wait_for(reader.read(4096), 5))
        assert [a.status for a in answers if isinstance(a, Response)] == [200, 200]
        writer.write(b"NOT SIP AT ALL\r\n\r\n")
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed: framing lost
        writer.close()
        await stack.close()

    asyncio.run(main())


_FIELDS = st.sampled_from(["Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Contact",
                           "Expires", "Authorization", "l"])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["REGISTER", "OPTIONS", "INVITE", "ACK", "CANCEL", "BYE", "X"]),
    st.lists(st.tuples(_FIELDS, st.text(max_size=30)), max_size=10),
)
def test_any_request_is_answered_or_dropped_never_raised(
    method: str, fields: list[tuple[str, str]]
) -> None:
    """Whatever arrives, the stack (with a registrar behind it) does not raise."""
    from pbxd.config.conf import loads
    from pbxd.pbx.core import PBX
    from pbxd.sip.config import load_sip_config
    from pbxd.sip.service import SipService

    pbx = PBX(VirtualClock())
    conf = "[alice]\ntype=friend\nhost=dynamic\nsecret=x\n[bob]\ntype=friend\nhost=dynamic\n"
    service = SipService(pbx, load_sip_config(loads(conf, "sip.conf"), []))
    head = (
        f"{method} sip:alice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        f"From: <sip:alice@h>;tag=1\r\nTo: <sip:alice@h>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\n"
    )
    if fields and fields[0][0] == "Via":  # sometimes only the random headers
        head = f"{method} sip:alice@127.0.0.1 SIP/2.0\r\n"
    data = (head + "".join(f"{n}: {v}\r\n" for n, v in fields) + "\r\n").encode(
        "utf-8", "surrogatepass"
    )
    failures: list[logging.LogRecord] = []
    catcher = logging.Handler(logging.ERROR)
    catcher.emit = failures.append  # type: ignore[method-assign]
    logging.getLogger("pbxd.sip").addHandler(catcher)
    try:
        service.stack.transport.received(data, Endpoint("udp", "127.0.0.1", 5999))
    finally:
        logging.getLogger("pbxd.sip").removeHandler(catcher)
    assert not failures, failures[0].getMessage()
