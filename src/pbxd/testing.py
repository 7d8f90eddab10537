"""Helpers for tests: a pbxd running inside the test's own event loop, on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from .app import Application, override
from .configuration import load_configuration
from .pbx.clock import Clock, VirtualClock

__all__ = ["VirtualClock", "running_pbxd"]


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
