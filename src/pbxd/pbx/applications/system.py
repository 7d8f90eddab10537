"""System and TrySystem: run a shell command, only on a PBX that opted in.

``pbx.allow_system`` (default False) must be True for anything to run; otherwise the
applications log why and report failure without touching a shell.  Commands run through
``/bin/sh -c`` as asyncio subprocesses, bounded by ``pbx.system_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .. import causes
from . import application

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.dialplan")

DEFAULT_TIMEOUT = 30.0  # seconds, when the PBX sets no ``system_timeout``
STATUS = "SYSTEMSTATUS"
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def decode(text: str) -> str:
    """Backslash escapes as Asterisk decodes a System() argument (``\\n``, ``\\t`` ...)."""
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_ESCAPES.get(following, following))
        else:
            out.append(char)
    return "".join(out)


async def run_command(command: str, timeout: float) -> str:
    """SUCCESS, APPERROR (non-zero exit, or too slow) or FAILURE (could not run it)."""
    try:
        process = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        log.warning("Unable to execute '%s'", command)
        return "FAILURE"
    try:
        code = await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        log.warning("'%s' still ran after %g seconds: killed", command, timeout)
        return "APPERROR"
    if code == 127:
        log.warning("Unable to execute '%s'", command)
        return "FAILURE"
    return "SUCCESS" if code == 0 else "APPERROR"


async def _system(channel: Channel, data: str, name: str, hang_up_on_failure: bool) -> None:
    pbx = channel.pbx
    if not data.strip():
        log.warning("%s requires an argument(command)", name)
        status = "FAILURE"
    elif not getattr(pbx, "allow_system", False):
        log.warning(
            "%s(%s) on %s not run: system commands are disabled (pbx.allow_system is off)",
            name,
            data,
            channel.name,
        )
        status = "APPERROR" if name == "TrySystem" else "FAILURE"
    else:
        timeout = float(getattr(pbx, "system_timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT)
        status = await run_command(decode(data), timeout)
    channel.set_variable(STATUS, status)
    if status == "FAILURE" and hang_up_on_failure:
        channel.request_hangup(causes.NORMAL_CLEARING)


@application(
    "System",
    "Execute a system command.",
    "System(command)",
    "Runs command through the shell (only when the PBX allows system commands). Sets "
    "SYSTEMSTATUS to SUCCESS, FAILURE or APPERROR; hangs up when it cannot run the command.",
)
async def system_app(channel: Channel, data: str) -> None:
    await _system(channel, data, "System", hang_up_on_failure=True)


@application(
    "TrySystem",
    "Try executing a system command.",
    "TrySystem(command)",
    "As System, but never hangs up. Sets SYSTEMSTATUS to SUCCESS, FAILURE or APPERROR.",
)
async def try_system(channel: Channel, data: str) -> None:
    await _system(channel, data, "TrySystem", hang_up_on_failure=False)
