"""HTTP Digest authentication (RFC 2617, MD5, qop=auth or none) as the HTTP manager uses it."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

REALM = "asterisk"
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)')
_HEX = re.compile(r"\s*(?:0[xX])?([0-9a-fA-F]{1,30})")


@dataclass(frozen=True)
class Digest:
    """The fields of an ``Authorization: Digest ...`` header."""

    username: str
    nonce: str
    uri: str
    response: str
    qop: str = ""
    nc: str = ""
    cnonce: str = ""


def parse_digest(header: str) -> Digest | None:
    """The digest credentials of an Authorization header; None if it is not one, or broken."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    fields: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if match is None or match.end() == pos:
            return None
        quoted = match[2]
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match[3]
        fields[match[1].lower()] = value
        pos = match.end()
    required = ("username", "nonce", "uri", "response")
    if any(not fields.get(name) for name in required):
        return None
    qop = fields.get("qop", "")
    if qop and (not fields.get("nc") or not fields.get("cnonce")):
        return None
    return Digest(
        fields["username"], fields["nonce"], fields["uri"], fields["response"],
        qop, fields.get("nc", ""), fields.get("cnonce", ""),
    )  # fmt: skip


def parse_hex(text: str) -> int:
    """Leading hex digits as a 32-bit number (``sscanf("%x")``); 0 when there are none."""
    match = _HEX.match(text)
    return int(match[1], 16) & 0xFFFFFFFF if match else 0


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8", "surrogateescape")).hexdigest()


def expected_response(digest: Digest, secret: str, method: str, nonce: int) -> str:
    a1 = _md5(f"{digest.username}:{REALM}:{secret}")
    a2 = _md5(f"{method}:{digest.uri}")
    if digest.qop:
        return _md5(f"{a1}:{nonce:08x}:{digest.nc}:{digest.cnonce}:auth:{a2}")
    return _md5(f"{a1}:{nonce:08x}:{a2}")


def verify(digest: Digest, secret: str, method: str, nonce: int) -> bool:
    expected = expected_response(digest, secret, method, nonce)
    return hmac.compare_digest(digest.response[:32].lower().encode(), expected.encode())


def challenge(nonce: int, stale: bool = False) -> str:
    """The ``WWW-authenticate`` value asking for credentials against ``nonce``."""
    tail = ", stale=true" if stale else ""
    return (
        f'Digest algorithm=MD5, realm="{REALM}", nonce="{nonce:08x}", qop="auth", '
        f'opaque="{nonce:08x}"{tail}'
    )
