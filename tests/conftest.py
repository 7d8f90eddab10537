"""Fixtures shared by every test directory: pbxd server processes on free ports."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import REFERENCE_CONF
from support.server import PbxdProcess

StartPbxd = Callable[..., PbxdProcess]
pytest_plugins = ["pbxd.testing"]  # the plugin pbxd's entry point registers when installed


def copy_conf(source: Path, target: Path) -> Path:
    """Copy a configuration directory and make the copy writable (the source is read-only)."""
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


@pytest.fixture(scope="session")
def reference_conf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private, writable copy of the reference Asterisk configuration."""
    if not REFERENCE_CONF.is_dir():
        pytest.skip(f"reference configuration not found at {REFERENCE_CONF}")
    return copy_conf(REFERENCE_CONF, tmp_path_factory.mktemp("reference") / "conf")


@pytest.fixture(scope="session")
def reference_server(
    reference_conf_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PbxdProcess]:
    """One pbxd per test session (per xdist worker) running the reference configuration."""
    server = PbxdProcess(reference_conf_dir, tmp_path_factory.mktemp("reference-data"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_pbxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartPbxd]:
    """Factory: ``start_pbxd(config_dir)`` starts a pbxd (stopped after the test)."""
    started: list[PbxdProcess] = []

    def start(config_dir: Path, *extra_args: str, timeout: float = 15.0) -> PbxdProcess:
        server = PbxdProcess(config_dir, tmp_path_factory.mktemp("pbxd-data"), extra_args)
        started.append(server)
        server.start(timeout)
        return server

    yield start
    for server in reversed(started):
        server.stop()
