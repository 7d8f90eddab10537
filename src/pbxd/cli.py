"""Command lines: ``pbxd`` (serve, check-config) and ``ami`` (actions, CLI commands, a CLI
console, events)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .configuration import load_configuration, prepare_default


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
    coro = run_server(configuration, banner)
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


if TYPE_CHECKING:
    from .client.oneshot import BlockingClient


def _cli_command(client: BlockingClient, text: str) -> bool:
    """Run one CLI command through the Command action and print its output."""
    reply = client.request("Command", [("Command", text)])[0]
    output = [line[7:].removeprefix(" ") for line in reply.lines if line[:7].lower() == "output:"]
    print("\n".join(output) if output else reply.get("message"), flush=True)
    return reply.get("response").lower() == "success"


def _console(client: BlockingClient) -> bool:
    """Read CLI commands (a prompt when interactive) until 'exit', 'quit' or end of input."""
    interactive = sys.stdin.isatty()
    while True:
        try:
            text = input("pbxd*CLI> " if interactive else "").strip()
        except (EOFError, KeyboardInterrupt):
            return True
        if text in ("exit", "quit"):
            return True
        if text:
            _cli_command(client, text)


def ami_main(argv: list[str] | None = None) -> int:
    from .client.oneshot import AmiError, BlockingClient, render

    parser = argparse.ArgumentParser(
        prog="ami", description="Talk to an AMI server (pbxd or Asterisk)."
    )
    parser.add_argument("--host", default=os.environ.get("AMI_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("AMI_PORT", "5038")))
    parser.add_argument("--username", "-u", default=os.environ.get("AMI_USERNAME", "admin"))
    parser.add_argument(
        "--secret",
        "-s",
        default=os.environ.get("AMI_SECRET"),
        help="default: $AMI_SECRET, else pbxd's generated admin secret",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    action = sub.add_parser(
        "action", help="send an action: ami action Ping, ami action Getvar Variable=X"
    )
    action.add_argument("name")
    action.add_argument("headers", nargs="*", help="Header=value (or 'Header: value')")
    command = sub.add_parser("command", help="run a CLI command: ami command core show version")
    command.add_argument("words", nargs="+")
    events = sub.add_parser("events", help="print events as they come (Ctrl-C to stop)")
    events.add_argument("--mask", default="on", help="event classes, e.g. call,user")
    sub.add_parser(
        "console", help="a CLI prompt, as asterisk -r: one command a line, 'exit' to leave"
    )
    args = parser.parse_args(argv)
    secret = args.secret if args.secret is not None else _default_secret()
    try:
        client = BlockingClient(args.host, args.port)
        client.login(args.username, secret, "off" if args.command != "events" else args.mask)
        if args.command == "action":
            headers = []
            for item in args.headers:
                name, sep, value = item.partition("=") if "=" in item else item.partition(":")
                if not sep:
                    parser.error(f"header '{item}' is not Name=value")
                headers.append((name.strip(), value.strip()))
            replies = client.request(args.name, headers)
            print("\n".join(render(m) for m in replies))
            ok = replies[0].get("response").lower() in ("success", "goodbye", "follows", "pong")
        elif args.command == "command":
            ok = _cli_command(client, " ".join(args.words))
        elif args.command == "console":
            ok = _console(client)
        else:
            client.sock.settimeout(None)
            try:
                for event in client.events():
                    print(render(event), flush=True)
            except KeyboardInterrupt:
                pass
            ok = True
        client.close()
    except (OSError, AmiError) as exc:
        print(f"ami: {exc}", file=sys.stderr)
        return 2
    return 0 if ok else 1
