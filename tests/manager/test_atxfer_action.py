"""Atxfer and CancelAtxfer over real AMI connections (panoramisk sends, a raw socket watches
the events), calls on the virtual clock."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

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
exten => alice,1,Answer()
 same => n,Dial(Local/bob@default,,T)
exten => bob,1,Answer()
 same => n,Wait(1000)
[office]
exten => carol,1,Answer()
 same => n,Wait(1000)
"""
FEATURES = "[featuremap]\natxfer => *2\n"


async def watcher(address: tuple[str, int]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(*address)
    await reader.readline()
    writer.write(b"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    return reader, writer


async def events(reader: asyncio.StreamReader) -> list[list[str]]:
    """Every message waiting on the socket, as lists of header lines."""
    found = []
    while True:
        try:
            block = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 0.2)
        except TimeoutError:
            return found
        found.append(block.decode().split("\r\n")[:-2])


def fields_of(event: list[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in event)


def named(found: list[list[str]], name: str) -> list[list[str]]:
    return [e for e in found if e[0] == f"Event: {name}"]


async def client(address: tuple[str, int]) -> Any:
    from panoramisk import Manager

    manager = Manager(
        loop=asyncio.get_running_loop(),
        host=address[0],
        port=address[1],
        username="admin",
        secret="adminpass",
        events="off",
        ping_delay=3600,
        ping_interval=3600,
        reconnect_timeout=3600,
    )
    await asyncio.wait_for(manager.connect(), 5)
    while not manager.authenticated:
        await asyncio.sleep(0.01)
    return manager


def test_atxfer_completes_when_the_transferer_hangs_up(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text(CONF)
    (tmp_path / "extensions.conf").write_text(EXTENSIONS)
    (tmp_path / "features.conf").write_text(FEATURES)

    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(tmp_path, clock=clock) as app:
            address = app.ami_address
            assert address is not None
            ami = await client(address)
            reader, writer = await watcher(address)

            async def send(**headers: str) -> Any:
                # panoramisk awaits an OriginateResponse after any "successfully queued"
                # unless told Async: false (so with Asterisk too)
                return await asyncio.wait_for(ami.send_action({**headers, "Async": "false"}), 5)

            answer = await send(
                Action="Originate", Channel="Local/alice@default", Application="Wait", Data="1000"
            )
            assert answer.success
            await clock.advance(1)  # Answer waits half a second for media
            pbx = app.pbx
            alice = next(
                c
                for c in pbx.channels.values()
                if c.name.startswith("Local/alice") and c.name.endswith(";2")
            )
            bob = pbx.bridges[alice.bridge_id].peer(alice)
            assert bob is not None
            call = alice.bridge_id
            await events(reader)

            answer = await send(
                Action="Atxfer", Channel=alice.name, Exten="carol", Context="office"
            )
            assert answer.success and answer.message == "Atxfer successfully queued"
            await clock.advance(0.1)
            found = await events(reader)
            assert named(found, "VarSet")[0][2] == f"Channel: {alice.name}"
            digits = [e for e in named(found, "DTMFEnd") if e[2] == f"Channel: {alice.name}"]
            assert [e[-3] for e in digits] == [f"Digit: {d}" for d in "*2carol"]
            (hold,) = named(found, "Hold")
            assert hold[2] == f"Channel: {alice.name}"
            moves = [
                (e[0], fields_of(e)["BridgeUniqueid"], fields_of(e)["Channel"])
                for e in found
                if e[0] in ("Event: BridgeEnter", "Event: BridgeLeave")
            ]
            assert moves[-2][0] == "Event: BridgeLeave" and moves[-1][0] == "Event: BridgeEnter"
            assert moves[-2][1:] == (call, alice.name)
            assert moves[-1][1] != call and moves[-1][2] == alice.name
            assert any(
                e[2].startswith("Channel: Local/carol@office-") for e in named(found, "Newchannel")
            )

            assert (await send(Action="Hangup", Channel=alice.name)).success
            await clock.advance(0.1)
            found = await events(reader)
            (done,) = named(found, "AttendedTransfer")
            keys = [line.split(":")[0] for line in done[2:]]
            assert keys[0] == "Result" and done[2] == "Result: Success"
            order = [
                "OrigTransfererChannel", "OrigBridgeUniqueid", "SecondTransfererChannel",
                "SecondBridgeUniqueid", "TransfereeChannel", "TransferTargetChannel",
                "IsExternal", "DestType", "DestBridgeUniqueid",
            ]  # fmt: skip
            assert [k for k in keys if k in order] == order
            fields = fields_of(done)
            assert (
                fields["OrigTransfererChannel"] == fields["SecondTransfererChannel"] == alice.name
            )
            assert fields["OrigBridgeUniqueid"] == fields["DestBridgeUniqueid"] == call
            assert fields["TransfereeChannel"] == bob.name
            assert fields["TransferTargetChannel"].startswith("Local/carol@office-")
            assert (fields["IsExternal"], fields["DestType"]) == ("No", "Bridge")
            entered = named(found, "BridgeEnter")
            assert entered and fields_of(entered[-1])["BridgeUniqueid"] == call
            assert bob.bridge_id == call and len(pbx.bridges[call].channels) == 2
            ami.close()
            writer.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


@pytest.mark.parametrize(
    ("features", "headers", "message"),
    [
        (FEATURES, {"Exten": "carol"}, "No channel specified"),
        (FEATURES, {"Channel": "Local/x"}, "No extension specified"),
        (FEATURES, {"Channel": "Local/nope", "Exten": "1"}, "Channel specified does not exist"),
        ("", {"Channel": "ALICE", "Exten": "1"}, "No attended transfer feature code found"),
        ("", {"Channel": "ALICE"}, "CancelAtxfer successfully queued"),
        ("[general]\natxferabort =\n", {"Channel": "ALICE"}, "No disconnect feature code found"),
        (FEATURES, {"Channel": "ALICE", "Exten": "carol"}, "Atxfer successfully queued"),
        (FEATURES, {}, "No channel specified"),
    ],
)
def test_errors_in_asterisks_words(
    tmp_path: Path, features: str, headers: dict[str, str], message: str
) -> None:
    (tmp_path / "manager.conf").write_text(CONF)
    (tmp_path / "extensions.conf").write_text(EXTENSIONS)
    (tmp_path / "features.conf").write_text(features)

    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(tmp_path, clock=clock) as app:
            assert app.ami_address is not None
            ami = await client(app.ami_address)
            originate = {"Channel": "Local/bob@default", "Application": "Wait", "Data": "100"}
            await ami.send_action({"Action": "Originate", "Async": "false", **originate})
            await clock.advance(0.1)
            name = next(iter(app.pbx.channels))
            fields = {k: v.replace("ALICE", name) for k, v in headers.items()}
            kind = "CancelAtxfer" if "Cancel" in message or "disconnect" in message else "Atxfer"
            request = {"Action": kind, "Async": "false", **fields}
            answer = await asyncio.wait_for(ami.send_action(request), 5)
            assert answer.message == message
            assert answer.success == message.endswith("queued")
            await clock.advance(0.1)  # digits on a channel in no bridge: nothing happens
            assert name in app.pbx.channels
            ami.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_the_demo_configuration_transfers_as_the_readme_says(tmp_path: Path) -> None:
    """`make run`'s configuration: extension 800 dials 100 with Tt; Atxfer its caller to 600."""
    from pbxd.configuration import prepare_default

    etc, secret = prepare_default(tmp_path)

    async def scenario() -> None:
        clock = VirtualClock()
        async with running_pbxd(etc, tmp_path / "data", clock=clock) as app:
            assert app.ami_address is not None
            reader, writer = await asyncio.open_connection(*app.ami_address)
            await reader.readline()

            async def ask(text: str) -> str:
                writer.write(text.encode() + b"\r\n\r\n")
                return (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()

            await ask(f"Action: Login\r\nUsername: admin\r\nSecret: {secret}\r\nEvents: off")
            await ask(
                "Action: Originate\r\nChannel: Local/800@default\r\nApplication: Wait\r\nData: 60"
            )
            await clock.advance(1)
            pbx = app.pbx
            caller = next(
                c
                for c in pbx.channels.values()
                if c.name.startswith("Local/800@") and c.name.endswith(";2")
            )
            answer = await ask(
                f"Action: Atxfer\r\nChannel: {caller.name}\r\nExten: 600\r\nContext: default"
            )
            assert "Atxfer successfully queued" in answer
            await clock.advance(1)
            assert "Response: Success" in await ask(f"Action: Hangup\r\nChannel: {caller.name}")
            await clock.advance(1)
            hundred = next(
                c
                for c in pbx.channels.values()
                if c.name.startswith("Local/100@") and c.name.endswith(";1")
            )
            six = next(
                c
                for c in pbx.channels.values()
                if c.name.startswith("Local/600@") and c.name.endswith(";1")
            )
            assert hundred.bridge_id and hundred.bridge_id == six.bridge_id
            writer.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))
