"""The PBX's CLI commands: channel and call listings, hangups, applications, functions and
the dialplan, in Asterisk 20's texts and column layouts."""

from __future__ import annotations

from typing import Any

import pytest

from pbxd.pbx import causes, functions
from pbxd.pbx.applications import ApplicationRegistry
from pbxd.pbx.channel import Channel, ChannelState, Party
from pbxd.pbx.cli_commands import register_cli
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX

START = 1_700_000_000.0


def make_pbx() -> tuple[PBX, VirtualClock]:
    clock = VirtualClock(START)
    pbx = PBX(clock=clock)
    if pbx.cli.find(["dialplan", "reload"]) is None:  # until PBX.__init__ registers them
        register_cli(pbx)
    return pbx, clock


def add(pbx: PBX, name: str, **kwargs: Any) -> Channel:
    application, data = kwargs.pop("application", ""), kwargs.pop("data", "")
    channel = Channel(pbx, name, kwargs.pop("tech", "Local"), **kwargs)
    channel.application, channel.data = application, data
    pbx.add_channel(channel)
    return channel


def run(pbx: PBX, line: str) -> tuple[bool, list[str]]:
    result = pbx.cli.run(line)
    return result.ok, result.lines


def local_pair(pbx: PBX) -> tuple[Channel, Channel]:
    """Local/100@default: ;1 waiting in an application, ;2 in the dialplan."""
    one = add(
        pbx,
        "Local/100@default-00000001;1",
        state=ChannelState.UP,
        context="default",
        exten="100",
        application="Wait",
        data="10",
        caller=Party("2000", "Alice"),
        accountcode="acct",
    )
    two = add(
        pbx,
        "Local/100@default-00000001;2",
        parent=one,
        state=ChannelState.RING,
        context="default",
        exten="100",
        priority=2,
        application="Playback",
        data="a-very-long-sound-file-name-that-is-cut",
    )
    return one, two


# -- core show channels ------------------------------------------------------------------

HEADER = (
    "Channel                                                          "
    "Location                         State   Application(Data)             "
)


def test_core_show_channels_empty_matches_the_transcript() -> None:
    pbx, _ = make_pbx()
    pbx.calls_processed = 27
    assert run(pbx, "core show channels") == (
        True,
        [HEADER, "0 active channels", "0 active calls", "27 calls processed"],
    )


def test_core_show_channels_rows() -> None:
    pbx, _ = make_pbx()
    local_pair(pbx)
    add(pbx, "SIP/" + "x" * 70, context="", exten="")
    ok, lines = run(pbx, "core show channels")
    assert ok
    assert lines == [
        HEADER,
        "%-64s %-32s %-7s %-30s"
        % ("Local/100@default-00000001;1", "100@default:1", "Up", "Wait(10)"),
        "%-64s %-32s %-7s %-30s"
        % (
            "Local/100@default-00000001;2",
            "100@default:2",
            "Ring",
            "Playback(a-very-long-sound-fil",
        ),
        "%-64s %-32s %-7s %-30s" % ("SIP/" + "x" * 60, "(None)", "Down", "(None)"),
        "3 active channels",
        "2 active calls",  # the Local pair shares a Linkedid: one call
        "0 calls processed",
    ]
    assert all(len(line) == len(HEADER) for line in lines[:4])


TOTALS_CASES = [
    # (channels as (name, joins the previous call), calls processed, footer)
    ([], 1, ["0 active channels", "0 active calls", "1 call processed"]),
    ([("SIP/a-1", False)], 0, ["1 active channel", "1 active call", "0 calls processed"]),
    (
        [("SIP/a-1", False), ("SIP/b-2", True)],
        2,
        ["2 active channels", "1 active call", "2 calls processed"],
    ),
    (
        [("SIP/a-1", False), ("SIP/b-2", False)],
        2,
        ["2 active channels", "2 active calls", "2 calls processed"],
    ),
]


@pytest.mark.parametrize(("channels", "processed", "footer"), TOTALS_CASES)
def test_core_show_channels_count(
    channels: list[tuple[str, bool]], processed: int, footer: list[str]
) -> None:
    pbx, _ = make_pbx()
    previous: Channel | None = None
    for name, joins in channels:
        previous = add(pbx, name, tech="SIP", linkedid=previous.linkedid if joins else None)
    pbx.calls_processed = processed
    assert run(pbx, "core show channels count") == (True, footer)
    assert run(pbx, "core show channels")[1][-3:] == footer


def test_core_show_channels_concise_and_verbose() -> None:
    pbx, clock = make_pbx()
    one, two = local_pair(pbx)
    one.bridge_id = "b-1"
    clock.now += 3725
    ok, concise = run(pbx, "core show channels CONCISE")
    assert ok
    assert concise == [
        f"Local/100@default-00000001;1!default!100!1!Up!Wait!10!2000!acct!!3!3725!b-1!{one.uniqueid}",
        "Local/100@default-00000001;2!default!100!2!Ring!Playback!"
        f"a-very-long-sound-file-name-that-is-cut!!acct!!3!3725!!{two.uniqueid}",
    ]
    ok, verbose = run(pbx, "core show channels verbose")
    assert ok
    assert verbose[0] == (
        f"{'Channel':<80} {'Context':<24} {'Extension':<24} Prio State   {'Application':<12} "
        f"{'Data':<25} {'CallerID':<15} Duration {'Accountcode':<11} {'PeerAccount':<11} "
        f"{'BridgeID':<20}"
    )
    assert verbose[1] == (
        f"{one.name:<80} {'default':<24} {'100':<24}    1 Up      {'Wait':<12} {'10':<25} "
        f"{'2000':<15} 01:02:05 {'acct':<11} {'':<11} {'b-1':<20}"
    )
    assert verbose[2].split()[5:7] == ["Playback", "a-very-long-sound-file-na"]
    assert verbose[3:] == ["2 active channels", "1 active call", "0 calls processed"]


@pytest.mark.parametrize("line", ["core show channels bogus", "core show channels count verbose"])
def test_core_show_channels_usage(line: str) -> None:
    ok, lines = run(make_pbx()[0], line)
    assert not ok
    assert lines[0] == "Usage: core show channels [concise|verbose|count]"


# -- core show calls ---------------------------------------------------------------------

CALLS_CASES = [
    ("core show calls", True, ["1 active call", "5 calls processed"]),
    (
        "core show calls uptime",
        True,
        ["1 active call", "5 calls processed", "System uptime: 1 hour, 1 minute, 1 second"],
    ),
    (
        "core show calls uptime seconds",
        True,
        ["1 active call", "5 calls processed", "System uptime: 3661"],
    ),
    ("core show calls seconds", False, None),
    ("core show calls uptime minutes", False, None),
]


@pytest.mark.parametrize(("line", "ok", "output"), CALLS_CASES)
def test_core_show_calls(line: str, ok: bool, output: list[str] | None) -> None:
    pbx, clock = make_pbx()
    local_pair(pbx)
    pbx.calls_processed = 5
    clock.now += 3661
    result = run(pbx, line)
    assert result[0] is ok
    if ok:
        assert result[1] == output
    else:
        assert result[1][0] == "Usage: core show calls [uptime] [seconds]"


# -- core show channel -------------------------------------------------------------------


def test_core_show_channel() -> None:
    pbx, clock = make_pbx()
    one, _ = local_pair(pbx)
    one.set_connected("3000")
    one.set_variable("__INHERITED", "yes")
    one.set_variable("FIRST", "1")
    clock.now += 3725
    ok, lines = run(pbx, f"core show channel {one.name}")
    assert ok
    assert lines == [
        " -- General --",
        f"           Name: {one.name}",
        "           Type: Local",
        f"       UniqueID: {one.uniqueid}",
        f"       LinkedID: {one.linkedid}",
        "      Caller ID: 2000",
        " Caller ID Name: Alice",
        "Connected Line ID: 3000",
        "Connected Line ID Name: (N/A)",
        "Eff. Connected Line ID: 3000",
        "Eff. Connected Line ID Name: (N/A)",
        "    DNID Digits: (N/A)",
        "       Language: en",
        "          State: Up (6)",
        "  NativeFormats: (ulaw)",
        "    WriteFormat: ulaw",
        "     ReadFormat: ulaw",
        " WriteTranscode: No ",
        "  ReadTranscode: No ",
        " Time to Hangup: 0",
        "   Elapsed Time: 1h2m5s",
        "      Bridge ID: (Not bridged)",
        " --   PBX   --",
        "        Context: default",
        "      Extension: 100",
        "       Priority: 1",
        "     Call Group: 0",
        "   Pickup Group: 0",
        "    Application: Wait",
        "           Data: 10",
        " Call Identifer: (None)",
        "      Variables:",
        "FIRST=1",
        "INHERITED=yes",
    ]


SHOW_CHANNEL_CASES = [
    # (argument, the line it finds the channel by, or the text)
    ("Local/100@default-00000001;2", "           Name: Local/100@default-00000001;2"),
    ("local/100@DEFAULT-00000001;2", "           Name: Local/100@default-00000001;2"),
    ("uniqueid", "           Name: Local/100@default-00000001;2"),
    ("SIP/nobody", "SIP/nobody is not a known channel"),
]


@pytest.mark.parametrize(("argument", "first"), SHOW_CHANNEL_CASES)
def test_core_show_channel_lookup(argument: str, first: str) -> None:
    pbx, _ = make_pbx()
    _, two = local_pair(pbx)
    argument = two.uniqueid if argument == "uniqueid" else argument
    ok, lines = run(pbx, f"core show channel {argument}")
    assert ok
    assert first in lines[:2]
    if "known" not in first:
        assert "           Data: a-very-long-sound-file-name-that-is-cut" in lines
        assert lines[-1] == "      Variables:"


def test_core_show_channel_usage() -> None:
    assert run(make_pbx()[0], "core show channel")[1][0] == "Usage: core show channel <channel>"


# -- channel request hangup --------------------------------------------------------------

HANGUP_CASES = [
    # (argument, output, names asked to hang up)
    (
        "Local/100@default-00000001;1",
        ["Requested Hangup on channel 'Local/100@default-00000001;1'"],
        {"Local/100@default-00000001;1"},
    ),
    (
        "ALL",
        [
            "Requested Hangup on channel 'Local/100@default-00000001;1'",
            "Requested Hangup on channel 'Local/100@default-00000001;2'",
        ],
        {"Local/100@default-00000001;1", "Local/100@default-00000001;2"},
    ),
    ("SIP/ghost", ["SIP/ghost is not a known channel"], set()),
]


@pytest.mark.parametrize(("argument", "output", "hung"), HANGUP_CASES)
def test_channel_request_hangup(argument: str, output: list[str], hung: set[str]) -> None:
    pbx, _ = make_pbx()
    local_pair(pbx)
    assert run(pbx, f"channel request hangup {argument}") == (True, output)
    assert {c.name for c in pbx.channels.values() if c.hangup_requested} == hung
    assert all(pbx.channels[name].hangup_cause == causes.NORMAL_CLEARING for name in hung)


def test_channel_request_hangup_usage() -> None:
    pbx, _ = make_pbx()
    for line in ("channel request hangup", "channel request hangup a b"):
        ok, lines = run(pbx, line)
        assert (ok, lines[0]) == (False, "Usage: channel request hangup <channel>|<all>")


# -- applications ------------------------------------------------------------------------


async def _nothing(channel: Channel, data: str) -> None:
    return None


def app_pbx() -> PBX:
    pbx, _ = make_pbx()
    registry = ApplicationRegistry()
    registry.register("Answer", "Answer a channel if ringing.", "Answer([delay])", "Answers it.")(
        _nothing
    )
    registry.register("Playback", "Play a file.", "Playback(filename)", "Plays a sound file.")(
        _nothing
    )
    registry.register("PlayTones", "Play a tone list.", description="Plays tones.")(_nothing)
    pbx.applications = registry
    return pbx


ALL_APPS = [
    "    -= Registered Asterisk Applications =-",
    "                Answer: Answer a channel if ringing.",
    "              Playback: Play a file.",
    "             PlayTones: Play a tone list.",
    "    -= 3 Applications Registered =-",
]

APPLICATIONS_CASES = [
    ("core show applications", True, ALL_APPS),
    (
        "core show applications like PLAY",
        True,
        [
            "    -= Matching Asterisk Applications =-",
            "              Playback: Play a file.",
            "             PlayTones: Play a tone list.",
            "    -= 2 Applications Matching =-",
        ],
    ),
    (
        "core show applications describing plays SOUND",
        True,
        [
            "    -= Matching Asterisk Applications =-",
            "              Playback: Play a file.",
            # Asterisk counts every word found: 'plays' in PlayTones too
            "    -= 3 Applications Matching =-",
        ],
    ),
    ("core show applications like", True, ALL_APPS),  # no text: the whole list
    ("core show applications sorted", False, None),
]


@pytest.mark.parametrize(("line", "ok", "output"), APPLICATIONS_CASES)
def test_core_show_applications(line: str, ok: bool, output: list[str] | None) -> None:
    result = run(app_pbx(), line)
    assert result[0] is ok
    if ok:
        assert result[1] == output
    else:
        assert result[1][0] == "Usage: core show applications [{like|describing} <text>]"


def test_core_show_applications_none_registered() -> None:
    pbx, _ = make_pbx()
    pbx.applications = ApplicationRegistry()
    assert run(pbx, "core show applications") == (True, ["There are no registered applications"])


def test_core_show_applications_lists_the_builtins() -> None:
    pbx, _ = make_pbx()
    ok, lines = run(pbx, "core show applications")
    assert ok
    assert lines[-1] == f"    -= {len(pbx.applications)} Applications Registered =-"
    assert "                Answer: Answer a channel if ringing." in lines


def info(kind: str, name: str, synopsis: str, description: str, syntax: str) -> list[str]:
    return [
        "",
        f"  -= Info about {kind} '{name}' =- ",
        "",
        "[Synopsis]",
        f"{synopsis} ",
        "",
        "[Since]",
        "Not available",
        "",
        "[Description]",
        description,
        "",
        "[Syntax]",
        syntax,
        "",
        "[Arguments]",
        "Not available",
        "",
        "[See Also]",
        "Not available",
    ]


ANSWER = info(
    "Application", "Answer", "Answer a channel if ringing.", "Answers it.", "Answer([delay])"
)
PLAYBACK = info(
    "Application", "Playback", "Play a file.", "Plays a sound file.", "Playback(filename)"
)

APPLICATION_CASES = [
    ("core show application answer", True, ANSWER),
    ("core show application Playback Answer", True, ANSWER + PLAYBACK),  # registry order
    ("core show application Nope", False, ["Your application(s) is (are) not registered"]),
    (
        "core show application",
        False,
        [
            "Usage: core show application <application> [<application> [<application> [...]]]",
            "       Describes a particular application.",
        ],
    ),
]


@pytest.mark.parametrize(("line", "ok", "output"), APPLICATION_CASES)
def test_core_show_application(line: str, ok: bool, output: list[str]) -> None:
    assert run(app_pbx(), line) == (ok, output)


# -- functions ---------------------------------------------------------------------------


def test_core_show_functions() -> None:
    pbx, _ = make_pbx()
    ok, lines = run(pbx, "core show functions")
    assert ok
    assert lines[:2] == ["Installed Custom Functions:", "-" * 80]
    assert lines[-1] == f"{len(functions.registered())} custom functions installed."
    assert (
        "%-20.20s  %-35.35s  %s" % ("LEN", "LEN(string)", "Return the length of the string given.")
        in lines
    )
    ok, lines = run(pbx, "core show functions like LEN")
    assert ok
    assert lines[0] == "Matching Custom Functions:"
    assert lines[-1].endswith(" matching custom functions installed.")
    for line in (
        "core show functions like",
        "core show functions LEN",
        "core show functions like a b",
    ):
        ok, lines = run(pbx, line)
        assert (ok, lines[0]) == (False, "Usage: core show functions [like <text>]")


FUNCTION_CASES = [
    (
        "core show function LEN",
        True,
        info(
            "Function",
            "LEN",
            "Return the length of the string given.",
            "Not available",
            "LEN(string)",
        ),
    ),
    ("core show function NOSUCHTHING", False, ["No function by that name registered."]),
    (
        "core show function",
        False,
        ["Usage: core show function <function>", "       Describe a particular dialplan function."],
    ),
]


@pytest.mark.parametrize(("line", "ok", "output"), FUNCTION_CASES)
def test_core_show_function(line: str, ok: bool, output: list[str]) -> None:
    assert run(make_pbx()[0], line) == (ok, output)


# -- the dialplan ------------------------------------------------------------------------

NO_DIALPLAN_CASES = [
    ("dialplan show", True, ["-= 0 extensions (0 priorities) in 0 contexts. =-"]),
    ("dialplan show default", False, ["There is no existence of 'default' context"]),
    ("dialplan show 100@default", False, ["There is no existence of 'default' context"]),
    ("dialplan show 100@", False, ["There is no existence of '100' extension in all contexts"]),
    ("dialplan show @", True, ["-= 0 extensions (0 priorities) in 0 contexts. =-"]),
    (
        "dialplan show a b",
        False,
        ["Usage: dialplan show [[exten@]context]", "       Show dialplan"],
    ),
]


@pytest.mark.parametrize(("line", "ok", "output"), NO_DIALPLAN_CASES)
def test_dialplan_show_without_a_dialplan(line: str, ok: bool, output: list[str]) -> None:
    assert run(make_pbx()[0], line) == (ok, output)


class FakeDialplan:
    """Stands in for ``Dialplan``: records what ``show`` was asked."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.asked: list[str | None] = []

    def show(self, context: str | None = None) -> list[str]:
        self.asked.append(context)
        return self.lines


DIALPLAN_CASES = [
    # (command, what the dialplan answers, ok, what show was asked)
    (
        "dialplan show",
        [
            "[ Context 'default' created by 'pbx_config' ]",
            "",
            "-= 1 extension (1 priority) in 1 context. =-",
        ],
        True,
        None,
    ),
    ("dialplan show default", ["-= 0 extensions (0 priorities) in 1 context. =-"], True, "default"),
    ("dialplan show nope", ["There is no existence of 'nope' context"], False, "nope"),
    (
        "dialplan show 9@default",
        ["There is no existence of 9@default extension"],
        False,
        "9@default",
    ),
]


@pytest.mark.parametrize(("line", "answer", "ok", "asked"), DIALPLAN_CASES)
def test_dialplan_show_delegates(line: str, answer: list[str], ok: bool, asked: str | None) -> None:
    pbx, _ = make_pbx()
    dialplan = FakeDialplan(answer)
    pbx.dialplan = dialplan  # type: ignore[assignment]
    assert run(pbx, line) == (ok, answer)
    assert dialplan.asked == [asked]


def test_dialplan_reload() -> None:
    pbx, _ = make_pbx()
    reloads: list[str] = []
    pbx.reloaders["pbx_config"] = lambda: reloads.append("pbx_config") or "Success"
    assert run(pbx, "dialplan reload") == (True, ["Dialplan reloaded."])
    assert reloads == ["pbx_config"]
    assert not run(pbx, "dialplan reload now")[0]


REGISTERED = [
    ("core show channels", "Display information on channels"),
    ("core show calls", "Display information on calls"),
    ("core show channel", "Display information on a specific channel"),
    ("channel request hangup", "Request a hangup on a given channel"),
    ("core show applications", "Shows registered dialplan applications"),
    ("core show application", "Describe a specific dialplan application"),
    ("core show functions", "Shows registered dialplan functions"),
    ("core show function", "Describe a specific dialplan function"),
    ("dialplan show", "Show dialplan"),
    ("dialplan reload", "Reload extensions and *only* extensions"),
]


@pytest.mark.parametrize(("text", "summary"), REGISTERED)
def test_registered_with_summaries(text: str, summary: str) -> None:
    found = make_pbx()[0].cli.find(text.split())
    assert found is not None
    assert (found[0].text, found[0].summary) == (text, summary)
