"""G.711 mu-law (PCMU) and A-law (PCMA): 16-bit signed little-endian PCM to and from bytes.

The stdlib ``audioop`` is gone from Python 3.13, so the companding is done here, by tables:
decoding maps each byte to its two-byte sample, encoding looks every 16-bit sample up in a
65,536-entry table, and converting between the two laws is one ``bytes.translate``.
"""

from __future__ import annotations

import sys
from array import array
from functools import cache

_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def ulaw_from_linear(sample: int) -> int:
    """One 16-bit sample to its mu-law byte."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, _ULAW_CLIP) + _ULAW_BIAS
    exponent = magnitude.bit_length() - 8
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def linear_from_ulaw(byte: int) -> int:
    byte = ~byte & 0xFF
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    magnitude = (((mantissa << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return -magnitude if byte & 0x80 else magnitude


def alaw_from_linear(sample: int) -> int:
    """One 16-bit sample to its A-law byte (even bits inverted, as sent on the wire)."""
    sign = 0x80 if sample >= 0 else 0
    magnitude = sample if sign else -sample - 1
    if magnitude < 256:
        code = magnitude >> 4
    else:
        exponent = magnitude.bit_length() - 8
        code = (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0F)
    return (sign | code) ^ 0x55


def linear_from_alaw(byte: int) -> int:
    byte ^= 0x55
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    base = (mantissa << 4) + (8 if exponent == 0 else 0x108)
    magnitude = base << (exponent - 1) if exponent else base
    return magnitude if byte & 0x80 else -magnitude


def _sample_bytes(sample: int) -> bytes:
    return (sample & 0xFFFF).to_bytes(2, "little")


@cache
def _decode_table(law: str) -> tuple[bytes, ...]:
    decode = linear_from_ulaw if law == "PCMU" else linear_from_alaw
    return tuple(_sample_bytes(decode(byte)) for byte in range(256))


@cache
def _encode_table(law: str) -> bytes:
    """Indexed by the sample as an unsigned 16-bit number."""
    encode = ulaw_from_linear if law == "PCMU" else alaw_from_linear
    return bytes(encode(value - 65536 if value > 32767 else value) for value in range(65536))


def decode(law: str, payload: bytes) -> bytes:
    """``PCMU``/``PCMA`` bytes to 16-bit signed little-endian PCM."""
    return b"".join(map(_decode_table(law).__getitem__, payload))


def encode(law: str, pcm: bytes) -> bytes:
    """16-bit signed little-endian PCM (an odd trailing byte is dropped) to ``PCMU``/``PCMA``."""
    samples = array("H")
    samples.frombytes(pcm[: len(pcm) & ~1])
    if sys.byteorder == "big":
        samples.byteswap()
    return bytes(map(_encode_table(law).__getitem__, samples))


@cache
def _transcode_table(source: str, target: str) -> bytes:
    decode_one = linear_from_ulaw if source == "PCMU" else linear_from_alaw
    encode_one = ulaw_from_linear if target == "PCMU" else alaw_from_linear
    return bytes(encode_one(decode_one(byte)) for byte in range(256))


def transcode(source: str, target: str, payload: bytes) -> bytes:
    """PCMU to PCMA or back, byte by byte, without going through PCM."""
    if source == target:
        return payload
    return payload.translate(_transcode_table(source, target))


#: The byte one sample of silence takes in each law.
SILENCE = {"PCMU": 0xFF, "PCMA": 0xD5}
LAWS = ("PCMU", "PCMA")
