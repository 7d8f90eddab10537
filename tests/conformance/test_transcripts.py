"""Golden-transcript conformance: pbxd replays what a real Asterisk 20.20.1 did, byte for byte.

Each scenario in ``<repo>/../shared/reference/asterisk-20/transcripts`` is one test. The
client's writes are re-sent exactly (connections, chunking, pipelining); pbxd's answers are
compared message by message with the recording after normalising run-specific values (see
``support.transcript.normalise``). Each scenario gets a fresh pbxd on the reference conf,
so uptimes, connected users and counters do not depend on other tests.

What cannot be replayed is left out by the tables below, each naming its issue and why
(issue 3 = PBX core, channels, dialplan; issue 4 = queues, voicemail, hints, ASTdb, peers;
issue 6 = HTTP manager).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import TRANSCRIPTS_DIR
from support.ami import AmiSocket, action
from support.http_replay import HttpReplay, is_http
from support.replay import IgnoreEvent, Replay, Skip
from support.server import PbxdProcess
from support.transcript import TokenMap, Transcript, load, load_all, normalise, parse
from support.voicemail import reference_conf_with_mailbox

#: Whole scenarios that cannot run yet: name -> (issue, why).
SCENARIO_SKIPS: dict[str, tuple[int, str]] = {
}

#: Single sent actions (and the server's answer to them) left out of a scenario that runs.
STEP_SKIPS: tuple[Skip, ...] = (
    Skip(
        4,
        "DeviceStateList lists Asterisk's whole device cache: it held devices of sessions"
        " before the recording (Queue:support_pause_Local/200@default), and pbxd does not"
        " publish app_queue's _pause/_avail or app_voicemail's MWI: devices",
        "DeviceStateList",
    ),
)

#: Events of features not built yet, left out by name wherever they occur (recorded or sent).
IGNORED_EVENTS: tuple[IgnoreEvent, ...] = (
    IgnoreEvent(
        4,
        "Asterisk raced: a Local device read before its call was marked started",
        "DeviceStateChange",
        "13_originate_async",
    ),
    *(
        IgnoreEvent(
            4,
            "app_queue hears device states on its own thread: where its QueueMemberStatus"
            " lands among a call's events is a race (21_queue checks them)",
            "QueueMemberStatus",
            scenario,
        )
        for scenario in ("13_originate_async", "17_getvar_setvar")
    ),
)

#: Scenarios recorded against stored state a fresh pbxd must be given first: name -> a
#: function making the configuration directory (from the reference one and a scratch dir).
SCENARIO_STATE: dict[str, Callable[[Path, Path], Path]] = {
    "20_mailbox": reference_conf_with_mailbox,
}

def _one_queue_call_of_seven_seconds(pbxd: PbxdProcess) -> None:
    """21_queue was recorded after a call of 7 s through the queue: the same history here."""
    with AmiSocket(*pbxd.address, timeout=15.0) as ami:
        ami.read_banner()
        ami.login(events="agent")
        ami.send(
            action(
                "Originate",
                ("Channel", "Local/500@queues"),
                ("Application", "Wait"),
                ("Data", "7.5"),
                ("Async", "yes"),
            )
        )
        ami.read_event("AgentComplete", timeout=15.0)


#: What a scenario's recording had already happened on the server before it began.
SCENARIO_SETUPS: dict[str, Callable[[PbxdProcess], None]] = {
    "21_queue": _one_queue_call_of_seven_seconds,
}

#: Secrets of the reference manager.conf, to recompute MD5 keys from pbxd's challenges.
SECRETS = {"admin": "adminpass", "limited": "limitedpass", "acluser": "acluserpass"}


def _scenarios() -> list[Path]:
    return sorted(TRANSCRIPTS_DIR.glob("*.txt")) if TRANSCRIPTS_DIR.is_dir() else []


@pytest.fixture
def reference_pbxd(
    request: pytest.FixtureRequest,
    reference_conf_dir: Path,
    start_pbxd: Callable[..., PbxdProcess],
    tmp_path: Path,
) -> PbxdProcess:
    """A fresh pbxd on the reference configuration (with the scenario's stored state)."""
    path = getattr(request.node, "callspec", None) and request.node.callspec.params.get("path")
    prepare = SCENARIO_STATE.get(path.stem) if isinstance(path, Path) else None
    return start_pbxd(prepare(reference_conf_dir, tmp_path) if prepare else reference_conf_dir)


def _replayable() -> list[object]:
    """Every scenario; those in SCENARIO_SKIPS marked skipped (no server is started)."""
    params: list[object] = []
    for path in _scenarios():
        skip = SCENARIO_SKIPS.get(path.stem)
        marks = [pytest.mark.skip(reason=f"issue {skip[0]}: {skip[1]}")] if skip else []
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


@pytest.mark.parametrize("path", _replayable())
def test_transcript(path: Path, reference_pbxd: PbxdProcess) -> None:
    """pbxd answers the recorded client exactly as Asterisk did."""
    transcript = load(path)
    setup = SCENARIO_SETUPS.get(path.stem)
    if setup is not None:
        setup(reference_pbxd)
    replay: Replay | HttpReplay
    if is_http(transcript):
        replay = HttpReplay(transcript, reference_pbxd.host, reference_pbxd.http_port)
    else:
        replay = Replay(transcript, *reference_pbxd.address, STEP_SKIPS, SECRETS, IGNORED_EVENTS)
    try:
        replay.run()
    except AssertionError as exc:
        replay.failures.append(str(exc))
    if replay.failures:
        skipped = "".join(f"\n  left out: {s}" for s in replay.skipped)
        skipped += "".join(f"\n  left out: {ignore}" for ignore in IGNORED_EVENTS)
        pytest.fail(
            f"{len(replay.failures)} mismatch(es) in {path.name}:\n\n"
            + "\n\n".join(replay.failures)
            + skipped
            + f"\n\n{reference_pbxd.diagnostics(20)}",
            pytrace=False,
        )
    assert replay.checked > 0


def test_transcripts_present() -> None:
    """The reference recordings are where the tests look (or every scenario is skipped)."""
    if not TRANSCRIPTS_DIR.is_dir():
        pytest.skip(f"no transcripts at {TRANSCRIPTS_DIR}")
    assert len(_scenarios()) >= 20


@pytest.mark.parametrize("path", _scenarios(), ids=lambda p: p.stem)
def test_transcript_parses(path: Path) -> None:
    """The parser keeps every byte: declared chunk sizes match the literals under them."""
    transcript = load(path)
    assert transcript.items
    assert transcript.size_mismatches() == []
    assert transcript.connections


def test_skip_tables_name_real_scenarios() -> None:
    """Every whole-scenario skip names a recording that exists; step skips name an issue."""
    if not TRANSCRIPTS_DIR.is_dir():
        pytest.skip(f"no transcripts at {TRANSCRIPTS_DIR}")
    names = {t.name for t in load_all(TRANSCRIPTS_DIR)}
    assert set(SCENARIO_SKIPS) <= names
    assert all(skip.issue in (3, 4, 6) for skip in STEP_SKIPS)


def _recorded(name: str) -> Transcript:
    path = TRANSCRIPTS_DIR / f"{name}.txt"
    if not path.is_file():
        pytest.skip(f"no transcript {path}")
    return load(path)


# --- the replayer itself must not pass vacuously ---------------------------------------------


def _mutated(name: str, old: str, new: str) -> Transcript:
    text = _recorded(name).path.read_text()
    assert old in text, f"{old!r} not in {name}"
    return parse(text.replace(old, new, 1), f"{name} (mutated)")


@pytest.mark.parametrize(
    ("name", "old", "new", "complaint"),
    [
        pytest.param(
            "06_ping", "<<< b'Ping: Pong\\r\\n'", "<<< b'Ping: Pang\\r\\n'", "Ping: Pang",
            id="wrong-value",
        ),
        pytest.param(
            "06_ping", "# [+2.505s] c1 close (client side)",
            "# [+2.505s] c1 peer closed connection (EOF)", "did not close",
            id="missing-eof",
        ),
        pytest.param(
            "09_logoff", "<<< b'Message: Thanks for all the fish.\\r\\n'\n<<< b'\\r\\n'\n"
            "# [+1.006s]", "# [+1.006s]", "unexpected data before EOF",
            id="extra-message",
        ),
        pytest.param(
            "23_userevent", "<<< b'AccountID: limited\\r\\n'", "<<< b'AccountID: nobody\\r\\n'",
            "never arrived", id="missing-security-event",
        ),
        pytest.param(
            "11_listcommands",
            "<<< b'Ping: Keepalive command.  (Priv: <none>)\\r\\n'",
            "<<< b'Ping: Keepalive command!  (Priv: <none>)\\r\\n'",
            "Ping: got",
            id="listcommands-line",
        ),
        pytest.param(
            "02_login_success", "<<< b'Message: Authentication accepted\\r\\n'",
            "<<< b'Message: Authentication failed\\r\\n'", "failed login answered after",
            id="failed-login-timing",
        ),
    ],
)  # fmt: skip
def test_replay_detects(
    name: str, old: str, new: str, complaint: str, reference_server: PbxdProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A transcript changed on purpose makes the replay report the change."""
    monkeypatch.setattr("support.replay.SECURITY_GRACE", 0.5)
    replay = Replay(_mutated(name, old, new), *reference_server.address, STEP_SKIPS, SECRETS)
    try:
        replay.run()
    except AssertionError as exc:
        replay.failures.append(str(exc))
    assert any(complaint in failure for failure in replay.failures), replay.failures


def test_normalise_keeps_what_matters() -> None:
    """Run-specific values are masked; names, texts and column widths are not."""
    assert normalise(b"Timestamp: 1795680677.672661\r\n") == b"Timestamp: <timestamp>\r\n"
    assert normalise(b"Timestamp: soon\r\n") == b"Timestamp: soon\r\n"
    assert normalise(b"RemoteAddress: IPV4/TCP/127.0.0.1/42382\r\n") == (
        b"RemoteAddress: IPV4/TCP/127.0.0.1/<port>\r\n"
    )
    assert normalise(b"Output: System uptime: 10 minutes, 54 seconds\r\n") == (
        b"Output: System uptime: <duration>\r\n"
    )
    row = b"Output:   admin            127.0.0.1    1795681039  3           16        0         1  1\r\n"
    narrow = row.replace(b"3           16", b"3          16")
    assert normalise(row) != normalise(narrow)


def test_parser_keeps_labels_chunks_and_closes() -> None:
    """Notes become items with their connection label; bytes stay with their chunk."""
    text = (
        "# scenario demo\n"
        "# [+0.000s] c1 connect 127.0.0.1:15038 (local port 1)\n"
        "# [+0.201s] c1 send 5 bytes in one write\n"
        ">>> b'Actio'\n"
        "# [+0.251s] c1 send 11 bytes in one write\n"
        ">>> b'n: Ping\\r\\n'\n"
        ">>> b'\\r\\n'\n"
        "# [+0.300s] other recv chunk 19 bytes\n"
        "<<< b'Response: Success\\r\\n'\n"
        "# [+0.300s] other recv chunk 2 bytes\n"
        "<<< b'\\r\\n'\n"
        "# [+1.202s] c1 peer closed connection (EOF)\n"
        "# [+2.012s] other close (client side)\n"
    )
    transcript = parse(text, "demo")
    kinds = [(item.kind, item.conn, item.at) for item in transcript.items]
    assert kinds == [
        ("note", None, None),
        ("connect", "c1", 0.0),
        ("send", "c1", 0.201),
        ("send", "c1", 0.251),
        ("recv", "other", 0.3),
        ("recv", "other", 0.3),
        ("eof", "c1", 1.202),
        ("close", "other", 2.012),
    ]
    assert transcript.connections == ["c1", "other"]
    assert [item.data for item in transcript.of("c1", "send")] == [b"Actio", b"n: Ping\r\n\r\n"]
    assert transcript.size_mismatches() == []
    assert transcript.server_messages("other") == [b"Response: Success\r\n\r\n"]


def test_token_map_pairs_run_specific_values_one_to_one() -> None:
    """Local sequence numbers and ids map consistently; a second pairing is refused."""
    tokens = TokenMap()
    want = b"Event: Newchannel\r\nChannel: Local/100@default-0000000d;1\r\nUniqueid: 17.28\r\n\r\n"
    got = b"Event: Newchannel\r\nChannel: Local/100@default-00000001;1\r\nUniqueid: 99.1\r\n\r\n"
    assert tokens.match(want, got)
    assert tokens.rewrite(b"Channel: Local/100@default-0000000d;2\r\n") == (
        b"Channel: Local/100@default-00000001;2\r\n"
    )
    assert tokens.translate(want) == got
    other = got.replace(b"99.1", b"99.2")
    assert not tokens.match(want, other)  # 17.28 already stands for 99.1
    assert not tokens.match(want.replace(b"17.28", b"17.29"), got)  # 99.1 is taken
    assert not tokens.match(want, got.replace(b"Newchannel", b"Newstate"))
