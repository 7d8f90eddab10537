"""Reading ``queues.conf``: ``[general]``, one category per queue, ``member =>`` lines.

A bad line draws a warning (with file:line) and is left out; the rest loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...config.conf import Entry, Problem
from ...config.values import Settings, parse_bool
from .model import EMPTY_CONDITIONS, STRATEGIES, QueueSettings

if TYPE_CHECKING:
    from ...config.conf import Category, ConfigFile

#: Options of a queue pbxd reads, and those it accepts without acting on them
#: (announcements, music on hold and recording options of app_queue).
QUEUE_OPTIONS = frozenset(
    {
        "strategy", "timeout", "retry", "wrapuptime", "maxlen", "weight", "servicelevel",
        "joinempty", "leavewhenempty", "ringinuse", "autopause", "autofill", "member",
    }
)  # fmt: skip
ACCEPTED_OPTIONS = frozenset(
    {
        "musicclass", "musiconhold", "announce", "monitor-type", "monitor-format",
        "membermacro", "membergosub", "setinterfacevar", "setqueuevar", "setqueueentryvar",
        "reportholdtime", "memberdelay", "announce-frequency", "min-announce-frequency",
        "announce-holdtime", "announce-position", "announce-position-limit",
        "announce-round-seconds", "announce-to-first-user", "periodic-announce",
        "periodic-announce-frequency", "random-periodic-announce", "relative-periodic-announce",
        "queue-youarenext", "queue-thereare", "queue-callswaiting", "queue-holdtime",
        "queue-minutes", "queue-minute", "queue-seconds", "queue-thankyou", "queue-callerannounce",
        "queue-reporthold", "queue-periodic-announce", "timeoutpriority", "autopausedelay",
        "autopausebusy", "autopauseunavail", "defaultrule", "penaltymemberslimit",
        "eventwhencalled", "eventmemberstatus", "log-restricted-caller-id", "timeoutrestart",
        "context", "announce-position-only-up",
    }
)  # fmt: skip
GENERAL_OPTIONS = frozenset(
    {
        "persistentmembers", "autofill", "monitor-type", "updatecdr", "shared_lastcall",
        "negative_penalty_invalid", "log_membername_as_agent", "keepstats",
        "check_state_unknown", "force_longest_waiting_caller", "log_caller_id_name",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MemberConfig:
    """A ``member => interface[,penalty[,name[,state_interface[,ringinuse[,wrapuptime]]]]]``."""

    interface: str
    penalty: int = 0
    name: str = ""
    state_interface: str = ""
    ringinuse: bool | None = None  # None: the queue's
    wrapuptime: int | None = None


@dataclass(frozen=True, slots=True)
class QueueDefinition:
    settings: QueueSettings
    members: tuple[MemberConfig, ...] = ()


@dataclass
class QueuesConfig:
    persistentmembers: bool = True
    autofill: bool = True
    shared_lastcall: bool = True
    queues: list[QueueDefinition] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_queues_conf(config: ConfigFile | None) -> QueuesConfig:
    """Every queue of ``queues.conf`` (None: no file, no queues); its problems are listed in
    ``problems``, for the caller to report."""
    result = QueuesConfig()
    if config is None:
        return result
    problems = result.problems
    general = config.get_category("general")
    if general is not None:
        settings = Settings(general, problems)
        result.persistentmembers = settings.get_bool("persistentmembers", True)
        result.autofill = settings.get_bool("autofill", True)
        result.shared_lastcall = settings.get_bool("shared_lastcall", True)
        settings.warn_unknown(GENERAL_OPTIONS)
    for category in config.iter_categories():
        if category.name.lower() in ("general", "globals"):
            continue
        result.queues.append(_queue(category, result.autofill, problems))
    return result


def _warn(problems: list[Problem], entry: Entry, text: str) -> None:
    problems.append(Problem(entry.file, entry.line, "warning", text))


def _queue(category: Category, autofill: bool, problems: list[Problem]) -> QueueDefinition:
    name = category.name
    values = Settings(category, problems)
    strategy = "ringall"
    entry = category.entry("strategy")
    if entry is not None:
        strategy = entry.value.strip().lower()
        if strategy == "roundrobin":
            strategy = "rrmemory"
        if strategy not in STRATEGIES:
            _warn(problems, entry,
                  f"'{entry.value}' isn't a valid strategy for queue '{name}', using ringall instead")  # fmt: skip
            strategy = "ringall"
    autopause = "no"
    entry = category.entry("autopause")
    if entry is not None:
        word = entry.value.strip().lower()
        autopause = "all" if word == "all" else ("yes" if parse_bool(word) else "no")
    settings = QueueSettings(
        name,
        strategy,
        timeout=values.get_int("timeout", 15, minimum=0),
        retry=values.get_int("retry", 5, minimum=0),
        wrapuptime=values.get_int("wrapuptime", 0, minimum=0),
        maxlen=values.get_int("maxlen", 0, minimum=0),
        weight=values.get_int("weight", 0, minimum=0),
        servicelevel=values.get_int("servicelevel", 0, minimum=0),
        joinempty=_empty_conditions(category.entry("joinempty"), True, problems),
        leavewhenempty=_empty_conditions(category.entry("leavewhenempty"), False, problems),
        ringinuse=values.get_bool("ringinuse", True),
        autopause=autopause,
        autofill=values.get_bool("autofill", autofill),
    )
    for entry in category.entries:
        key = entry.key.lower()
        if key not in QUEUE_OPTIONS and key not in ACCEPTED_OPTIONS:
            _warn(problems, entry, f"Unknown option '{entry.key}' in queue '{name}'")
    members = tuple(
        member
        for entry in category.entries_for("member")
        if (member := parse_member(entry, problems)) is not None
    )
    return QueueDefinition(settings, members)


def _empty_conditions(
    entry: Entry | None, joining: bool, problems: list[Problem]
) -> frozenset[str]:
    """``joinempty``/``leavewhenempty``: yes, no, strict, loose or a list of conditions."""
    if entry is None:
        return frozenset()
    conditions: set[str] = set()
    for word in (w.strip().lower() for w in entry.value.split(",")):
        truth = parse_bool(word)
        if word in EMPTY_CONDITIONS:
            conditions.add(word)
        elif word == "loose":
            conditions = {"penalty", "invalid"}
        elif word == "strict":
            conditions = {"penalty", "invalid", "paused", "unavailable"}
        elif truth is not None:
            # joinempty=no / leavewhenempty=yes: a queue without usable members is empty
            conditions = {"penalty", "invalid", "paused"} if truth != joining else set()
        else:
            _warn(problems, entry, f"Unknown option {word} for '{entry.key}'")
    return frozenset(conditions)


def parse_member(entry: Entry, problems: list[Problem]) -> MemberConfig | None:
    """One ``member =>`` line; None (with a warning) when it names no interface."""
    parts = [part.strip() for part in entry.value.split(",")]
    interface = parts[0]
    if not interface or "/" not in interface:
        _warn(problems, entry, f"Invalid member '{entry.value}': no interface (Tech/resource)")
        return None
    penalty = 0
    if len(parts) > 1 and parts[1]:
        if parts[1].lstrip("-").isdigit() and int(parts[1]) >= 0:
            penalty = int(parts[1])
        else:
            _warn(problems, entry, f"Invalid penalty '{parts[1]}' for member {interface}: using 0")
    name = parts[2] if len(parts) > 2 and parts[2] else interface
    state_interface = parts[3] if len(parts) > 3 and parts[3] else interface
    ringinuse = parse_bool(parts[4]) if len(parts) > 4 and parts[4] else None
    wrapuptime = None
    if len(parts) > 5 and parts[5]:
        if parts[5].isdigit():
            wrapuptime = int(parts[5])
        else:
            _warn(problems, entry, f"Invalid wrapuptime '{parts[5]}' for member {interface}")
    return MemberConfig(interface, penalty, name, state_interface, ringinuse, wrapuptime)
