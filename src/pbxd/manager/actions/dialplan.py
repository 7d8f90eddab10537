"""The dialplan over AMI: ShowDialPlan, DialplanExtensionAdd, DialplanExtensionRemove."""

from __future__ import annotations

from ...pbx.dialplan import DialplanError, ExtensionExists, NoSuchContext
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, event_list, success
from ..session import Session


@action(
    "ShowDialPlan",
    Privilege.CONFIG | Privilege.REPORTING,
    "Show dialplan contexts and extensions",
    description="Show dialplan contexts and extensions. Be aware that showing the full "
    "dialplan may take a lot of capacity.",
    arguments=(
        Argument("Extension", "Show a specific extension."),
        Argument("Context", "Show a specific context."),
    ),
    since="1.6.0",
    list_responses=("ListDialplan",),
    final_response="ShowDialPlanComplete",
)
def show_dialplan(session: Session, message: Message) -> Response:
    dialplan = session.manager.pbx.dialplan
    context, exten = message.get("context"), message.get("extension")
    if dialplan is None:
        return error(f"Did not find context {context}" if context else "No dialplan")
    listing = dialplan.list_for_manager(context or None, exten or None)
    if context and not listing.context_found:
        return error(f"Did not find context {context}")
    if exten and not listing.extension_found:
        where = f"{exten}@{context}" if context else f"{exten} in any context"
        return error(f"Did not find extension {where}")
    return event_list(
        "DialPlan list will follow",
        [("ListDialplan", list(row.items())) for row in listing.rows],
        "ShowDialPlanComplete",
        [
            ("ListExtensions", str(listing.extensions)),
            ("ListPriorities", str(listing.priorities)),
            ("ListContexts", str(listing.contexts)),
        ],
    )


@action(
    "DialplanExtensionAdd",
    Privilege.SYSTEM,
    "Add an extension to the dialplan",
    description="Add an extension to the dialplan",
    arguments=(
        Argument("Context", "Context where the extension will be created.", True),
        Argument("Extension", "Name of the extension that will be created.", True),
        Argument("Priority", "Priority being added to this extension.", True),
        Argument(
            "Application",
            "The application to use for this extension at the requested priority",
            True,
        ),
        Argument("ApplicationData", "Arguments to the application."),
        Argument(
            "Replace",
            "If set to 'yes', '1', 'true' or any of the other values we evaluate as true, then if an extension already exists at the requested context, extension, and priority it will be overwritten.",
        ),
    ),
    since="11.0.0",
)
def extension_add(session: Session, message: Message) -> Response:
    dialplan = session.manager.pbx.dialplan
    context, exten = message.get("context"), message.get("extension")
    priority, app = message.get("priority"), message.get("application")
    if not (context and exten and priority and app):
        return error("Context, Extension, Priority, and Application must be defined.")
    if not (priority.isdigit() or priority.lower() == "hint"):
        return error("Failed to parse the priority. Priority must be a number or 'hint'.")
    if dialplan is None:
        return error(f"Failed to add extension: no context '{context}'")
    replace = message.get("replace").lower() in ("yes", "true", "y", "t", "1", "on")
    try:
        dialplan.add_extension(
            context,
            exten,
            priority.lower() if priority.lower() == "hint" else int(priority),
            app,
            message.get("applicationdata"),
            replace=replace,
            registrar="pbx_config",
            create_context=True,
        )
    except ExtensionExists:
        return error("That extension and priority already exist at that context")
    except (NoSuchContext, DialplanError):
        return error("Failed to add extension")
    session.manager.loop.call_soon(session.manager.pbx.devices.hints.refresh)  # after the answer
    return success("Added requested extension")


@action(
    "DialplanExtensionRemove",
    Privilege.SYSTEM,
    "Remove an extension from the dialplan",
    description="Remove an extension from the dialplan",
    arguments=(
        Argument("Context", "Context of the extension being removed.", True),
        Argument(
            "Extension",
            "Name of the extension being removed (may include callerid match by separating with '/').",
            True,
        ),
        Argument(
            "Priority",
            "If provided, only remove this priority from the extension instead of all priorities in the extension.",
        ),
    ),
    since="11.0.0",
)
def extension_remove(session: Session, message: Message) -> Response:
    dialplan = session.manager.pbx.dialplan
    context, exten, priority = (
        message.get("context"),
        message.get("extension"),
        message.get("priority"),
    )
    if not (context and exten):
        return error("Context and Extension must be provided for DialplanExtensionRemove")
    if priority and not priority.isdigit():
        return error("Failed to parse the priority. Priority must be a number.")
    if dialplan is None or not dialplan.remove_extension(
        context, exten, int(priority) if priority else None
    ):
        return error("Failed to remove extension")
    session.manager.loop.call_soon(session.manager.pbx.devices.hints.refresh)  # after the answer
    return success("Removed the requested extension")
