"""The pbxd pytest plugin's fixtures and helpers (configuration: the click-to-call one)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pbxd.client import AmiClient
from pbxd.testing import PbxdServer, manager_credentials, place_call, running_pbxd

CONF = Path(__file__).parent / "click_to_call"


def test_credentials_come_from_manager_conf() -> None:
    assert manager_credentials(CONF) == ("crm", "crmsecret")


def test_a_call_into_an_extension_on_the_virtual_clock(pbxd: PbxdServer) -> None:
    hangups = pbxd.ami.subscribe("Hangup", {"Channel": "Local/5550100@pstn-*;2"})
    answer = pbxd.call("5550100", "pstn", caller_id="Alice <201>")
    assert answer.get("Response") == "Success"
    assert answer.get("Channel").startswith("Local/5550100@pstn-")
    channels = pbxd.ami.list_action("CoreShowChannels")
    assert {c.get("Application") for c in channels} == {"Wait"}
    with pytest.raises(TimeoutError):
        hangups.get(timeout=0.2)  # two minutes have not passed yet
    pbxd.advance(120)
    assert hangups.get(timeout=5).get("Exten") == "5550100"


def test_a_phone_connected_to_an_extension(pbxd: PbxdServer) -> None:
    dials = pbxd.ami.subscribe("DialBegin", {"DestChannel": "Local/*@pstn-*"})
    answer = pbxd.call("5550199", "outbound", channel="Local/102@phones")
    assert answer.get("Response") == "Success"
    assert dials.get(timeout=5).get("DestExten") == "5550199"


def test_each_client_logs_in(pbxd: PbxdServer) -> None:
    other = pbxd.client()
    assert other.command("core show version")[0].startswith("Asterisk")
    assert other.send_action("Ping").get("Ping") == "Pong"


def test_asyncio_tests_use_running_pbxd(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_pbxd(CONF, tmp_path) as app:
            host, port = app.ami_address or ("", 0)
            async with AmiClient(host, port, "crm", "crmsecret", ping_interval=0) as ami:
                answer = await place_call(ami, "5550100", "pstn")
                assert answer.get("Response") == "Success"

    asyncio.run(asyncio.wait_for(scenario(), 20))
