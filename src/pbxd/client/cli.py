"""The ``ami`` command line: poke any AMI server (pbxd or Asterisk) from a shell.

    ami action Ping
    ami action Getvar Variable=EPOCH
    ami action CoreShowChannels            # a list: printed as a table
    ami command "core show channels"
    ami events --filter Event=Newchannel --json
    ami originate Local/100@default --exten 200 --context default --wait
    ami shell                              # interactive, history, completion of action names

Where to connect and as whom: flags, else ``AMI_HOST``, ``AMI_PORT``, ``AMI_USER``,
``AMI_SECRET``, else the profile file (``$AMI_CONFIG`` or ``~/.config/pbxd/ami.conf``: INI,
section ``[default]`` or the one ``--profile``/``AMI_PROFILE`` names, keys host, port, user,
secret, auth). Exit codes: 0 done, 1 the server answered Error, 2 bad usage, 3 login
refused, 4 server unreachable or connection lost, 5 timeout.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..protocol import Message
from .actions import Response, command_output
from .errors import ActionError, AmiConnectionError, AmiError, LoginError
from .sync import SyncClient

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_LOGIN, EXIT_CONNECTION, EXIT_TIMEOUT = range(6)
HIDDEN_COLUMNS = {"event", "actionid", "eventlist"}


class UsageError(Exception):
    """A mistake on the command line (exit code 2)."""


# -- settings ---------------------------------------------------------------------------


def profile_path() -> Path:
    if os.environ.get("AMI_CONFIG"):
        return Path(os.environ["AMI_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base, "pbxd", "ami.conf")


def read_profile(name: str | None) -> dict[str, str]:
    """The profile's keys (empty when the file or section is missing, unless named)."""
    path = profile_path()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise UsageError(f"{path}: {exc}") from exc
    section = name or "default"
    if not parser.has_section(section):
        if name:
            raise UsageError(f"no profile [{name}] in {path}")
        return {}
    return dict(parser.items(section))


def settings(args: argparse.Namespace, fallback_secret: Callable[[], str]) -> dict[str, Any]:
    """Host, port, user, secret and auth: flags, then environment, then profile."""
    profile = read_profile(args.profile or os.environ.get("AMI_PROFILE"))
    env = os.environ

    def pick(flag: object, env_names: Sequence[str], key: str, default: str) -> str:
        if flag is not None:
            return str(flag)
        for env_name in env_names:
            if env.get(env_name):
                return env[env_name]
        return profile.get(key, default)

    port = pick(args.port, ["AMI_PORT"], "port", "5038")
    if not port.isdigit():
        raise UsageError(f"port must be a number, not {port!r}")
    secret = pick(args.secret, ["AMI_SECRET"], "secret", "")
    return {
        "host": pick(args.host, ["AMI_HOST"], "host", "127.0.0.1"),
        "port": int(port),
        "username": pick(args.user, ["AMI_USER", "AMI_USERNAME"], "user", "admin"),
        "secret": secret or fallback_secret(),
        "auth": "md5" if args.md5 else profile.get("auth", "plain"),
    }


# -- output -----------------------------------------------------------------------------


def as_dict(message: Message) -> dict[str, Any]:
    """Headers as a dict; a repeated header becomes a list of its values."""
    out: dict[str, Any] = {}
    for name, value in message.items():
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def render(message: Message) -> str:
    return "\n".join(message.lines) + "\n"


def table(items: Sequence[Message]) -> str:
    """List items as columns, header names in order of first appearance."""
    columns: dict[str, str] = {}
    for item in items:
        for name, _ in item.items():
            if name.lower() not in HIDDEN_COLUMNS:
                columns.setdefault(name.lower(), name)
    names = list(columns.values())
    rows = [[item.get(name) for name in names] for item in items]
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def print_answer(
    response: Response, items: list[Message] | None, as_json: bool, out: TextIO
) -> None:
    complete = response.events.complete if response.events is not None else None
    if as_json:
        document: dict[str, Any] = {"response": as_dict(response)}
        if items is not None:
            document["events"] = [as_dict(item) for item in items]
            document["complete"] = as_dict(complete) if complete is not None else None
        print(json.dumps(document, ensure_ascii=False), file=out)
        return
    print(render(response), file=out)
    if items:
        print(table(items), file=out)
    if complete is not None:
        count = complete.get("ListItems") or str(len(items or []))
        print(f"\n{count} item(s)", file=out)


def parse_headers(words: Iterable[str]) -> list[tuple[str, str]]:
    """``Name=value`` (or ``Name: value``) words as header pairs."""
    headers = []
    for word in words:
        sep = "=" if "=" in word and (":" not in word or word.index("=") < word.index(":")) else ":"
        name, found, value = word.partition(sep)
        if not found or not name.strip():
            raise UsageError(f"header {word!r} is not Name=value")
        headers.append((name.strip(), value.strip()))
    return headers


# -- commands ---------------------------------------------------------------------------


def run_action(ami: SyncClient, name: str, headers: list[tuple[str, str]], args: Any) -> int:
    response = ami.send_action(name, headers)
    items = None
    if response.events is not None:
        items = ami.run(response.events.collect())
    print_answer(response, items, args.json, sys.stdout)
    return EXIT_OK if response.ok else EXIT_ERROR


def run_command(ami: SyncClient, text: str, args: Any) -> int:
    response = ami.send_action("Command", Command=text)
    if args.json:
        print(json.dumps({"response": as_dict(response), "output": command_output(response)}))
    elif response.ok:
        for line in command_output(response):
            print(line)
    else:
        print(f"ami: {response.get('Message')}", file=sys.stderr)
    return EXIT_OK if response.ok else EXIT_ERROR


def run_events(ami: SyncClient, args: Any) -> int:
    pattern, headers = "*", {}
    for name, value in parse_headers(args.filter or []):
        if name.lower() == "event":
            pattern = value
        else:
            headers[name] = value
    with contextlib.suppress(KeyboardInterrupt):
        for count, event in enumerate(ami.events(pattern, headers), 1):
            if args.json:
                print(json.dumps(as_dict(event), ensure_ascii=False), flush=True)
            else:
                print(render(event), flush=True)
            if args.count and count >= args.count:
                break
    return EXIT_OK


def run_originate(ami: SyncClient, args: Any) -> int:
    fields: dict[str, object] = {"Channel": args.channel, "Async": True}
    if args.app:
        fields |= {"Application": args.app, "Data": args.data}
    elif args.exten:
        fields |= {"Context": args.context, "Exten": args.exten, "Priority": args.priority}
    else:
        raise UsageError("originate needs --exten (with --context) or --app")
    fields |= {"CallerID": args.caller_id, "Timeout": args.ring_timeout}
    if args.var:
        fields["Variable"] = [f"{k}={v}" for k, v in parse_headers(args.var)]
    stream = ami.subscribe("OriginateResponse") if args.wait else None
    response = ami.send_action("Originate", fields)
    result: Message = response
    if stream is not None and response.ok:
        while (event := stream.get(args.timeout)).get("ActionID") != response.get("ActionID"):
            pass
        result = event
    if args.json:
        print(json.dumps(as_dict(result), ensure_ascii=False))
    else:
        print(render(result))
    return EXIT_OK if result.get("Response").lower() == "success" else EXIT_ERROR


def completer(actions: list[str]) -> Callable[[str, int], str | None]:
    """Readline's completion of action names (any case) from ``ListCommands``."""

    def complete(text: str, state: int) -> str | None:
        matches = [name for name in actions if name.lower().startswith(text.lower())]
        return matches[state] if state < len(matches) else None

    return complete


def action_names(listed: Message) -> list[str]:
    """The action names of a ``ListCommands`` response."""
    return sorted(name for name, _ in listed.items() if name.lower() not in ("response", "actionid"))


def run_shell(ami: SyncClient, args: Any) -> int:
    """Read actions from the terminal: ``Action Key=Value ...``, ``!cli command``, ``quit``."""
    try:
        import readline
    except ImportError:  # pragma: no cover - every Linux Python has it
        readline = None  # type: ignore[assignment]
    actions = action_names(ami.send_action("ListCommands"))
    history = Path(os.environ.get("AMI_HISTORY") or Path.home() / ".ami_history")
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)

        readline.set_completer(completer(actions))
        readline.parse_and_bind("tab: complete")
    interactive = sys.stdin.isatty()
    status = EXIT_OK
    try:
        while True:
            try:
                line = input("ami> " if interactive else "").strip()
            except EOFError:
                break
            if not line or line.startswith("#"):
                continue
            if line.lower() in ("quit", "exit"):
                break
            try:
                if line.startswith("!"):
                    status = run_command(ami, line[1:].strip(), args)
                else:
                    words = shlex.split(line)
                    status = run_action(ami, words[0], parse_headers(words[1:]), args)
            except (UsageError, ValueError) as exc:
                print(f"ami: {exc}", file=sys.stderr)
                status = EXIT_USAGE
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(history)
    return status


# -- entry point ------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ami", description="Talk to an AMI server (pbxd or Asterisk).")
    top.add_argument("--host", "-H", help="server address (default: $AMI_HOST, profile, 127.0.0.1)")
    top.add_argument("--port", "-p", type=int, help="TCP port (default: $AMI_PORT, profile, 5038)")
    top.add_argument("--user", "--username", "-u", help="manager user ($AMI_USER, profile, admin)")
    top.add_argument("--secret", "-s", help="its secret ($AMI_SECRET, profile)")
    top.add_argument("--md5", action="store_true", help="log in with the MD5 challenge")
    top.add_argument("--profile", help="section of the profile file (default: [default])")
    top.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for answers")
    top.add_argument("--transcript", action="store_true", help="show raw traffic (>> sent, << received) on stderr")
    top.add_argument("--json", action="store_true", help="JSON output, one object per line")
    common = argparse.ArgumentParser(add_help=False)  # --json also after the subcommand
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON output")
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, parents=[common])

    action = add("action", "send an action: ami action Getvar Variable=EPOCH")
    action.add_argument("name")
    action.add_argument("headers", nargs="*", help="Name=value")
    command = add("command", 'run a CLI command: ami command "core show channels"')
    command.add_argument("words", nargs="+")
    events = add("events", "print events as they come (Ctrl-C to stop)")
    events.add_argument("--filter", "-f", action="append", help="Event=Newchannel, Channel=SIP/* (globs)")
    events.add_argument("--mask", default="on", help="Events mask: on, or classes like call,user")
    events.add_argument("--count", "-n", type=int, default=0, help="stop after this many events")
    originate = add("originate", "place a call")
    originate.add_argument("channel", help="e.g. Local/100@default, SIP/alice")
    originate.add_argument("--exten", "-e", help="extension to connect the answered channel to")
    originate.add_argument("--context", "-c", default="default")
    originate.add_argument("--priority", default="1")
    originate.add_argument("--app", "-a", help="application to run instead of an extension")
    originate.add_argument("--data", "-d", default="", help="the application's arguments")
    originate.add_argument("--caller-id", help='e.g. "Alice <100>"')
    originate.add_argument("--var", action="append", help="channel variable Name=value")
    originate.add_argument("--ring-timeout", type=int, help="ms to wait for an answer")
    originate.add_argument("--wait", "-w", action="store_true", help="wait for the OriginateResponse")
    add("shell", "interactive: Action Key=Value ..., !cli command, quit")
    return top


def events_mask(args: argparse.Namespace) -> str:
    """Only ``events`` (and ``originate --wait``, for its OriginateResponse) read events."""
    if args.command == "events":
        return str(args.mask)
    return "call" if args.command == "originate" and args.wait else "off"


def transcript_printer(out: TextIO) -> Callable[[str, bytes], None]:
    def show(direction: str, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            print(f"{direction} {line}", file=out, flush=True)

    return show


COMMANDS: dict[str, Callable[[SyncClient, Any], int]] = {
    "action": lambda ami, args: run_action(ami, args.name, parse_headers(args.headers), args),
    "command": lambda ami, args: run_command(ami, " ".join(args.words), args),
    "events": run_events,
    "originate": run_originate,
    "shell": run_shell,
}


def failure(exc: BaseException, where: dict[str, Any], timeout: float) -> tuple[int, str]:
    """The exit code and one-line message for what went wrong."""
    server = f"{where.get('host')}:{where.get('port')}"
    if isinstance(exc, LoginError):
        return EXIT_LOGIN, f"login as {where.get('username')} refused by {server}: {exc}"
    if isinstance(exc, ActionError):
        return EXIT_ERROR, str(exc)
    if isinstance(exc, AmiConnectionError):
        return EXIT_CONNECTION, str(exc)
    if isinstance(exc, TimeoutError):
        return EXIT_TIMEOUT, f"no answer from {server} in {timeout:g} s"
    if isinstance(exc, UsageError):
        return EXIT_USAGE, str(exc)
    return EXIT_ERROR, str(exc)


def main(argv: list[str] | None = None, fallback_secret: Callable[[], str] = str) -> int:
    """``ami``; ``fallback_secret`` gives a secret when none was configured."""
    args = parser().parse_args(argv)
    where: dict[str, Any] = {}
    client: SyncClient | None = None
    try:
        where = settings(args, fallback_secret)
        client = SyncClient(
            where["host"], where["port"], where["username"], where["secret"],
            auth=where["auth"], events=events_mask(args),
            timeout=args.timeout, connect_timeout=args.timeout,
            reconnect=args.command == "events", ping_interval=20 if args.command == "events" else 0,
            transcript=transcript_printer(sys.stderr) if args.transcript else None,
        )  # fmt: skip
        return COMMANDS[args.command](client, args)
    except (UsageError, AmiError, TimeoutError) as exc:
        code, text = failure(exc, where, args.timeout)
        print(f"ami: {text}", file=sys.stderr)
        return code
    finally:
        if client is not None:
            client.close()
