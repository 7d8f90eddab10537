"""Voicemail on the virtual clock: voicemail.conf, the spool, VoiceMail, VoiceMailMain
(driven by received DTMF), the functions, the CLI and the MailboxChanged events."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support.voicemail import write_message

from pbxd.config.conf import Problem, loads
from pbxd.pbx.channel import Channel, ChannelState, Party
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan
from pbxd.pbx.events import Dtmf
from pbxd.pbx.voicemail import MailboxChanged, configure, voicemail_of
from pbxd.pbx.voicemail.settings import load_settings
from pbxd.pbx.voicemail.spool import Spool, parse_info, render_info

VOICEMAIL_CONF = """
[general]
format = wav
serveremail = asterisk
attach = no
maxmsg = 100
{general}

[zonemessages]
eastern => America/New_York|'vm-received' Q 'digits/at' IMp
central => America/Chicago|'vm-received' Q 'digits/at' IMp
broken => America/Nowhere

[default]
1234 => 4242,Example Mailbox,,,
1234 => 1111,Duplicate
*99 => 1,Star
5678 => 0000,Small Box,bob@example.com,,maxmsg=1|maxsecs=3|tz=eastern|bogus=1
[other]
42 => 9,Other Box,,,leaveurgent=no|operator=yes
"""

EXTENSIONS = """
[default]
exten => 500,1,VoiceMail(1234@default,s)
 same => n,Set(AFTER=${VMSTATUS})
exten => 501,1,VoiceMail(5678,su)
exten => 502,1,VoiceMail(1234&42@other,sU)
exten => 503,1,VoiceMail(9999,s)
exten => 504,1,VoiceMail(42@other,s)
exten => 505,1,VoiceMail(1234)
exten => 506,1,VoiceMail(1234,su)
exten => 508,1,VoiceMail()
exten => 507,1,VMSayName(1234)
 same => n,Set(SAID=yes)
exten => o,1,Set(WHERE=operator)
exten => a,1,Set(WHERE=attendant)
exten => 600,1,VoiceMailMain(1234@default)
exten => 610,1,VMAuthenticate(@other)
 same => n,Set(WHO=${AUTH_MAILBOX}@${AUTH_CONTEXT})
 same => n,Wait(5)
exten => 700,1,Set(E=${MAILBOX_EXISTS(1234)}${MAILBOX_EXISTS(9999@default)})
 same => n,Set(C=${VMCOUNT(1234@default)}/${VMCOUNT(1234,Old)})
 same => n,Set(N=${VM_INFO(5678,fullname)}|${VM_INFO(5678,email)}|${VM_INFO(1234,count,1)})
 same => n,MailboxExists(5678@default)
 same => n,Wait(1)
"""


class Setup:
    def __init__(self, tmp_path: Path, general: str = "") -> None:
        conf = tmp_path / "etc"
        conf.mkdir(exist_ok=True)
        (conf / "voicemail.conf").write_text(VOICEMAIL_CONF.format(general=general))
        self.spool_dir = tmp_path / "spool"
        self.clock = VirtualClock()
        self.pbx = PBX(self.clock)
        self.pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        self.events: list[MailboxChanged] = []
        self.pbx.bus.subscribe(self.events.append, (MailboxChanged,))
        self.service = configure(self.pbx, conf, self.spool_dir)

    def box(self, mailbox: str, folder: str, context: str = "default") -> Path:
        return self.spool_dir / "voicemail" / context / mailbox / folder

    def call(self, exten: str, name: str = "alice") -> Channel:
        channel = Channel(
            self.pbx, f"Test/{name}-00000001", "Test", exten=exten, state=ChannelState.RING,
            caller=Party("100", "Alice"),
        )  # fmt: skip
        self.pbx.add_channel(channel)
        asyncio.ensure_future(run_dialplan(channel))
        return channel

    def press(self, channel: Channel, digits: str) -> None:
        for digit in digits:
            snapshot = channel.snapshot()
            self.pbx.bus.publish(Dtmf(snapshot, digit, "Received", True))
            self.pbx.bus.publish(Dtmf(snapshot, digit, "Received", False, 100))


def run(tmp_path: Path, scenario: Callable[[Setup], Awaitable[None]], general: str = "") -> None:
    async def main() -> None:
        await scenario(Setup(tmp_path, general))

    asyncio.run(asyncio.wait_for(main(), 10))


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        return wav.getnframes() / 8000


# -- voicemail.conf -------------------------------------------------------------------------


def test_settings_read_users_zones_and_report_broken_lines() -> None:
    problems: list[Problem] = []
    config = loads(VOICEMAIL_CONF.format(general="maxmsg = lots"), "voicemail.conf")
    settings = load_settings(config, problems)
    assert [u.mailbox_id for u in settings.users] == ["1234@default", "5678@default", "42@other"]
    first, small, other = settings.users
    assert (first.password, first.fullname, first.email, first.attach) == (
        "4242", "Example Mailbox", "", False,
    )  # fmt: skip
    assert (small.maxmsg, small.maxsecs, small.zonetag, small.email) == (
        1, 3, "eastern", "bob@example.com",
    )  # fmt: skip
    assert other.leaveurgent is False and first.leaveurgent is True
    assert [z.name for z in settings.zones] == ["central", "eastern"]  # newest first
    texts = " | ".join(p.message for p in problems)
    for expected in (
        "Ignoring duplicated mailbox 1234 in context default",
        "Mailbox *99 in context default begins with '*'",
        "Invalid timezone definition",
        "Unknown option 'bogus' for mailbox 5678",
        "'maxmsg'",
    ):
        assert expected in texts
    assert all(p.severity == "warning" for p in problems)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]=>,|;*&@ \nabc123-_"), max_size=300))
def test_any_voicemail_conf_loads_without_raising(text: str) -> None:
    load_settings(loads(text, "voicemail.conf"), [])


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_message_file_parses_without_raising(text: str) -> None:
    assert isinstance(parse_info(text), dict)


def test_message_file_is_written_as_asterisk_writes_it() -> None:
    text = render_info({"origmailbox": "1234", "context": "default", "msg_id": "1-00000000"})
    assert text == (
        ";\n; Message Information file\n;\n[message]\norigmailbox=1234\ncontext=default\n"
        "msg_id=1-00000000\n"
    )
    assert parse_info(text) == {"origmailbox": "1234", "context": "default", "msg_id": "1-00000000"}


# -- the spool ---------------------------------------------------------------------------------


def test_spool_counts_messages_and_ignores_stray_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "voicemail")
    write_message(tmp_path, "default", "1234", "INBOX", 0)
    write_message(tmp_path, "default", "1234", "INBOX", 2)
    inbox = tmp_path / "voicemail" / "default" / "1234" / "INBOX"
    (inbox / "notes.txt").write_text("x")
    (inbox / "msg12.txt").write_text("x")
    (inbox / "msg0005.wav").write_bytes(b"")  # audio without information: not a message
    (inbox / "msg0007.txt").write_bytes(b"\xff\xfe garbage [message\n=")
    (inbox / "msg0008.txt").mkdir()  # unreadable: counted, never removed
    assert spool.count("default", "1234", "INBOX") == 4
    messages = spool.messages("default", "1234", "INBOX")
    assert [m.number for m in messages] == [0, 2, 7, 8]
    assert messages[0].info["callerid"] == '"Alice" <100>' and messages[2].info == {}
    assert messages[3].info == {}
    spool.resequence(inbox)
    assert spool.numbers(inbox) == [0, 1, 2, 3]
    assert (inbox / "msg0001.wav").exists() and (inbox / "msg0005.wav").exists()
    assert spool.count("default", "9999", "INBOX") == 0


# -- VoiceMail ---------------------------------------------------------------------------------


def test_voicemail_records_a_wav_and_its_information_file(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        s.events.clear()
        channel = s.call("500")
        await s.clock.advance(5)
        channel.request_hangup()
        await s.clock.advance(1)
        base = s.box("1234", "INBOX") / "msg0000"
        info = parse_info(base.with_suffix(".txt").read_text())
        assert base.with_suffix(".txt").read_text().startswith(
            ";\n; Message Information file\n;\n[message]\norigmailbox=1234\ncontext=default\n"
        )
        assert info["callerid"] == '"Alice" <100>' and info["callerchan"] == channel.name
        assert (info["exten"], info["priority"], info["duration"], info["flag"]) == ("500", "1", "5", "")
        assert info["origtime"] == str(int(s.clock.now - 6)) and info["msg_id"]
        assert info["origdate"] == "Tue Nov 14 10:13:20 PM UTC 2023"
        assert wav_seconds(base.with_suffix(".wav")) == 5.0
        assert channel.get_variable("VMSTATUS") == "SUCCESS"
        assert channel.get_variable("VM_MESSAGEFILE") == str(base)
        assert not list((s.box("1234", "tmp")).iterdir())  # nothing left behind
        changed = [e for e in s.events if e.channel is not None]
        assert [(e.mailbox_id, e.new, e.old, e.urgent) for e in changed] == [("1234@default", 1, 0, 0)]

    run(tmp_path, scenario)


def test_voicemail_respects_maxsecs_and_maxmsg(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        channel = s.call("501")
        await s.clock.advance(10)  # maxsecs = 3: the recording stops, the dialplan goes on
        assert channel.get_variable("VMSTATUS") == "SUCCESS"
        info = parse_info((s.box("5678", "INBOX") / "msg0000.txt").read_text())
        assert info["duration"] == "3"
        assert wav_seconds(s.box("5678", "INBOX") / "msg0000.wav") == 3.0
        second = s.call("501", "bob")
        await s.clock.advance(10)
        assert second.get_variable("VMSTATUS") == "FAILED"  # maxmsg = 1
        assert sorted(p.name for p in s.box("5678", "INBOX").iterdir()) == ["msg0000.txt", "msg0000.wav"]

    run(tmp_path, scenario)


def test_urgent_message_to_several_mailboxes_and_unknown_mailbox(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        channel = s.call("502")
        await s.clock.advance(2)
        s.press(channel, "#")
        await s.clock.advance(1)
        assert channel.get_variable("VMSTATUS") == "SUCCESS"
        assert parse_info((s.box("1234", "Urgent") / "msg0000.txt").read_text())["flag"] == "Urgent"
        assert (s.box("42", "Urgent", "other") / "msg0000.wav").exists()
        assert s.service.inbox_count("1234@default,42@other") == (2, 0, 0)
        assert s.service.has_new("9999&42@other")
        asking = s.call("508", "erin")  # VoiceMail() asks which mailbox
        await s.clock.advance(0.5)
        s.press(asking, "1234#")
        await s.clock.advance(2)
        asking.request_hangup()
        await s.clock.advance(1)
        assert asking.get_variable("VMSTATUS") == "SUCCESS"
        assert s.service.counts("1234") == (1, 1, 0)
        unknown = s.call("503", "carol")
        await s.clock.advance(1)
        assert unknown.get_variable("VMSTATUS") == "FAILED"
        assert not s.box("9999", "INBOX").exists()

    run(tmp_path, scenario)


def test_operator_after_the_message_and_attendant_during_the_intro(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        channel = s.call("504")
        await s.clock.advance(2)
        s.press(channel, "0")
        await s.clock.advance(1)
        assert (channel.get_variable("VMSTATUS"), channel.get_variable("WHERE")) == (
            "USEREXIT", "operator",
        )  # fmt: skip
        assert (s.box("42", "INBOX", "other") / "msg0000.txt").exists()  # kept
        sounds = tmp_path / "sounds"
        sounds.mkdir()
        with wave.open(str(sounds / "vm-intro.wav"), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(bytes(32000))  # two seconds
        s.pbx.sounds_dir = sounds
        caller = s.call("505", "bob")
        await s.clock.advance(1)
        s.press(caller, "*")
        await s.clock.advance(1)
        assert (caller.get_variable("VMSTATUS"), caller.get_variable("WHERE")) == (
            "USEREXIT", "attendant",
        )  # fmt: skip
        assert s.service.counts("1234") == (0, 0, 0)

    run(tmp_path, scenario)


def test_two_callers_at_once_cannot_overfill_a_mailbox(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        first, second = s.call("501"), s.call("501", "bob")  # maxmsg = 1
        await s.clock.advance(10)
        statuses = sorted(c.get_variable("VMSTATUS") or "" for c in (first, second))
        assert statuses == ["FAILED", "SUCCESS"]
        assert s.service.counts("5678") == (0, 1, 0)
        assert s.service.recording == {("default", "5678"): 0}

    run(tmp_path, scenario)


# -- VoiceMailMain -----------------------------------------------------------------------------


def test_voicemailmain_logs_in_plays_and_moves_heard_messages_to_old(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        write_message(s.spool_dir, "default", "1234", "INBOX", 0)
        write_message(s.spool_dir, "default", "1234", "INBOX", 1)
        channel = s.call("600")
        await s.clock.advance(0.5)
        s.press(channel, "0000#")  # wrong password
        await s.clock.advance(0.5)
        s.press(channel, "4242#")
        await s.clock.advance(0.5)
        s.press(channel, "1")  # the first message (one second long)
        await s.clock.advance(2)
        s.press(channel, "#")
        await s.clock.advance(1)
        assert s.service.counts("1234") == (0, 1, 1)
        old = s.box("1234", "Old") / "msg0000.txt"
        assert parse_info(old.read_text())["msg_id"].endswith("-00000000")
        last = s.events[-1]
        assert (last.mailbox_id, last.new, last.old) == ("1234@default", 1, 1)
        assert last.channel is not None and last.channel.name == channel.name
        assert channel.hangup_requested  # the dialplan ended

    run(tmp_path, scenario)


def test_voicemailmain_urgent_messages_first_then_new_ones(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        write_message(s.spool_dir, "default", "1234", "Urgent", 0)
        write_message(s.spool_dir, "default", "1234", "INBOX", 0)
        channel = s.call("600")
        await s.clock.advance(0.5)
        s.press(channel, "4242#1")  # the urgent one
        await s.clock.advance(2)
        s.press(channel, "6")  # no more urgent ones: the first new one
        await s.clock.advance(2)
        s.press(channel, "#")
        await s.clock.advance(1)
        assert s.service.counts("1234") == (0, 0, 2)

    run(tmp_path, scenario)


def test_voicemailmain_delete_and_save_to_folder(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        write_message(s.spool_dir, "default", "1234", "INBOX", 0)
        write_message(s.spool_dir, "default", "1234", "INBOX", 1)
        channel = s.call("600")
        await s.clock.advance(0.5)
        s.press(channel, "4242#1")
        await s.clock.advance(2)
        s.press(channel, "7")  # delete the first
        await s.clock.advance(0.5)
        s.press(channel, "6")  # the second
        await s.clock.advance(2)
        s.press(channel, "92")  # saved to Work
        await s.clock.advance(0.5)
        s.press(channel, "#")
        await s.clock.advance(1)
        assert s.service.counts("1234") == (0, 0, 0)
        assert [p.name for p in sorted(s.box("1234", "Work").iterdir())] == ["msg0000.txt", "msg0000.wav"]

    run(tmp_path, scenario)


def test_vmauthenticate_asks_for_mailbox_and_password(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        channel = s.call("610")
        await s.clock.advance(0.5)
        s.press(channel, "42#")
        await s.clock.advance(0.5)
        s.press(channel, "9#")
        await s.clock.advance(0.5)
        assert channel.get_variable("WHO") == "42@other"
        channel.request_hangup()
        await s.clock.advance(1)

    run(tmp_path, scenario)


def test_greetings_recorded_in_voicemailmain_are_played_by_voicemail(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        owner = s.call("600")
        await s.clock.advance(0.5)
        s.press(owner, "4242#01")  # mailbox options, unavailable greeting
        await s.clock.advance(3)
        s.press(owner, "#")
        await s.clock.advance(0.5)
        s.press(owner, "4")  # a temporary greeting too, then erase it again
        await s.clock.advance(1)
        s.press(owner, "#4")
        await s.clock.advance(0.5)
        s.press(owner, "2")
        await s.clock.advance(0.5)
        s.press(owner, "*#")
        await s.clock.advance(1)
        box = s.spool_dir / "voicemail" / "default" / "1234"
        assert wav_seconds(box / "unavail.wav") == 3.0
        assert not (box / "temp.wav").exists()
        caller = s.call("506", "bob")  # VoiceMail(1234,su): the 3 s greeting, then the beep
        await s.clock.advance(5)
        caller.request_hangup()
        await s.clock.advance(1)
        assert parse_info((s.box("1234", "INBOX") / "msg0000.txt").read_text())["duration"] == "2"
        sayer = s.call("507", "carol")  # no name recorded: digits (no sounds here: at once)
        await s.clock.advance(0.5)
        assert sayer.get_variable("SAID") == "yes"
        (box / "greet.wav").write_bytes((box / "unavail.wav").read_bytes())
        again = s.call("507", "dave")  # the three-second name
        await s.clock.advance(2)
        assert again.get_variable("SAID") is None
        await s.clock.advance(1.5)
        assert again.get_variable("SAID") == "yes"

    run(tmp_path, scenario)


def test_keys_pressed_during_a_prompt_are_part_of_the_answer(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        sounds = tmp_path / "sounds"
        sounds.mkdir()
        with wave.open(str(sounds / "vm-password.wav"), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(bytes(32000))  # two seconds
        s.pbx.sounds_dir = sounds
        s.events.clear()
        channel = s.call("600")
        await s.clock.advance(0.5)
        s.press(channel, "4242#")  # while "vm-password" still plays
        await s.clock.advance(3)
        s.press(channel, "#")
        await s.clock.advance(1)
        assert [e.channel is not None for e in s.events] == [True]  # logged in, then left

    run(tmp_path, scenario)


def test_voicemailmain_gives_up_after_maxlogins(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        write_message(s.spool_dir, "default", "1234", "INBOX", 0)
        channel = s.call("600")
        for _ in range(3):
            await s.clock.advance(0.5)
            s.press(channel, "1#")
        await s.clock.advance(1)
        assert channel.gone
        assert s.service.counts("1234") == (0, 1, 0)

    run(tmp_path, scenario)


# -- functions, CLI, polling -------------------------------------------------------------------


def test_functions_and_mailboxexists(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        write_message(s.spool_dir, "default", "1234", "Old", 0)
        channel = s.call("700")
        await s.clock.advance(0.5)
        assert channel.get_variable("E") == "10"
        assert channel.get_variable("C") == "0/1"
        assert channel.get_variable("N") == "Small Box|bob@example.com|1"
        assert channel.get_variable("VMBOXEXISTSSTATUS") == "SUCCESS"
        await s.clock.advance(1)

    run(tmp_path, scenario)


def test_cli_commands(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        write_message(s.spool_dir, "default", "1234", "INBOX", 0)
        result = s.pbx.cli.run("voicemail show users")
        assert result.lines == [
            "Context    Mbox  User                      Zone       NewMsg",
            "default    1234  Example Mailbox                           1",
            "default    5678  Small Box                 eastern         0",
            "other      42    Other Box                                 0",
            "3 voicemail users configured.",
        ]
        assert s.pbx.cli.run("voicemail show users for other").lines[-1] == (
            "1 voicemail users configured."
        )
        assert s.pbx.cli.run("voicemail show users for nope").lines == [
            'No such voicemail context "nope"'
        ]
        assert not s.pbx.cli.run("voicemail show users for").ok
        zones = s.pbx.cli.run("voicemail show zones").lines
        assert zones[0].rstrip() == "Zone            Timezone             Message Format"
        assert zones[1].startswith("central         America/Chicago      'vm-received'")
        assert s.pbx.cli.run("voicemail reload").lines == ["Reloading voicemail configuration..."]

    run(tmp_path, scenario)


def test_polling_sees_files_changed_on_disk(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        s.events.clear()
        write_message(s.spool_dir, "default", "1234", "INBOX", 0)
        await s.clock.advance(29)
        assert s.events == []
        await s.clock.advance(2)  # pollfreq 30
        assert [(e.mailbox_id, e.new, e.channel) for e in s.events] == [("1234@default", 1, None)]
        await s.clock.advance(31)
        assert len(s.events) == 1  # no change, no event
        (s.box("1234", "INBOX") / "msg0000.txt").unlink()
        await s.clock.advance(31)
        assert [(e.new, e.old) for e in s.events[1:]] == [(0, 0)]

    run(tmp_path, scenario, general="pollmailboxes = yes")


def test_reload_keeps_the_old_users_when_the_file_is_broken(tmp_path: Path) -> None:
    async def scenario(s: Setup) -> None:
        conf = tmp_path / "etc" / "voicemail.conf"
        conf.write_text("[default]\n#include nothere.conf\n1 => 1\n")
        assert s.pbx.reload("app_voicemail") == "Error"
        assert len(s.service.settings.users) == 3
        conf.write_text("[default]\n1 => 1,One\n")
        s.events.clear()
        assert s.pbx.reload("app_voicemail") == "Success"
        assert [u.mailbox_id for u in s.service.settings.users] == ["1@default"]
        assert [e.mailbox_id for e in s.events] == ["1@default"]  # published on load
        assert voicemail_of(s.pbx) is s.service

    run(tmp_path, scenario)


def test_check_config_reports_voicemail_conf_problems(tmp_path: Path) -> None:
    from pbxd.configuration import load_configuration

    (tmp_path / "voicemail.conf").write_text("[default]\n1 => 1\n1 => 2\n2 => 1,x,,,maxsecs=no\n")
    problems = [str(p) for p in load_configuration(tmp_path).problems]
    assert any("voicemail.conf:3: warning: Ignoring duplicated mailbox 1" in p for p in problems)
    assert any("Invalid maxsecs value 'no' for mailbox 2" in p for p in problems)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["VoiceMail", "VoiceMailMain", "MailboxExists", "VMAuthenticate", "VMSayName"]),
    st.text(alphabet=st.sampled_from("1234@&,()/.*#abuUsPtp \\\\\""), max_size=40),
)
def test_any_arguments_to_the_applications(app: str, data: str) -> None:
    """Whatever the arguments, the application ends (the channel is hung up by the test) and
    nothing outside the spool is written."""
    import tempfile

    async def scenario(s: Setup) -> None:
        s.pbx.dialplan = Dialplan.load(
            loads(f"[default]\nexten => 900,1,{app}({data.replace(chr(10), '')})\n", "x.conf")
        )
        channel = s.call("900")
        await s.clock.advance(2)
        channel.request_hangup()
        await s.clock.advance(30)
        assert channel.gone

    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), scenario)
        assert {p.name for p in Path(tmp).iterdir()} <= {"etc", "spool"}


MAILER = """
import pathlib, sys
out = pathlib.Path(sys.argv[1])
out.mkdir(exist_ok=True)
(out / f"{len(list(out.iterdir()))}.eml").write_bytes(sys.stdin.buffer.read())
"""


def test_new_message_is_mailed_with_its_audio_and_deleted_when_asked(tmp_path: Path) -> None:
    import email
    import email.policy
    import sys

    script = tmp_path / "mailer.py"
    script.write_text(MAILER)
    outbox = tmp_path / "outbox"
    general = (
        f"mailcmd = {sys.executable} {script} {outbox}\n"
        "emailsubject = [PBX]: New message ${VM_MSGNUM} in mailbox ${VM_MAILBOX}\n"
        "[mail]\n"
        "77 => 1,Mail Box,mb@example.com,pg@example.com,attach=yes|delete=yes\n"
    )
    extensions = "[default]\nexten => 800,1,VoiceMail(77@mail,s)\n"

    async def scenario(s: Setup) -> None:
        s.pbx.dialplan = Dialplan.load(loads(extensions, "extensions.conf"))
        channel = s.call("800")
        await s.clock.advance(4)
        channel.request_hangup()
        await s.clock.advance(1)
        await asyncio.gather(*s.service.mailing)
        assert s.service.counts("77", "mail") == (0, 0, 0)  # delete = yes
        mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in sorted(outbox.iterdir())]  # fmt: skip
        by_to = {str(m["To"]): m for m in mails}
        mail = by_to['Mail Box <mb@example.com>']
        assert mail["Subject"] == "[PBX]: New message 1 in mailbox 77"
        assert mail["X-Asterisk-VM-Duration"] == "4" and mail["X-Asterisk-VM-Context"] == "mail"
        assert mail["From"].startswith("Asterisk PBX <asterisk@")
        parts = list(mail.iter_attachments())
        assert [p.get_filename() for p in parts] == ["msg0000.wav"]
        assert len(parts[0].get_payload(decode=True)) == 44 + 4 * 16000
        body = next(mail.iter_parts()).get_content()
        assert "0:04" in body and '"Alice" <100>' in body
        pager = by_to['Mail Box <pg@example.com>']
        assert not list(pager.iter_attachments())

    run(tmp_path, scenario, general=general)
