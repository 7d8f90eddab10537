"""Testing AMI programs against a real pbxd: helpers and a pytest plugin.

Installed, pbxd registers this module as a pytest plugin (entry point ``pytest11``), with:

- ``pbxd``: a pbxd started from your configuration directory (the ``pbxd_config`` ini
  option, relative to the rootdir, or override the ``pbxd_config_dir`` fixture) on
  127.0.0.1 and a free port, in this process, on a thread of its own; stopped after the test.
  Its clock is virtual (``pbxd.advance(seconds)``) unless ``pbxd_clock`` returns None.
- ``ami``: a logged-in ``pbxd.client.SyncClient`` (the first user of manager.conf that has
  a secret, or override ``pbxd_credentials``).
- ``pbxd.call(extension, context)`` makes a call happen (see ``place_call``); events are
  awaited with ``ami.subscribe(...).get(timeout)``.

For asyncio tests, ``running_pbxd`` starts pbxd inside the test's own loop and
``place_call`` takes an ``AmiClient``.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from .app import Application, override
from .client import AmiClient, SyncClient
from .config.conf import load
from .configuration import load_configuration
from .pbx.clock import Clock, VirtualClock
from .protocol import Message

__all__ = ["PbxdServer", "VirtualClock", "manager_credentials", "place_call", "running_pbxd"]


@asynccontextmanager
async def running_pbxd(
    config_dir: str | Path, data_dir: str | Path | None = None, clock: Clock | None = None
) -> AsyncIterator[Application]:
    """Start pbxd on ``config_dir`` with the manager on 127.0.0.1 and a free port.

    The configuration must load without errors; ``app.ami_address`` tells where to connect.
    With a ``VirtualClock``, calls last only as long as the test advances it.
    """
    configuration = load_configuration(config_dir, Path(data_dir) if data_dir else None)
    if configuration.errors:
        raise ValueError("; ".join(str(problem) for problem in configuration.errors))
    override(configuration, 0, "127.0.0.1")
    configuration.http_port = 0
    app = Application(configuration, asyncio.get_running_loop(), clock)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def manager_credentials(config_dir: str | Path) -> tuple[str, str]:
    """(username, secret) of the first manager.conf user that has a secret."""
    config = load(Path(config_dir) / "manager.conf")
    for category in config.iter_categories():
        secret = category.get("secret")
        if category.name.lower() != "general" and secret:
            return category.name, secret
    raise ValueError(f"no user with a secret in {Path(config_dir) / 'manager.conf'}")


async def place_call(
    client: AmiClient,
    extension: str,
    context: str = "default",
    *,
    channel: str | None = None,
    caller_id: str | None = None,
    variables: Mapping[str, str] | None = None,
    hold: float = 3600,
    timeout: float = 10,
) -> Message:
    """Make a call happen with Originate and return its ``OriginateResponse``.

    Without ``channel``, ``Local/extension@context`` is called: the extension's dialplan
    runs as if a caller had dialed it, and the caller's side waits ``hold`` seconds.
    With ``channel`` (e.g. ``Local/100@phones``, a phone that answers), that channel is
    called first and, once it answers, connected to ``extension`` in ``context``.
    """
    fields: dict[str, object] = {"Async": True, "CallerID": caller_id}
    if channel is None:
        fields |= {"Channel": f"Local/{extension}@{context}", "Application": "Wait",
                   "Data": f"{hold:g}"}  # fmt: skip
    else:
        fields |= {"Channel": channel, "Context": context, "Exten": extension, "Priority": 1}
    if variables:
        fields["Variable"] = [f"{name}={value}" for name, value in variables.items()]
    answers = client.events("OriginateResponse")
    try:
        response = await client.send_action("Originate", fields, timeout=timeout)
        response.raise_for_error()
        action_id = response.get("ActionID")
        async with asyncio.timeout(timeout):
            async for event in answers:
                if event.get("ActionID") == action_id:
                    return event
    finally:
        answers.close()
    raise ConnectionError("the client closed before the OriginateResponse")


class PbxdServer:
    """pbxd on a thread of its own, for synchronous tests (the ``pbxd`` fixture).

    ``clock``: a ``VirtualClock`` to drive with ``advance``, or None for real time.
    """

    def __init__(
        self,
        config_dir: str | Path,
        data_dir: str | Path | None = None,
        clock: VirtualClock | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.config_dir = Path(config_dir)
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="pbxd-"))
        self.clock = clock
        self.credentials = credentials or manager_credentials(self.config_dir)
        self.app: Application | None = None
        self.host, self.port = "127.0.0.1", 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pbxd", daemon=True)
        self._stop: asyncio.Event | None = None
        self._served: object = None
        self._clients: list[SyncClient] = []
        self._ami: SyncClient | None = None

    def start(self, timeout: float = 30) -> PbxdServer:
        self._thread.start()
        ready: asyncio.Future[None] = asyncio.run_coroutine_threadsafe(  # type: ignore[assignment]
            self._started(), self._loop
        )
        ready.result(timeout)
        self._served = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        return self

    async def _started(self) -> None:
        self._stop = asyncio.Event()
        self._running = running_pbxd(self.config_dir, self.data_dir, self.clock)
        self.app = await self._running.__aenter__()
        address = self.app.ami_address
        assert address is not None, "manager.conf has the manager disabled"
        self.host, self.port = address

    async def _serve(self) -> None:
        assert self._stop is not None
        try:
            await self._stop.wait()
        finally:
            await self._running.__aexit__(None, None, None)
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:  # calls still running when the test ended
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

    def stop(self, timeout: float = 30) -> None:
        for client in self._clients:
            client.close()
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._served.result(timeout)  # type: ignore[attr-defined]
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()

    def __enter__(self) -> PbxdServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def advance(self, seconds: float, timeout: float = 30) -> None:
        """Move the virtual clock forward: calls, waits and timeouts due meanwhile happen."""
        if self.clock is None:
            raise RuntimeError("this pbxd runs on real time")
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), self._loop).result(timeout)

    def client(self, username: str | None = None, secret: str | None = None, **kw: object) -> SyncClient:
        """A new logged-in client (closed with the server)."""
        user, password = self.credentials
        options: dict[str, object] = {"ping_interval": 0, "reconnect": False} | kw
        client = SyncClient(self.host, self.port, username or user, secret or password, **options)
        self._clients.append(client)
        return client

    @property
    def ami(self) -> SyncClient:
        """The client of the ``ami`` fixture (made on first use)."""
        if self._ami is None:
            self._ami = self.client()
        return self._ami

    def call(self, extension: str, context: str = "default", **kw: object) -> Message:
        """``place_call`` through ``ami``; the ``OriginateResponse``."""
        ami = self.ami
        return ami.run(place_call(ami.client, extension, context, **kw))  # type: ignore[arg-type]


# -- the pytest plugin ----------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("pbxd_config", "directory of the .conf files the pbxd fixture runs")


@pytest.fixture
def pbxd_config_dir(request: pytest.FixtureRequest) -> Path:
    """The configuration the ``pbxd`` fixture runs (ini option ``pbxd_config``)."""
    value = request.config.getini("pbxd_config")
    if not value:
        raise pytest.UsageError(
            "set pbxd_config (a directory of .conf files) in the pytest configuration, "
            "or override the pbxd_config_dir fixture"
        )
    return Path(request.config.rootpath, str(value))


@pytest.fixture
def pbxd_clock() -> VirtualClock | None:
    """The clock of the ``pbxd`` fixture: virtual (override to return None for real time)."""
    return VirtualClock()


@pytest.fixture
def pbxd_credentials(pbxd_config_dir: Path) -> tuple[str, str]:
    """(username, secret) the ``ami`` fixture logs in with."""
    return manager_credentials(pbxd_config_dir)


@pytest.fixture
def pbxd(
    pbxd_config_dir: Path,
    pbxd_clock: VirtualClock | None,
    pbxd_credentials: tuple[str, str],
    tmp_path: Path,
) -> Iterator[PbxdServer]:
    """A pbxd for this test, from your configuration, on 127.0.0.1 and a free port."""
    with PbxdServer(pbxd_config_dir, tmp_path / "pbxd-data", pbxd_clock, pbxd_credentials) as server:
        yield server


@pytest.fixture
def ami(pbxd: PbxdServer) -> SyncClient:
    """A client logged in to the ``pbxd`` fixture."""
    return pbxd.ami
