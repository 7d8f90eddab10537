"""Dialplan flow: subroutines (Gosub, GosubIf, Return, StackPop), GotoIfTime and ExecIf.

The Gosub stack lives on the channel as the plain attribute ``gosub_stack`` (a list of
frames, innermost last; absent until the first Gosub, as Asterisk allocates it lazily).
A frame remembers where to return and the values its local variables (``ARG1``..``ARGn``,
``ARGC``) hid, which ``Return`` puts back.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import causes
from ..engine import goto
from ..events import VarSet
from ..functions import check_condition, separate_args
from . import application
from .basic import parse_target

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.dialplan")

#: Frames a channel may stack before Gosub refuses (a runaway recursion guard; Asterisk
#: itself only stops at its dialplan step limit or when memory runs out).
MAX_DEPTH = 1000
GOSUB_USAGE = "Gosub([[context,]exten,]priority[(arg1[,...][,argN])])"
GOSUBIF_USAGE = "GosubIf requires an argument: GosubIf(cond?label1(args):label2(args)"


@dataclass
class Frame:
    """One Gosub call: the return address and the variables it shadows."""

    context: str
    exten: str
    priority: int  # where Return resumes: the priority after the Gosub
    arguments: int  # ARGn set in this frame (masks deeper ones)
    saved: dict[str, str | None] = field(default_factory=dict)


def gosub_stack(channel: Channel) -> list[Frame] | None:
    """The channel's stack, or None when it never ran a Gosub."""
    return getattr(channel, "gosub_stack", None)


def _set_local(channel: Channel, frame: Frame, name: str, value: str) -> None:
    if name not in frame.saved:
        frame.saved[name] = channel.variables.get(name)
    channel.variables[name] = value
    channel.publish(VarSet(channel.snapshot(), f"LOCAL({name})", value))


def _release(channel: Channel, frame: Frame) -> None:
    """Drop the frame's locals, re-exposing what they hid."""
    for name, old in frame.saved.items():
        if old is None:
            channel.variables.pop(name, None)
        else:
            channel.variables[name] = old


def split_label(data: str) -> tuple[str, list[str]]:
    """``label(arg1,arg2)`` into the label and its raw arguments."""
    label, paren, rest = data.partition("(")
    if not paren:
        return label, []
    end = rest.rfind(")")
    if end < 0:
        log.warning("Ouch.  No closing paren: '%s'?", data)
    else:
        rest = rest[:end]
    return label, separate_args(rest, ",", remove_chars=False) if rest else []


def gosub(channel: Channel, data: str) -> bool:
    """Jump to the subroutine, pushing the return address; False (and logged) on failure."""
    if not data.strip():
        log.error("Gosub requires an argument: %s", GOSUB_USAGE)
        return False
    label, args = split_label(data)
    origin = (channel.context, channel.exten, channel.priority)
    stack = gosub_stack(channel)
    if stack is not None and len(stack) >= MAX_DEPTH:
        log.error(
            "Gosub stack depth limit of %d reached on '%s' at '%s,%s,%d': runaway recursion?",
            MAX_DEPTH,
            channel.name,
            *origin,
        )
        return False
    context, exten, priority = parse_target(channel, label)
    jumped = channel.jumped
    if not priority or not goto(channel, context or None, exten or None, priority):
        log.error("Gosub address is invalid: '%s'", data)
        channel.context, channel.exten, channel.priority = origin
        channel.jumped = jumped
        return False
    dialplan = channel.pbx.dialplan
    dest = (channel.context, channel.exten, channel.priority)
    if dialplan is None or not dialplan.exists(*dest, channel.caller.number):
        log.error(
            "Gosub attempted to reach non-existent destination '%s,%s,%d' from '%s,%s,%d'",
            *dest,
            *origin,
        )
        channel.context, channel.exten, channel.priority = origin
        channel.jumped = jumped
        return False
    if stack is None:
        stack = []
        channel.gosub_stack = stack  # type: ignore[attr-defined]
    count = max(stack[-1].arguments if stack else 0, len(args))
    frame = Frame(origin[0], origin[1], origin[2] + 1, count)
    for index in range(count):
        _set_local(channel, frame, f"ARG{index + 1}", args[index] if index < len(args) else "")
    _set_local(channel, frame, "ARGC", str(len(args)))
    stack.append(frame)
    return True


@application(
    "Gosub",
    "Jump to label, saving return address.",
    GOSUB_USAGE,
    "Jumps to the label specified, saving the return address.",
)
async def gosub_app(channel: Channel, data: str) -> None:
    if not gosub(channel, data):
        channel.request_hangup(causes.NORMAL_CLEARING)


@application(
    "GosubIf",
    "Conditionally jump to label, saving return address.",
    "GosubIf(condition?[labeliftrue[(arg1[,...])]][:labeliffalse[(arg1[,...])]])",
)
async def gosub_if(channel: Channel, data: str) -> None:
    parts = separate_args(data, "?", 2, remove_chars=False) if data.strip() else []
    if len(parts) != 2:
        log.warning(GOSUBIF_USAGE)
        return
    labels = separate_args(parts[1], ":", 2, remove_chars=False)
    if_true = labels[0]
    if_false = labels[1] if len(labels) > 1 else ""
    target = if_true if check_condition(parts[0]) else if_false
    if target.strip() and not gosub(channel, target):
        channel.request_hangup(causes.NORMAL_CLEARING)


@application(
    "Return",
    "Return from gosub routine.",
    "Return([value])",
    "Jumps to the last label on the stack, removing it. The return value, if any, "
    "is saved in the channel variable GOSUB_RETVAL.",
)
async def return_app(channel: Channel, data: str) -> None:
    stack = gosub_stack(channel)
    if not stack:
        state = "unallocated" if stack is None else "empty"
        log.error("Return without Gosub: stack is %s", state)
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    frame = stack.pop()
    channel.context, channel.exten, channel.priority = frame.context, frame.exten, frame.priority
    channel.jumped = True
    _release(channel, frame)
    channel.set_variable("GOSUB_RETVAL", data)


@application("StackPop", "Remove one address from gosub stack.", "StackPop()")
async def stack_pop(channel: Channel, data: str) -> None:
    stack = gosub_stack(channel)
    if stack is None:
        log.warning("StackPop called with no gosub stack allocated.")
    elif not stack:
        log.debug("StackPop called with an empty gosub stack")
    else:
        _release(channel, stack.pop())


# -- time conditions -------------------------------------------------------------------

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
GOTOIFTIME_USAGE = (
    "GotoIfTime requires an argument:\n  <time range>,<days of week>,<days of month>,"
    "<months>[,<timezone>]?'labeliftrue':'labeliffalse'"
)


def _leading_int(text: str) -> int | None:
    """``sscanf("%2d")``: an optional sign and at most two digits after leading blanks."""
    text = text.lstrip()
    sign = 1
    if text[:1] in ("+", "-"):
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    digits = ""
    for char in text[:2]:
        if not char.isdigit():
            break
        digits += char
    return sign * int(digits) if digits else None


def _lookup(text: str, names: tuple[str, ...] | None, top: int) -> int:
    if names and text[:1] > "9":
        lowered = text.lower()
        if lowered in names:
            return names.index(lowered)
    number = _leading_int(text)
    if number is not None and 1 <= number <= top:
        return number - 1
    return -1


def _range(text: str, top: int, names: tuple[str, ...] | None, what: str) -> set[int]:
    """Asterisk's day/month ranges: ``a-b&c``, cyclic, 0-based members."""
    if not text or text == "*":
        return set(range(top))
    members: set[int] = set()
    for part in text.split("&"):
        first, dash, last = part.partition("-")
        start = _lookup(first, names, top)
        if start < 0:
            log.warning("Invalid %s '%s', skipping element", what, first)
            continue
        end = start
        if dash:
            end = _lookup(last, names, top)
            if end < 0:
                log.warning("Invalid end %s '%s', skipping element", what, last)
                continue
        members.add(end)
        while start != end:
            members.add(start)
            start = (start + 1) % top
    return members


def _clock_time(text: str) -> tuple[int, int] | None:
    hour_text, colon, minute_text = text.partition(":")
    hour, minute = _leading_int(hour_text), _leading_int(minute_text) if colon else None
    if hour is None or minute is None or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    return hour, minute


def _minutes(text: str) -> set[int]:
    """Minutes of the day a time range covers; both ends inclusive, wrapping at midnight."""
    if not text or text == "*":
        return set(range(24 * 60))
    minutes: set[int] = set()
    for part in text.split("&"):
        first, dash, last = part.partition("-")
        if not dash:
            single = _clock_time(part)
            if single is None:
                log.warning("%s isn't a valid time.", part)
            else:
                minutes.add(single[0] * 60 + single[1])
            continue
        last = re.sub(r"^\D+", "", last)  # as Asterisk, skip what precedes the digits
        if not last:
            log.warning("Invalid time range starting with '%s-'.", first)
            continue
        start, end = _clock_time(first), _clock_time(last)
        if start is None:
            log.warning("'%s' isn't a valid start time.", first)
            continue
        if end is None:
            log.warning("'%s' isn't a valid end time.", last)
            continue
        minute, stop = start[0] * 60 + start[1], end[0] * 60 + end[1]
        while minute != stop:
            minutes.add(minute)
            minute = (minute + 1) % (24 * 60)
        minutes.add(stop)
    return minutes


@dataclass(frozen=True)
class Timing:
    """A parsed ``times,weekdays,mdays,months[,timezone]`` specification."""

    minutes: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    mdays: frozenset[int]  # 0 = the 1st
    months: frozenset[int]  # 0 = January
    timezone: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Timing:
        timezone = spec.rsplit(",", 1)[1] if spec.count(",") == 4 else None
        fields = spec.replace("|", ",").split(",")
        fields += [""] * (4 - len(fields))
        return cls(
            frozenset(_minutes(fields[0])),
            frozenset(_range(fields[1], 7, _DAYS, "day of week")),
            frozenset(_range(fields[2], 31, None, "day")),
            frozenset(_range(fields[3], 12, _MONTHS, "month")),
            timezone,
        )

    def matches(self, epoch: float) -> bool:
        moment = _local(epoch, self.timezone)
        weekday = (moment.weekday() + 1) % 7
        return (
            moment.month - 1 in self.months
            and moment.day - 1 in self.mdays
            and weekday in self.weekdays
            and moment.hour * 60 + moment.minute in self.minutes
        )


def _local(epoch: float, timezone: str | None) -> datetime:
    if timezone:
        try:
            return datetime.fromtimestamp(epoch, ZoneInfo(timezone.strip()))
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("Unknown timezone '%s': using local time", timezone)
    local = time.localtime(epoch)
    return datetime(*local[:6])


@application(
    "GotoIfTime",
    "Conditional Goto based on the current time.",
    "GotoIfTime(times,weekdays,mdays,months[,timezone]?[labeliftrue][:labeliffalse])",
)
async def goto_if_time(channel: Channel, data: str) -> None:
    if not data.strip():
        log.warning(GOTOIFTIME_USAGE)
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    now = channel.pbx.clock()
    test_time = channel.get_variable("TESTTIME")
    if test_time is not None:
        try:
            now = float(int(test_time.strip()))
        except ValueError:
            log.warning("Using current time to evaluate")
            channel.delete_variable("TESTTIME")
    spec, _, branches = data.partition("?")
    if_true, _, if_false = branches.partition(":")
    branch = if_true if spec.strip() and Timing.parse(spec).matches(now) else if_false
    if not branch.strip():
        return
    context, exten, priority = parse_target(channel, branch)
    if not priority or not goto(channel, context, exten, priority):
        channel.request_hangup(causes.NORMAL_CLEARING)


# -- ExecIf ------------------------------------------------------------------------------


def _app_call(text: str) -> tuple[str, str]:
    name, paren, rest = text.partition("(")
    if paren:
        end = rest.rfind(")")
        if end < 0:
            log.warning("Unbalanced parentheses?")
        else:
            rest = rest[:end]
    return name.strip(), rest if paren else ""


@application(
    "ExecIf",
    "Executes dialplan application, conditionally.",
    "ExecIf(expression?appiftrue[(args)][:appiffalse[(args)]])",
)
async def exec_if(channel: Channel, data: str) -> None:
    parts = separate_args(data, "?", 2, remove_chars=False)
    if len(parts) < 2 or not parts[1]:
        log.error("Usage: ExecIf(<expr>?<appiftrue>(<args>)[:<appiffalse>(<args)])")
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    branches = separate_args(parts[1], ":", 2, remove_chars=False)
    chosen = branches[0] if check_condition(parts[0]) else (branches[1:] or [""])[0]
    if not chosen.strip():
        return
    name, args = _app_call(chosen)
    app = channel.pbx.applications.get(name)
    if app is None:
        log.warning("Could not find application! (%s)", name)
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    await app.handler(channel, args)
