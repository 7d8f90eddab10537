"""Deciding a Login: user lookup, ACL, then the plain secret or the MD5 challenge key."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING

log = logging.getLogger("pbxd.manager")

if TYPE_CHECKING:
    from ..protocol import Message
    from .session import Session
    from .users import User


def new_challenge() -> str:
    """A decimal challenge like Asterisk's (a random non-negative long)."""
    return str(secrets.randbelow(2**31))


def md5_key(challenge: str, secret: str) -> str:
    return hashlib.md5((challenge + secret).encode()).hexdigest()


def authenticate(session: Session, message: Message) -> User | None:
    """The user ``message`` logs in as, or None; raises the matching security event and
    logs the failure once."""
    user = _check(session, message)
    if user is None and message.get("username"):
        log.info("%s failed to authenticate as '%s'", session.remote[0], message.get("username"))
    return user


def _check(session: Session, message: Message) -> User | None:
    manager = session.manager
    security = manager.security
    username = message.get("username")
    if not username:
        return None
    user = manager.settings.users.get(username.lower())
    if user is None:
        security.invalid_account(session, username)
        log.info("%s tried to authenticate with nonexistent user '%s'", session.remote[0], username)
        return None
    if not user.allows_address(session.remote[0]):
        security.failed_acl(session, username)
        log.info("%s failed to pass IP ACL as '%s'", session.remote[0], username)
        return None
    if message.get("authtype").lower() == "md5":
        key = message.get("key")
        if not (key and session.challenge and user.secret is not None):
            return None
        expected = md5_key(session.challenge, user.secret)
        if not hmac.compare_digest(key.encode("utf-8", "surrogateescape"), expected.encode()):
            security.challenge_failed(session, key, expected)
            return None
    elif user.secret is None:
        return None
    elif not hmac.compare_digest(
        message.get("secret").encode("utf-8", "surrogateescape"),
        user.secret.encode("utf-8", "surrogateescape"),
    ):
        security.invalid_password(session, username)
        return None
    return user
