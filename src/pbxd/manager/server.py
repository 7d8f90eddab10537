"""The manager: sessions, the event hub, security events and the PBX bus translation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pbx.bus import Reloaded, ShuttingDown
from ..pbx.clock import RealClock
from .cdr_events import CdrEventTranslator
from .channel_events import ChannelEventTranslator
from .classic_events import ClassicEventTranslator
from .devstate_events import ExtensionStatusTranslator
from .events import EventHub
from .media_events import MediaEventTranslator
from .parking_events import ParkingEventTranslator
from .privileges import Privilege
from .queue_events import QueueEventTranslator
from .registry import ACTIONS, ActionRegistry, ActionSpec
from .security import SecurityEvents
from .session import Link, Session
from .sip_events import SipEventTranslator
from .transfer_events import TransferEventTranslator
from .voicemail_events import VoicemailEventTranslator

if TYPE_CHECKING:
    from ..pbx.core import PBX
    from .settings import ManagerSettings

log = logging.getLogger("pbxd.manager")

AMI_VERSION = "9.0.0"
#: The numbers the Reload event gives each outcome (Asterisk's reload result codes).
RELOAD_STATUS = {
    "Success": 0,
    "Queued": 1,
    "NotFound": 2,
    "Error": 3,
    "InProgress": 4,
    "Uninitialized": 5,
    "NotSupported": 6,
}
CLASSIC_VERSION = "1.0"


class Manager:
    def __init__(
        self,
        settings: ManagerSettings,
        pbx: PBX,
        loop: asyncio.AbstractEventLoop,
        actions: ActionRegistry = ACTIONS,
        reload_settings: Callable[[], ManagerSettings | None] | None = None,
    ) -> None:
        from . import actions as _actions  # noqa: F401  (registers the built-in actions)
        from .actions.queues import with_classic
        from .cli_commands import register_cli

        self.settings = settings
        self.pbx = pbx
        self.loop = loop
        self.clock = pbx.clock
        #: the clock without its wrapper when it is the wall clock (Ping asks it every time)
        self._now = time.time if type(pbx.clock) is RealClock else pbx.clock
        self.actions = with_classic(actions) if settings.classic else actions
        #: actions by the exact spelling clients send (filled on first use)
        self.action_cache: dict[str, ActionSpec] = {}
        self.hub = EventHub(
            loop.call_soon, pbx.clock, settings.timestampevents, settings.disabledevents
        )
        self.security = SecurityEvents(self)
        self.sessions: dict[int, Session] = {}
        self.unauthenticated = 0
        self._stamp_time = 0.0
        self._stamp_text = ""
        self._reload_settings = reload_settings
        pbx.bus.subscribe(self._on_pbx_event, (Reloaded, ShuttingDown))
        translator = ClassicEventTranslator if settings.classic else ChannelEventTranslator
        for subscriber in (
            translator(self),
            ParkingEventTranslator(self),
            CdrEventTranslator(self),
            TransferEventTranslator(self),
            ExtensionStatusTranslator(self),
            VoicemailEventTranslator(self),
            QueueEventTranslator(self),
            SipEventTranslator(self),
            MediaEventTranslator(self),
        ):
            subscriber.subscribe_to(pbx.bus, self.hub.receivers)
        pbx.reloaders["manager"] = self.reload
        register_cli(self)

    @property
    def banner_version(self) -> str:
        return CLASSIC_VERSION if self.settings.classic else AMI_VERSION

    def timestamp(self) -> str:
        """``now`` as ``seconds.micros``; reused within 100 µs (formatting floats is dear)."""
        now = self._now()
        if 0.0 <= now - self._stamp_time < 0.0001:
            return self._stamp_text
        self._stamp_time = now
        self._stamp_text = text = f"{now:.6f}"
        return text

    # -- sessions ----------------------------------------------------------------------

    def open_session(
        self,
        link: Link,
        local: tuple[str, int],
        remote: tuple[str, int],
        fd: int = -1,
        transport_name: str = "TCP",
        banner: bool = True,
    ) -> Session | None:
        """A new connection; None when ``authlimit`` unauthenticated sessions already wait."""
        if self.unauthenticated >= self.settings.authlimit:
            log.warning("%s: too many unauthenticated sessions, connection dropped", remote[0])
            return None
        session = Session(self, link, local, remote, fd, transport_name)
        self.sessions[session.id] = session
        self.unauthenticated += 1
        session.start(banner)
        return session

    def adopt(self, session: Session) -> None:
        """A session made by its transport (HTTP): listed, not counted against authlimit."""
        self.sessions[session.id] = session

    def session_authenticated(self, session: Session) -> None:
        if session.gated:
            self.unauthenticated -= 1

    def session_closed(self, session: Session) -> None:
        if self.sessions.pop(session.id, None) is None:
            return
        self.hub.forget(session)
        if not session.authenticated:
            if session.gated:
                self.unauthenticated -= 1
        elif session.user is not None and session.user.displayconnects:
            log.info("Manager '%s' logged off from %s", session.username, session.remote[0])

    def logged_in_as(self, name: str) -> list[Session]:
        key = name.lower()
        return [s for s in self.sessions.values() if s.authenticated and s.username.lower() == key]

    # -- events ------------------------------------------------------------------------

    def publish(self, name: str, privilege: int, pairs: list[tuple[str, str]]) -> None:
        self.hub.publish(name, privilege, [f"{key}: {value}" for key, value in pairs])

    def _on_pbx_event(self, event: object) -> None:
        if isinstance(event, Reloaded):
            self.publish(
                "Reload",
                Privilege.SYSTEM,
                [("Module", event.module or "All"), ("Status", str(RELOAD_STATUS[event.status]))],
            )
        elif isinstance(event, ShuttingDown):
            self.publish(
                "Shutdown",
                Privilege.SYSTEM,
                [
                    ("Shutdown", "Cleanly" if event.cleanly else "Uncleanly"),
                    ("Restart", "True" if event.restart else "False"),
                ],
            )

    # -- configuration -----------------------------------------------------------------

    def reload(self) -> str:
        """Re-read manager.conf: users, filters and event settings take effect at once."""
        if self._reload_settings is None:
            return "Success"
        settings = self._reload_settings()
        if settings is None:
            return "Error"
        self.settings = settings
        self.hub.timestamps = settings.timestampevents
        self.hub.disabled = {name.lower() for name in settings.disabledevents}
        for session in list(self.sessions.values()):
            if session.authenticated and session.username.lower() not in settings.users:
                session.close()
        return "Success"
