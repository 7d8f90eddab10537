"""Outbound registrations (``register =>`` lines): pbxd registers itself with a registrar.

Each :class:`OutboundRegistration` sends REGISTER, answers one 401/407 challenge with its
digest, and on ``200`` is Registered for the expiry granted, re-registering 15 s before it
runs out (20% of it when shorter than 30 s). A refusal leaves it Rejected (tried again after
``registertimeout``); no answer leaves it in Timeout and tries again after
``registertimeout``. States are chan_sip's words (``sip show registry``, SIPshowregistry);
``Registry`` events go out when it is Registered, Rejected or times out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import digest
from .config import Registration
from .events import RegistryChanged
from .message import NameAddr, Request, Response, SipParseError, is_number, new_call_id, new_tag
from .transaction import Endpoint

if TYPE_CHECKING:
    from ..pbx.clock import TimerHandle
    from .service import SipService

log = logging.getLogger("pbxd.sip")

EXPIRY_GUARD_SECS = 15
EXPIRY_GUARD_LIMIT = 30
EXPIRY_GUARD_PCT = 0.20


class OutboundRegistration:
    def __init__(self, service: SipService, config: Registration) -> None:
        self.service = service
        self.config = config
        self.state = "Unregistered"
        self.refresh = config.expiry
        self.regtime = 0.0  # when it was last Registered (clock time), 0 never
        self.call_id = ""
        self.from_tag = new_tag()
        self.cseq = 100
        self._timer: TimerHandle | None = None
        self._auth_sent = False

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint("udp", self.config.host, self.config.port)

    @property
    def uri(self) -> str:
        return f"sip:{self.config.host}" + (
            f":{self.config.port}" if self.config.port != 5060 else ""
        )

    def start(self, delay: float = 0.0) -> None:
        self._cancel()
        self._timer = self.service.pbx.clock.call_later(delay, self.send)

    def send(self, authorization: str = "") -> None:
        self._timer = None
        if not self.service.started:
            return
        stack = self.service.stack
        config = self.config
        host, port = stack.local_address(self.endpoint)
        self.call_id = self.call_id or new_call_id(host)
        self.cseq += 1
        aor = f"<sip:{config.username}@{config.host}>"
        request = stack.new_request(
            "REGISTER", self.uri, self.endpoint, aor, aor,
            call_id=self.call_id, cseq=self.cseq, from_tag=self.from_tag,
        )  # fmt: skip
        request.headers.add("Contact", f"<sip:{config.contact}@{host}:{port}>")
        request.headers.add("Expires", str(config.expiry))
        if authorization:
            request.headers.add("Authorization", authorization)
        self._auth_sent = bool(authorization)
        self._set_state("Auth. Sent" if authorization else "Request Sent")
        stack.send_request(request, self.endpoint, self._answer_for(request), self._timed_out)

    def _answer_for(self, request: Request):  # noqa: ANN202 (a response callback)
        def answered(response: Response) -> None:
            if response.status < 200:
                return
            if response.status in (401, 407):
                self._challenged(request, response)
            elif response.status < 300:
                self._registered(response)
            else:
                self._rejected(f"{response.status} {response.reason}")

        return answered

    def _challenged(self, request: Request, response: Response) -> None:
        name = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
        fields = digest.parse_digest(response.headers.get(name) or "")
        stale = fields.get("stale", "").lower() == "true"
        if not fields or (self._auth_sent and not stale) or not self.config.secret:
            self._rejected("authentication failed")
            return
        authuser = self.config.authuser or self.config.username
        self.send(
            digest.authorization(fields, "REGISTER", request.uri, authuser, self.config.secret)
        )

    def _registered(self, response: Response) -> None:
        granted = self.config.expiry
        for contact in response.headers.values("Contact"):
            try:
                expires = NameAddr.parse(contact).params.get("expires")
            except SipParseError:
                continue
            if expires and is_number(expires):
                granted = int(expires)
                break
        else:
            header = (response.headers.get("Expires") or "").strip()
            if is_number(header):
                granted = int(header)
        self.refresh = granted
        self.regtime = self.service.pbx.clock()
        self._set_state("Registered", announce=True)
        if granted > EXPIRY_GUARD_LIMIT:
            again = granted - EXPIRY_GUARD_SECS
        else:
            again = granted * (1 - EXPIRY_GUARD_PCT)
        self.start(max(again, 1.0))

    def _rejected(self, why: str) -> None:
        log.warning("SIP registration of %s@%s rejected: %s",
                    self.config.username, self.config.host, why)  # fmt: skip
        self._set_state("Rejected", announce=True, cause=why)
        self.start(self.service.config.general.registertimeout)

    def _timed_out(self) -> None:
        log.warning("SIP registration of %s@%s timed out",
                    self.config.username, self.config.host)  # fmt: skip
        self._set_state("Timeout", announce=True)
        self.start(self.service.config.general.registertimeout)

    def _set_state(self, state: str, announce: bool = False, cause: str = "") -> None:
        self.state = state
        if announce:
            self.service.publish(
                RegistryChanged(self.config.username, self.config.host, state, cause)
            )

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        self._cancel()
