"""ServerConnection/ClientConnection: states, banner, and the recorded Asterisk wire replayed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from support import TRANSCRIPTS_DIR

from pbxd.protocol import (
    ClientConnection,
    ConnectionState,
    Message,
    ProtocolError,
    ServerConnection,
)

TRANSCRIPTS = TRANSCRIPTS_DIR
BANNER = b"Asterisk Call Manager/9.0.0\r\n"
_NOTE = re.compile(r"^# \[\+[0-9.]+s\] (\S+) ")


def streams(path: Path) -> dict[str, tuple[bytes, bytes]]:
    """Per connection label: (bytes the client sent, bytes the server sent)."""
    sent: dict[str, bytes] = {}
    received: dict[str, bytes] = {}
    label = "c1"
    for line in path.read_text().splitlines():
        note = _NOTE.match(line)
        if note:
            label = note.group(1)
        elif line.startswith(">>> "):
            sent[label] = sent.get(label, b"") + ast.literal_eval(line[4:])
        elif line.startswith("<<< "):
            received[label] = received.get(label, b"") + ast.literal_eval(line[4:])
    return {key: (sent.get(key, b""), received.get(key, b"")) for key in sent.keys() | received.keys()}


AMI_TRANSCRIPTS = sorted(p for p in TRANSCRIPTS.glob("*.txt") if "http" not in p.name)


def test_transcripts_are_there() -> None:
    assert len(AMI_TRANSCRIPTS) >= 20


@pytest.mark.parametrize("path", AMI_TRANSCRIPTS, ids=lambda p: p.stem)
def test_server_bytes_decode_on_the_client_side(path: Path) -> None:
    """Everything Asterisk sent decodes, one byte at a time, into whole responses/events."""
    for label, (_, received) in streams(path).items():
        whole = ClientConnection()
        messages = whole.receive_data(received)
        assert whole.banner == "Asterisk Call Manager/9.0.0", label
        assert whole.version == "9.0.0"
        assert not whole.decoder.pending, label
        for message in messages:
            assert ("response" in message) or ("event" in message), (label, message)
            assert message.error is None
        trickle = ClientConnection()
        one_by_one = [m for i in range(len(received)) for m in trickle.receive_data(received[i : i + 1])]
        assert one_by_one == messages


@pytest.mark.parametrize("path", AMI_TRANSCRIPTS, ids=lambda p: p.stem)
def test_client_bytes_decode_on_the_server_side(path: Path) -> None:
    """Each blank line the client sent ends one request; only transcript 28's long line errs."""
    for label, (sent, _) in streams(path).items():
        server = ServerConnection()
        server.initiate("9.0.0")
        messages = server.receive_data(sent)
        assert not server.decoder.pending, label
        blank_lines = len(re.findall(rb"(?:^|\n)\r?(?=\n)", sent))
        assert len(messages) == blank_lines, label
        for message in messages:
            if message.error is not None:
                assert message.get("actionid") == "long-1"


def test_transcript_28_requests() -> None:
    (sent, _) = streams(TRANSCRIPTS / "28_wire_quirks.txt")["c1"]
    messages = ServerConnection().receive_data(sent)
    heads = [(m.get("action"), m.get("actionid"), m.error) for m in messages]
    assert heads[:10] == [
        ("Login", "", None),
        ("Ping", "lf-1", None),
        ("Ping", "lower-1", None),
        ("Ping", "nospace-1", None),
        ("Ping   ", "spaces-1   ", None),
        ("Ping", "dup-A", None),
        ("Ping", "nocolon-1", None),
        ("", "", None),  # the two blank lines before an action: empty messages
        ("", "", None),
        ("Ping", "blank-1", None),
    ]
    assert heads[10] == ("UserEvent", "long-1", "Failed to parse message: line too long")


# -- the server's end -----------------------------------------------------------------------


def test_server_states() -> None:
    conn = ServerConnection()
    assert conn.state is ConnectionState.GREETING
    assert conn.initiate("9.0.0") == BANNER
    assert conn.state is ConnectionState.UNAUTH
    assert conn.receive_data(b"Action: Ping\r\n\r\n") == [Message(["Action: Ping"])]
    conn.authenticated()
    assert conn.state is ConnectionState.AUTHED
    conn.close()
    assert conn.state is ConnectionState.CLOSED
    assert conn.receive_data(b"Action: Ping\r\n\r\n") == []
    conn.authenticated()
    assert conn.state is ConnectionState.CLOSED


def test_server_banner_classic() -> None:
    assert ServerConnection().initiate("1.0") == b"Asterisk Call Manager/1.0\r\n"


def test_server_send_is_crlf() -> None:
    assert ServerConnection.send(["Response: Success", "Ping: Pong"]) == (
        b"Response: Success\r\nPing: Pong\r\n\r\n"
    )


def test_server_answers_empty_messages() -> None:
    conn = ServerConnection()
    conn.initiate("9.0.0")
    assert conn.receive_data(b"\r\n\r\n") == [Message([]), Message([])]


# -- the client's end -----------------------------------------------------------------------

BANNER_CASES = [
    # (chunks, banner, version, messages)
    ([BANNER], "Asterisk Call Manager/9.0.0", "9.0.0", 0),
    ([b"Asterisk Call Manager/1.0\n"], "Asterisk Call Manager/1.0", "1.0", 0),
    ([BANNER + b"Response: Success\r\n\r\n"], "Asterisk Call Manager/9.0.0", "9.0.0", 1),
    ([BANNER[:5], BANNER[5:20], BANNER[20:-1], BANNER[-1:] + b"Event: X\r\n", b"\r\n"],
     "Asterisk Call Manager/9.0.0", "9.0.0", 1),
    ([b"Asterisk Call Manager Proxy/2.1\r\n"], "Asterisk Call Manager Proxy/2.1", None, 0),
]


@pytest.mark.parametrize(("chunks", "banner", "version", "count"), BANNER_CASES)
def test_client_banner(chunks: list[bytes], banner: str, version: str | None, count: int) -> None:
    conn = ClientConnection()
    assert conn.state is ConnectionState.GREETING
    assert conn.banner is None and conn.version is None
    messages = [m for chunk in chunks for m in conn.receive_data(chunk)]
    assert conn.banner == banner
    assert conn.version == version
    assert conn.state is ConnectionState.UNAUTH
    assert len(messages) == count


@pytest.mark.parametrize(
    "data", [b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 400 Bad Request\r\n", b"\r\n"]
)
def test_client_refuses_a_server_that_is_not_ami(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        ClientConnection().receive_data(data)


def test_client_gives_up_without_a_banner_line() -> None:
    conn = ClientConnection()
    assert conn.receive_data(b"x" * 4000) == []
    with pytest.raises(ProtocolError):
        conn.receive_data(b"x" * 200)


def test_client_send_action() -> None:
    conn = ClientConnection()
    assert conn.send_action("Login", [("Username", "admin"), ("Secret", "adminpass")]) == (
        b"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\n\r\n"
    )
    assert conn.send_action("Ping") == b"Action: Ping\r\n\r\n"


def test_client_states_and_close() -> None:
    conn = ClientConnection()
    conn.receive_data(BANNER)
    conn.authenticated()
    assert conn.state is ConnectionState.AUTHED
    conn.close()
    assert conn.state is ConnectionState.CLOSED
    assert conn.receive_data(b"Response: Success\r\n\r\n") == []


def test_client_reads_classic_command_output() -> None:
    conn = ClientConnection()
    data = (
        b"Asterisk Call Manager/1.0\r\n"
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-1\r\n"
        b"System uptime: 10 minutes, 54 seconds\nLast reload: 10 minutes, 54 seconds\n"
        b"--END COMMAND--\r\n\r\n"
    )
    (message,) = conn.receive_data(data)
    assert message.get("response") == "Follows"
    assert message.get("actionid") == "cmd-1"
    assert message.get_all("output") == [
        "System uptime: 10 minutes, 54 seconds",
        "Last reload: 10 minutes, 54 seconds",
    ]


def test_client_and_server_talk() -> None:
    server, client = ServerConnection(), ClientConnection()
    client.receive_data(server.initiate("9.0.0"))
    (request,) = server.receive_data(client.send_action("Ping", [("ActionID", "p1")]))
    assert (request.get("action"), request.get("actionid")) == ("Ping", "p1")
    (reply,) = client.receive_data(server.send(["Response: Success", "ActionID: p1", "Ping: Pong"]))
    assert reply.get("ping") == "Pong"
