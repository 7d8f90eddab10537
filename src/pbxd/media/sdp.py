"""SDP (RFC 4566) for one audio stream, and the offer/answer rules of RFC 3264 for G.711.

``parse`` reads what a phone sends; ``negotiate`` picks the codec and the telephone-event
payload type an offer allows and says which direction our answer takes; ``describe``
writes our own offer or answer.  Hold is a direction (``sendonly``/``inactive``) or, in
the old RFC 2543 way, a connection address of 0.0.0.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Static payload types of RFC 3551 we speak, and the codec names of rtpmap lines.
STATIC = {0: "PCMU", 8: "PCMA"}
CODEC_PT = {"PCMU": 0, "PCMA": 8}
TELEPHONE_EVENT = "telephone-event"
DEFAULT_EVENT_PT = 101
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
#: What an answer says for each offered direction.
ANSWER_DIRECTION = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


class SdpError(ValueError):
    """The body is no SDP we can use (the INVITE gets a 488 or a 400)."""


@dataclass
class Media:
    kind: str  # "audio", "video", ...
    port: int
    proto: str
    formats: list[str]
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)  # pt -> (name, rate)
    fmtp: dict[int, str] = field(default_factory=dict)
    direction: str = ""  # "" when the media section says nothing
    ptime: int | None = None
    address: str = ""  # the media-level c= line, if any

    def codec_of(self, pt: int) -> str:
        name = self.rtpmap.get(pt, (STATIC.get(pt, ""), 8000))[0]
        return name.upper() if name.lower() != TELEPHONE_EVENT else TELEPHONE_EVENT


@dataclass
class Session:
    origin: str = ""
    name: str = ""
    address: str = ""  # the session-level c= address
    direction: str = ""
    media: list[Media] = field(default_factory=list)

    def audio(self) -> Media | None:
        return next((m for m in self.media if m.kind == "audio" and m.port), None)


def parse(text: str | bytes) -> Session:
    """An SDP body; SdpError if there is no v= line or a line it needs is malformed."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    session = Session()
    current: Media | None = None
    seen_version = False
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:].strip()
        if kind == "v":
            seen_version = True
        elif kind == "o":
            session.origin = value
        elif kind == "s":
            session.name = value
        elif kind == "c":
            parts = value.split()
            if len(parts) != 3 or parts[0] != "IN":
                raise SdpError(f"bad connection line: c={value}")
            address = parts[2].split("/")[0]
            if current is None:
                session.address = address
            else:
                current.address = address
        elif kind == "m":
            parts = value.split()
            if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
                raise SdpError(f"bad media line: m={value}")
            current = Media(parts[0], int(parts[1].split("/")[0]), parts[2], parts[3:])
            session.media.append(current)
        elif kind == "a":
            _attribute(session, current, value)
    if not seen_version:
        raise SdpError("no v= line")
    return session


def _attribute(session: Session, media: Media | None, value: str) -> None:
    name, _, rest = value.partition(":")
    if name in DIRECTIONS:
        if media is None:
            session.direction = name
        else:
            media.direction = name
    elif media is None:
        return
    elif name == "rtpmap":
        pt_text, _, encoding = rest.partition(" ")
        parts = encoding.strip().split("/")
        if pt_text.isdigit() and parts[0]:
            rate = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 8000
            media.rtpmap[int(pt_text)] = (parts[0], rate)
    elif name == "fmtp":
        pt_text, _, params = rest.partition(" ")
        if pt_text.isdigit():
            media.fmtp[int(pt_text)] = params.strip()
    elif name == "ptime" and rest.strip().isdigit():
        media.ptime = int(rest.strip())


@dataclass(frozen=True)
class Negotiated:
    """What an offer/answer exchange settled on for the audio stream."""

    codec: str  # "PCMU" or "PCMA"
    pt: int  # its payload type in the offer
    event_pt: int | None  # telephone-event payload type, if both sides have it
    address: str  # where to send RTP
    port: int
    direction: str  # our direction (what our answer says)
    ptime: int = 20

    @property
    def on_hold(self) -> bool:
        """The far end holds us: it will not listen to what we send."""
        return self.direction in ("recvonly", "inactive") or self.address == "0.0.0.0"


def negotiate(offer: Session, codecs: tuple[str, ...]) -> Negotiated:
    """The first codec in the far end's order that we allow; SdpError if none.

    ``offer`` is the far end's offer, or its answer to ours: either way our direction is the
    mirror image of the one it states.
    """
    audio = offer.audio()
    if audio is None:
        raise SdpError("no audio stream")
    if not audio.proto.upper().startswith("RTP/AVP"):
        raise SdpError(f"unsupported transport {audio.proto}")
    chosen: tuple[str, int] | None = None
    event_pt = None
    allowed = {c.upper() for c in codecs}
    for fmt in audio.formats:
        if not fmt.isdigit():
            continue
        pt = int(fmt)
        name = audio.codec_of(pt)
        rate = audio.rtpmap.get(pt, ("", 8000))[1]
        if name == TELEPHONE_EVENT and rate == 8000 and event_pt is None:
            event_pt = pt
        elif chosen is None and name in allowed and rate == 8000:
            chosen = (name, pt)
    if chosen is None:
        raise SdpError("no common codec")
    stated = audio.direction or offer.direction or "sendrecv"
    direction = ANSWER_DIRECTION[stated]
    address = audio.address or offer.address
    if not address:
        raise SdpError("no connection address")
    return Negotiated(
        chosen[0], chosen[1], event_pt, address, audio.port, direction, audio.ptime or 20
    )


def describe(
    address: str,
    port: int,
    codecs: tuple[tuple[str, int], ...],
    event_pt: int | None,
    direction: str = "sendrecv",
    session_id: int = 0,
    version: int = 0,
    ptime: int = 20,
) -> bytes:
    """Our SDP: one audio stream offering ``codecs`` (name, payload type) in order."""
    formats = [str(pt) for _, pt in codecs]
    if event_pt is not None:
        formats.append(str(event_pt))
    lines = [
        "v=0",
        f"o=pbxd {session_id} {version} IN IP4 {address}",
        "s=pbxd",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(formats)}",
    ]
    lines += [f"a=rtpmap:{pt} {name}/8000" for name, pt in codecs]
    if event_pt is not None:
        lines += [f"a=rtpmap:{event_pt} telephone-event/8000", f"a=fmtp:{event_pt} 0-16"]
    lines += [f"a=ptime:{ptime}", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()
