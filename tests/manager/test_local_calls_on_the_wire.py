"""Local calls over a real AMI connection: Originate's ChannelId/OtherChannelId, and a Local
pair optimizing itself away (LocalOptimizationBegin/End)."""

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


async def ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, text: str) -> str:
    writer.write(text.encode() + b"\r\n\r\n")
    return (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()


def test_channel_ids_name_the_new_channels(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text(CONF)
    (tmp_path / "extensions.conf").write_text(
        "[default]\nexten => 1,1,Answer()\n same => n,Wait(9)\n"
    )

    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(tmp_path, clock=clock) as app:
            assert app.ami_address is not None
            reader, writer = await asyncio.open_connection(*app.ami_address)
            await reader.readline()
            login = "Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\nEvents: off"
            await ask(reader, writer, login)
            too_long = "x" * 150
            answer = await ask(
                reader,
                writer,
                f"Action: Originate\r\nChannel: Local/1@default\r\nApplication: Wait\r\n"
                f"Data: 5\r\nChannelId: {too_long}",
            )
            assert "Message: Uniqueid length exceeds maximum of 149\r\n" in answer
            answer = await ask(
                reader,
                writer,
                "Action: Originate\r\nChannel: Local/1@default\r\nApplication: Wait\r\n"
                "Data: 5\r\nChannelId: my-call-1\r\nOtherChannelId: my-call-1-b",
            )
            assert "Response: Success" in answer
            answer = await ask(
                reader, writer, "Action: Status\r\nChannel: my-call-1-b\r\nActionID: s"
            )
            assert "Response: Success" in answer
            item = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
            assert "Uniqueid: my-call-1-b\r\n" in item and "Linkedid: my-call-1\r\n" in item
            writer.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_local_optimization_events_on_the_wire(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text(CONF)
    (tmp_path / "extensions.conf").write_text(
        "[default]\nexten => a,1,Answer()\n same => n,Dial(Local/b@default)\n"
        "exten => b,1,Answer()\n same => n,Dial(Local/c@default)\n"
        "exten => c,1,Answer()\n same => n,Wait(9)\n"
    )

    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(tmp_path, clock=clock) as app:
            assert app.ami_address is not None
            reader, writer = await asyncio.open_connection(*app.ami_address)
            await reader.readline()
            login = "Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\nEvents: call"
            await ask(reader, writer, login)
            originate = "Action: Originate\r\nChannel: Local/a@default\r\nApplication: Wait\r\n"
            await ask(reader, writer, originate + "Data: 5\r\nAsync: yes")
            await clock.advance(2)
            events = []
            while True:
                try:
                    block = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 0.3)
                except TimeoutError:
                    break
                events.append(block.decode().split("\r\n")[:-2])
            (began,) = [e for e in events if e[0] == "Event: LocalOptimizationBegin"]
            keys = [line.split(":")[0] for line in began[2:]]
            prefixes = [k for k in keys if k.endswith("Channel")]
            assert prefixes == ["LocalOneChannel", "LocalTwoChannel", "SourceChannel"]
            assert keys[-2:] == ["DestUniqueId", "Id"]
            (ended,) = [e for e in events if e[0] == "Event: LocalOptimizationEnd"]
            assert ended[-2:] == ["Success: Yes", began[-1]]
            writer.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))
