"""Wiring: the PBX, the manager and its listeners, started and stopped together."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
from dataclasses import replace

from .configuration import Configuration, reload_dialplan, reload_manager
from .manager.server import Manager
from .pbx import recording
from .pbx.astdb import AstDB, AstDBError
from .pbx.cdr import CdrEngine, load_settings
from .pbx.clock import Clock
from .pbx.core import PBX
from .pbx.features import Features, load_features
from .pbx.parking import parking_of
from .pbx.queues.system import configure as configure_queues
from .pbx.voicemail import configure as configure_voicemail
from .sip.setup import attach_peers
from .techs.local import LocalTechnology
from .transport.http import HttpManager, start_http
from .transport.tcp import listen, tls_context

log = logging.getLogger("pbxd")


class Application:
    def __init__(
        self,
        configuration: Configuration,
        loop: asyncio.AbstractEventLoop,
        clock: Clock | None = None,
    ) -> None:
        self.configuration = configuration
        self.pbx = PBX(clock)
        self.pbx.technologies["local"] = LocalTechnology(self.pbx)
        self.pbx.dialplan = configuration.dialplan
        self.pbx.sounds_dir = configuration.directories.astdatadir / "sounds"
        self.pbx.allow_system = configuration.allow_system
        parking_of(self.pbx)  # the parking lot's extensions join the dialplan
        self.pbx.astdb = open_astdb(configuration)
        self.pbx.features = Features(self.pbx, load_features(configuration.directory))
        self.pbx.reloaders["features"] = self._reload_features
        self.pbx.devices.load_custom()  # Custom: device states kept in the ASTdb
        attach_peers(self.pbx, configuration.directory, configuration.sip, configuration.iax)
        self.pbx.reloaders["pbx_config"] = self._reload_dialplan
        self.queues = configure_queues(
            self.pbx,
            configuration.directory,
            configuration.directories.astlogdir,
            configuration.files.get("queues.conf"),
        )
        self.manager = Manager(
            configuration.manager,
            self.pbx,
            loop,
            reload_settings=lambda: reload_manager(configuration),
        )
        # after the manager: its Hangup event goes out before the Cdr and MonitorStop ones
        directories = configuration.directories
        self.recorder = recording.configure(self.pbx, directories.monitor_dir)
        self.cdr = CdrEngine(
            self.pbx, directories.astlogdir, load_settings(configuration.directory)
        )
        self.voicemail = configure_voicemail(
            self.pbx, configuration.directory, directories.astspooldir, quiet=True
        )
        self.servers: list[asyncio.Server] = []
        self.http: HttpManager | None = None
        self.stopped = asyncio.Event()

    def _reload_dialplan(self) -> str:
        dialplan = reload_dialplan(self.configuration)
        if dialplan is None:
            return "Error"
        self.pbx.dialplan = dialplan
        parking_of(self.pbx)
        return "Success"

    def _reload_features(self) -> str:
        assert self.pbx.features is not None
        self.pbx.features.config = load_features(self.configuration.directory)
        return "Success"

    @property
    def ami_address(self) -> tuple[str, int] | None:
        """Where the plain-TCP manager listens (the real port when 0 was asked for)."""
        if not self.servers:
            return None
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        return host, port

    async def start(self) -> None:
        if self.pbx.sip is not None:
            await self.pbx.sip.start()
        settings = self.manager.settings
        if not settings.enabled:
            log.warning("manager.conf: enabled = no; the manager interface is not started")
            return
        self.servers.append(await listen(self.manager, settings.bindaddr, settings.port))
        if settings.tlsenable:
            try:
                context = tls_context(
                    settings.tlscertfile, settings.tlsprivatekey, settings.tlscipher
                )
            except (OSError, ValueError) as exc:
                log.error("AMI over TLS not started: %s", exc)
            else:
                self.servers.append(
                    await listen(self.manager, settings.tlsbindaddr, settings.tlsport, context)
                )
        configuration = self.configuration
        self.http = await start_http(self.manager, configuration.http, configuration.http_port)

    async def stop(self, restart: bool = False) -> None:
        self.pbx.shutdown(restart)
        self.pbx.hangup_all()
        for session in list(self.manager.sessions.values()):
            session.close()
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()
        if self.http is not None:
            await self.http.stop()
        if self.pbx.sip is not None:
            await self.pbx.sip.stop()
        if self.pbx.astdb is not None:
            self.pbx.astdb.close()
        self.cdr.close()
        self.queues.close()
        self.stopped.set()


#: How long an ASTdb statement waits for a lock another process holds (it runs on the
#: event loop: a locked file answers with an error rather than stall every session).
ASTDB_BUSY_TIMEOUT = 0.25


def open_astdb(configuration: Configuration) -> AstDB | None:
    """The ASTdb at ``astdbdir/astdb.sqlite3`` (created if missing); None if it cannot open."""
    path = configuration.directories.astdbdir / "astdb.sqlite3"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return AstDB(path, timeout=ASTDB_BUSY_TIMEOUT)
    except (OSError, AstDBError, sqlite3.Error) as exc:
        log.error("ASTdb %s not opened: %s", path, exc)
        return None


def override(configuration: Configuration, port: int | None, bind: str | None) -> Configuration:
    """Command-line overrides of the manager's port and address."""
    settings = configuration.manager
    if port is not None:
        settings = replace(settings, port=port)
    if bind is not None:
        settings = replace(settings, bindaddr=bind)
    configuration.manager = settings
    return configuration


async def serve(configuration: Configuration, ready: str = "") -> None:
    """Run until SIGINT/SIGTERM; SIGHUP reloads. Prints ``ready`` lines once listening."""
    loop = asyncio.get_running_loop()
    app = Application(configuration, loop)
    await app.start()
    if app.http is not None and app.http.address is not None:
        print("pbxd: HTTP manager listening on {}:{}".format(*app.http.address), flush=True)
    address = app.ami_address
    if address is not None:
        print(f"pbxd: AMI listening on {address[0]}:{address[1]}", flush=True)
    if ready:
        print(ready, flush=True)
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: app.pbx.reload())
    await stopping.wait()
    log.info("shutting down")
    await app.stop()
