"""The HTTP transcript replayer reports a recording changed on purpose (it cannot pass vacuously)."""

from __future__ import annotations

import pytest
from support import TRANSCRIPTS_DIR
from support.http_replay import HttpReplay, is_http
from support.server import PbxdProcess
from support.transcript import Transcript, load, parse

NAME = "29_http_rawman"


def _recorded() -> Transcript:
    path = TRANSCRIPTS_DIR / f"{NAME}.txt"
    if not path.is_file():
        pytest.skip(f"no transcript {path}")
    return load(path)


def test_the_http_scenario_is_recognised() -> None:
    assert is_http(_recorded())


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        pytest.param("<<< b'Pragma: SuppressEvents\\r\\n'", "<<< b'Pragma: Suppress\\r\\n'",
                     "Pragma: Suppress", id="header-value"),
        pytest.param("ping='Pong' timestamp=", "ping='Pang' timestamp=", "Pang", id="xml-body"),
        pytest.param("<<< b'Content-type: text/html\\r\\n'", "<<< b'Content-Type: text/html\\r\\n'",
                     "Content-Type", id="header-name-case"),
        pytest.param("<<< b'Message: Thanks for all the fish.\\r\\n'",
                     "<<< b'Message: Thanks for the fish.\\r\\n'", "Thanks for the fish",
                     id="rawman-body"),
    ],
)  # fmt: skip
def test_replay_detects(old: str, new: str, complaint: str, reference_server: PbxdProcess) -> None:
    text = _recorded().path.read_text()
    assert old in text
    replay = HttpReplay(
        parse(text.replace(old, new, 1), NAME), reference_server.host, reference_server.http_port
    )
    replay.run()
    assert any(complaint in failure for failure in replay.failures), replay.failures
