"""Call parking: Park, ParkedCalls, Parkinglots (res_parking's actions).

They live in their own registry, ``PARKING_ACTIONS``, as a module of their own would;
``install()`` adds them to a registry (the server's, at import of the actions package).
"""

from __future__ import annotations

from ...pbx.engine import goto
from ...pbx.parking import CallParked, ParkRequest, parking_of
from ...protocol import Message
from ..parking_events import parked_call_lines
from ..privileges import Privilege
from ..registry import ACTIONS, ActionRegistry, Argument
from ..response import Response, error, success
from ..session import Session

PARK_FAILED = "Park action failed"
PARKING_ACTIONS = ActionRegistry()
action = PARKING_ACTIONS.action


def install(registry: ActionRegistry = ACTIONS) -> None:
    """Offer the parking actions in ``registry`` (those it already has are left alone)."""
    for spec in PARKING_ACTIONS:
        if registry.lookup(spec.name) is None:
            registry.add(spec)


def _listed(
    message: Message, text: str, items: list[str], complete: str, extra: str = ""
) -> Response:
    """A list answer rendered as Asterisk writes it: items already carry their ActionID."""
    action_id = message.head()[1]
    tail = f"ActionID: {action_id}\r\n" if action_id else ""
    done = f"Event: {complete}\r\n{tail}EventList: Complete\r\nListItems: {len(items)}\r\n"
    return Response("Success", text, (), "start", raw_events=(*items, done + extra + "\r\n"))


@action(
    "Park",
    Privilege.CALL,
    "Park a channel.",
    description="Park an arbitrary channel with optional arguments for specifying the parking "
    "lot used, how long the channel should remain parked, and what dial string to use as the "
    "parker if the call times out.",
    arguments=(
        Argument("Channel", "Channel name to park.", True),
        Argument(
            "TimeoutChannel",
            "Channel name to use when constructing the dial string that will be dialed if "
            "the parked channel times out.",
        ),
        Argument("AnnounceChannel", "Channel name to use when announcing the parked call."),
        Argument(
            "Timeout",
            "Overrides the timeout of the parking lot for this park action. Specified in "
            "milliseconds, but will be converted to seconds. Use a value of 0 to disable "
            "the timeout.",
        ),
        Argument("Parkinglot", "The parking lot to use when parking the channel."),
    ),
    since="1.2.0",
    provided_by="res_parking",
)
def park(session: Session, message: Message) -> Response:
    name = message.get("channel")
    if not name:
        return error("Channel not specified")
    timeout_text = message.get("timeout").strip()
    timeout = None
    if timeout_text:
        try:
            milliseconds = int(timeout_text)
        except ValueError:
            return error("Invalid Timeout value.")
        if milliseconds < 0:
            return error("Invalid Timeout value.")
        timeout = max(1, milliseconds // 1000) if milliseconds > 0 else 0
    pbx = session.manager.pbx
    channel = pbx.find_channel(name)
    if channel is None:
        return error(f"Channel does not exist: {name}")
    announce = message.get("announcechannel")
    if announce and pbx.find_channel(announce) is None:
        return error("AnnounceChannel does not exist")
    parking = parking_of(pbx)
    lot = parking.lot(message.get("parkinglot"))
    if lot is None or parking.find(channel) is not None or channel.bridge_id:
        return error(PARK_FAILED)
    timeout_channel = message.get("timeoutchannel") or message.get("channel2")
    if timeout_channel:
        channel.set_variable("BLINDTRANSFER", timeout_channel)
    # The channel leaves what it runs and enters its lot's park extension (res_parking's
    # dialplan), where Park picks up this request.
    channel.park_request = ParkRequest(lot.name, timeout)  # type: ignore[attr-defined]
    if not goto(channel, lot.config.context, lot.config.parkext, 1):
        return error(PARK_FAILED)
    channel.redirect()
    return success("Park successful")


@action(
    "ParkedCalls",
    Privilege.CALL,
    "List parked calls.",
    arguments=(
        Argument("ParkingLot", "If specified, only show parked calls from this parking lot."),
    ),
    since="0.2.0",
    list_responses=("ParkedCall",),
    final_response="ParkedCallsComplete",
    provided_by="res_parking",
)
def parked_calls(session: Session, message: Message) -> Response:
    parking = parking_of(session.manager.pbx)
    wanted = message.get("parkinglot")
    if wanted:
        lot = parking.lot(wanted)
        if lot is None:
            return error("Requested parking lot could not be found.")
        lots = [lot]
    else:
        lots = list(parking.lots.values())
    action_id = message.head()[1]
    tail = f"ActionID: {action_id}\r\n" if action_id else ""
    items = []
    for lot in lots:
        for user in lot.users():
            lines = parked_call_lines(user.event(CallParked))
            items.append("Event: ParkedCall\r\n" + "".join(f"{line}\r\n" for line in lines) + tail)
    items = [item + "\r\n" for item in items]
    return _listed(
        message,
        "Parked calls will follow",
        items,
        "ParkedCallsComplete",
        f"Total: {len(items)}\r\n",
    )


@action(
    "Parkinglots",
    Privilege.CALL,
    "Get a list of parking lots",
    description="List all parking lots as a series of AMI events",
    since="12.0.0",
    list_responses=("Parkinglot",),
    final_response="ParkinglotsComplete",
    provided_by="res_parking",
)
def parking_lots(session: Session, message: Message) -> Response:
    action_id = message.head()[1]
    head = f"ActionID: {action_id}\r\n" if action_id else ""
    items = [
        f"Event: Parkinglot\r\n{head}Name: {lot.name}\r\nStartSpace: {lot.config.start}\r\n"
        f"StopSpace: {lot.config.stop}\r\nTimeout: {lot.config.parkingtime}\r\n\r\n"
        for lot in parking_of(session.manager.pbx).lots.values()
    ]
    return _listed(message, "Parking lots will follow", items, "ParkinglotsComplete")
