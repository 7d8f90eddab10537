"""Replaying a recorded HTTP manager transcript (raw requests and curl runs) against pbxd.

A raw exchange is a ``http new TCP connection`` note, the request bytes (``>>>``) and the
response bytes (``<<<``). A curl run is a ``$ curl ...`` note, curl's ``-v`` lines
(``#curl-stderr b'> ...'`` requests, ``b'< ...'`` response headers) and the final body.
Requests are re-sent with the server's own session cookies and digest answers; responses
are compared line by line: status line and header names and order exactly, values exactly
except the date, cookie ids (paired one to one with the recorded ones), digest nonces and
Content-Length (which must match the body sent); bodies after masking run-specific values.
"""

from __future__ import annotations

import ast
import hashlib
import re
import socket
from dataclasses import dataclass, field

from .transcript import Item, Transcript, message_lines, normalise, split_messages

READ_TIMEOUT = 5.0
_COOKIE = re.compile(rb'mansession_id="?([0-9a-f]{8})"?')
_NONCE = re.compile(rb'(nonce|opaque)="([0-9a-f]+)"')
_STAMP = re.compile(rb"\d{10}\.\d{6}")
_AUTH = re.compile(rb"^Authorization: Digest ([^\r\n]*)\r\n", re.M)
SECRETS = {"admin": "adminpass"}


def is_http(transcript: Transcript) -> bool:
    return any(item.text.endswith("http new TCP connection") for item in transcript.items)


@dataclass
class Response:
    head: list[bytes]  # status line and header lines, each with its CRLF
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        for line in self.head[1:]:
            key, _, value = line.partition(b":")
            if key.lower() == name.lower():
                return value.strip()
        return None


def parse_response(data: bytes) -> Response:
    head, _, body = data.partition(b"\r\n\r\n")
    return Response([line + b"\r\n" for line in head.split(b"\r\n")], body)


def read_response(sock: socket.socket, buffer: bytearray) -> Response:
    """One response from ``sock`` (``buffer`` keeps what arrived after it)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response: {bytes(buffer)!r}")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    response = parse_response(bytes(buffer[:end]))
    length = int(response.header(b"Content-Length") or b"0")
    while len(buffer) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    response.body = bytes(buffer[end : end + length])
    del buffer[: end + length]
    return response


@dataclass
class HttpReplay:
    transcript: Transcript
    host: str
    port: int
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    checked: int = 0
    cookies: dict[bytes, bytes] = field(default_factory=dict)  # recorded id -> server's

    def run(self) -> None:
        items = self.transcript.items
        index = 0
        while index < len(items):
            item = items[index]
            if item.kind == "send":
                recv = items[index + 1]
                assert recv.kind == "recv", f"{recv}: a response must follow the request"
                self.raw_exchange(item, recv)
                index += 2
            elif item.kind == "note" and item.text.startswith("$ curl"):
                index = self.curl_run(index)
            else:
                index += 1

    # -- the two kinds of exchange -----------------------------------------------------

    def raw_exchange(self, send: Item, recv: Item) -> None:
        request = _COOKIE.sub(self._cookie_out, send.data)
        with socket.create_connection((self.host, self.port), READ_TIMEOUT) as sock:
            sock.sendall(request)
            got = read_response(sock, bytearray())
        self.compare(str(send), parse_response(recv.data), got)

    def curl_run(self, start: int) -> int:
        items = self.transcript.items
        lines: list[bytes] = []
        index = start + 1
        while index < len(items) and items[index].text.startswith("curl-stderr "):
            lines.append(ast.literal_eval(items[index].text[len("curl-stderr ") :]))
            index += 1
        body = items[index] if index < len(items) and items[index].kind == "recv" else None
        requests, responses = _curl_blocks(lines)
        buffer = bytearray()
        nonce = b""
        with socket.create_connection((self.host, self.port), READ_TIMEOUT) as sock:
            for number, (request, recorded) in enumerate(zip(requests, responses, strict=True)):
                request = _COOKIE.sub(self._cookie_out, request)
                request = _AUTH.sub(lambda m, n=nonce: self._digest(m, n), request)
                sock.sendall(request)
                got = read_response(sock, buffer)
                last = number == len(requests) - 1
                if last and body is not None:
                    recorded.body = body.data
                else:
                    got.body = recorded.body = b""  # curl ignored this body
                self.compare(f"{items[start]} (response {number + 1})", recorded, got)
                found = _NONCE.search(got.header(b"WWW-authenticate") or b"")
                nonce = found[2] if found else nonce
        return index + (body is not None)

    def _cookie_out(self, match: re.Match[bytes]) -> bytes:
        actual = self.cookies.get(match[1], match[1])
        return match[0].replace(match[1], actual)

    @staticmethod
    def _digest(match: re.Match[bytes], nonce: bytes) -> bytes:
        fields = dict(re.findall(rb'(\w+)="?([^",]*)"?', match[1]))
        user = fields[b"username"].decode()
        a1 = _md5(f"{user}:asterisk:{SECRETS[user]}")
        a2 = _md5(f"GET:{fields[b'uri'].decode()}")
        nc, cnonce = fields[b"nc"].decode(), fields[b"cnonce"].decode()
        answer = _md5(f"{a1}:{nonce.decode()}:{nc}:{cnonce}:auth:{a2}")
        value = (
            f'Digest username="{user}", realm="asterisk", nonce="{nonce.decode()}", '
            f'uri="{fields[b"uri"].decode()}", cnonce="{cnonce}", nc={nc}, qop=auth, '
            f'response="{answer}", opaque="{nonce.decode()}", algorithm=MD5'
        )
        return b"Authorization: " + value.encode() + b"\r\n"

    # -- comparing ---------------------------------------------------------------------

    def compare(self, where: str, want: Response, got: Response) -> None:
        self.checked += 1
        self.pair_cookies(want, got)
        problems: list[str] = []
        want_head = [self._mask(line, recorded=True) for line in want.head]
        got_head = [self._mask(line, recorded=False) for line in got.head]
        if want_head != got_head:
            problems.append(f"headers\n  want {want_head}\n  got  {got_head}")
        length = got.header(b"Content-Length")
        if length is not None and int(length) != len(got.body) and got.body:
            problems.append(f"Content-Length {length!r} but {len(got.body)} bytes of body")
        if _body(want) != _body(got):
            problems.append(f"body\n  want {_body(want)!r}\n  got  {_body(got)!r}")
        if problems:
            self.failures.append(f"{where}:\n" + "\n".join(problems))

    def _mask(self, line: bytes, recorded: bool) -> bytes:
        name = line.partition(b":")[0].lower()
        if name in (b"date", b"content-length"):
            return name + b": <masked>\r\n"
        if name == b"www-authenticate":
            return _NONCE.sub(rb'\1="<nonce>"', line)
        if name == b"set-cookie":
            match = _COOKIE.search(line)
            if match is not None and recorded:
                return line
            if match is not None:  # the server's id stands for the recorded one it pairs with
                back = {v: k for k, v in self.cookies.items()}
                return line.replace(match[1], back.get(match[1], b"<unpaired>"))
        return line

    def pair_cookies(self, want: Response, got: Response) -> None:
        recorded = _COOKIE.search(want.header(b"Set-Cookie") or b"")
        actual = _COOKIE.search(got.header(b"Set-Cookie") or b"")
        if (
            recorded
            and actual
            and recorded[1] not in self.cookies
            and actual[1] not in self.cookies.values()
        ):
            self.cookies[recorded[1]] = actual[1]


def _body(response: Response) -> list[bytes]:
    kind = (response.header(b"Content-type") or b"").lower()
    if kind == b"text/plain":
        return [normalise(message) for message in split_messages(message_lines(response.body))]
    return [_STAMP.sub(b"<timestamp>", response.body)]


def _curl_blocks(lines: list[bytes]) -> tuple[list[bytes], list[Response]]:
    """curl's verbose lines as the requests it sent and the response heads it got."""
    requests: list[bytes] = []
    responses: list[Response] = []
    request: list[bytes] = []
    response: list[bytes] = []
    for line in lines:
        if line.startswith(b"> "):
            request.append(line[2:])
            if line == b"> \r\n":
                requests.append(b"".join(request))
                request = []
        elif line.startswith(b"< "):
            if line == b"< \r\n":
                responses.append(Response(response, b""))
                response = []
            else:
                response.append(line[2:])
    return requests, responses


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()
