"""SIP messages (RFC 3261): parsing and serializing, sans I/O.

``parse_message(data)`` turns one datagram (or one framed stream message) into a
:class:`Request` or :class:`Response`; ``StreamFramer`` cuts a TCP byte stream into messages by
their Content-Length. Anything malformed raises :class:`SipParseError` and nothing else.

Headers keep their order and repeated names; names are matched case-insensitively and compact
forms (``v``, ``f``, ``t``, ``i``, ``m``, ``l``, ...) are stored under their full names. Folded
lines (a line starting with a space or tab continues the previous header) are unfolded. A
header that may carry a comma-separated list (Via, Contact, Route, ...) is split by
``Headers.values``. ``encode()`` writes CRLF lines and sets Content-Length to the body's size.

Structured values: :class:`SipUri` (``sip:user:password@host:port;params?headers``),
:class:`NameAddr` (To, From, Contact, Route: ``"Name" <uri>;tag=x``), :class:`Via` and
:func:`parse_cseq`. Parameters keep their order in a dict of lowercased names (value None for
a bare flag like ``;lr`` or ``;rport``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

MAGIC_COOKIE = "z9hG4bK"
_T = TypeVar("_T")
MAX_MESSAGE = 65535  # bytes; a longer head or body is refused

#: RFC 3261 (and extensions') compact forms.
COMPACT = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}
#: Spellings that are not simply capitalized words.
_SPECIAL = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match",
    "rack": "RAck",
    "rseq": "RSeq",
}
#: Headers whose value may be a comma-separated list of entries.
LIST_HEADERS = frozenset(
    {"via", "contact", "route", "record-route", "allow", "supported", "require",
     "proxy-require", "unsupported", "allow-events", "accept"}
)  # fmt: skip

#: The same, by canonical name.
_LIST_CANONICAL = frozenset(
    "-".join(p.capitalize() for p in name.split("-")) for name in LIST_HEADERS
)

REASONS = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
_STATUS_LINE = re.compile(r"^SIP/2\.0 ([1-6][0-9][0-9]) ?(.*)$")
_REQUEST_LINE = re.compile(r"^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP/2\.0$")
_BAD_HOST = re.compile(r'[ \t<>"@;]')
_BAD_URI = re.compile(r'[ \t"<>]')


def is_number(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes ``²`` and other digits)."""
    return text.isascii() and text.isdigit()


class SipParseError(ValueError):
    """The bytes are not a well-formed SIP message (or a value not a well-formed field)."""


def _spell(name: str) -> str:
    lowered = name.lower()
    if lowered in COMPACT:
        return COMPACT[lowered]
    special = _SPECIAL.get(lowered)
    if special is not None:
        return special
    return "-".join(part.capitalize() for part in lowered.split("-"))


_CANONICAL: dict[str, str] = {}  # token spellings seen -> canonical name
_CANONICAL_LIMIT = 4096  # peers cannot grow it without bound with made-up names


def canonical(name: str) -> str:
    """The full, conventionally spelled header name (``v`` and ``VIA`` give ``Via``)."""
    known = _CANONICAL.get(name)
    if known is not None:
        return known
    spelled = _spell(name)
    if len(_CANONICAL) < _CANONICAL_LIMIT and _TOKEN.match(name):
        _CANONICAL[name] = spelled
    return spelled


def split_list(value: str) -> list[str]:
    """Split a header value at commas that are outside quotes and angle brackets."""
    if "," not in value:
        value = value.strip()
        return [value] if value else []
    if '"' not in value and "<" not in value:
        return [part for part in (p.strip() for p in value.split(",")) if part]
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    i = 0
    while i < len(value):
        char = value[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            depth += 1
        elif char == ">":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
        i += 1
    parts.append(value[start:].strip())
    return [part for part in parts if part]


class Headers:
    """Ordered ``(name, value)`` pairs; names canonical, looked up case-insensitively."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = [(canonical(n), v) for n, v in items or ()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``."""
        key = _CANONICAL.get(name) or canonical(name)
        for item_name, value in self._items:
            if item_name == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every header line's value for ``name``, in order (not split at commas)."""
        return self._all(_CANONICAL.get(name) or canonical(name))

    def values(self, name: str) -> list[str]:
        """Every entry of ``name``: list headers split at their top-level commas."""
        key = _CANONICAL.get(name) or canonical(name)
        found = self._all(key)
        if key in _LIST_CANONICAL:
            return [entry for value in found for entry in split_list(value)]
        return found

    def _all(self, key: str) -> list[str]:
        return [value for item_name, value in self._items if item_name == key]

    def add(self, name: str, value: str) -> None:
        self._items.append((_CANONICAL.get(name) or canonical(name), value))

    def prepend(self, name: str, value: str) -> None:
        self._items.insert(0, (canonical(name), value))

    def set(self, name: str, value: str) -> None:
        """Replace every ``name`` by one line (in the first one's place, else at the end)."""
        key = canonical(name)
        for index, (item_name, _) in enumerate(self._items):
            if item_name == key:
                self._items[index] = (key, value)
                self._items[index + 1 :] = [i for i in self._items[index + 1 :] if i[0] != key]
                return
        self._items.append((key, value))

    def replace_all(self, name: str, values: list[str]) -> None:
        """Replace every line of ``name`` by ``values``, one line each, where the first was."""
        key = canonical(name)
        index = next((i for i, item in enumerate(self._items) if item[0] == key), 0)
        kept = [item for item in self._items if item[0] != key]
        kept[index:index] = [(key, value) for value in values]
        self._items = kept

    def remove(self, name: str) -> None:
        key = canonical(name)
        self._items = [item for item in self._items if item[0] != key]

    def copy(self) -> Headers:
        copied = Headers()
        copied._items = list(self._items)
        return copied


#: Parsed header values by (name, raw text), shared by every message that carries the same
#: text (a dialog's From and To, a request's Via in its responses): parsed once. Emptied when
#: full, so made-up values cannot grow it.
_PARSED: dict[tuple[str, str], object] = {}
_PARSED_LIMIT = 8192


def _parsed(name: str, raw: str, parse: Callable[[str], _T]) -> _T:
    key = (name, raw)
    found = _PARSED.get(key)
    if found is None:
        found = parse(raw)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = found
    return found  # type: ignore[return-value]


def name_addr(text: str) -> NameAddr:
    """``text`` parsed as a name-addr, shared (read it, do not change it)."""
    return _parsed("name-addr", text, NameAddr.parse)


@dataclass(slots=True)
class _Message:
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    # -- the headers every request and response carry -----------------------------------
    @property
    def call_id(self) -> str:
        return self.headers.get("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        return _parsed("CSeq", self.headers.get("CSeq") or "", parse_cseq)

    @property
    def vias(self) -> list[Via]:
        return [Via.parse(value) for value in self.headers.values("Via")]

    @property
    def top_via(self) -> Via:
        """The first Via, parsed (shared: read it, do not change it; see ``Via.copy``)."""
        first = self.headers.get("Via")
        if first is None:
            raise SipParseError("no Via header")
        if "," in first:
            entries = split_list(first)
            if not entries:
                raise SipParseError("no Via header")
            first = entries[0]
        return _parsed("Via", first, Via.parse)

    @property
    def from_(self) -> NameAddr:
        """From, parsed (shared: read it, do not change it)."""
        return name_addr(self.headers.get("From") or "")

    @property
    def to(self) -> NameAddr:
        """To, parsed (shared: read it, do not change it)."""
        return name_addr(self.headers.get("To") or "")

    def _head_and_body(self, start: str) -> bytes:
        lines = [start]
        for name, value in self.headers._items:
            if name != "Content-Length":
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(self.body)}\r\n\r\n")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body


@dataclass(slots=True)
class Request(_Message):
    method: str = ""
    uri: str = ""

    def encode(self) -> bytes:
        return self._head_and_body(f"{self.method} {self.uri} SIP/2.0")


@dataclass(slots=True)
class Response(_Message):
    status: int = 200
    reason: str = "OK"

    def encode(self) -> bytes:
        return self._head_and_body(f"SIP/2.0 {self.status} {self.reason}")


Message = Request | Response


# -- parsing ------------------------------------------------------------------------------


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    """The head (without its blank line) and everything after it."""
    end = data.find(b"\r\n\r\n")
    size = 4
    bare = data.find(b"\n\n")
    if bare != -1 and (end == -1 or bare < end):
        end, size = bare, 2
    if end == -1:
        raise SipParseError("message head not terminated by an empty line")
    return data[:end], data[end + size :]


def _header_lines(head: str) -> tuple[str, list[tuple[str, str]]]:
    lines = head.replace("\r\n", "\n").split("\n")
    start = lines[0]
    items: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if not items:
                raise SipParseError("continuation line before any header")
            name, value = items[-1]
            items[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        known = _CANONICAL.get(name)
        if known is None:
            name = name.strip()
            if not colon or not _TOKEN.match(name):
                raise SipParseError(f"malformed header line: {line[:60]!r}")
            known = canonical(name)
        items.append((known, value.strip()))
    return start, items


def _content_length(headers: Headers) -> int | None:
    text = headers.get("Content-Length")
    if text is None:
        return None
    if not is_number(text) or len(text) > 9:
        raise SipParseError(f"bad Content-Length: {text[:20]!r}")
    return int(text)


def _start(start: str, headers: Headers, body: bytes) -> Message:
    status = _STATUS_LINE.match(start)
    if status is not None:
        return Response(headers, body, int(status.group(1)), status.group(2))
    request = _REQUEST_LINE.match(start)
    if request is None:
        raise SipParseError(f"malformed start line: {start[:60]!r}")
    return Request(headers, body, request.group(1).upper(), request.group(2))


def parse_message(data: bytes) -> Message:
    """One whole message (a UDP datagram). A body shorter than its Content-Length is an
    error; bytes beyond it are dropped (RFC 3261 18.3)."""
    if len(data) > MAX_MESSAGE:
        raise SipParseError("message too large")
    head, rest = _split_head(data.lstrip(b"\r\n"))
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError("message head is not UTF-8") from exc
    start, items = _header_lines(text)
    headers = Headers()
    headers._items = items  # names made canonical by _header_lines
    length = _content_length(headers)
    if length is not None:
        if len(rest) < length:
            raise SipParseError(f"Content-Length {length} but only {len(rest)} bytes of body")
        rest = rest[:length]
    return _start(start, headers, rest)


class StreamFramer:
    """Cuts a stream (TCP) into messages; a message without Content-Length has no body."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """The messages completed by ``data``; raises SipParseError (the stream is then
        unusable and should be closed)."""
        self._buffer += data
        messages: list[Message] = []
        while True:
            stripped = self._buffer.lstrip(b"\r\n")  # keep-alive CRLFs
            if len(stripped) != len(self._buffer):
                del self._buffer[: len(self._buffer) - len(stripped)]
            end = self._buffer.find(b"\r\n\r\n")
            if end == -1:
                if len(self._buffer) > MAX_MESSAGE:
                    raise SipParseError("message head too large")
                return messages
            head = bytes(self._buffer[:end])
            try:
                _start_line, items = _header_lines(head.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise SipParseError("message head is not UTF-8") from exc
            length = _content_length(Headers(items)) or 0
            if length > MAX_MESSAGE:
                raise SipParseError("body too large")
            total = end + 4 + length
            if len(self._buffer) < total:
                return messages
            messages.append(parse_message(bytes(self._buffer[:total])))
            del self._buffer[:total]


# -- structured values --------------------------------------------------------------------


_PARAM_NAMES: dict[str, str] = {}  # parameter names as written -> lowercased, checked


def parse_params(text: str) -> dict[str, str | None]:
    """``;a=1;lr;b="x y"`` (leading ``;`` optional) into an ordered dict, names lowercased."""
    params: dict[str, str | None] = {}
    if not text:
        return params
    for part in text.split(";") if '"' not in text else _split_unquoted(text, ";"):
        if not part:
            continue
        name, equals, value = part.partition("=")
        known = _PARAM_NAMES.get(name)
        if known is None:
            part = part.strip()
            if not part:
                continue
            known = name.strip().lower()
            if not known or not _TOKEN.match(known):
                raise SipParseError(f"bad parameter {part[:40]!r}")
            if len(_PARAM_NAMES) < _CANONICAL_LIMIT:
                _PARAM_NAMES[name] = known
        params[known] = value.strip() if equals else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def _split_unquoted(text: str, separator: str) -> list[str]:
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    if quoted:
        raise SipParseError("unterminated quoted string")
    parts.append(text[start:])
    return parts


@functools.lru_cache(maxsize=4096)
def _host_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        close = text.find("]")
        if close == -1:
            raise SipParseError(f"bad IPv6 reference {text[:50]!r}")
        host, rest = text[: close + 1], text[close + 1 :]
        if rest and not rest.startswith(":"):
            raise SipParseError(f"bad host {text[:50]!r}")
        port_text = rest[1:] if rest else ""
    else:
        host, _, port_text = text.partition(":")
    if not host or _BAD_HOST.search(host):
        raise SipParseError(f"bad host {text[:50]!r}")
    if not port_text:
        return host, None
    if not is_number(port_text) or not 0 < int(port_text) < 65536:
        raise SipParseError(f"bad port {port_text[:10]!r}")
    return host, int(port_text)


@dataclass
class SipUri:
    scheme: str = "sip"
    user: str = ""
    password: str = ""
    host: str = ""
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: str = ""

    @classmethod
    def parse(cls, text: str) -> SipUri:
        text = text.strip()
        scheme, colon, rest = text.partition(":")
        scheme = scheme.lower()
        if not colon or scheme not in ("sip", "sips"):
            raise SipParseError(f"not a SIP URI: {text[:60]!r}")
        rest, _, headers = rest.partition("?")
        user = password = ""
        if "@" in rest:
            userinfo, _, rest = rest.rpartition("@")
            user, _, password = userinfo.partition(":")
        hostport, _, params_text = rest.partition(";")
        host, port = _host_port(hostport)
        return cls(scheme, user, password, host, port, parse_params(params_text), headers)

    def __str__(self) -> str:
        text = f"{self.scheme}:"
        if self.user:
            text += self.user + (f":{self.password}" if self.password else "") + "@"
        text += self.host
        if self.port is not None:
            text += f":{self.port}"
        text += format_params(self.params)
        if self.headers:
            text += "?" + self.headers
        return text


@dataclass
class NameAddr:
    """``"Display" <uri>;params`` or ``uri;params`` (To, From, Contact, Route)."""

    display: str = ""
    uri: str = ""
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        text = text.strip()
        if not text:
            raise SipParseError("empty address")
        if text == "*":
            return cls("", "*", {})
        display = ""
        if "<" in text:
            before, _, after = text.partition("<")
            uri, closing, params_text = after.partition(">")
            if not closing:
                raise SipParseError(f"unterminated <uri> in {text[:60]!r}")
            display = before.strip()
            if display.startswith('"'):
                if len(display) < 2 or not display.endswith('"'):
                    raise SipParseError(f"bad display name in {text[:60]!r}")
                display = display[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            params_text = params_text.strip()
            if params_text and not params_text.startswith(";"):
                raise SipParseError(f"text after <uri> in {text[:60]!r}")
        else:
            uri, _, params_text = text.partition(";")
        uri = uri.strip()
        if not uri or _BAD_URI.search(uri):
            raise SipParseError(f"bad URI in {text[:60]!r}")
        return cls(display, uri, parse_params(params_text))

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    @property
    def sip_uri(self) -> SipUri:
        return SipUri.parse(self.uri)

    def __str__(self) -> str:
        if self.uri == "*":
            return "*"
        name = f'"{self.display}" ' if self.display else ""
        return f"{name}<{self.uri}>{format_params(self.params)}"


_VIA_PROTOCOLS = {f"SIP/2.0/{t}": t for t in ("UDP", "TCP", "TLS", "WS", "WSS", "SCTP")}


@dataclass
class Via:
    transport: str = "UDP"
    host: str = ""
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        protocol, _, rest = text.strip().partition(" ")
        transport = _VIA_PROTOCOLS.get(protocol)
        if transport is None:
            parts = [part.strip() for part in protocol.split("/")]
            if len(parts) != 3 or parts[0].upper() != "SIP" or parts[1] != "2.0" or not parts[2]:
                raise SipParseError(f"bad Via {text[:60]!r}")
            transport = parts[2].upper()
        sent_by, _, params_text = rest.strip().partition(";")
        host, port = _host_port(sent_by.strip())
        return cls(transport, host, port, parse_params(params_text))

    def copy(self) -> Via:
        """A copy to change (a parsed Via is shared by the messages that carry it)."""
        return Via(self.transport, self.host, self.port, dict(self.params))

    @property
    def branch(self) -> str:
        return self.params.get("branch") or ""

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"SIP/2.0/{self.transport} {self.sent_by}{format_params(self.params)}"


def parse_cseq(text: str) -> tuple[int, str]:
    number, _, method = text.strip().partition(" ")
    method = method.strip()
    if not is_number(number) or len(number) > 10 or not method or not _TOKEN.match(method):
        raise SipParseError(f"bad CSeq {text[:40]!r}")
    return int(number), method.upper()


# -- building -----------------------------------------------------------------------------


_RANDOM = bytearray()  # unpredictable bytes, read from the system a page at a time


def _random_hex(size: int) -> str:
    """``size`` unpredictable bytes in hex (one system call per 4 KiB, not per tag)."""
    global _RANDOM
    if len(_RANDOM) < size:
        _RANDOM = bytearray(os.urandom(4096))
    chunk = _RANDOM[-size:]
    del _RANDOM[-size:]
    return chunk.hex()


def new_branch() -> str:
    return MAGIC_COOKIE + _random_hex(8)


def new_tag() -> str:
    return _random_hex(6)


def new_call_id(host: str) -> str:
    return f"{_random_hex(12)}@{host}"


_RESPONSE_COPIES = ("Via", "From", "To", "Call-ID", "CSeq")  # in this order


def make_response(
    request: Request, status: int, reason: str | None = None, to_tag: str | None = None
) -> Response:
    """A response to ``request``: its Via lines, From, To (with ``to_tag`` added when it
    has none), Call-ID and CSeq copied (RFC 3261 8.2.6.2)."""
    copied: dict[str, list[tuple[str, str]]] = {name: [] for name in _RESPONSE_COPIES}
    for item in request.headers:
        found = copied.get(item[0])
        if found is not None:
            found.append(item)
    headers = Headers()
    headers._items = [item for name in _RESPONSE_COPIES for item in copied[name]]
    if to_tag is not None and status > 100:
        to = request.headers.get("To") or ""
        if ";tag=" not in to.replace(" ", "").lower():
            headers.set("To", f"{to};tag={to_tag}")
    return Response(headers, b"", status, reason or REASONS.get(status, ""))
