"""The PBX's own CLI commands: channels, calls, applications, functions and the dialplan.

Texts and column layouts are Asterisk 20's (``core show channels`` and friends), so
``Action: Command`` clients that parse them keep working. ``register_cli(pbx)`` adds them
to ``pbx.cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import causes, functions
from .cli import CliFailure, ShowUsage

if TYPE_CHECKING:
    from .channel import Channel
    from .core import PBX

# -- core show channels ------------------------------------------------------------------

_NORMAL = "%-64.64s %-32.32s %-7.7s %-30.30s"
_VERBOSE_HEAD = "%-80.80s %-24.24s %-24.24s %-4.4s %-7.7s %-12.12s %-25.25s %-15.15s %8.8s %-11.11s %-11.11s %-20.20s"
_VERBOSE_ROW = "%-80.80s %-24.24s %-24.24s %4d %-7.7s %-12.12s %-25.25s %-15.15s %8.8s %-11.11s %-11.11s %-20.20s"
_VERBOSE_TITLES = (
    "Channel",
    "Context",
    "Extension",
    "Priority",
    "State",
    "Application",
    "Data",
    "CallerID",
    "Duration",
    "Accountcode",
    "PeerAccount",
    "BridgeID",
)
#: AMA flags of a channel nobody set them on: DOCUMENTATION.
_DEFAULT_AMAFLAGS = 3
_NA = "(N/A)"

CHANNELS_USAGE = (
    "Usage: core show channels [concise|verbose|count]\n"
    "       Lists currently defined channels and some information about them. If\n"
    "       'concise' is specified, the format is abridged and in a more easily\n"
    "       machine parsable format. If 'verbose' is specified, the output includes\n"
    "       more and longer fields. If 'count' is specified only the channel and call\n"
    "       count is output.\n"
    "\tThe 'concise' option is deprecated and will be removed from future versions\n"
    "\tof Asterisk."
)
CALLS_USAGE = (
    "Usage: core show calls [uptime] [seconds]\n"
    "       Lists number of currently active calls and total number of calls\n"
    "       processed through PBX since last restart. If 'uptime' is specified\n"
    "       the system uptime is also displayed. If 'seconds' is specified in\n"
    "       addition to 'uptime', the system uptime is displayed in seconds."
)
CHANNEL_USAGE = (
    "Usage: core show channel <channel>\n"
    "       Shows lots of information about the specified channel."
)
HANGUP_USAGE = (
    "Usage: channel request hangup <channel>|<all>\n"
    "       Request that a channel be hung up. The hangup takes effect\n"
    "       the next time the driver reads or writes from the channel.\n"
    "       If 'all' is specified instead of a channel name, all channels\n"
    "       will see the hangup request."
)
APPLICATIONS_USAGE = (
    "Usage: core show applications [{like|describing} <text>]\n"
    "       List applications which are currently available.\n"
    "       If 'like', <text> will be a substring of the app name\n"
    "       If 'describing', <text> will be a substring of the description"
)
APPLICATION_USAGE = (
    "Usage: core show application <application> [<application> [<application> [...]]]\n"
    "       Describes a particular application."
)
FUNCTIONS_USAGE = (
    "Usage: core show functions [like <text>]\n"
    "       List builtin functions, optionally only those matching a given string"
)
FUNCTION_USAGE = (
    "Usage: core show function <function>\n       Describe a particular dialplan function."
)
DIALPLAN_SHOW_USAGE = "Usage: dialplan show [[exten@]context]\n       Show dialplan"
DIALPLAN_RELOAD_USAGE = (
    "Usage: dialplan reload\n"
    "       Reload extensions.conf without reloading any other\n"
    "       modules.  This command does not delete global variables\n"
    "       unless clearglobalvars is set to yes in extensions.conf"
)


def _s(count: int) -> str:
    """Asterisk's ``ESS()``: the plural ending."""
    return "" if count == 1 else "s"


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def active_calls(pbx: PBX) -> int:
    """Calls in progress: channels sharing a Linkedid (a Local pair, a dialled leg) are one."""
    return len({channel.linkedid for channel in pbx.channels.values()})


def _sorted_channels(pbx: PBX) -> list[Channel]:
    return sorted(pbx.channels.values(), key=lambda channel: channel.name.lower())


def _find_channel(pbx: PBX, name: str) -> Channel | None:
    """By name (any case, as Asterisk looks them up) or Uniqueid."""
    channel = pbx.find_channel(name)
    if channel is None:
        lowered = name.lower()
        channel = next((c for c in pbx.channels.values() if c.name.lower() == lowered), None)
    return channel


def _call_totals(pbx: PBX) -> list[str]:
    calls, processed = active_calls(pbx), pbx.calls_processed
    return [f"{calls} active call{_s(calls)}", f"{processed} call{_s(processed)} processed"]


def _location(channel: Channel) -> str:
    if channel.context and channel.exten:
        return f"{channel.exten}@{channel.context}:{channel.priority}"
    return "(None)"


def _app_data(channel: Channel) -> str:
    return f"{channel.application}({channel.data})" if channel.application else "(None)"


def _normal_row(channel: Channel, age: int) -> str:
    return _NORMAL % (
        channel.name,
        _location(channel),
        channel.state.description,
        _app_data(channel),
    )


def _concise_row(channel: Channel, age: int) -> str:
    fields = (
        channel.name,
        channel.context,
        channel.exten,
        str(channel.priority),
        channel.state.description,
        channel.application or "(None)",
        channel.data,
        channel.caller.number,
        channel.accountcode,
        "",  # peer account
        str(_DEFAULT_AMAFLAGS),
        str(age),
        channel.bridge_id,
        channel.uniqueid,
    )
    return "!".join(fields)


def _verbose_row(channel: Channel, age: int) -> str:
    return _VERBOSE_ROW % (
        channel.name,
        channel.context,
        channel.exten,
        channel.priority,
        channel.state.description,
        channel.application or "(None)",
        channel.data or "(Empty)",
        channel.caller.number,
        _hms(age),
        channel.accountcode,
        "",  # peer account
        channel.bridge_id,
    )


#: mode word -> (header lines, row formatter, whether the totals follow)
_CHANNEL_LISTINGS = {
    None: ([_NORMAL % ("Channel", "Location", "State", "Application(Data)")], _normal_row, True),
    "concise": ([], _concise_row, False),
    "verbose": ([_VERBOSE_HEAD % _VERBOSE_TITLES], _verbose_row, True),
    "count": ([], None, True),
}


def show_channels(pbx: PBX, mode: str | None) -> list[str]:
    """``core show channels [concise|verbose|count]``."""
    header, row, totals = _CHANNEL_LISTINGS[mode]
    lines = list(header)
    if row is not None:
        now = pbx.clock()
        lines += [row(c, int(now - c.created)) for c in _sorted_channels(pbx)]
    if totals:
        count = len(pbx.channels)
        lines.append(f"{count} active channel{_s(count)}")
        lines += _call_totals(pbx)
    return lines


# -- core show channel -------------------------------------------------------------------


def _or(value: str, default: str) -> str:
    return value or default


def show_channel(pbx: PBX, channel: Channel) -> list[str]:
    """``core show channel <name>``: the General and PBX blocks, then the variables."""
    elapsed = int(pbx.clock() - channel.created)
    hours, minutes, seconds = elapsed // 3600, elapsed % 3600 // 60, elapsed % 60
    rows = (
        (" -- General --", None),
        ("           Name", channel.name),
        ("           Type", channel.tech),
        ("       UniqueID", channel.uniqueid),
        ("       LinkedID", channel.linkedid),
        ("      Caller ID", _or(channel.caller.number, _NA)),
        (" Caller ID Name", _or(channel.caller.name, _NA)),
        ("Connected Line ID", _or(channel.connected.number, _NA)),
        ("Connected Line ID Name", _or(channel.connected.name, _NA)),
        ("Eff. Connected Line ID", _or(channel.connected.number, _NA)),
        ("Eff. Connected Line ID Name", _or(channel.connected.name, _NA)),
        ("    DNID Digits", _NA),
        ("       Language", channel.language),
        ("          State", f"{channel.state.description} ({int(channel.state)})"),
        ("  NativeFormats", "(ulaw)"),
        ("    WriteFormat", "ulaw"),
        ("     ReadFormat", "ulaw"),
        (" WriteTranscode", "No "),
        ("  ReadTranscode", "No "),
        (" Time to Hangup", "0"),
        ("   Elapsed Time", f"{hours}h{minutes}m{seconds}s"),
        ("      Bridge ID", _or(channel.bridge_id, "(Not bridged)")),
        (" --   PBX   --", None),
        ("        Context", channel.context),
        ("      Extension", channel.exten),
        ("       Priority", str(channel.priority)),
        ("     Call Group", "0"),
        ("   Pickup Group", "0"),
        ("    Application", _or(channel.application, _NA)),
        ("           Data", _or(channel.data, "(Empty)")),
        (" Call Identifer", "(None)"),  # sic: Asterisk's spelling
    )
    lines = [label if value is None else f"{label}: {value}" for label, value in rows]
    lines.append("      Variables:")
    # Asterisk keeps the newest variable first and shows names without _ or __.
    lines += [f"{name.lstrip('_')}={value}" for name, value in reversed(channel.variables.items())]
    return lines


# -- applications and functions ----------------------------------------------------------


def _doc(item: object, field: str) -> str:
    """A documentation field, or Asterisk's ``Not available`` when it is missing."""
    value = getattr(item, field, "") or ""
    if not isinstance(value, str):
        value = ", ".join(str(v) for v in value)
    return value or "Not available"


def info_block(kind: str, item: Any) -> list[str]:
    """The ``-= Info about Application 'X' =-`` block ``core show application`` prints."""
    lines = ["", f"  -= Info about {kind} '{item.name}' =- ", ""]
    sections = (
        ("[Synopsis]", _doc(item, "synopsis") + " "),
        ("[Since]", _doc(item, "since")),
        ("[Description]", _doc(item, "description")),
        ("[Syntax]", _doc(item, "syntax")),
        ("[Arguments]", _doc(item, "arguments")),
        ("[See Also]", _doc(item, "see_also")),
    )
    for title, text in sections:
        lines += [title, *text.splitlines(), ""]
    return lines[:-1]


def show_applications(pbx: PBX, args: list[str]) -> list[str]:
    """``core show applications [like <text> | describing <words>...]``."""
    if args and args[0].lower() not in ("like", "describing"):
        raise ShowUsage
    apps = list(pbx.applications)
    if not apps:
        return ["There are no registered applications"]
    like = len(args) == 2 and args[0] == "like"
    describing = len(args) > 1 and args[0] == "describing"
    lines = [
        f"    -= {'Matching' if like or describing else 'Registered'} Asterisk Applications =-"
    ]
    matches = 0
    for app in apps:
        if like:
            shown = args[1].lower() in app.name.lower()
            matches += shown
        elif describing:
            found = [word.lower() in app.description.lower() for word in args[1:]]
            shown = all(found)
            matches += sum(found)  # Asterisk counts every word found, shown or not
        else:
            shown = True
        if shown:
            lines.append(f"  {app.name:>20s}: {app.synopsis or '<Synopsis not available>'}")
    if like or describing:
        lines.append(f"    -= {matches} Applications Matching =-")
    else:
        lines.append(f"    -= {len(apps)} Applications Registered =-")
    return lines


def show_application(pbx: PBX, args: list[str]) -> list[str]:
    """``core show application <name>...``: each one's info block, in registry order."""
    if not args:
        raise ShowUsage
    lines: list[str] = []
    for app in pbx.applications:
        for name in args:
            if name.lower() == app.name.lower():
                lines += info_block("Application", app)
    if not lines:
        raise CliFailure("Your application(s) is (are) not registered")
    return lines


def show_function(args: list[str]) -> list[str]:
    """``core show function <name>``: its info block."""
    if len(args) != 1:
        raise ShowUsage
    function = functions.get_function(args[0])
    if function is None:
        raise CliFailure("No function by that name registered.")
    return info_block("Function", function)


# -- the dialplan ------------------------------------------------------------------------

_NO_CONTEXT = "There is no existence of '{context}' context"
_NO_EXTEN = "There is no existence of {exten}@{context} extension"
_NO_EXTEN_ANYWHERE = "There is no existence of '{exten}' extension in all contexts"


def _split_place(text: str) -> tuple[str | None, str | None]:
    """``[exten@]context`` -> (exten, context), empty parts as None; the first @ splits."""
    exten, at, context = text.partition("@")
    if not at:
        exten, context = "", text
    return exten or None, context or None


def show_dialplan(pbx: PBX, args: list[str]) -> list[str]:
    """``dialplan show [[exten@]context]``: the dialplan's own text, failures as failures."""
    if len(args) > 1:
        raise ShowUsage
    place = args[0] if args else None
    if pbx.dialplan is None:
        exten, context = _split_place(place or "")
        if context:
            raise CliFailure(_NO_CONTEXT.format(context=context))
        if exten:
            raise CliFailure(_NO_EXTEN_ANYWHERE.format(exten=exten))
        return ["-= 0 extensions (0 priorities) in 0 contexts. =-"]
    lines = pbx.dialplan.show(place)
    if lines and lines[-1].startswith("There is no existence of"):
        raise CliFailure("\n".join(lines))
    return lines


# -- registration ------------------------------------------------------------------------


def register_cli(pbx: PBX) -> None:
    """Add the channel, call, application, function and dialplan commands to ``pbx.cli``."""
    cli = pbx.cli

    @cli.register("core show channels", "Display information on channels", CHANNELS_USAGE, True)
    def channels(args: list[str]) -> list[str]:
        mode = args[0].lower() if len(args) == 1 else None
        if len(args) > 1 or (args and mode not in _CHANNEL_LISTINGS):
            raise ShowUsage
        return show_channels(pbx, mode)

    @cli.register("core show calls", "Display information on calls", CALLS_USAGE, True)
    def calls(args: list[str]) -> list[str]:
        words = [word.lower() for word in args]
        if words not in ([], ["uptime"], ["uptime", "seconds"]):
            raise ShowUsage
        from .core import duration_text  # here: core imports this module

        lines = _call_totals(pbx)
        if words:
            up = int(pbx.clock() - pbx.started)
            lines.append(f"System uptime: {up if len(words) == 2 else duration_text(up)}")
        return lines

    @cli.register(
        "core show channel", "Display information on a specific channel", CHANNEL_USAGE, True
    )
    def channel(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        found = _find_channel(pbx, args[0])
        if found is None:
            return [f"{args[0]} is not a known channel"]
        return show_channel(pbx, found)

    @cli.register(
        "channel request hangup", "Request a hangup on a given channel", HANGUP_USAGE, True
    )
    def hangup(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        if args[0].lower() == "all":
            targets = _sorted_channels(pbx)
        else:
            found = _find_channel(pbx, args[0])
            if found is None:
                return [f"{args[0]} is not a known channel"]
            targets = [found]
        lines = []
        for target in targets:
            lines.append(f"Requested Hangup on channel '{target.name}'")
            target.request_hangup(causes.NORMAL_CLEARING)
        return lines

    @cli.register(
        "core show applications",
        "Shows registered dialplan applications",
        APPLICATIONS_USAGE,
        True,
    )
    def applications(args: list[str]) -> list[str]:
        return show_applications(pbx, args)

    @cli.register(
        "core show application",
        "Describe a specific dialplan application",
        APPLICATION_USAGE,
        True,
    )
    def application(args: list[str]) -> list[str]:
        return show_application(pbx, args)

    @cli.register(
        "core show functions", "Shows registered dialplan functions", FUNCTIONS_USAGE, True
    )
    def show_functions(args: list[str]) -> list[str]:
        if args and (len(args) != 2 or args[0] != "like"):
            raise ShowUsage
        return functions.show_functions(args[1] if args else None)

    cli.register(
        "core show function", "Describe a specific dialplan function", FUNCTION_USAGE, True
    )(show_function)

    @cli.register("dialplan show", "Show dialplan", DIALPLAN_SHOW_USAGE, True)
    def dialplan_show(args: list[str]) -> list[str]:
        return show_dialplan(pbx, args)

    @cli.register(
        "dialplan reload", "Reload extensions and *only* extensions", DIALPLAN_RELOAD_USAGE
    )
    def dialplan_reload(args: list[str]) -> list[str]:
        pbx.reload("pbx_config")
        return ["Dialplan reloaded."]
