"""SDP parsing and offer/answer for G.711 with telephone-event."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxd.media import sdp

SIPP_OFFER = (
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 8 0 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:30\r\n"
)


def test_parse_sipp_offer() -> None:
    session = sdp.parse(SIPP_OFFER)
    audio = session.audio()
    assert audio is not None
    assert (session.address, audio.port, audio.formats) == ("127.0.0.1", 6000, ["8", "0", "101"])
    assert audio.rtpmap[101] == ("telephone-event", 8000)
    assert audio.fmtp[101] == "0-15"
    assert audio.ptime == 30


def test_answer_takes_the_offers_first_allowed_codec() -> None:
    offer = sdp.parse(SIPP_OFFER)
    assert sdp.negotiate(offer, ("PCMU", "PCMA")) == sdp.Negotiated(
        "PCMA", 8, 101, "127.0.0.1", 6000, "sendrecv", 30
    )
    assert sdp.negotiate(offer, ("PCMU",)).codec == "PCMU"


def test_static_payload_types_need_no_rtpmap() -> None:
    offer = sdp.parse("v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\n")
    found = sdp.negotiate(offer, ("PCMU",))
    assert (found.codec, found.pt, found.event_pt, found.address) == ("PCMU", 0, None, "10.0.0.1")


@pytest.mark.parametrize(
    ("line", "ours", "held"),
    [
        ("a=sendonly", "recvonly", True),
        ("a=inactive", "inactive", True),
        ("a=recvonly", "sendonly", False),
        ("a=sendrecv", "sendrecv", False),
    ],
)
def test_hold_directions(line: str, ours: str, held: bool) -> None:
    found = sdp.negotiate(sdp.parse(SIPP_OFFER + line + "\r\n"), ("PCMU",))
    assert found.direction == ours
    assert found.on_hold is held


def test_old_style_hold_by_zero_address() -> None:
    text = SIPP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")
    assert sdp.negotiate(sdp.parse(text), ("PCMU",)).on_hold


def test_media_level_connection_wins() -> None:
    text = SIPP_OFFER + "c=IN IP4 192.0.2.7\r\n"
    assert sdp.negotiate(sdp.parse(text), ("PCMU",)).address == "192.0.2.7"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("m=audio 1 RTP/AVP 0\r\n", "no v= line"),
        ("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 18\r\n", "no common codec"),
        ("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 1 RTP/AVP 0\r\n", "no audio stream"),
        ("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/SAVP 0\r\n", "unsupported transport"),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\n", "no connection address"),
        ("v=0\r\nc=IN\r\n", "bad connection line"),
        ("v=0\r\nm=audio x RTP/AVP 0\r\n", "bad media line"),
    ],
)
def test_unusable_offers(text: str, reason: str) -> None:
    with pytest.raises(sdp.SdpError, match=reason):
        sdp.negotiate(sdp.parse(text), ("PCMU", "PCMA"))


def test_describe_round_trips() -> None:
    body = sdp.describe("127.0.0.1", 10002, (("PCMU", 0), ("PCMA", 8)), 101, "sendonly", 7, 2)
    assert body.startswith(b"v=0\r\no=pbxd 7 2 IN IP4 127.0.0.1\r\n")
    found = sdp.negotiate(sdp.parse(body), ("PCMA", "PCMU"))
    assert (found.codec, found.event_pt, found.port, found.direction) == (
        "PCMU",
        101,
        10002,
        "recvonly",
    )


@given(st.text(max_size=300))
def test_parse_never_fails_otherwise(text: str) -> None:
    try:
        sdp.negotiate(sdp.parse(text), ("PCMU",))
    except sdp.SdpError:
        pass
