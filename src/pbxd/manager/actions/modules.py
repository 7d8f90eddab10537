"""ModuleCheck and LoggerRotate.

pbxd is not built of loadable modules, but clients ask whether a feature is there by
Asterisk's module names: the names below are the modules whose work pbxd does.
"""

from __future__ import annotations

import logging
import logging.handlers

from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session

#: Asterisk modules whose features pbxd provides.
PROVIDED_MODULES = frozenset(
    {
        "app_dial",
        "app_echo",
        "app_exec",
        "app_mixmonitor",
        "app_playback",
        "app_stack",
        "app_system",
        "app_userevent",
        "app_verbose",
        "app_voicemail",
        "cdr_csv",
        "cdr_manager",
        "func_callerid",
        "func_cdr",
        "func_channel",
        "func_cut",
        "func_db",
        "func_devstate",
        "func_global",
        "func_logic",
        "func_math",
        "func_rand",
        "func_strings",
        "func_vmcount",
        "pbx_config",
        "res_monitor",
        "res_parking",
    }
)


@action(
    "ModuleCheck",
    Privilege.SYSTEM,
    "Check if module is loaded.",
    description="Checks if Asterisk module is loaded. Will return Success/Failure.",
    arguments=(Argument("Module", "Asterisk module name (not including extension).", True),),
    since="1.6.0",
)
def module_check(session: Session, message: Message) -> Response:
    name = message.get("module")
    if not name:
        return error("Module name missing")
    if name.removesuffix(".so") not in PROVIDED_MODULES:
        return error("Module not loaded")
    return success(None, [("Version", "")])


@action(
    "LoggerRotate",
    Privilege.SYSTEM | Privilege.REPORTING,
    "Reload and rotate the Asterisk logger.",
    description="Reload and rotate the logger. Analogous to the CLI command 'logger rotate'.",
    since="13.0.0",
)
def logger_rotate(session: Session, message: Message) -> Response:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.handlers.BaseRotatingHandler):
            handler.doRollover()
        elif isinstance(handler, logging.handlers.WatchedFileHandler):
            handler.reopenIfNeeded()
    return success("Reloaded the logger and rotated log files")
