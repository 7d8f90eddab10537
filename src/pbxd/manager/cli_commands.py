"""The manager's CLI commands: ``manager show ...``, ``manager reload``, ``manager kick session``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pbx.cli import CliFailure, ShowUsage
from .privileges import NAMED, Privilege

if TYPE_CHECKING:
    from .server import Manager

_CONNECTED = "  %-15.15s  %-55.55s  %-10.10s  %-10.10s  %-8.8s  %-8.8s  %-10.10s  %-10.10s"
_CONNECTED_ROW = "  %-15.15s  %-55.55s  %-10d  %-10d  %-8d  %-8d  %-10.10d  %-10.10d"
_SETTING = "  %-25.25s  %-15.55s"


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _full_classes(mask: int) -> str:
    """Classes whose bits are all set, as ``manager show user`` lists them."""
    names = [name for name, bit in NAMED if mask & bit == bit]
    if mask & Privilege.ALL == Privilege.ALL:
        names.append("all")
    return ",".join(names) or "<none>"


def register_cli(manager: Manager) -> None:
    cli = manager.pbx.cli

    @cli.register("manager show connected", "List connected manager interface users")
    def show_connected(args: list[str]) -> list[str]:
        now = int(manager.clock())
        lines = [
            _CONNECTED
            % (
                "Username",
                "IP Address",
                "Start",
                "Elapsed",
                "FileDes",
                "HttpCnt",
                "ReadPerms",
                "WritePerms",
            )
        ]
        count = 0
        for session in manager.sessions.values():
            if not session.authenticated:
                continue
            count += 1
            start = int(session.login_time)
            lines.append(
                _CONNECTED_ROW
                % (
                    session.username,
                    session.remote[0],
                    start,
                    now - start,
                    session.fd,
                    0,
                    session.read_perm,
                    session.write_perm,
                )
            )
        lines.append(f"{count} users connected.")
        return lines

    @cli.register("manager show settings", "Show manager global settings")
    def show_settings(args: list[str]) -> list[str]:
        s = manager.settings
        rows = [
            ("Manager (AMI):", _yes(s.enabled)),
            ("Web Manager (AMI/HTTP):", _yes(s.webenabled)),
            ("TCP Bindaddress:", f"{s.bindaddr}:{s.port}" if s.enabled else "Disabled"),
            ("HTTP Timeout (seconds):", str(s.httptimeout)),
            ("TLS Enable:", _yes(s.tlsenable)),
            ("TLS Bindaddress:", f"{s.tlsbindaddr}:{s.tlsport}" if s.tlsenable else "Disabled"),
            ("TLS Certfile:", s.tlscertfile),
            ("TLS Privatekey:", s.tlsprivatekey),
            ("TLS Cipher:", s.tlscipher),
            ("Allow multiple login:", _yes(s.allowmultiplelogin)),
            ("Display connects:", _yes(s.displayconnects)),
            ("Timestamp events:", _yes(s.timestampevents)),
        ]
        lines = ["", "Global Settings:", "----------------"]
        lines.extend(_SETTING % row for row in rows)
        lines.append("  %-25.25s  %s" % ("Channel vars:", ",".join(s.channelvars)))
        lines.append("  %-25.25s  %s" % ("Disabled events:", ",".join(s.disabledevents)))
        lines.append(_SETTING % ("Debug:", _yes(s.debug)))
        lines.append(
            _SETTING % ("Dialect:", "classic (AMI 1.0)" if s.classic else "current (AMI 9.0.0)")
        )
        return lines

    @cli.register("manager show commands", "List manager interface commands")
    def show_commands(args: list[str]) -> list[str]:
        specs = list(manager.actions)
        width = max(len(spec.name) for spec in specs)
        room = max(80 - width - 4, 0)
        lines = [
            f"  {'Action':<{width}}  {'Synopsis'[:room]}",
            f"  {'------':<{width}}  {'--------'[:room]}",
        ]
        lines.extend(f"  {spec.name:<{width}}  {spec.synopsis[:room]}" for spec in specs)
        return lines

    @cli.register(
        "manager show command",
        "Show a manager interface command",
        "Usage: manager show command <actionname> [<actionname> [<actionname> [...]]]\n"
        "\tShows the detailed description for a specific Asterisk manager interface command.",
        takes_args=True,
    )
    def show_command(args: list[str]) -> list[str]:
        if not args:
            raise ShowUsage
        lines: list[str] = []
        for name in args:
            spec = manager.actions.lookup(name)
            if spec is None:
                continue
            lines += ["", f"  -= Info about Manager Command '{spec.name}' =- ", ""]
            lines += ["[Synopsis]", spec.synopsis + " ", ""]
            lines += ["[Provided By]", spec.provided_by, ""]
            lines += ["[Since]", spec.since or "Not available", ""]
            lines += ["[Description]", *(spec.description or "Not available").splitlines(), ""]
            lines += ["[Syntax]", *spec.syntax(), ""]
            lines += ["[Arguments]", ""]
            lines += ["ActionID", "    ActionID for this transaction. Will be returned.", ""]
            for arg in spec.arguments:
                lines += [arg.name, f"    {arg.text}", ""]
            lines += ["[Privilege]", spec.privilege_text, ""]
            lines += ["[See Also]", ", ".join(spec.see_also) or "Not available", ""]
            lines += ["[List Responses]", *(spec.list_responses or ("None",)), ""]
            lines += ["[End List Responses]", ""]
            lines += ["[Final Response]", spec.final_response or "None", ""]
            lines += ["[End Final Response]"]
        return lines or [""]

    @cli.register("manager show users", "List configured manager users")
    def show_users(args: list[str]) -> list[str]:
        users = manager.settings.users.values()
        if not users:
            return ["There are no manager users."]
        return [
            "",
            "username",
            "--------",
            *(u.name for u in users),
            "-------------------",
            f"{len(users)} manager users configured.",
        ]

    @cli.register(
        "manager show user",
        "Display information on a specific manager user",
        "Usage: manager show user <user>\n       Display all information related to the manager user specified.",
        takes_args=True,
    )
    def show_user(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        user = manager.settings.users.get(args[0].lower())
        if user is None:
            return [f"There is no manager called {args[0]}"]
        lines = [
            "",
            f"          username: {user.name}",
            f"            secret: {'<Set>' if user.secret else '(N/A)'}",
            f"               ACL: {'yes' if user.acl else 'no'}",
            f"         read perm: {_full_classes(user.read)}",
            f"        write perm: {_full_classes(user.write)}",
            f"   displayconnects: {'yes' if user.displayconnects else 'no'}",
            f"allowmultiplelogin: {'yes' if user.allowmultiplelogin else 'no'}",
            "         Variables: ",
        ]
        lines.extend(f"                 {name} = {value}" for name, value in user.setvars)
        return lines

    @cli.register("manager reload", "Reload manager configurations")
    def reload(args: list[str]) -> list[str]:
        manager.pbx.reload("manager")
        return []

    @cli.register(
        "manager kick session",
        "Kick a manager session",
        "Usage: manager kick session <file descriptor>\n       Kick an active Asterisk Manager Interface session",
        takes_args=True,
    )
    def kick(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        if not args[0].isdigit():
            raise CliFailure(f"Invalid AMI file descriptor: {args[0]}")
        fd = int(args[0])
        for session in list(manager.sessions.values()):
            if session.fd == fd:
                if session.closed:
                    return [f"Manager session using file descriptor {fd} has already been kicked"]
                session.kick()
                return [f"Kicking manager session connected using file descriptor {fd}"]
        return [f"No manager session found using file descriptor {fd}"]
