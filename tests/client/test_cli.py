"""The ``ami`` command line, run as a user runs it, against a real pbxd process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO_ROOT, TRANSCRIPTS_DIR
from support.server import PbxdProcess
from support.transcript import load

from pbxd.client.cli import action_names, completer
from pbxd.protocol import ClientConnection

AMI = Path(sys.executable).parent / "ami"
pytestmark = pytest.mark.skipif(not AMI.exists(), reason="the ami script is not installed")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: our sources first, a private HOME, no AMI_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AMI_", "XDG_"))}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "src"), clean.get("PYTHONPATH")]))
    clean["HOME"] = str(tmp_path)
    clean["PBXD_DATA_DIR"] = str(tmp_path / "no-pbxd-here")
    return clean


def ami(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AMI), *args], env=env, input=stdin, capture_output=True, text=True, timeout=30
    )


def flags(server: PbxdProcess, secret: str = "adminpass") -> list[str]:
    return ["--host", server.host, "--port", str(server.port), "-u", "admin", "-s", secret]


def test_action_with_flags(reference_server: PbxdProcess, env: dict[str, str]) -> None:
    done = ami(env, *flags(reference_server), "action", "Ping")
    assert done.returncode == 0, done.stderr
    assert "Response: Success\nPing: Pong\n" in done.stdout.replace(done.stdout.split("\n")[1] + "\n", "")


def test_command_from_environment(reference_server: PbxdProcess, env: dict[str, str]) -> None:
    env |= {"AMI_HOST": reference_server.host, "AMI_PORT": str(reference_server.port),
            "AMI_USER": "admin", "AMI_SECRET": "adminpass"}  # fmt: skip
    done = ami(env, "command", "core show version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Asterisk 20.20.1")


def test_profiles_and_error_answers(
    reference_server: PbxdProcess, env: dict[str, str], tmp_path: Path
) -> None:
    profile = tmp_path / ".config" / "pbxd" / "ami.conf"
    profile.parent.mkdir(parents=True)
    profile.write_text(
        f"[default]\nhost = {reference_server.host}\nport = {reference_server.port}\n"
        "user = admin\nsecret = adminpass\nauth = md5\n\n"
        "[limited]\nhost = 127.0.0.1\n"
        f"port = {reference_server.port}\nuser = limited\nsecret = limitedpass\n"
    )
    assert ami(env, "action", "Ping").returncode == 0
    refused = ami(env, "--profile", "limited", "command", "core show version")
    assert refused.returncode == 1
    assert refused.stderr == "ami: Permission denied\n"
    missing = ami(env, "--profile", "nobody", "action", "Ping")
    assert missing.returncode == 2 and "no profile [nobody]" in missing.stderr


def test_originate_lists_and_json(reference_server: PbxdProcess, env: dict[str, str]) -> None:
    login = flags(reference_server)
    called = ami(env, *login, "--json", "originate", "Local/100@default", "--app", "Wait",
                 "--data", "30", "--wait")  # fmt: skip
    assert called.returncode == 0, called.stderr
    answer = json.loads(called.stdout)
    assert answer["Event"] == "OriginateResponse" and answer["Response"] == "Success"
    listed = json.loads(ami(env, *login, "--json", "action", "CoreShowChannels").stdout)
    assert listed["response"]["EventList"] == "start"
    ours = [e for e in listed["events"] if e["Channel"].startswith(answer["Channel"][:-2])]
    assert len(ours) == 2
    assert listed["complete"]["Event"] == "CoreShowChannelsComplete"
    text = ami(env, *login, "action", "CoreShowChannels").stdout
    header = next(line for line in text.splitlines() if line.startswith("Channel "))
    assert header.split()[:3] == ["Channel", "ChannelState", "ChannelStateDesc"]
    assert f"{listed['complete']['ListItems']} item(s)" in text
    ami(env, *login, "action", "Hangup", f"Channel={answer['Channel']}")


def test_events_filtered_as_json(reference_server: PbxdProcess, env: dict[str, str]) -> None:
    login = flags(reference_server)
    watcher = subprocess.Popen(
        [str(AMI), *login, "events", "--filter", "Event=UserEvent", "--filter",
         "UserEvent=Wanted", "--json", "--count", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while watcher.poll() is None and time.monotonic() < deadline:
            ami(env, *login, "action", "UserEvent", "UserEvent=Other")
            ami(env, *login, "action", "UserEvent", "UserEvent=Wanted", "Note=hello")
            time.sleep(0.1)
        out, err = watcher.communicate(timeout=10)
    finally:
        watcher.kill()
    assert watcher.returncode == 0, err
    event = json.loads(out)
    assert event["Event"] == "UserEvent" and event["UserEvent"] == "Wanted"
    assert event["Note"] == "hello"


def test_transcript_shows_raw_traffic(reference_server: PbxdProcess, env: dict[str, str]) -> None:
    done = ami(env, *flags(reference_server), "--transcript", "action", "Ping")
    assert done.returncode == 0
    lines = done.stderr.splitlines()
    assert lines[0] == "<< Asterisk Call Manager/9.0.0"
    assert ">> Action: Ping" in lines and "<< Ping: Pong" in lines


def test_shell_reads_actions_and_commands(
    reference_server: PbxdProcess, env: dict[str, str], tmp_path: Path
) -> None:
    env["AMI_HISTORY"] = str(tmp_path / "history")
    done = ami(env, *flags(reference_server), "shell",
               stdin="Ping\n!core show version\nGetvar Variable=NOPE\nquit\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Ping: Pong" in done.stdout
    assert "Asterisk 20.20.1" in done.stdout
    assert "Variable: NOPE" in done.stdout


def test_refused_login(reference_server: PbxdProcess, env: dict[str, str]) -> None:
    done = ami(env, *flags(reference_server, secret="wrong"), "action", "Ping")
    assert done.returncode == 3
    assert done.stderr == (
        f"ami: login as admin refused by {reference_server.host}:{reference_server.port}: "
        "Authentication failed\n"
    )


def test_unreachable_host(env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = ami(env, "--port", str(port), "-s", "x", "action", "Ping")
    assert done.returncode == 4
    assert done.stderr.startswith(f"ami: cannot connect to 127.0.0.1:{port}")
    assert done.stderr.count("\n") == 1


def test_timeout(env: dict[str, str]) -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        done = ami(env, "--port", str(port), "-s", "x", "--timeout", "0.3", "action", "Ping")
    assert done.returncode == 5
    assert done.stderr == f"ami: no answer from 127.0.0.1:{port} in 0.3 s\n"


def test_shell_completes_action_names_from_listcommands() -> None:
    """The names come from Asterisk's own ListCommands answer (transcript 11)."""
    replies = ClientConnection().receive_data(
        b"".join(load(TRANSCRIPTS_DIR / "11_listcommands.txt").server_lines("c1"))
    )
    (listed,) = [m for m in replies if m.get("ActionID") == "lc-1"]
    names = action_names(listed)
    assert "CoreShowChannels" in names and "Response" not in names
    complete = completer(names)
    assert [complete("coreshow", n) for n in range(3)] == [
        "CoreShowChannelMap", "CoreShowChannels", None,
    ]
