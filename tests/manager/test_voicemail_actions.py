"""MailboxStatus, MailboxCount, VoicemailUsersList, VoicemailUserStatus, VoicemailRefresh and
MessageWaiting through a real Manager session (the transcript covers the happy path)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import REFERENCE_CONF
from support.inprocess import Client as InProcessClient
from support.voicemail import write_message

from pbxd.configuration import load_configuration
from pbxd.manager.server import Manager
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.voicemail import configure
from pbxd.protocol import Message

REFERENCE = REFERENCE_CONF
VOICEMAIL_CONF = "[general]\nmaxmsg = 100\n[default]\n1234 => 4242,Example Mailbox\n[sales]\n7 => 1\n"


class Client(InProcessClient):
    def __init__(self, manager: Manager, clock: VirtualClock) -> None:
        super().__init__(manager)
        self.clock = clock

    async def ask(self, name: str, *headers: tuple[str, str]) -> list[Message]:
        self.action(name, ("ActionID", "a"), *headers)
        await self.clock.advance(0.01)
        return self.read()


Scenario = Callable[[Client, Path], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, conf: str = VOICEMAIL_CONF) -> None:
    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        manager = Manager(load_configuration(REFERENCE).manager, pbx, asyncio.get_running_loop())
        (tmp_path / "voicemail.conf").write_text(conf)
        configure(pbx, tmp_path, tmp_path / "spool")
        client = Client(manager, clock)
        await client.ask("Login", ("Username", "admin"), ("Secret", "adminpass"), ("Events", "call"))
        await scenario(client, tmp_path / "spool")

    asyncio.run(asyncio.wait_for(main(), 10))


def test_counts_of_several_mailboxes_and_errors(tmp_path: Path) -> None:
    async def scenario(client: Client, spool: Path) -> None:
        write_message(spool, "default", "1234", "INBOX", 0)
        write_message(spool, "default", "1234", "Urgent", 0)
        write_message(spool, "sales", "7", "Old", 0)
        for joined in ("1234,7@sales", "1234@default&7@sales", "1234 & 7@sales ,"):
            [answer] = await client.ask("MailboxCount", ("Mailbox", joined))
            assert answer.lines[2:] == [
                "Message: Mailbox Message Count", f"Mailbox: {joined}",
                "UrgMessages: 1", "NewMessages: 1", "OldMessages: 1",
            ]  # fmt: skip
        [status] = await client.ask("MailboxStatus", ("Mailbox", "7@sales,1234"))
        assert status.get("waiting") == "1"
        [status] = await client.ask("MailboxStatus", ("Mailbox", "7@sales"))
        assert status.get("waiting") == "0"
        for name in ("MailboxStatus", "MailboxCount"):
            [missing] = await client.ask(name)
            assert missing.lines == ["Response: Error", "ActionID: a", "Message: Mailbox not specified"]

    run(tmp_path, scenario)


def test_user_status_answers_for_unknown_and_missing(tmp_path: Path) -> None:
    async def scenario(client: Client, spool: Path) -> None:
        [missing] = await client.ask("VoicemailUserStatus", ("Mailbox", "1234"))
        assert missing.lines == [
            "Response: Error", "ActionID: a", "Message: Need 'Context' and 'Mailbox' parameters."
        ]  # fmt: skip
        [unknown] = await client.ask("VoicemailUserStatus", ("Context", "default"), ("Mailbox", "9"))
        assert unknown.lines == [
            "Response: Success", "ActionID: a", "Message: There is no voicemail user of the given info."
        ]  # fmt: skip
        answer = await client.ask("VoicemailUserStatus", ("Context", "sales"), ("Mailbox", "7"))
        assert [m.get("event") for m in answer] == ["", "VoicemailUserDetail", "VoicemailUserDetailComplete"]
        assert answer[1].get("fullname") == "" and answer[1].get("vmcontext") == "sales"

    run(tmp_path, scenario)


def test_users_list_without_users(tmp_path: Path) -> None:
    async def scenario(client: Client, spool: Path) -> None:
        [answer] = await client.ask("VoicemailUsersList")
        assert answer.lines == [
            "Response: Success", "ActionID: a", "Message: There are no voicemail users currently defined."
        ]  # fmt: skip

    run(tmp_path, scenario, conf="[general]\nmaxmsg = 5\n")


def test_refresh_announces_changes_made_on_disk(tmp_path: Path) -> None:
    async def scenario(client: Client, spool: Path) -> None:
        write_message(spool, "default", "1234", "INBOX", 0)
        write_message(spool, "default", "1234", "Old", 0)
        answer = await client.ask("VoicemailRefresh", ("Context", "default"))
        assert answer[0].lines == ["Response: Success", "ActionID: a", "Message: Refresh sent"]
        [event] = answer[1:]
        assert event.lines == [
            "Event: MessageWaiting", "Privilege: call,all", "Mailbox: 1234@default",
            "Waiting: 1", "New: 1", "Old: 1",
        ]  # fmt: skip
        assert (await client.ask("VoicemailRefresh"))[1:] == []  # nothing changed since
        write_message(spool, "sales", "9", "INBOX", 0)  # not configured: only when named
        answer = await client.ask("VoicemailRefresh", ("Mailbox", "9@sales"))
        assert [m.get("mailbox") for m in answer[1:]] == ["9@sales"]

    run(tmp_path, scenario)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("./@,&\\0 12ab*"), min_size=1, max_size=30))
@example("..@..")
@example("..@../../")
def test_any_mailbox_text_is_answered(text: str) -> None:
    """Odd mailbox names are answered, and never reach outside the spool (the message
    planted two levels above the voicemail spool, where ``..@..`` would lead, is not seen)."""
    import tempfile

    async def scenario(client: Client, spool: Path) -> None:
        (spool / "voicemail").mkdir(parents=True, exist_ok=True)
        (spool.parent / "INBOX").mkdir(exist_ok=True)
        (spool.parent / "INBOX" / "msg0000.txt").write_text("[message]\n")
        for name in ("MailboxCount", "MailboxStatus"):
            [answer] = await client.ask(name, ("Mailbox", text))
            assert answer.get("response") in ("Success", "Error")
            assert answer.get("newmessages", "0") == "0" and answer.get("waiting", "0") == "0"

    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), scenario)


def test_box_summary_move_remove_forward_by_message_id(tmp_path: Path) -> None:
    async def scenario(client: Client, spool: Path) -> None:
        write_message(spool, "default", "1234", "INBOX", 0, origtime=1795680000)
        write_message(spool, "default", "1234", "INBOX", 1, origtime=1795680100)
        write_message(spool, "default", "1234", "Old", 0, origtime=1795680200)
        bare = spool / "voicemail" / "default" / "1234" / "Urgent"
        bare.mkdir()
        (bare / "msg0000.txt").write_text("[message]\ncallerid=Bob\nduration=4\n")  # no msg_id
        answer = await client.ask("VoicemailBoxSummary", ("Context", "default"), ("Mailbox", "1234"))
        assert answer[0].lines == [
            "Response: Success", "ActionID: a", "EventList: start",
            "Message: Voicemail box detail will follow",
        ]  # fmt: skip
        details = answer[1:-1]
        assert [(d.get("folder"), d.get("id")) for d in details][:3] == [
            ("INBOX", "1795680000-00000000"), ("INBOX", "1795680100-00000001"),
            ("Old", "1795680200-00000000"),
        ]  # fmt: skip
        assert details[0].lines[2:] == [
            "Folder: INBOX", 'CallerID: "Alice" <100>', "Date: Thu Nov 26 08:00:00 AM UTC 2026",
            "Duration: 1", "Flag: ", "ID: 1795680000-00000000",
        ]  # fmt: skip
        urgent_id = details[3].get("id")
        assert details[3].get("folder") == "Urgent" and urgent_id  # one was given to it
        assert f"msg_id={urgent_id}" in (bare / "msg0000.txt").read_text()
        assert answer[-1].lines[-2:] == ["EventList: Complete", "ListItems: 4"]

        move = await client.ask("VoicemailMove", ("Context", "default"), ("Mailbox", "1234"),
                                ("Folder", "inbox"), ("ID", "1795680000-00000000"),
                                ("ToFolder", "Old"))  # fmt: skip
        assert move[0].lines == ["Response: Success", "ActionID: a", "Message: Message move successful"]
        assert move[1].get("event") == "MessageWaiting" and move[1].get("new") == "2"
        again = await client.ask("VoicemailMove", ("Context", "default"), ("Mailbox", "1234"),
                                 ("Folder", "INBOX"), ("ID", "1795680000-00000000"),
                                 ("ToFolder", "Old"))  # fmt: skip
        assert again[0].get("message") == "Message move failed"
        remove = await client.ask("VoicemailRemove", ("Context", "default"), ("Mailbox", "1234"),
                                  ("Folder", "Urgent"), ("ID", urgent_id))  # fmt: skip
        assert remove[0].get("message") == "Message remove successful"
        forward = await client.ask(
            "VoicemailForward", ("Context", "default"), ("Mailbox", "1234"), ("Folder", "Old"),
            ("ID", "1795680200-00000000"), ("ToContext", "sales"), ("ToMailbox", "7"),
            ("ToFolder", "INBOX"),
        )  # fmt: skip
        assert forward[0].get("message") == "Message forward successful"
        [count] = await client.ask("MailboxCount", ("Mailbox", "1234,7@sales"))
        assert (count.get("urgmessages"), count.get("newmessages"), count.get("oldmessages")) == (
            "0", "2", "2",
        )  # fmt: skip
        [missing] = await client.ask("VoicemailForward", ("Context", "default"), ("Mailbox", "1234"))
        assert missing.get("message") == "Folder not specified, required"
        [nobody] = await client.ask("VoicemailBoxSummary", ("Context", "default"), ("Mailbox", "9"))
        assert nobody.get("message") == "There is no voicemail user matching the given user."

    run(tmp_path, scenario)
