"""The client against servers that misbehave: garbage, cut messages, lists cut short, event
floods, silence, other encodings, an AMI 1.0 server; reconnects restore the session."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbxd.client import (
    AmiClient,
    AmiConnectionError,
    ConnectionLost,
    EventOverflow,
    LoginError,
)

from .fakes import BANNER, Peer, fake_server


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 20))


def client_for(host: str, port: int, **kwargs: object) -> AmiClient:
    options: dict[str, object] = {"ping_interval": 0, "reconnect": False, "timeout": 5}
    options.update(kwargs)
    return AmiClient(host, port, "admin", "secret", **options)  # type: ignore[arg-type]


async def ping_server(peer: Peer) -> None:
    """Logs in, answers every action with Success, until the client goes."""
    await peer.login()
    await peer.answer_rest()


def test_unreachable_host() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def scenario() -> None:
        with pytest.raises(AmiConnectionError, match="cannot connect to 127.0.0.1"):
            await client_for("127.0.0.1", port).connect()

    run(scenario)


def test_not_an_ami_server() -> None:
    async def handler(peer: Peer) -> None:
        await peer.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await peer.reader.read()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            with pytest.raises(AmiConnectionError, match="not an AMI server"):
                await client_for(host, port).connect()

    run(scenario)


def test_refused_login() -> None:
    async def handler(peer: Peer) -> None:
        await peer.send(BANNER)
        action = await peer.read_action()
        await peer.answer(action, "Response: Error", "Message: Authentication failed")
        peer.close()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            with pytest.raises(LoginError, match="Authentication failed"):
                await client_for(host, port).connect()

    run(scenario)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=st.binary(max_size=300))
def test_garbage_between_messages(garbage: bytes) -> None:
    """Whatever bytes come, once a blank line ends them the next answer still arrives."""

    async def handler(peer: Peer) -> None:
        await peer.login()
        action = await peer.read_action()
        await peer.send(garbage + b"\r\n\r\n")
        await peer.answer(action, "Response: Success", "Ping: Pong")
        await peer.answer_rest()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = await client_for(host, port).connect()
            response = await client.send_action("Ping")
            assert response.get("Ping") == "Pong"
            await client.close()

    run(scenario)


def test_stop_mid_message() -> None:
    async def handler(peer: Peer) -> None:
        await peer.login()
        action = await peer.read_action()
        await peer.send(f"Response: Success\r\nActionID: {action['actionid']}\r\nPi".encode())
        peer.close()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = await client_for(host, port).connect()
            with pytest.raises(ConnectionLost):
                await client.send_action("Ping")
            with pytest.raises(ConnectionLost):
                await client.send_action("Ping")  # not connected, no reconnect asked
            await client.close()

    run(scenario)


def test_close_during_a_list() -> None:
    async def handler(peer: Peer) -> None:
        await peer.login()
        action = await peer.read_action()
        aid = action["actionid"]
        await peer.answer(action, "Response: Success", "EventList: start")
        for n in range(3):
            await peer.send(f"Event: Item\r\nActionID: {aid}\r\nN: {n}\r\n\r\n".encode())
        peer.close()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = await client_for(host, port).connect()
            seen = []
            with pytest.raises(ConnectionLost):
                async for item in client.list_action("Things"):
                    seen.append(item.get("N"))
            assert seen == ["0", "1", "2"]
            await client.close()

    run(scenario)


@pytest.mark.parametrize("overflow", ["drop_oldest", "drop_newest", "raise"])
def test_event_flood_is_bounded(overflow: str) -> None:
    """50,000 events against a reader that takes none: the stream keeps 100 of them, the
    policy decides which, and actions are still answered."""
    count = 50_000

    async def handler(peer: Peer) -> None:
        await peer.login()
        flood = b"".join(f"Event: Tick\r\nN: {n}\r\n\r\n".encode() for n in range(count))
        await peer.send(flood)
        await peer.answer_rest()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = client_for(host, port)
            ticks = client.events("Tick", maxsize=100, overflow=overflow)  # type: ignore[arg-type]
            await client.connect()
            assert (await client.send_action("Ping")).ok  # answered after the flood
            assert len(ticks) == 100
            assert ticks.dropped == count - 100
            if overflow == "raise":
                with pytest.raises(EventOverflow) as caught:
                    await ticks.get(1)
                assert caught.value.dropped == count - 100
            first = (await ticks.get(1)).get("N")
            assert first == ("0" if overflow != "drop_oldest" else str(count - 100))
            await client.close()

    run(scenario)


def test_latin1_fallback_per_message() -> None:
    async def handler(peer: Peer) -> None:
        await peer.login()
        await peer.send(b"Event: Caller\r\nName: Ren\xe9e\r\n\r\n")
        await peer.send("Event: Caller\r\nName: Renée\r\n\r\n".encode())
        await peer.answer_rest()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = client_for(host, port)
            callers = client.events("Caller")
            await client.connect()
            assert (await callers.get(5)).get("Name") == "Renée"
            assert (await callers.get(5)).get("Name") == "Renée"
            await client.close()

    run(scenario)


def test_ami_1_0_server() -> None:
    """Asterisk 1.4: banner 1.0, Command output as a Follows body, answers without
    ActionID taken in order."""

    async def handler(peer: Peer) -> None:
        await peer.send(b"Asterisk Call Manager/1.0\r\n")
        await peer.read_action()
        await peer.send(b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n")
        command = await peer.read_action()
        await peer.send(
            b"Response: Follows\r\nPrivilege: Command\r\nActionID: "
            + command["actionid"].encode()
            + b"\r\n  Channel   Location\n0 active channels\n--END COMMAND--\r\n\r\n"
        )
        await peer.read_action()
        await peer.send(b"Response: Pong\r\n\r\n")
        await peer.answer_rest()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = await client_for(host, port).connect()
            assert client.version == "1.0"
            assert await client.command("show channels") == [
                "  Channel   Location",
                "0 active channels",
            ]
            assert (await client.send_action("Ping")).ok
            await client.close()

    run(scenario)


def test_keepalive_reconnects_and_restores_the_session() -> None:
    """The first connection stops answering; the keepalive Ping times out, the client
    reconnects, logs in with the Events mask it was set to, re-adds its filter, and an
    action sent with resend=True is answered on the new connection."""
    masks: list[str] = []
    filters: list[str] = []

    async def handler(peer: Peer) -> None:
        first = not masks
        await peer.login(masks)
        while action := await peer.read_action():
            name = action["action"].lower()
            if name == "filter":
                filters.append(action["filter"])
            if first and name in ("ping", "userevent"):
                continue  # silence
            await peer.answer(action)

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, peers):
            client = client_for(
                host, port, ping_interval=0.05, ping_timeout=0.2, reconnect=True,
                backoff_initial=0.01, backoff_max=0.05,
            )  # fmt: skip
            await client.connect()
            await client.set_events("call,user")
            await client.add_filter("Event: Newchannel")
            answer = await client.send_action("UserEvent", UserEvent="X", resend=True, timeout=10)
            assert answer.ok
            assert len(peers) == 2 and client.reconnects == 1
            assert masks == ["on", "call,user"]
            assert filters == ["Event: Newchannel", "Event: Newchannel"]
            await client.close()

    run(scenario)


def test_in_flight_actions_fail_on_a_break() -> None:
    async def handler(peer: Peer) -> None:
        await peer.login()
        await peer.read_action()
        peer.close()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = client_for(host, port, reconnect=True, backoff_initial=0.01)
            await client.connect()
            with pytest.raises(ConnectionLost):
                await client.send_action("Ping")
            await client.close()

    run(scenario)


def test_login_refused_on_reconnect_ends_the_streams() -> None:
    async def handler(peer: Peer) -> None:
        if len(peers_seen) == 0:
            peers_seen.append(peer)
            await peer.login()
            await peer.read_action()
            peer.close()
            return
        await peer.send(BANNER)
        action = await peer.read_action()
        await peer.answer(action, "Response: Error", "Message: Authentication failed")

    peers_seen: list[Peer] = []

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = client_for(host, port, reconnect=True, backoff_initial=0.01)
            await client.connect()
            stream = client.events()
            with pytest.raises(ConnectionLost):
                await client.send_action("Ping")
            with pytest.raises(LoginError):
                await stream.get(5)
            with pytest.raises(LoginError):
                await client.send_action("Ping")
            await client.close()

    run(scenario)


def test_action_ids_are_unique() -> None:
    async def scenario() -> None:
        async with fake_server(ping_server) as (host, port, peers):
            one, two = client_for(host, port), client_for(host, port)
            await one.connect()
            await two.connect()
            await asyncio.gather(*(c.send_action("Ping") for c in (one, two) for _ in range(50)))
            ids = [a["actionid"] for peer in peers for a in peer.received]
            assert len(ids) == len(set(ids)) == 2 * 51
            await one.close()
            await two.close()

    run(scenario)


def test_pause_policy_loses_nothing() -> None:
    """With ``pause`` the client stops reading while the stream is full: every one of the
    events arrives, in order, and the stream never held much more than its size."""
    count = 30_000

    async def handler(peer: Peer) -> None:
        await peer.login()
        pad = "x" * 200
        await peer.send(
            b"".join(f"Event: Tick\r\nN: {n}\r\nPad: {pad}\r\n\r\n".encode() for n in range(count))
        )
        await peer.answer_rest()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, _):
            client = client_for(host, port)
            ticks = client.events("Tick", maxsize=100, overflow="pause")
            await client.connect()
            longest, n = 0, 0
            async for event in ticks:
                longest = max(longest, len(ticks))
                assert event.get("N") == str(n)
                n += 1
                if n == count:
                    break
                if n % 1000 == 0:
                    await asyncio.sleep(0.001)  # a slow reader
            assert ticks.dropped == 0
            assert longest < count // 2
            assert (await client.send_action("Ping")).ok
            await client.close()

    run(scenario)


def test_resent_action_that_times_out_is_not_sent_later() -> None:
    """An action waiting (resend=True) for a reconnect that comes too late times out and
    is not sent once the client is back."""
    attempts: list[int] = []

    async def handler(peer: Peer) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            await peer.login()
            await peer.read_action()
            peer.close()
            return
        if len(attempts) == 2:
            await asyncio.sleep(0.5)  # the second login is slow
        await peer.login()
        await peer.answer_rest()

    async def scenario() -> None:
        async with fake_server(handler) as (host, port, peers):
            client = client_for(host, port, reconnect=True, backoff_initial=0.01)
            await client.connect()
            with pytest.raises(TimeoutError):
                await client.send_action("UserEvent", UserEvent="Late", resend=True, timeout=0.2)
            await client.wait_connected(5)
            assert (await client.send_action("Ping")).ok
            sent = [a.get("action") for peer in peers[1:] for a in peer.received]
            assert sent == ["Login", "Ping"]
            await client.close()

    run(scenario)
