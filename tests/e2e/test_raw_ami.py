"""Raw-socket checks on the reference users beyond the recordings: ACLs and privileges."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from support.ami import AmiSocket, action, headers
from support.server import PbxdProcess


def test_acl_user_allowed_from_loopback(reference_server: PbxdProcess) -> None:
    """acluser (permit 127.0.0.1) logs in; it reads ``system`` so FullyBooted follows."""
    with AmiSocket(*reference_server.address) as ami:
        assert ami.read_banner() == b"Asterisk Call Manager/9.0.0\r\n"
        ami.send(action("Login", ("Username", "acluser"), ("Secret", "acluserpass"), action_id="a"))
        assert ami.read_message() == (
            b"Response: Success\r\nActionID: a\r\nMessage: Authentication accepted\r\n\r\n"
        )
        assert ami.read_message().startswith(b"Event: FullyBooted\r\nPrivilege: system,all\r\n")


def test_acl_user_refused_from_loopback(reference_server: PbxdProcess) -> None:
    """blocked (permit 10.0.0.0/8 only): the same failure as a wrong secret, ~1 s, then EOF."""
    with AmiSocket(*reference_server.address) as ami:
        ami.read_banner()
        start = time.monotonic()
        ami.send(action("Login", ("Username", "blocked"), ("Secret", "blockedpass"), action_id="b"))
        assert ami.read_message(3.0) == (
            b"Response: Error\r\nActionID: b\r\nMessage: Authentication failed\r\n\r\n"
        )
        assert 0.8 <= time.monotonic() - start <= 2.0
        assert ami.wait_eof(2.0)


def test_limited_user_cannot_run_commands(reference_server: PbxdProcess) -> None:
    """limited (write=call) may Ping but not Command (class command)."""
    with AmiSocket(*reference_server.address) as ami:
        ami.login("limited", "limitedpass")
        pong = headers(ami.request(action("Ping", action_id="p")))
        assert pong["response"] == "Success" and pong["ping"] == "Pong"
        denied = ami.request(action("Command", ("Command", "core show version"), action_id="c"))
        assert denied == b"Response: Error\r\nActionID: c\r\nMessage: Permission denied\r\n\r\n"


def test_own_configuration(tmp_path: Path, start_pbxd: Callable[..., PbxdProcess]) -> None:
    """A test-written manager.conf: a user with only the ``user`` class may send UserEvents."""
    (tmp_path / "manager.conf").write_text(
        "[general]\nenabled = yes\nport = 5038\nbindaddr = 127.0.0.1\n\n"
        "[Tester]\nsecret = pw\nread = user\nwrite = user\n"
    )
    server = start_pbxd(tmp_path)
    with AmiSocket(*server.address) as ami:
        ami.login("tester", "pw", events="on")  # user names are case-insensitive
        sent = ami.request(action("UserEvent", ("UserEvent", "Hello"), action_id="u"))
        assert sent == b"Response: Success\r\nActionID: u\r\nMessage: Event Sent\r\n\r\n"
        assert ami.read_message() == (
            b"Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Hello\r\nActionID: u\r\n\r\n"
        )
        denied = ami.request(action("CoreStatus", action_id="s"))
        assert denied == b"Response: Error\r\nActionID: s\r\nMessage: Permission denied\r\n\r\n"


def test_sigterm_stops_cleanly(
    reference_conf_dir: Path, start_pbxd: Callable[..., PbxdProcess]
) -> None:
    """SIGTERM: pbxd closes its sessions and exits 0."""
    server = start_pbxd(reference_conf_dir)
    with AmiSocket(*server.address) as ami:
        ami.login()
        assert server.stop() == 0, server.diagnostics()
        assert ami.wait_eof(2.0)
