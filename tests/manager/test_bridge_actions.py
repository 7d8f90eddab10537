"""Bridge and BlindTransfer over a real AMI connection, calls on the virtual clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pbxd.testing import VirtualClock, running_pbxd

CONF = """[general]
enabled = yes
port = 5038
bindaddr = 127.0.0.1

[admin]
secret = adminpass
read = all
write = all
"""
EXTENSIONS = """[default]
exten => park,1,Answer()
 same => n,Wait(100)
exten => target,1,Answer()
 same => n,Wait(100)
"""


async def ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, text: str) -> bytes:
    writer.write(text.encode() + b"\r\n")
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)


def test_bridge_and_blind_transfer(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text(CONF)
    (tmp_path / "extensions.conf").write_text(EXTENSIONS)

    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(tmp_path, clock=clock) as app:
            reader, writer = await asyncio.open_connection(*app.ami_address)  # type: ignore[misc]
            await reader.readline()
            await ask(
                reader,
                writer,
                "Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\nEvents: off\r\n",
            )
            for _ in range(2):
                answer = await ask(
                    reader,
                    writer,
                    "Action: Originate\r\nChannel: Local/park@default\r\nApplication: Wait\r\nData: 500\r\n",
                )
                assert b"Originate successfully queued" in answer
            await clock.advance(0.1)
            pbx = app.pbx
            a, b = sorted(c.name for c in pbx.channels.values() if c.name.endswith(";2"))
            assert b"Missing channel parameter" in await ask(
                reader, writer, f"Action: Bridge\r\nChannel1: {a}\r\n"
            )
            assert b"Channel2 does not exist: nope" in await ask(
                reader, writer, f"Action: Bridge\r\nChannel1: {a}\r\nChannel2: nope\r\n"
            )
            answer = await ask(
                reader, writer, f"Action: Bridge\r\nChannel1: {a}\r\nChannel2: {b}\r\n"
            )
            assert b"Channels have been bridged" in answer
            await clock.advance(0.1)
            assert (
                pbx.channels[a].bridge_id and pbx.channels[a].bridge_id == pbx.channels[b].bridge_id
            )
            assert b"No extension specified" in await ask(
                reader, writer, f"Action: BlindTransfer\r\nChannel: {a}\r\n"
            )
            answer = await ask(
                reader,
                writer,
                f"Action: BlindTransfer\r\nChannel: {a}\r\nExten: target\r\nContext: default\r\n",
            )
            assert b"Transfer succeeded" in answer
            await clock.advance(0.1)
            assert pbx.channels[b].exten == "target" and pbx.channels[b].bridge_id == ""
            writer.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))
