"""Voicemail through the real server and a real client library (panoramisk): a message left
by a call is announced with MessageWaiting, counted by MailboxCount, and survives kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import REFERENCE_CONF
from support.ami import AmiSocket, action, headers
from support.server import PbxdProcess
from support.voicemail import reference_conf_with_mailbox

from pbxd.pbx.voicemail.spool import parse_info

TIMEOUT = 5.0
DIALPLAN = """
[vmtest]
exten => 500,1,VoiceMail(1234@default,s)
"""


async def _manager(server: PbxdProcess) -> Any:
    from panoramisk import Manager

    manager = Manager(
        loop=asyncio.get_running_loop(), host=server.host, port=server.port,
        username="admin", secret="adminpass", ping_delay=3600, ping_interval=3600,
        reconnect_timeout=3600,
    )  # fmt: skip
    await asyncio.wait_for(manager.connect(), TIMEOUT)
    while not manager.authenticated:
        await asyncio.sleep(0.01)
    return manager


async def _leave_message(server: PbxdProcess) -> tuple[Any, Any]:
    manager = await _manager(server)
    waiting: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_message_waiting(_: Any, event: Any) -> None:
        if event.get("Channel") and not waiting.done():
            waiting.set_result(event)

    manager.register_event("MessageWaiting", on_message_waiting)
    try:
        answer = await asyncio.wait_for(
            manager.send_action({"Action": "Originate", "Channel": "Local/500@vmtest",
                                 "Application": "Wait", "Data": "1", "Async": "false"}),
            TIMEOUT,
        )  # fmt: skip
        assert answer.success, answer
        event = await asyncio.wait_for(waiting, TIMEOUT)
        count = await asyncio.wait_for(
            manager.send_action({"Action": "MailboxCount", "Mailbox": "1234@default"}), TIMEOUT
        )
        return event, count
    finally:
        manager.close()


@pytest.mark.skipif(not REFERENCE_CONF.is_dir(), reason="no reference configuration")
def test_message_left_by_a_call_is_announced_counted_and_survives_kill_9(
    tmp_path: Path, start_pbxd: Callable[..., PbxdProcess]
) -> None:
    conf = reference_conf_with_mailbox(REFERENCE_CONF, tmp_path)
    with open(conf / "extensions.conf", "a") as extensions:
        extensions.write(DIALPLAN)
    server = start_pbxd(conf)
    event, count = asyncio.run(_leave_message(server))
    assert (event.Mailbox, event.Waiting, event.New, event.Old) == ("1234@default", "1", "2", "2")
    assert event.Channel.startswith("Local/500@vmtest-") and event.Privilege == "call,all"
    assert (count.NewMessages, count.OldMessages, count.UrgMessages) == ("2", "2", "0")
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)  # no clean shutdown: the message must be there
    server.process.wait(TIMEOUT)
    inbox = tmp_path / "data" / "spool" / "voicemail" / "default" / "1234" / "INBOX"
    info = parse_info((inbox / "msg0001.txt").read_text())
    assert info["callerchan"].startswith("Local/500@vmtest-") and int(info["duration"]) >= 1
    assert (inbox / "msg0001.wav").stat().st_size > 44
    again = start_pbxd(conf)
    with AmiSocket(*again.address) as ami:
        ami.login()
        answer = headers(ami.request(action("MailboxCount", ("Mailbox", "1234@default"))))
    assert (answer["newmessages"], answer["oldmessages"]) == ("2", "2")
