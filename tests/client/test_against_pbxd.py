"""The client against a real pbxd (in-process, reference configuration)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pbxd.client import ActionError, AmiClient, LoginError
from pbxd.protocol import Message
from pbxd.testing import place_call, running_pbxd

Scenario = Callable[[str, int], Awaitable[None]]


@pytest.fixture
def run(reference_conf_dir: Path, tmp_path: Path) -> Callable[[Scenario], None]:
    """Run ``scenario(host, port)`` against a fresh pbxd on the reference configuration."""

    def runner(scenario: Scenario) -> None:
        async def main() -> None:
            async with running_pbxd(reference_conf_dir, tmp_path) as app:
                host, port = app.ami_address or ("", 0)
                await scenario(host, port)

        asyncio.run(asyncio.wait_for(main(), 30))

    return runner


def admin(host: str, port: int, **kwargs: object) -> AmiClient:
    options: dict[str, object] = {"ping_interval": 0} | kwargs
    return AmiClient(host, port, "admin", "adminpass", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("auth", ["plain", "md5"])
def test_login(run: Callable[[Scenario], None], auth: str) -> None:
    async def scenario(host: str, port: int) -> None:
        async with admin(host, port, auth=auth) as ami:
            assert ami.version == "9.0.0"
            assert (await ami.send_action("Ping")).get("Ping") == "Pong"

    run(scenario)


def test_refused_login(run: Callable[[Scenario], None]) -> None:
    async def scenario(host: str, port: int) -> None:
        with pytest.raises(LoginError, match="Authentication failed"):
            await AmiClient(host, port, "admin", "wrong", auth="md5").connect()

    run(scenario)


def test_actions_lists_and_commands(run: Callable[[Scenario], None]) -> None:
    async def scenario(host: str, port: int) -> None:
        async with admin(host, port) as ami:
            answer = await place_call(ami, "100", "default")
            assert answer.get("Response") == "Success"
            channels = await ami.list_action("CoreShowChannels")
            assert len(channels) == 2
            status = ami.list_action("Status")
            assert [s.get("Channel") for s in await status] == [
                c.get("Channel") for c in channels
            ]
            assert status.complete is not None and status.complete.get("ListItems") == "2"
            response = await ami.send_action("CoreShowChannels")
            assert response.get("EventList") == "start" and response.events is not None
            assert len(await response.events) == 2
            output = await ami.command("core show channels")
            assert "1 active call" in output
            with pytest.raises(ActionError, match="Permission denied|Invalid/unknown"):
                await ami.list_action("NoSuchAction").collect()
            missing = await ami.send_action("Getvar")
            assert not missing.ok and missing.get("Message") == "No variable specified"

    run(scenario)


def test_events_by_name_glob_headers_and_callbacks(run: Callable[[Scenario], None]) -> None:
    async def scenario(host: str, port: int) -> None:
        async with admin(host, port) as ami:
            newchannels = ami.events("newchannel", {"Channel": "Local/100@default-*;2"})
            states = ami.events("New*", {"ChannelStateDesc": "Up"})
            seen: list[Message] = []
            ami.on("UserEvent", seen.append, {"UserEvent": "He*"})
            await place_call(ami, "100", "default")
            assert (await newchannels.get(5)).get("Channel").endswith(";2")
            assert (await states.get(5)).get("Event") in ("Newstate", "Newexten")
            await ami.send_action("UserEvent", UserEvent="Other")
            await ami.send_action("UserEvent", UserEvent="Hello", Foo="bar")
            await ami.send_action("Ping")  # events caused by an action precede its answer
            assert [event.get("Foo") for event in seen] == ["bar"]

    run(scenario)


def test_kicked_session_reconnects_with_its_mask_and_filter(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(host: str, port: int) -> None:
        async with admin(host, port) as kicker, AmiClient(
            host, port, "acluser", "acluserpass", events="user", ping_interval=0,
            backoff_initial=0.01,
        ) as watched:  # fmt: skip
            await watched.add_filter("UserEvent: Keep")
            user_events = watched.events("UserEvent")
            connected = await kicker.command("manager show connected")
            fd = next(line.split()[4] for line in connected if line.split()[:1] == ["acluser"])
            await kicker.command(f"manager kick session {fd}")
            await asyncio.sleep(0)
            await watched.send_action("Ping", resend=True)
            assert watched.reconnects == 1
            for name in ("Drop", "Keep"):
                await kicker.send_action("UserEvent", UserEvent=name)
            assert (await user_events.get(5)).get("UserEvent") == "Keep"
            assert len(user_events) == 0

    run(scenario)


def test_classic_dialect(reference_conf_dir: Path, tmp_path: Path) -> None:
    """pbxd speaking AMI 1.0 (``dialect = classic``): Command output as a Follows body."""
    conf = tmp_path / "conf"
    conf.mkdir()
    for path in reference_conf_dir.iterdir():
        text = path.read_text()
        if path.name == "manager.conf":
            text = text.replace("[general]\n", "[general]\ndialect = classic\n", 1)
        (conf / path.name).write_text(text)

    async def scenario() -> None:
        async with running_pbxd(conf, tmp_path / "data") as app:
            host, port = app.ami_address or ("", 0)
            async with admin(host, port) as ami:
                assert ami.version == "1.0"
                assert (await ami.send_action("Ping")).get("Response") == "Pong"
                output = await ami.command("core show version")
                assert len(output) == 1 and output[0].startswith("Asterisk 20.20.1")

    asyncio.run(asyncio.wait_for(scenario(), 30))
