"""Login, Logoff and Challenge: the actions a session may send before logging in."""

from __future__ import annotations

import asyncio
import logging

from ...protocol import Message
from ..auth import authenticate, new_challenge
from ..privileges import Privilege, parse_event_mask
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session, refuse

log = logging.getLogger("pbxd.manager")
SYSTEM = int(Privilege.SYSTEM)


@action(
    "Login",
    Privilege.NONE,
    "Login Manager.",
    description="Login Manager.",
    arguments=(
        Argument("Username", "Username to login with as specified in manager.conf.", True),
        Argument("Secret", "Secret to login with as specified in manager.conf."),
        Argument("AuthType", "Set to md5 to log in with the key of a Challenge."),
        Argument("Key", "md5(challenge + secret) in lower-case hex, with AuthType md5."),
        Argument("Events", "Event mask for this session: on, off, or class names."),
    ),
    since="0.2.0",
    see_also=("Challenge", "Logoff"),
    before_login=True,
)
def login(session: Session, message: Message) -> Response | asyncio.Future[Response]:
    if session.authenticated:
        return success("Already authenticated")
    user = authenticate(session, message)
    if user is None:
        return asyncio.ensure_future(refuse("Authentication failed"))
    username = message.get("username")
    session.logged_in(user, username)
    mask = parse_event_mask(message.get("events")) if "events" in message else None
    session.set_event_mask(session.default_events if mask is None else mask)
    manager = session.manager
    if user.displayconnects:
        log.info("Manager '%s' logged on from %s", username, session.remote[0])
    if session.send_events & session.read_perm & SYSTEM:
        now = manager.clock()
        pbx = manager.pbx
        session.push(
            manager.hub.make(
                "FullyBooted",
                Privilege.SYSTEM,
                [
                    f"Uptime: {int(now - pbx.started)}",
                    f"LastReload: {int(now - pbx.last_reload)}",
                    "Status: Fully Booted",
                ],
            ).data
        )
    manager.security.successful_auth(session, username)
    return success("Authentication accepted")


@action(
    "Logoff",
    Privilege.NONE,
    "Logoff Manager.",
    description="Logoff the current manager session.",
    since="0.2.0",
    see_also=("Login",),
    before_login=True,
)
def logoff(session: Session, message: Message) -> Response:
    return Response("Goodbye", "Thanks for all the fish.", close=True)


@action(
    "Challenge",
    Privilege.NONE,
    "Generate Challenge for MD5 Auth.",
    description="Generate a challenge for MD5 authentication.",
    arguments=(Argument("AuthType", "Digest algorithm to use in the challenge: md5.", True),),
    since="0.2.0",
    before_login=True,
)
def challenge(session: Session, message: Message) -> Response:
    if message.get("authtype").lower() != "md5":
        return error("Must specify AuthType")
    if not session.challenge:
        session.challenge = new_challenge()
    return success(None, [("Challenge", session.challenge)])
