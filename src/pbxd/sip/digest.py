"""HTTP digest authentication for SIP (RFC 2617 / 3261 22.4): MD5, with or without qop=auth.

Server side: ``Nonces`` hands out nonces and remembers when each was made (a bounded table,
so a flood of requests cannot grow it without end); ``check(...)`` says whether an
Authorization header proves the secret, and whether its nonce is merely stale. Client side:
``authorization(...)`` answers a challenge (for outbound registrations).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from enum import Enum

NONCE_LIFETIME = 30.0  # seconds a nonce is good for
MAX_NONCES = 4096


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def parse_digest(value: str) -> dict[str, str]:
    """``Digest a="x", b=y`` into ``{"a": "x", "b": "y"}`` (names lowercased); ``{}`` when it
    is not a Digest header."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    fields: dict[str, str] = {}
    i, size = 0, len(rest)
    while i < size:
        while i < size and rest[i] in " ,\t":
            i += 1
        start = i
        while i < size and rest[i] not in "=, ":
            i += 1
        name = rest[start:i].strip().lower()
        while i < size and rest[i] == " ":
            i += 1
        if i >= size or rest[i] != "=":
            if name:
                fields[name] = ""
            continue
        i += 1
        while i < size and rest[i] == " ":
            i += 1
        if i < size and rest[i] == '"':
            i += 1
            chars = []
            while i < size and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < size:
                    i += 1
                chars.append(rest[i])
                i += 1
            i += 1
            value_text = "".join(chars)
        else:
            start = i
            while i < size and rest[i] != ",":
                i += 1
            value_text = rest[start:i].strip()
        if name:
            fields[name] = value_text
    return fields


def expected_response(fields: dict[str, str], method: str, ha1: str, qop: str | None = None) -> str:
    ha2 = md5(f"{method}:{fields.get('uri', '')}")
    if qop:
        return md5(
            f"{ha1}:{fields.get('nonce', '')}:{fields.get('nc', '')}:"
            f"{fields.get('cnonce', '')}:{qop}:{ha2}"
        )
    return md5(f"{ha1}:{fields.get('nonce', '')}:{ha2}")


class Verdict(Enum):
    OK = "ok"
    WRONG = "wrong"  # a wrong password (or username)
    STALE = "stale"  # right password, expired or unknown nonce: challenge again, stale=true
    MALFORMED = "malformed"


class Nonces:
    def __init__(self, lifetime: float = NONCE_LIFETIME, limit: int = MAX_NONCES) -> None:
        self.lifetime = lifetime
        self.limit = limit
        self._made: OrderedDict[str, float] = OrderedDict()

    def new(self, now: float) -> str:
        nonce = secrets.token_hex(8)
        self._made[nonce] = now
        while len(self._made) > self.limit:
            self._made.popitem(last=False)
        return nonce

    def fresh(self, nonce: str, now: float) -> bool:
        made = self._made.get(nonce)
        return made is not None and now - made <= self.lifetime

    def forget(self, nonce: str) -> None:
        self._made.pop(nonce, None)


def challenge(realm: str, nonce: str, stale: bool = False) -> str:
    """The WWW-Authenticate value offered."""
    text = f'Digest algorithm=MD5, realm="{realm}", nonce="{nonce}", qop="auth"'
    return text + (", stale=true" if stale else "")


def check(
    fields: dict[str, str],
    method: str,
    username: str,
    secret: str,
    md5secret: str,
    realm: str,
    nonces: Nonces,
    now: float,
) -> Verdict:
    """Whether the Authorization ``fields`` prove ``secret`` (or ``md5secret``) for
    ``username``."""
    if not fields.get("response") or not fields.get("nonce") or "uri" not in fields:
        return Verdict.MALFORMED
    qop = fields.get("qop") or None
    if qop is not None and qop.lower() != "auth":
        return Verdict.MALFORMED
    if fields.get("username", "") != username:
        return Verdict.WRONG
    ha1 = md5secret or md5(f"{username}:{realm}:{secret}")
    if not secrets.compare_digest(
        expected_response(fields, method, ha1, qop).encode(), fields["response"].lower().encode()
    ):
        return Verdict.WRONG
    if not nonces.fresh(fields["nonce"], now):
        return Verdict.STALE
    return Verdict.OK


def authorization(
    challenge_fields: dict[str, str],
    method: str,
    uri: str,
    username: str,
    secret: str,
    cnonce: str | None = None,
    nc: str = "00000001",
) -> str:
    """The Authorization value answering a ``WWW-Authenticate``/``Proxy-Authenticate``."""
    realm = challenge_fields.get("realm", "")
    nonce = challenge_fields.get("nonce", "")
    ha1 = md5(f"{username}:{realm}:{secret}")
    offered = [q.strip().lower() for q in challenge_fields.get("qop", "").split(",")]
    fields = {"uri": uri, "nonce": nonce}
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in offered:
        fields.update(nc=nc, cnonce=cnonce or secrets.token_hex(8))
        response = expected_response(fields, method, ha1, "auth")
        parts += [f'cnonce="{fields["cnonce"]}"', f"nc={nc}", "qop=auth"]
    else:
        response = expected_response(fields, method, ha1)
    parts += [f'response="{response}"', "algorithm=MD5"]
    if "opaque" in challenge_fields:
        parts.append(f'opaque="{challenge_fields["opaque"]}"')
    return "Digest " + ", ".join(parts)
