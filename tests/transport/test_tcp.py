"""The TCP/TLS listener with the real manager behind it, in the test's own event loop."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path

import pytest

from pbxd.testing import running_pbxd

MANAGER_CONF = """\
[general]
enabled = yes
port = 5038
bindaddr = 127.0.0.1
{extra}

[admin]
secret = adminpass
read = all
write = all
"""


def write_conf(directory: Path, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manager.conf").write_text(MANAGER_CONF.format(extra=extra))
    return directory


async def read_message(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)


async def login(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, events: str = "off"
) -> bytes:
    writer.write(
        f"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\nEvents: {events}\r\n\r\n".encode()
    )
    return await read_message(reader)


def run(coro: object) -> None:
    asyncio.run(asyncio.wait_for(coro, 30))  # type: ignore[arg-type]


def test_classic_dialect_speaks_ami_1_0(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(write_conf(tmp_path / "etc", "dialect = classic")) as app:
            host, port = app.ami_address  # type: ignore[misc]
            reader, writer = await asyncio.open_connection(host, port)
            assert await reader.readline() == b"Asterisk Call Manager/1.0\r\n"
            assert b"Authentication accepted" in await login(reader, writer)
            writer.write(b"Action: Ping\r\nActionID: 7\r\n\r\n")
            assert await read_message(reader) == b"Response: Pong\r\nActionID: 7\r\n\r\n"
            writer.write(
                b"Action: Command\r\nCommand: core show uptime seconds\r\nActionID: c\r\n\r\n"
            )
            body = await asyncio.wait_for(reader.readuntil(b"--END COMMAND--\r\n\r\n"), 5)
            assert body.startswith(b"Response: Follows\r\nPrivilege: Command\r\nActionID: c\r\n")
            assert b"System uptime: " in body and b"Output:" not in body
            writer.close()

    run(scenario())


def test_tls_listener(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("openssl is not available to make a certificate")
    extra = (
        f"tlsenable = yes\ntlsbindaddr = 127.0.0.1:0\ntlscertfile = {cert}\ntlsprivatekey = {key}"
    )

    async def scenario() -> None:
        async with running_pbxd(write_conf(tmp_path / "etc", extra)) as app:
            tls_server = app.servers[1]
            host, port = tls_server.sockets[0].getsockname()[:2]
            context = ssl.create_default_context(cafile=str(cert))
            context.check_hostname = False
            reader, writer = await asyncio.open_connection(host, port, ssl=context)
            assert await reader.readline() == b"Asterisk Call Manager/9.0.0\r\n"
            writer.write(b"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\n\r\n")
            assert b"Authentication accepted" in await read_message(reader)
            assert b"Event: FullyBooted" in await read_message(reader)
            success = await read_message(reader)
            assert b"Event: SuccessfulAuth" in success and b"/TLS/127.0.0.1/" in success
            writer.close()

    run(scenario())


def test_stalled_reader_is_disconnected_and_others_keep_receiving(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(write_conf(tmp_path / "etc")) as app:
            host, port = app.ami_address  # type: ignore[misc]
            stalled_reader, stalled = await asyncio.open_connection(host, port, limit=1024)
            await stalled_reader.readline()
            await login(stalled_reader, stalled, "user")
            transport = stalled.transport
            transport.pause_reading()  # this client never reads again
            reader, writer = await asyncio.open_connection(host, port)
            await reader.readline()
            await login(reader, writer, "user")
            sender_reader, sender = await asyncio.open_connection(host, port)
            await sender_reader.readline()
            await login(sender_reader, sender)
            payload = "x" * 900
            received = 0
            for burst in range(40):
                sender.write(
                    "".join(
                        f"Action: UserEvent\r\nUserEvent: Flood\r\nData: {payload}\r\n\r\n"
                        for _ in range(200)
                    ).encode()
                )
                for _ in range(200):
                    assert b"Event Sent" in await read_message(sender_reader)
                for _ in range(200):
                    assert b"Event: UserEvent" in await read_message(reader)
                    received += 1
                if burst == 5:
                    await asyncio.sleep(0.3)  # longer than writetimeout (100 ms)
            assert received == 8000
            stalled_users = [
                s
                for s in app.manager.sessions.values()
                if s.recv_mask and s.remote[1] == stalled.get_extra_info("sockname")[1]
            ]
            assert stalled_users == []  # the stalled session was dropped
            for w in (writer, sender, stalled):
                w.close()

    run(scenario())


def test_classic_dialect_call_events(tmp_path: Path) -> None:
    """An AMI 1.0 client sees Newchannel with State:, Dial, Link/Unlink and Hangup."""
    conf = write_conf(tmp_path / "etc", "dialect = classic")
    (conf / "extensions.conf").write_text(
        "[default]\nexten => 100,1,Answer()\n same => n,Wait(0.2)\n"
        "exten => 700,1,Dial(Local/100@default,5)\n"
    )

    async def scenario() -> None:
        async with running_pbxd(conf) as app:
            host, port = app.ami_address  # type: ignore[misc]
            reader, writer = await asyncio.open_connection(host, port)
            await reader.readline()
            await login(reader, writer, "call")
            writer.write(
                b"Action: Originate\r\nChannel: Local/700@default\r\nApplication: Wait\r\n"
                b"Data: 5\r\nAsync: yes\r\n\r\n"
            )
            seen: list[bytes] = []
            while not any(b"Event: Unlink" in m for m in seen):
                seen.append(await read_message(reader))
            names = [m.split(b"\r\n", 1)[0] for m in seen]
            assert (
                b"Event: Newchannel" in names
                and b"Event: Dial" in names
                and b"Event: Link" in names
            )
            newchannel = next(m for m in seen if m.startswith(b"Event: Newchannel"))
            assert b"\r\nState: Down\r\n" in newchannel and b"ChannelState" not in newchannel
            link = next(m for m in seen if m.startswith(b"Event: Link"))
            for header in (
                b"Channel1: ",
                b"Channel2: ",
                b"Uniqueid1: ",
                b"Uniqueid2: ",
                b"CallerID1: ",
            ):
                assert header in link
            writer.close()

    run(scenario())
