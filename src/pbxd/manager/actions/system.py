"""Session and core actions: Ping, Events, Filter, ListCommands, UserEvent, WaitEvent,
CoreSettings, CoreStatus, Command and Reload."""

from __future__ import annotations

import asyncio
import resource
from datetime import datetime

from ...pbx.core import ASTERISK_VERSION
from ...protocol import Message
from ..filters import EventFilters, FilterError, parse_advanced, parse_legacy
from ..privileges import Privilege, parse_event_mask
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session

PONG = Response("Pong")
EVENT_SENT = success("Event Sent")
RELOAD_ERRORS = {
    "NotFound": "No such module",
    "NotSupported": "Module does not support reload",
    "InProgress": "A reload is in progress",
    "Uninitialized": "Module not initialized",
}
FILTER_FORMAT = "Filter was formatted incorrectly.  Check the syntax of the filter given."
FILTER_COMPILE = "Filter did not compile.  Check the syntax of the filter given."


@action(
    "Ping",
    Privilege.NONE,
    "Keepalive command.",
    description="A 'Ping' action will elicit a 'Pong' response. Used to keep the manager\n"
    "connection open.",
    since="0.2.0",
)
def ping(session: Session, message: Message) -> Response | str:
    if session.classic:
        return PONG
    return f"Ping: Pong\r\nTimestamp: {session.manager.timestamp()}\r\n"


@action(
    "Events",
    Privilege.NONE,
    "Control Event Flow.",
    description="Enable/Disable sending of events to this manager client.",
    arguments=(
        Argument(
            "EventMask",
            "on (all events), off (none), or a comma-separated list of classes.",
            True,
        ),
    ),
    since="0.2.0",
)
def events(session: Session, message: Message) -> Response:
    mask = parse_event_mask(message.get("eventmask"))
    if mask is None:
        return error("Invalid event mask")
    session.set_event_mask(mask)
    return success(None, [("Events", "On" if mask else "Off")])


@action(
    "Filter",
    Privilege.SYSTEM,
    "Dynamically add filters for the current manager session.",
    description="The filters added are only used for the current session. Once the\n"
    "connection is closed the filters are removed.",
    arguments=(
        Argument("Operation", "Add: add a filter (the only operation).", True),
        Argument("Filter", "A regular expression; prefix it with ! to exclude matches."),
        Argument(
            "MatchCriteria",
            "Advanced filter criteria: action(), name(), header() and method(), comma-separated.",
        ),
    ),
    since="13.0.0",
)
def filter_(session: Session, message: Message) -> Response:
    if message.get("operation").lower() != "add":
        return error("Unknown operation")
    text = message.get("filter")
    criteria = message.get("matchcriteria")
    try:
        if criteria:
            event_filter = parse_advanced(f"eventfilter({criteria})", text)
        elif not text:
            return error(FILTER_FORMAT)
        else:
            event_filter = parse_legacy(text)
    except FilterError as exc:
        return error(FILTER_COMPILE if "regular expression" in str(exc) else FILTER_FORMAT)
    if session.filters is None:
        session.filters = EventFilters()
    session.filters.add(event_filter)
    return success("Success")


@action(
    "ListCommands",
    Privilege.NONE,
    "List available manager commands.",
    description="Returns the action name and synopsis for every action that is available\n"
    "to the user.",
    since="0.2.0",
)
def list_commands(session: Session, message: Message) -> Response:
    allowed = session.write_perm
    return success(
        None,
        [
            (spec.name, f"{spec.synopsis}  (Priv: {spec.privilege_text})")
            for spec in session.manager.actions
            if not spec.privilege or spec.privilege & allowed
        ],
    )


@action(
    "UserEvent",
    Privilege.USER,
    "Send an arbitrary event.",
    description="Send an event to manager sessions: every header but Action is passed on.",
    arguments=(
        Argument("UserEvent", "Event string to send.", True),
        Argument("Header1", "Content1."),
        Argument("HeaderN", "ContentN."),
    ),
    since="1.2.0",
)
def user_event(session: Session, message: Message) -> Response:
    name = message.get("userevent")
    lines = [f"UserEvent: {name}"]
    for line in message.lines:
        head = line[:10].lower()
        if not (head.startswith("action:") or head == "userevent:"):
            lines.append(line)
    session.manager.hub.publish("UserEvent", Privilege.USER, lines)
    return EVENT_SENT


@action(
    "WaitEvent",
    Privilege.NONE,
    "Wait for an event to occur.",
    description="This action will ellicit a Success response. Whenever a manager event is\n"
    "queued, the response ends and the event follows.",
    arguments=(
        Argument("Timeout", "Maximum time (in seconds) to wait for events, -1 means forever."),
    ),
    since="1.4.0",
)
def wait_event(session: Session, message: Message) -> asyncio.Future[Response]:
    text = message.get("timeout").strip()
    try:
        timeout: float | None = float(text) if text else None
    except ValueError:
        timeout = None
    if timeout is not None and timeout < 0:
        timeout = None
    return session.wait_events(timeout, message.head()[1])


@action(
    "CoreSettings",
    Privilege.SYSTEM | Privilege.REPORTING,
    "Show PBX core settings (version etc).",
    description="Query for Core PBX settings.",
    since="1.6.0",
)
def core_settings(session: Session, message: Message) -> Response:
    manager = session.manager
    return success(
        None,
        [
            ("AMIversion", "9.0.0"),
            ("AsteriskVersion", ASTERISK_VERSION),
            ("SystemName", manager.pbx.system_name),
            ("CoreMaxCalls", "0"),
            ("CoreMaxLoadAvg", "0.000000"),
            ("CoreRunUser", ""),
            ("CoreRunGroup", ""),
            ("CoreMaxFilehandles", str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])),
            ("CoreRealTimeEnabled", "No"),
            ("CoreCDRenabled", "Yes"),
            ("CoreHTTPenabled", "Yes" if manager.settings.webenabled else "No"),
            ("SoundsSearchCustomDir", "No"),
        ],
    )


def _date_time(timestamp: float) -> tuple[str, str]:
    moment = datetime.fromtimestamp(timestamp)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")


@action(
    "CoreStatus",
    Privilege.SYSTEM | Privilege.REPORTING,
    "Show PBX core status variables.",
    description="Query for Core PBX status.",
    since="1.6.0",
)
def core_status(session: Session, message: Message) -> Response:
    pbx = session.manager.pbx
    start_date, start_time = _date_time(pbx.started)
    reload_date, reload_time = _date_time(pbx.last_reload)
    return success(
        None,
        [
            ("CoreStartupDate", start_date),
            ("CoreStartupTime", start_time),
            ("CoreReloadDate", reload_date),
            ("CoreReloadTime", reload_time),
            ("CoreCurrentCalls", str(pbx.current_calls)),
            ("CoreProcessedCalls", str(pbx.calls_processed)),
        ],
    )


@action(
    "Command",
    Privilege.COMMAND,
    "Execute Asterisk CLI Command.",
    description="Run a CLI command.",
    arguments=(Argument("Command", "Asterisk CLI command to run.", True),),
    since="0.2.0",
)
def command(session: Session, message: Message) -> Response:
    line = message.get("command")
    if not line:
        return error("No command provided")
    cli = session.manager.pbx.cli
    if cli.blacklisted(line):
        return error("Command blacklisted")
    result = cli.run(line)
    if session.classic:
        return Response("Follows", classic_output="".join(f"{text}\n" for text in result.lines))
    return Response(
        "Success" if result.ok else "Error",
        "Command output follows",
        [("Output", text) for text in result.lines or [""]],
    )


@action(
    "Reload",
    Privilege.SYSTEM | Privilege.CONFIG,
    "Send a reload event.",
    description="Send a reload event.",
    arguments=(Argument("Module", "Name of the module to reload."),),
    since="1.2.0",
)
def reload(session: Session, message: Message) -> Response:
    status = session.manager.pbx.reload(message.get("module"))
    if status in ("Success", "Queued"):
        return success("Module Reloaded")
    return error(RELOAD_ERRORS.get(status, "An unknown error occurred"))
