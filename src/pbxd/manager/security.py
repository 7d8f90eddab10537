"""Security events (class ``security``) about manager logins and requests.

Header order as Asterisk's security event framework writes them: the common fields
(EventTV, Severity, Service, EventVersion, AccountID, SessionID, LocalAddress,
RemoteAddress), the event's own, then SessionTV. RequestBadFormat is the exception: its
AccountID comes last.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .privileges import Privilege

if TYPE_CHECKING:
    from .server import Manager
    from .session import Session

INFORMATIONAL = "Informational"
ERROR = "Error"
Pairs = list[tuple[str, str]]


def event_tv(timestamp: float) -> str:
    """``2026-11-26T08:10:56.527+0000``: local time, milliseconds, numeric offset."""
    moment = datetime.fromtimestamp(timestamp).astimezone()
    millis = f"{moment.microsecond // 1000:03d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis + moment.strftime("%z")


def address(transport: str, where: tuple[str, int]) -> str:
    host, port = where[0], where[1]
    family = "IPV6" if ":" in host else "IPV4"
    return f"{family}/{transport}/{host}/{port}"


class SecurityEvents:
    def __init__(self, manager: Manager) -> None:
        self.manager = manager

    def _common(self, session: Session, severity: str, version: int) -> Pairs:
        return [
            ("EventTV", event_tv(self.manager.clock())),
            ("Severity", severity),
            ("Service", "AMI"),
            ("EventVersion", str(version)),
        ]

    def _where(self, session: Session) -> Pairs:
        return [
            ("SessionID", f"0x{id(session):x}"),
            ("LocalAddress", address(session.transport_name, session.local)),
            ("RemoteAddress", address(session.transport_name, session.remote)),
        ]

    @staticmethod
    def _session_tv(session: Session) -> tuple[str, str]:
        return ("SessionTV", event_tv(session.login_time))

    def _publish(
        self,
        name: str,
        session: Session,
        account: str,
        extra: Pairs = (),
        *,
        severity: str = ERROR,
        version: int = 1,
    ) -> None:
        pairs = self._common(session, severity, version)
        pairs.append(("AccountID", account))
        pairs.extend(self._where(session))
        pairs.extend(extra)
        pairs.append(self._session_tv(session))
        self.manager.publish(name, Privilege.SECURITY, pairs)

    def successful_auth(self, session: Session, account: str) -> None:
        self._publish(
            "SuccessfulAuth", session, account, [("UsingPassword", "0")], severity=INFORMATIONAL
        )

    def invalid_account(self, session: Session, account: str) -> None:
        self._publish("InvalidAccountID", session, account)

    def invalid_password(self, session: Session, account: str) -> None:
        self._publish("InvalidPassword", session, account, version=2)

    def challenge_failed(self, session: Session, key: str, expected: str) -> None:
        self._publish(
            "ChallengeResponseFailed",
            session,
            session.username,
            [("Challenge", session.challenge), ("Response", key), ("ExpectedResponse", expected)],
        )

    def failed_acl(self, session: Session, account: str) -> None:
        self._publish("FailedACL", session, account)

    def session_limit(self, session: Session) -> None:
        self._publish("SessionLimit", session, session.username)

    def request_not_allowed(self, session: Session, action: str) -> None:
        self._publish(
            "RequestNotAllowed", session, session.username, [("RequestType", f"Action: {action}")]
        )

    def request_bad_format(self, session: Session, action: str) -> None:
        pairs = self._common(session, ERROR, 1)
        pairs.extend(self._where(session))
        pairs.append(("RequestType", f"Action: {action}"))
        pairs.append(self._session_tv(session))
        pairs.append(("AccountID", session.username))
        self.manager.publish("RequestBadFormat", Privilege.SECURITY, pairs)
