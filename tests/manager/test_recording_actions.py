"""Recording actions and the Cdr/Monitor events, through a real Manager on the virtual clock."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import pbxd.manager.actions  # noqa: F401  (registers the actions)
from pbxd.config.conf import loads
from pbxd.configuration import load_configuration
from pbxd.manager.registry import ACTIONS
from pbxd.manager.server import Manager
from pbxd.pbx.cdr import CdrEngine, Settings, format_time
from pbxd.pbx.channel import Channel
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.pbx.recording import configure
from pbxd.protocol import Message
from pbxd.techs.local import LocalTechnology

from .test_session import REFERENCE, Client, settle

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(60)

exten => 400,1,Wait(30)

exten => 700,1,Dial(Local/400@default,5)
 same => n,Hangup()
"""
START = 1_700_000_000.0


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.clock = VirtualClock(START)
        self.pbx = PBX(self.clock)
        self.pbx.technologies["local"] = LocalTechnology(self.pbx)
        self.pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        configuration = load_configuration(REFERENCE)
        self.manager = Manager(configuration.manager, self.pbx, asyncio.get_running_loop())
        configure(self.pbx, tmp_path / "monitor")
        self.cdr = CdrEngine(self.pbx, tmp_path / "log", Settings(manager=True))

    async def admin(self, events: str = "off") -> Client:
        client = Client(self.manager)
        client.read()
        await client.login(events=events)
        return client

    async def channel(self) -> Channel:
        await originate(self.pbx, "Local/100@default", Target("Wait", "60"))
        return next(c for c in self.pbx.channels.values() if c.name.endswith(";1"))


def run(scenario: Callable[[World], Awaitable[None]], tmp_path: Path) -> None:
    async def main() -> None:
        await scenario(World(tmp_path))

    asyncio.run(asyncio.wait_for(main(), 10))


SEEN: dict[int, list[Message]] = {}


async def ask(client: Client, name: str, *headers: tuple[str, str]) -> Message:
    """Send an action, return its response; events read meanwhile are kept (``seen``)."""
    client.action(name, *headers)
    await settle()
    messages = client.read()
    SEEN.setdefault(id(client), []).extend(m for m in messages if "event" in m)
    return next(m for m in messages if "response" in m)


def seen(client: Client) -> list[Message]:
    """Every event the client got so far (read once)."""
    events = SEEN.pop(id(client), []) + [m for m in client.read() if "event" in m]
    return events


def frames(path: Path) -> int:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes()


@pytest.mark.parametrize(
    ("name", "privilege"),
    [
        ("Monitor", "call,all"),
        ("StopMonitor", "call,all"),
        ("ChangeMonitor", "call,all"),
        ("PauseMonitor", "call,all"),
        ("UnpauseMonitor", "call,all"),
        ("MixMonitor", "system,all"),
        ("StopMixMonitor", "system,call,all"),
        ("MixMonitorMute", "system,call,all"),
    ],
)
def test_privileges_as_listcommands_shows_them(name: str, privilege: str) -> None:
    spec = ACTIONS.lookup(name)
    assert spec is not None and spec.privilege_text == privilege


def test_monitor_actions(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        channel = await world.channel()
        answer = await ask(client, "Monitor", ("Channel", channel.name), ("Mix", "yes"))
        assert (answer.get("response"), answer.get("message")) == (
            "Success",
            "Started monitoring channel",
        )
        await world.clock.advance(2)
        answer = await ask(client, "PauseMonitor", ("Channel", channel.name))
        assert answer.get("message") == "Paused monitoring of the channel"
        await world.clock.advance(5)
        answer = await ask(client, "UnpauseMonitor", ("Channel", channel.name))
        assert answer.get("message") == "Unpaused monitoring of the channel"
        await world.clock.advance(1)
        answer = await ask(client, "ChangeMonitor", ("Channel", channel.name), ("File", "renamed"))
        assert answer.get("message") == "Changed monitor filename"
        answer = await ask(client, "StopMonitor", ("Channel", channel.name))
        assert answer.get("message") == "Stopped monitoring channel"
        assert frames(world.tmp_path / "monitor" / "renamed.wav") == 3 * 8000  # mixed legs
        assert not (world.tmp_path / "monitor" / "renamed-in.wav").exists()
        channel.request_hangup()

    run(scenario, tmp_path)


@pytest.mark.parametrize(
    ("action", "headers", "message"),
    [
        ("Monitor", (), "No channel specified"),
        ("Monitor", (("Channel", "SIP/nobody-1"),), "No such channel"),
        ("StopMonitor", (("Channel", "SIP/nobody-1"),), "No such channel"),
        ("ChangeMonitor", (("Channel", "SIP/x"),), "No filename specified"),
        ("ChangeMonitor", (("File", "x"),), "No channel specified"),
        ("PauseMonitor", (), "No channel specified"),
        ("MixMonitor", (("Channel", "SIP/nobody-1"),), "No such channel"),
        ("StopMixMonitor", (), "No channel specified"),
        ("MixMonitorMute", (("Channel", "SIP/x"),), "No direction specified. Must be read, write or both"),
        (
            "MixMonitorMute",
            (("Channel", "SIP/x"), ("Direction", "up")),
            "Invalid direction specified. Must be read, write or both",
        ),
    ],
)
def test_bad_input(
    tmp_path: Path, action: str, headers: tuple[tuple[str, str], ...], message: str
) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        answer = await ask(client, action, *headers)
        assert (answer.get("response"), answer.get("message")) == ("Error", message)

    run(scenario, tmp_path)


def test_mixmonitor_actions_and_events(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        channel = await world.channel()
        await settle()
        seen(client)
        answer = await ask(
            client,
            "MixMonitor",
            ("Channel", channel.name),
            ("File", "mix/call.wav"),
            ("Options", "i(ID)"),
        )
        assert answer.get("response") == "Success" and "message" not in answer
        ident = answer.get("mixmonitorid")
        assert ident == channel.get_variable("ID") and ident.startswith("0x")
        await world.clock.advance(5)
        answer = await ask(client, "MixMonitorMute", ("Channel", channel.name),
                           ("Direction", "both"), ("State", "1"))
        assert answer.get("response") == "Success"
        answer = await ask(
            client, "StopMixMonitor", ("Channel", channel.name), ("MixMonitorID", ident)
        )
        assert answer.get("response") == "Success"
        await settle()
        answer = await ask(client, "StopMixMonitor", ("Channel", channel.name))
        assert answer.get("message") == "Could not stop monitoring channel"
        assert frames(world.tmp_path / "monitor" / "mix" / "call.wav") == 40000
        names = [m.get("event") for m in seen(client)]
        assert names.count("MixMonitorStart") == names.count("MixMonitorStop") == 1
        channel.request_hangup()
        await settle()

    run(scenario, tmp_path)


def test_recording_events_carry_the_channel_block(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        channel = await world.channel()
        await settle()
        seen(client)
        await ask(client, "MixMonitor", ("Channel", channel.name), ("File", "a.wav"))
        await ask(client, "MixMonitorMute", ("Channel", channel.name), ("Direction", "read"),
                  ("State", "1"))
        await ask(client, "StopMixMonitor", ("Channel", channel.name))
        await ask(client, "Monitor", ("Channel", channel.name))
        await ask(client, "StopMonitor", ("Channel", channel.name))
        await settle()
        events = [m for m in seen(client) if m.get("event") in (
            "MixMonitorStart", "MixMonitorMute", "MixMonitorStop", "MonitorStart", "MonitorStop")]
        assert [e.get("event") for e in events] == [
            "MixMonitorStart", "MixMonitorMute", "MixMonitorStop", "MonitorStart", "MonitorStop"
        ]
        for event in events:
            assert event.get("channel") == channel.name
            assert event.get("uniqueid") == channel.uniqueid
            assert event.get("privilege") == "call,all"
        assert (events[1].get("direction"), events[1].get("state")) == ("read", "1")
        monitor = world.tmp_path / "monitor" / f"{channel.name.replace('/', '-')}-in.wav"
        assert monitor.exists()
        channel.request_hangup()

    run(scenario, tmp_path)


def test_unwritable_monitor_directory_answers_an_error(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        configure(world.pbx, blocker / "monitor")
        client = await world.admin()
        channel = await world.channel()
        for action in ("Monitor", "MixMonitor"):
            answer = await ask(client, action, ("Channel", channel.name), ("File", "x.wav"))
            assert (answer.get("response"), answer.get("message")) == (
                "Error",
                "Could not start monitoring channel",
            )
        channel.request_hangup()

    run(scenario, tmp_path)


def test_cdr_event_for_answered_and_unanswered_calls(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        await originate(world.pbx, "Local/100@default", Target("Wait", "4"))
        await world.clock.advance(5)
        task = asyncio.ensure_future(
            originate(world.pbx, "Local/700@default", Target("Wait", "1"), timeout=30)
        )
        await world.clock.advance(10)
        await task
        await settle()
        cdrs = [m for m in seen(client) if m.get("event") == "Cdr"]
        assert [m.get("disposition") for m in cdrs] == ["ANSWERED", "ANSWERED", "NO ANSWER"]
        first = cdrs[0]
        assert first.get("privilege") == "cdr,all"
        assert [key for key, _ in first.items()][2:] == [
            "AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
            "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime",
            "EndTime", "Duration", "BillableSeconds", "Disposition", "AMAFlags", "UniqueID",
            "UserField",
        ]
        assert (first.get("destination"), first.get("lastapplication")) == ("100", "Wait")
        assert (first.get("duration"), first.get("billableseconds")) == ("4", "4")
        assert first.get("starttime") == format_time(START)
        missed = cdrs[2]
        assert missed.get("lastapplication") == "Dial"
        assert missed.get("lastdata") == "Local/400@default,5"
        assert missed.get("answertime") == "" and missed.get("billableseconds") == "0"
        assert missed.get("duration") == "5"
        assert missed.get("destinationchannel").startswith("Local/400@default-")

    run(scenario, tmp_path)
