"""Bad input over real sockets: none of it crashes the server or delays other sessions."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from pbxd.testing import running_pbxd

from .test_tcp import login, read_message, run, write_conf


async def connect(address: tuple[str, int]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(*address)
    assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"Asterisk Call Manager/")
    return reader, writer


async def ping_time(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
    started = time.perf_counter()
    writer.write(b"Action: Ping\r\nActionID: probe\r\n\r\n")
    while b"ActionID: probe" not in await read_message(reader):
        pass
    return time.perf_counter() - started


def test_connections_that_never_log_in(tmp_path: Path) -> None:
    """authlimit caps waiting sessions: the rest are closed at once, nothing stalls."""

    async def scenario() -> None:
        conf = write_conf(tmp_path / "etc", "authlimit = 20\nauthtimeout = 2")
        async with running_pbxd(conf) as app:
            address = app.ami_address
            reader, writer = await connect(address)  # type: ignore[arg-type]
            await login(reader, writer)
            idle = [await asyncio.open_connection(*address) for _ in range(200)]  # type: ignore[misc]
            await asyncio.sleep(0.2)
            assert app.manager.unauthenticated == 20
            closed = 0
            for idle_reader, _ in idle:
                data = await asyncio.wait_for(idle_reader.read(100), 5)
                closed += data == b""  # refused at once: not even a banner
            assert closed == 180
            assert await ping_time(reader, writer) < 0.8  # answered at once, not after a wait
            await asyncio.sleep(2.3)  # authtimeout closes the 20 that never logged in
            assert app.manager.unauthenticated == 0
            assert await ping_time(reader, writer) < 0.8  # answered at once, not after a wait
            for _, idle_writer in idle:
                idle_writer.close()
            writer.close()

    run(scenario())


def test_flood_of_wrong_passwords(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(write_conf(tmp_path / "etc", "authlimit = 500")) as app:
            address = app.ami_address
            reader, writer = await connect(address)  # type: ignore[arg-type]
            await login(reader, writer)
            watch_reader, watcher = await connect(address)  # type: ignore[arg-type]
            await login(watch_reader, watcher, "security")

            async def wrong() -> tuple[bytes, float]:
                bad_reader, bad_writer = await connect(address)  # type: ignore[arg-type]
                started = time.perf_counter()
                bad_writer.write(b"Action: Login\r\nUsername: admin\r\nSecret: nope\r\n\r\n")
                answer = await read_message(bad_reader)
                assert await asyncio.wait_for(bad_reader.read(), 5) == b""
                bad_writer.close()
                return answer, time.perf_counter() - started

            flood = asyncio.gather(*(wrong() for _ in range(300)))
            await asyncio.sleep(0.3)
            assert await ping_time(reader, writer) < 0.8  # before the flood's 1 s refusals end
            results = await flood
            for answer, elapsed in results:
                assert answer == b"Response: Error\r\nMessage: Authentication failed\r\n\r\n"
                assert 0.9 < elapsed < 10  # refused after about a second
            events = []
            while len(events) < 300:
                message = await read_message(watch_reader)
                if b"Event: InvalidPassword" in message:
                    events.append(message)
            assert all(b"Severity: Error" in e and b"AccountID: admin" in e for e in events)
            writer.close()
            watcher.close()

    run(scenario())


def test_garbage_and_endless_lines(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(write_conf(tmp_path / "etc")) as app:
            address = app.ami_address
            reader, writer = await connect(address)  # type: ignore[arg-type]
            await login(reader, writer)
            junk_reader, junk = await connect(address)  # type: ignore[arg-type]
            await login(junk_reader, junk)
            junk.write(os.urandom(256 * 1024))  # binary noise (one long message or a few)
            junk.write(b"\r\n\r\n")  # whatever it was, it ends here
            junk.write(b"X" * (4 * 1024 * 1024))  # an endless line
            junk.write(b"\r\nActionID: after-junk\r\n\r\n")
            await junk.drain()
            answer = b""
            while b"after-junk" not in answer:
                answer = await read_message(junk_reader)
            assert b"Message: Failed to parse message: line too long" in answer
            assert await ping_time(reader, writer) < 0.8
            junk.write(b"Action: Ping\r\nActionID: still-here\r\n\r\n")
            while b"still-here" not in (answer := await read_message(junk_reader)):
                pass
            assert b"Ping: Pong" in answer
            session = next(
                s
                for s in app.manager.sessions.values()
                if s.remote[1] == junk.get_extra_info("sockname")[1]
            )
            assert len(session.conn.decoder._buf) < 1024  # the endless line was never kept
            writer.close()
            junk.close()

    run(scenario())
