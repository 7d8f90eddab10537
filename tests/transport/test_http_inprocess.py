"""The HTTP manager inside the test's loop: WebSocket JSON sessions, and session expiry
on the virtual clock (no waiting)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pbxd.testing import VirtualClock, running_pbxd

from .test_http import HTTP_CONF, MANAGER_CONF


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    (tmp_path / "manager.conf").write_text(MANAGER_CONF)
    (tmp_path / "http.conf").write_text(HTTP_CONF)
    return tmp_path


def run(coro: Any) -> None:
    asyncio.run(asyncio.wait_for(coro, 30))


async def next_json(ws: aiohttp.ClientWebSocketResponse, **wanted: str) -> dict[str, Any]:
    """The next JSON message whose headers include ``wanted``."""
    while True:
        message = await ws.receive_json(timeout=5)
        if all(message.get(key) == value for key, value in wanted.items()):
            return message


async def ws_login(
    ws: aiohttp.ClientWebSocketResponse, user: str = "admin", secret: str = "adminpass"
) -> None:
    await ws.send_json({"Action": "Login", "Username": user, "Secret": secret, "ActionID": "in"})
    answer = await next_json(ws, ActionID="in")
    assert answer == {"Response": "Success", "ActionID": "in", "Message": "Authentication accepted"}
    assert list(answer) == ["Response", "ActionID", "Message"]


def test_websocket_carries_ami_as_json(conf: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(conf) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            url = f"http://127.0.0.1:{app.http.address[1]}/asterisk/ws"
            async with client.ws_connect(url) as ws, client.ws_connect(url) as other:
                await ws.send_json({"Action": "Ping", "ActionID": "early"})
                assert await next_json(ws, ActionID="early") == {
                    "Response": "Error", "ActionID": "early", "Message": "Permission denied"}  # fmt: skip
                await ws_login(ws)
                booted = await next_json(ws, Event="FullyBooted")
                assert list(booted)[:2] == ["Event", "Privilege"]
                await ws.send_json({"Action": "Ping", "ActionID": 2})
                pong = await next_json(ws, ActionID="2")
                assert list(pong) == ["Response", "ActionID", "Ping", "Timestamp"]
                await ws.send_json({"Action": "Command", "Command": "core show version",
                                    "ActionID": "c"})  # fmt: skip
                output = await next_json(ws, ActionID="c")
                assert output["Message"] == "Command output follows"
                assert str(output["Output"]).startswith("Asterisk 20.20.1")
                await ws_login(other)
                await other.send_json({"Action": "UserEvent", "UserEvent": "FromOther",
                                       "Header": ["A: 1", "B: 2"]})  # fmt: skip
                event = await next_json(ws, Event="UserEvent")
                assert event["UserEvent"] == "FromOther"
                assert event["Header"] == ["A: 1", "B: 2"]
                assert list(event)[:2] == ["Event", "Privilege"]
                await ws.send_json({"Action": "Logoff"})
                assert (await next_json(ws))["Response"] == "Goodbye"
                assert (await ws.receive(timeout=5)).type in (
                    aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)  # fmt: skip

    run(scenario())


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        ("{nope", "Failed to parse message: invalid JSON"),
        ("[1, 2]", "Failed to parse message: expected a JSON object of headers"),
        ('{"Action": {"x": 1}}', "Failed to parse message: header values must be"),
        ('{"Action": "Ping\\r\\nAction: Logoff"}', "a header contains a line break"),
        (b"\x00binary", "frames must be JSON text"),
    ],
)
def test_websocket_bad_frames(conf: Path, frame: str | bytes, text: str) -> None:
    async def scenario() -> None:
        async with running_pbxd(conf) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            url = f"http://127.0.0.1:{app.http.address[1]}/asterisk/ws"
            async with client.ws_connect(url) as ws:
                await ws_login(ws)
                if isinstance(frame, bytes):
                    await ws.send_bytes(frame)
                else:
                    await ws.send_str(frame)
                error = await next_json(ws, Response="Error")
                assert text in error["Message"]
                await ws.send_json({"Action": "Ping", "ActionID": "still"})
                assert (await next_json(ws, ActionID="still"))["Ping"] == "Pong"
                await ws.send_json({"Action": "Ping", "X": "a" * 2000})
                assert (await next_json(ws, Response="Error"))["Message"] == (
                    "Failed to parse message: line too long")  # fmt: skip

    run(scenario())


def test_websocket_permissions_and_filters(conf: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(conf) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            url = f"http://127.0.0.1:{app.http.address[1]}/asterisk/ws"
            async with client.ws_connect(url) as limited, client.ws_connect(url) as filtered, \
                    client.ws_connect(url) as admin:  # fmt: skip
                await ws_login(limited, "limited", "limitedpass")
                await ws_login(filtered, "filtered", "filteredpass")
                await ws_login(admin)
                await limited.send_json({"Action": "Command", "Command": "x", "ActionID": "c"})
                assert (await next_json(limited, ActionID="c"))["Message"] == "Permission denied"
                for name in ("Hidden", "Shown"):
                    await admin.send_json({"Action": "UserEvent", "UserEvent": name})
                assert (await next_json(filtered, Event="UserEvent"))["UserEvent"] == "Shown"
                await limited.send_json({"Action": "Ping", "ActionID": "last"})
                seen = []
                while (message := await limited.receive_json(timeout=5)).get("ActionID") != "last":
                    seen.append(message)
                assert not [m for m in seen if m.get("Event") == "UserEvent"]

    run(scenario())


def test_sessions_expire_after_httptimeout(conf: Path) -> None:
    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(conf, clock=clock) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            base = f"http://127.0.0.1:{app.http.address[1]}/asterisk/rawman"

            async def get(query: str, cookie: str = "") -> tuple[str, str]:
                headers = {"Cookie": f"mansession_id={cookie}"} if cookie else {}
                async with client.get(f"{base}?{query}", headers=headers) as reply:
                    text = await reply.text()
                    return text, reply.headers["Set-Cookie"].split('"')[1]

            _, anonymous = await get("action=ping")
            await clock.advance(6)  # not logged in: five seconds
            _, renewed = await get("action=ping", anonymous)
            assert renewed != anonymous
            _, cookie = await get("action=login&username=admin&secret=adminpass")
            await clock.advance(59)
            text, same = await get("action=ping", cookie)
            assert same == cookie and "Pong" in text
            await clock.advance(59)  # each request starts the 60 s again
            text, same = await get("action=ping", cookie)
            assert same == cookie and "Pong" in text
            await clock.advance(61)
            text, fresh = await get("action=ping", cookie)
            assert fresh != cookie
            assert text == "Response: Error\r\nMessage: Permission denied\r\n\r\n"
            app.http.sessions.purge()
            assert list(app.http.sessions.by_id) == [int(fresh, 16)]

    run(scenario())


def test_session_count_is_bounded(conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap, idle sessions that never logged in make room; logged-in ones stay."""
    monkeypatch.setattr("pbxd.manager.http_session.MAX_SESSIONS", 3)

    async def scenario() -> None:
        async with running_pbxd(conf) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            base = f"http://127.0.0.1:{app.http.address[1]}/asterisk/rawman"
            login = f"{base}?action=login&username=admin&secret=adminpass"
            async with client.get(login) as reply:
                cookie = reply.headers["Set-Cookie"].split('"')[1]
            for _ in range(6):
                async with aiohttp.ClientSession() as anonymous, anonymous.get(base) as reply:
                    assert reply.status == 200
            assert len(app.http.sessions.by_id) <= 3
            headers = {"Cookie": f"mansession_id={cookie}"}
            async with client.get(f"{base}?action=ping", headers=headers) as reply:
                assert "Pong" in await reply.text()

    run(scenario())


def test_silent_connections_are_closed_but_answers_in_progress_are_not(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text(MANAGER_CONF)
    (tmp_path / "http.conf").write_text(HTTP_CONF + "session_inactivity = 200\n")

    async def scenario() -> None:
        async with running_pbxd(tmp_path) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            port = app.http.address[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /asterisk/rawman?action=ping HTTP/1.1\r\nHost: a\r\n")  # no end
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing answered
            writer.close()
            async with client.ws_connect(f"http://127.0.0.1:{port}/asterisk/ws") as ws:
                await ws_login(ws)
                await asyncio.sleep(0.5)  # longer than session_inactivity, with nothing sent
                await ws.send_json({"Action": "Ping", "ActionID": "alive"})
                assert (await next_json(ws, ActionID="alive"))["Ping"] == "Pong"

    run(scenario())


def _frame(text: str) -> bytes:
    """One masked WebSocket text frame, as a client sends it."""
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    head = bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_websocket_that_stops_reading_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text(
        MANAGER_CONF.replace("httptimeout = 60", "httptimeout = 60\neventqueuesize = 64"))  # fmt: skip
    (tmp_path / "http.conf").write_text(HTTP_CONF)

    async def scenario() -> None:
        async with running_pbxd(tmp_path) as app, aiohttp.ClientSession() as client:
            assert app.http is not None and app.http.address is not None
            port = app.http.address[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /asterisk/ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         b"Sec-WebSocket-Version: 13\r\n\r\n")  # fmt: skip
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
            writer.write(_frame('{"Action": "Login", "Username": "admin", "Secret": "adminpass"}'))
            await writer.drain()
            while len(app.manager.logged_in_as("admin")) < 1:
                await asyncio.sleep(0.01)
            stalled = app.manager.logged_in_as("admin")[0]
            async with client.ws_connect(f"http://127.0.0.1:{port}/asterisk/ws") as ws:
                await ws_login(ws, "limited", "limitedpass")  # reads call events only
                sent = 0
                while stalled.id in app.manager.sessions and sent < 20_000:
                    await ws.send_json({"Action": "Ping", "Pad": "x" * 900})
                    app.manager.hub.publish("Flood", 1, ["Pad: " + "y" * 900])  # class system
                    sent += 1
                    if sent % 100 == 0:
                        await asyncio.sleep(0)
                assert stalled.id not in app.manager.sessions  # dropped, not buffered forever
                await ws.send_json({"Action": "Ping", "ActionID": "after"})
                assert (await next_json(ws, ActionID="after"))["Ping"] == "Pong"
            writer.close()

    run(scenario())
