"""G.711 against the values of the ITU tables and the properties companding must keep."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from pbxd.media import g711


def samples(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}h", *values)


def test_known_codes() -> None:
    # mu-law: 0xFF and 0x7F are the two zeros, 0x80 the loudest positive, 0x00 the loudest negative
    assert g711.decode("PCMU", bytes([0xFF, 0x7F, 0x80, 0x00])) == samples(0, 0, 32124, -32124)
    # A-law: 0xD5/0x55 are the smallest magnitudes, 0xAA/0x2A the largest
    assert g711.decode("PCMA", bytes([0xD5, 0x55, 0xAA, 0x2A])) == samples(8, -8, 32256, -32256)
    assert g711.encode("PCMU", samples(0, 32767, -32768)) == bytes([0xFF, 0x80, 0x00])
    assert g711.encode("PCMA", samples(0, 32767, -32768)) == bytes([0xD5, 0xAA, 0x2A])


def test_every_code_survives_a_round_trip() -> None:
    for law in g711.LAWS:
        codes = bytes(range(256))
        again = g711.encode(law, g711.decode(law, codes))
        expected = codes if law == "PCMA" else codes.replace(b"\x7f", b"\xff")  # -0 is +0
        assert again == expected


def test_silence_bytes_decode_to_near_zero() -> None:
    for law, byte in g711.SILENCE.items():
        (value,) = struct.unpack("<h", g711.decode(law, bytes([byte])))
        assert abs(value) <= 8


@given(st.lists(st.integers(-32768, 32767), max_size=200))
def test_encoding_error_is_bounded(values: list[int]) -> None:
    for law in g711.LAWS:
        decoded = struct.unpack(
            f"<{len(values)}h", g711.decode(law, g711.encode(law, samples(*values)))
        )
        for original, back in zip(values, decoded, strict=True):
            # a segment's step is 1/16 of its range: the error stays under ~1/16 of the value
            assert abs(original - back) <= max(abs(original) // 15, 16) + (
                700 if abs(original) > 32000 else 0
            )


@given(st.binary(max_size=400))
def test_transcoding_matches_decode_then_encode(payload: bytes) -> None:
    assert g711.transcode("PCMU", "PCMA", payload) == g711.encode(
        "PCMA", g711.decode("PCMU", payload)
    )
    assert g711.transcode("PCMA", "PCMA", payload) is payload


def test_odd_byte_is_dropped() -> None:
    assert g711.encode("PCMU", samples(0) + b"\x01") == b"\xff"
