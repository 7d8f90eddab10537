"""Command lines: ``pbxd`` (serve, check-config) and ``ami`` (``pbxd.client.cli``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(os.environ.get("PBXD_DATA_DIR") or os.path.join(base, "pbxd"))


def _run(coro: object) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)  # type: ignore[arg-type]
    else:
        uvloop.run(coro)  # type: ignore[arg-type]


def pbxd_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pbxd", description="A PBX with an Asterisk-compatible manager interface."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the PBX")
    serve.add_argument(
        "--config",
        type=Path,
        help="directory of Asterisk-format .conf files (default: the embedded demo configuration)",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where pbxd keeps its data (default: $PBXD_DATA_DIR or ~/.local/share/pbxd)",
    )
    serve.add_argument(
        "--ami-port", type=int, help="override manager.conf's port (0 picks a free one)"
    )
    serve.add_argument("--ami-bind", help="override manager.conf's bindaddr")
    serve.add_argument(
        "--http-port", type=int, help="override http.conf's bindport (0 picks a free one)"
    )
    serve.add_argument("--no-uvloop", action="store_true", help="use the standard asyncio loop")
    serve.add_argument(
        "--allow-system",
        action="store_true",
        help="let the System and TrySystem applications run shell commands (off by default)",
    )
    serve.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    check = sub.add_parser("check-config", help="report every problem in a configuration directory")
    check.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    from .configuration import load_configuration, prepare_default  # not needed by ``ami``

    if args.command == "check-config":
        configuration = load_configuration(args.directory)
        for problem in configuration.problems:
            print(problem)
        errors = len(configuration.errors)
        warnings = len(configuration.problems) - errors
        print(f"{args.directory}: {errors} error(s), {warnings} warning(s)")
        return 1 if errors else 0

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from .app import override
    from .app import serve as run_server
    from .gc_tuning import tune_for_server

    data_dir = args.data_dir or _default_data_dir()
    banner = ""
    if args.config is None:
        config_dir, secret = prepare_default(data_dir)
        banner = f"pbxd: log in as 'admin' with secret '{secret}' (kept in {config_dir / 'manager.conf'})"
    else:
        config_dir = args.config
    configuration = load_configuration(config_dir, data_dir)
    for problem in configuration.problems:
        print(problem, file=sys.stderr)
    if configuration.errors:
        print(
            f"pbxd: {len(configuration.errors)} configuration error(s); see above", file=sys.stderr
        )
        return 1
    override(configuration, args.ami_port, args.ami_bind)
    configuration.allow_system = args.allow_system
    configuration.http_port = args.http_port
    coro = run_server(configuration, banner)
    tune_for_server()
    if args.no_uvloop:
        asyncio.run(coro)
    else:
        _run(coro)
    return 0


def _default_secret() -> str:
    """The generated admin secret of ``pbxd serve`` on its default configuration."""
    from .config.conf import load

    path = _default_data_dir() / "etc" / "manager.conf"
    if not path.exists():
        return ""
    admin = load(path).get_category("admin")
    return (admin.get("secret") if admin is not None else None) or ""


def ami_main(argv: list[str] | None = None) -> int:
    """``ami`` (see ``pbxd.client.cli``); with no secret configured, pbxd's generated one."""
    from .client.cli import main

    return main(argv, fallback_secret=_default_secret)
