"""Hints and device states over AMI: ExtensionState, ExtensionStateList, DeviceStateList."""

from __future__ import annotations

from ...pbx.hints import status_text
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, event_list, success
from ..session import Session


def extension_fields(exten: str, context: str, hint: str, status: int) -> list[tuple[str, str]]:
    """The fields of ExtensionState's answer and of every ExtensionStatus event."""
    return [
        ("Exten", exten),
        ("Context", context),
        ("Hint", hint),
        ("Status", str(status)),
        ("StatusText", status_text(status)),
    ]


@action(
    "ExtensionState",
    Privilege.CALL | Privilege.REPORTING,
    "Check Extension Status.",
    description="Report the extension state for given extension. If the extension has a hint, "
    "will use devicestate to check the status of the device connected to the extension.",
    arguments=(
        Argument("Exten", "Extension to check state on.", True),
        Argument("Context", "Context for extension.", True),
    ),
)
def extension_state(session: Session, message: Message) -> Response:
    exten = message.get("exten")
    if not exten:
        return error("Extension not specified")
    context = message.get("context") or "default"
    hint, status = session.manager.pbx.devices.hints.state(context, exten)
    fields = extension_fields(exten, context, hint, status)
    return success("Extension Status", fields[:4] if session.classic else fields)


@action(
    "ExtensionStateList",
    Privilege.CALL | Privilege.REPORTING,
    "List the current known extension states.",
    description="This will list out all known extension states in a sequence of "
    "ExtensionStatus events. When finished, a ExtensionStateListComplete event will be "
    "emitted.",
    since="13.0.0",
    list_responses=("ExtensionStatus",),
    final_response="ExtensionStateListComplete",
)
def extension_state_list(session: Session, message: Message) -> Response:
    hints = session.manager.pbx.devices.hints.listing()
    return event_list(
        "Extension Statuses will follow",
        [("ExtensionStatus", extension_fields(e, c, h, s)) for c, e, h, s in hints],
        "ExtensionStateListComplete",
    )


@action(
    "DeviceStateList",
    Privilege.CALL | Privilege.REPORTING,
    "List the current known device states.",
    description="This will list out all known device states in a sequence of "
    "DeviceStateChange events. When finished, a DeviceStateListComplete event will be "
    "emitted.",
    since="13.0.0",
    list_responses=("DeviceStateChange",),
    final_response="DeviceStateListComplete",
)
def device_state_list(session: Session, message: Message) -> Response:
    cache = session.manager.pbx.devices.cache
    return event_list(
        "Device State Changes will follow",
        [("DeviceStateChange", [("Device", d), ("State", s)]) for d, s in cache.items()],
        "DeviceStateListComplete",
    )
