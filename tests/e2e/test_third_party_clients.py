"""pbxd driven by real, unmodified AMI client libraries: panoramisk, pyst2, asterisk-ami.

Every wait is bounded, so a broken server fails a test in seconds instead of hanging it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.ami import AmiSocket, action
from support.server import PbxdProcess
from support.threads import bounded

#: pyst2 and asterisk-ami call long-deprecated threading methods; not pbxd's concern.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TIMEOUT = 5.0
EVENT_LIST_ACTIONS = ("CoreShowChannels", "Status", "ShowDialPlan", "DeviceStateList")


def _listed_actions(server: PbxdProcess) -> set[str]:
    with AmiSocket(*server.address) as ami:
        ami.login()
        response = ami.request(action("ListCommands"))
    return {line.split(":", 1)[0] for line in response.decode().split("\r\n")[1:] if ":" in line}


# --- panoramisk (asyncio) -----------------------------------------------------------------


async def _panoramisk_manager(server: PbxdProcess, **config: Any) -> Any:
    from panoramisk import Manager

    manager = Manager(
        loop=asyncio.get_running_loop(),
        host=server.host,
        port=server.port,
        username="admin",
        secret="adminpass",
        ping_delay=3600,
        ping_interval=3600,
        reconnect_timeout=3600,
        **config,
    )
    await asyncio.wait_for(manager.connect(), TIMEOUT)

    async def logged_in() -> None:
        while not manager.authenticated:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(logged_in(), TIMEOUT)
    return manager


async def _panoramisk_session(server: PbxdProcess) -> None:
    sender = await _panoramisk_manager(server, events="off")
    listener = await _panoramisk_manager(server)
    received: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    name = f"Pano{uuid.uuid4().hex[:8]}"

    def on_user_event(manager: Any, event: Any) -> None:
        if event.get("UserEvent") == name and not received.done():
            received.set_result(event)

    listener.register_event("UserEvent", on_user_event)
    try:
        pong = await asyncio.wait_for(sender.send_action({"Action": "Ping"}), TIMEOUT)
        assert pong.success and pong.ping == "Pong", pong
        assert pong.timestamp

        version = await asyncio.wait_for(sender.send_command("core show version"), TIMEOUT)
        assert version.success and version.response == "Success", version
        assert version.message == "Command output follows"
        assert str(version.output).startswith("Asterisk 20.20.1"), version

        sent = await asyncio.wait_for(
            sender.send_action({"Action": "UserEvent", "UserEvent": name, "Color": "blue"}),
            TIMEOUT,
        )
        assert sent.success and sent.message == "Event Sent", sent
        event = await asyncio.wait_for(received, TIMEOUT)
        assert event.event == "UserEvent"
        assert event.color == "blue"
        assert "user" in event.privilege.split(",")
    finally:
        sender.close()
        listener.close()


def test_panoramisk_ping_command_and_user_event(reference_server: PbxdProcess) -> None:
    """panoramisk logs in twice, pings, runs a CLI command and sees a UserEvent elsewhere."""
    asyncio.run(asyncio.wait_for(_panoramisk_session(reference_server), 4 * TIMEOUT))


async def _panoramisk_event_list(server: PbxdProcess, name: str) -> None:
    manager = await _panoramisk_manager(server, events="off")
    try:
        messages = await asyncio.wait_for(manager.send_action({"Action": name}), TIMEOUT)
        assert isinstance(messages, list), messages  # panoramisk saw "EventList: start"
        assert messages[0].success and messages[0].eventlist == "start", messages[0]
        last = messages[-1]
        assert last.event.endswith("Complete") and last.eventlist == "Complete", last
        assert int(last.listitems) == len(messages) - 2
    finally:
        manager.close()


def test_panoramisk_event_list(reference_server: PbxdProcess) -> None:
    """An EventList-style action collected by panoramisk as one list, start to Complete."""
    available = [a for a in EVENT_LIST_ACTIONS if a in _listed_actions(reference_server)]
    if not available:
        pytest.skip(f"pbxd lists none of {EVENT_LIST_ACTIONS} yet (issue 3)")
    asyncio.run(_panoramisk_event_list(reference_server, available[0]))


# --- pyst2 (threads, blocking) ------------------------------------------------------------


def test_pyst2_session(reference_conf_dir: Path, start_pbxd: Callable[..., PbxdProcess]) -> None:
    """pyst2's Manager: connect, login, ping, command, a UserEvent callback, logoff.

    On a server of its own: pyst2's reader thread must not see other tests' traffic.
    """
    from asterisk.manager import Manager

    reference_server = start_pbxd(reference_conf_dir)

    manager = Manager()
    got = threading.Event()
    seen: list[Any] = []
    name = f"Pyst{uuid.uuid4().hex[:8]}"

    def on_user_event(event: Any, manager: Any) -> None:
        if event.get_header("UserEvent") == name:
            seen.append(event)
            got.set()

    try:
        greeting = bounded(lambda: manager.connect(*reference_server.address), TIMEOUT, "connect")
        assert manager.title == "Asterisk Call Manager" and manager.version == "9.0.0", greeting
        login = bounded(lambda: manager.login("admin", "adminpass"), TIMEOUT, "login")
        assert login.get_header("Message") == "Authentication accepted"
        manager.register_event("UserEvent", on_user_event)

        pong = bounded(manager.ping, TIMEOUT, "ping")
        assert pong.get_header("Response") == "Success" and pong.get_header("Ping") == "Pong"

        output = bounded(lambda: manager.command("core show version"), TIMEOUT, "command")
        assert output.get_header("Response") == "Success"
        assert output.get_header("Output", "").startswith("Asterisk 20.20.1")

        sent = bounded(
            lambda: manager.send_action({"Action": "UserEvent", "UserEvent": name, "Size": "9"}),
            TIMEOUT,
            "UserEvent",
        )
        assert sent.get_header("Message") == "Event Sent"
        assert got.wait(TIMEOUT), "UserEvent never reached the pyst2 callback"
        assert seen[0].get_header("Size") == "9"

        goodbye = bounded(manager.logoff, TIMEOUT, "logoff")
        assert goodbye.get_header("Response") == "Goodbye"
        deadline = time.monotonic() + TIMEOUT
        while manager.connected() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not manager.connected(), "pbxd did not close the connection after Logoff"
    finally:
        if manager._running.is_set():
            try:
                bounded(manager.close, TIMEOUT, "close")
            finally:  # never let pyst2's __del__ block on a dead connection
                manager._running.clear()
                manager._connected.clear()


# --- asterisk-ami (threads, futures) ------------------------------------------------------


def test_asterisk_ami_session(reference_server: PbxdProcess) -> None:
    """asterisk-ami's AMIClient: login, Ping, Command, an event listener, logoff."""
    from asterisk.ami import AMIClient, SimpleAction

    client = AMIClient(address=reference_server.host, port=reference_server.port, timeout=TIMEOUT)
    name = f"Ami{uuid.uuid4().hex[:8]}"
    got = threading.Event()
    seen: list[Any] = []

    def on_event(event: Any, source: Any) -> None:
        if event.keys.get("UserEvent") == name:
            seen.append(event)
            got.set()

    client.add_event_listener(on_event, white_list="UserEvent")
    try:
        login = client.login(username="admin", secret="adminpass").response
        assert login is not None, "no answer to Login"
        assert not login.is_error() and login.keys["Message"] == "Authentication accepted"
        assert client._ami_version == "9.0.0"

        pong = client.send_action(SimpleAction("Ping")).response
        assert pong is not None and pong.status == "Success" and pong.keys["Ping"] == "Pong"

        output = client.send_action(SimpleAction("Command", Command="core show version")).response
        assert output is not None and output.status == "Success", output
        assert output.keys["Output"].startswith("Asterisk 20.20.1"), output

        sent = client.send_action(SimpleAction("UserEvent", UserEvent=name, Shape="round"))
        assert sent.response is not None and sent.response.keys["Message"] == "Event Sent"
        assert got.wait(TIMEOUT), "UserEvent never reached the asterisk-ami listener"
        assert seen[0].keys["Shape"] == "round"
        assert seen[0].keys["Privilege"] == "user,all"

        goodbye = client.logoff().response
        assert goodbye is not None and goodbye.status == "Goodbye"
        assert goodbye.keys["Message"] == "Thanks for all the fish."
        assert client.finished.wait(TIMEOUT)
    finally:
        client.disconnect()
