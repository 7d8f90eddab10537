"""The ASTdb and device states in a real pbxd process: kill -9 durability, restarts, a
corrupt database, and a real client library watching hints."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support.ami import AmiSocket, action, headers
from support.server import PbxdProcess

TIMEOUT = 5.0


def _start(conf: Path, data: Path) -> PbxdProcess:
    server = PbxdProcess(conf, data)
    server.start()
    return server


def _kill(server: PbxdProcess) -> None:
    assert server.process is not None
    server.process.kill()  # SIGKILL: no clean shutdown, no checkpoint
    assert server.process.wait(TIMEOUT) == -9


def test_acknowledged_writes_survive_kill_9(reference_conf_dir: Path, tmp_path: Path) -> None:
    server = _start(reference_conf_dir, tmp_path)
    try:
        with AmiSocket(*server.address) as ami:
            ami.login()
            for index in range(20):
                put = ami.request(
                    action("DBPut", ("Family", "durable"), ("Key", f"k{index}"), ("Val", "v"))
                )
                assert b"Message: Updated database successfully\r\n" in put
            setvar = ami.request(
                action("Setvar", ("Variable", "DEVICE_STATE(Custom:lamp)"), ("Value", "BUSY"))
            )
            assert b"Response: Success\r\n" in setvar
        _kill(server)
    finally:
        server.stop()
    server = _start(reference_conf_dir, tmp_path)
    try:
        with AmiSocket(*server.address) as ami:
            ami.login()
            ami.send(action("DBGetTree", ("Family", "durable"), action_id="t"))
            assert b"Message: Result will follow" in ami.read_message()
            complete = headers(ami.read_event("DBGetTreeComplete"))
            assert complete["listitems"] == "20"
            getvar = headers(
                ami.request(action("Getvar", ("Variable", "DEVICE_STATE(Custom:lamp)")))
            )
            assert getvar["value"] == "BUSY"
            ami.send(action("DeviceStateList"))
            ami.read_message()
            listed = headers(ami.read_event("DeviceStateChange"))
            assert (listed["device"], listed["state"]) == ("Custom:lamp", "BUSY")
            assert headers(ami.read_event("DeviceStateListComplete"))["listitems"] == "1"
            output = ami.request(action("Command", ("Command", "devstate list")))
            assert b"Output: --- Name: 'Custom:lamp'  State: 'BUSY'\r\n" in output
    finally:
        server.stop()


def test_corrupt_database_is_reported_and_kept(reference_conf_dir: Path, tmp_path: Path) -> None:
    astdb = tmp_path / "db" / "astdb.sqlite3"
    astdb.parent.mkdir()
    garbage = b"not an sqlite file " * 200
    astdb.write_bytes(garbage)
    server = _start(reference_conf_dir, tmp_path)
    try:
        with AmiSocket(*server.address) as ami:
            ami.login()
            put = headers(ami.request(action("DBPut", ("Family", "f"), ("Key", "k"))))
            assert (put["response"], put["message"]) == ("Error", "Failed to update entry")
            get = headers(ami.request(action("DBGet", ("Family", "f"), ("Key", "k"))))
            assert get["message"] == "Database entry not found"
            gone = headers(ami.request(action("DBDelTree", ("Family", "f"))))
            assert gone["message"] == "Database unavailable"
            shown = ami.request(action("Command", ("Command", "database show")))
            assert b"Output: Database unavailable.\r\n" in shown
            ping = ami.request(action("Ping"))
            assert b"Ping: Pong" in ping
    finally:
        server.stop()
    assert "not opened" in server.stderr_text()
    assert astdb.read_bytes() == garbage  # never overwritten


async def _watch_hint(server: PbxdProcess) -> list[Any]:
    from panoramisk import Manager

    manager = Manager(
        loop=asyncio.get_running_loop(),
        host=server.host,
        port=server.port,
        username="admin",
        secret="adminpass",
        ping_delay=3600,
    )
    await asyncio.wait_for(manager.connect(), TIMEOUT)
    seen: asyncio.Queue[Any] = asyncio.Queue()
    manager.register_event("ExtensionStatus", lambda _m, event: seen.put_nowait(event))
    try:
        for state in ("RINGING", "INUSE", "NOT_INUSE"):
            reply = await asyncio.wait_for(
                manager.send_action(
                    {"Action": "Setvar", "Variable": "DEVICE_STATE(Custom:foo)", "Value": state}
                ),
                TIMEOUT,
            )
            assert reply.success, reply
        events = [await asyncio.wait_for(seen.get(), TIMEOUT) for _ in range(3)]
        status = await asyncio.wait_for(
            manager.send_action({"Action": "ExtensionState", "Exten": "300"}), TIMEOUT
        )
        assert (status.status, status.statustext, status.hint) == ("0", "Idle", "Custom:foo")
        listed = await asyncio.wait_for(
            manager.send_action({"Action": "ExtensionStateList"}), TIMEOUT
        )
        assert [m.get("Event") for m in listed][-1] == "ExtensionStateListComplete"
        return events
    finally:
        manager.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_panoramisk_watches_a_hint(reference_server: PbxdProcess) -> None:
    events = asyncio.run(_watch_hint(reference_server))
    assert [(e.exten, e.context, e.status, e.statustext) for e in events] == [
        ("300", "default", "8", "Ringing"),
        ("300", "default", "1", "InUse"),
        ("300", "default", "0", "Idle"),
    ]


def test_locked_database_fails_writes_without_stalling(
    reference_conf_dir: Path, tmp_path: Path
) -> None:
    server = _start(reference_conf_dir, tmp_path)
    try:
        with AmiSocket(*server.address) as ami:
            ami.login()
            ami.request(action("DBPut", ("Family", "f"), ("Key", "before"), ("Val", "1")))
            holder = sqlite3.connect(tmp_path / "db" / "astdb.sqlite3", isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
            try:
                put = headers(ami.request(action("DBPut", ("Family", "f"), ("Key", "k"))))
                assert (put["response"], put["message"]) == ("Error", "Failed to update entry")
                assert b"Ping: Pong" in ami.request(action("Ping"))
                ami.send(action("DBGet", ("Family", "f"), ("Key", "before")))
                assert b"Result will follow" in ami.read_message()
                assert b"Val: 1\r\n" in ami.read_message()  # reading still works (WAL)
                ami.read_event("DBGetComplete")
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            put = headers(ami.request(action("DBPut", ("Family", "f"), ("Key", "k"))))
            assert put["message"] == "Updated database successfully"
    finally:
        server.stop()
    assert "database is locked" in server.stderr_text()
