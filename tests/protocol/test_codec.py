"""Framing: CRLF or bare LF in, CRLF out, Asterisk's line and header limits, split invariance."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxd.protocol import (
    LINE_TOO_LONG,
    MAX_HEADERS,
    MAX_LINE,
    TOO_MANY_HEADERS,
    Decoder,
    Message,
    encode_message,
)
from pbxd.protocol.codec import encode_pairs

Decoded = list[tuple[list[str], str | None]]


def decode(data: bytes, decoder: Decoder | None = None) -> Decoded:
    """Every message ``data`` completes, as (lines, error)."""
    decoder = decoder or Decoder()
    return [(m.lines, m.error) for m in decoder.feed(data)]


def decode_in_pieces(data: bytes, cuts: list[int], decoder: Decoder | None = None) -> Decoded:
    decoder = decoder or Decoder()
    out: Decoded = []
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        out += [(m.lines, m.error) for m in decoder.feed(data[start:cut])]
        start = cut
    return out


FRAMING_CASES = [
    # (bytes in, messages out)
    (b"Action: Ping\r\nActionID: 1\r\n\r\n", [(["Action: Ping", "ActionID: 1"], None)]),
    (b"Action: Ping\nActionID: lf-1\n\n", [(["Action: Ping", "ActionID: lf-1"], None)]),
    (b"Action: Ping\r\nActionID: 2\n\r\n", [(["Action: Ping", "ActionID: 2"], None)]),
    (b"A: 1\r\n\r\nB: 2\n\n", [(["A: 1"], None), (["B: 2"], None)]),
    # blank lines with nothing before them are empty messages (server side)
    (b"\r\n\r\nAction: Ping\r\n\r\n", [([], None), ([], None), (["Action: Ping"], None)]),
    (b"\n", [([], None)]),
    # a CR not followed by LF belongs to the line
    (b"A: b\rc\r\n\r\n", [(["A: b\rc"], None)]),
    (b"A: b\r\r\n\r\n", [(["A: b\r"], None)]),
    (b"\rA: b\r\n\r\n", [(["\rA: b"], None)]),
    # an unfinished message or line yields nothing yet
    (b"Action: Ping\r\n", []),
    (b"Action: Ping\r\n\r", []),
    (b"Action: Pi", []),
    (b"", []),
    # UTF-8 decoded per line; invalid bytes survive as surrogates
    ("Name: Zoë €\r\n\r\n".encode(), [(["Name: Zoë €"], None)]),
    (b"Name: \xff\xfe\r\n\r\n", [(["Name: \udcff\udcfe"], None)]),
]


@pytest.mark.parametrize(("data", "expected"), FRAMING_CASES)
def test_framing(data: bytes, expected: Decoded) -> None:
    assert decode(data) == expected


@pytest.mark.parametrize(("data", "expected"), FRAMING_CASES)
def test_framing_byte_by_byte(data: bytes, expected: Decoded) -> None:
    assert decode_in_pieces(data, list(range(len(data)))) == expected


ENCODE_CASES = [
    (["Action: Ping"], b"Action: Ping\r\n\r\n"),
    (["Response: Success", "Ping: Pong"], b"Response: Success\r\nPing: Pong\r\n\r\n"),
    (["Name: Zoë"], "Name: Zoë\r\n\r\n".encode()),
    (["Raw: \udcff"], b"Raw: \xff\r\n\r\n"),
]


@pytest.mark.parametrize(("lines", "expected"), ENCODE_CASES)
def test_encode_uses_crlf(lines: list[str], expected: bytes) -> None:
    assert encode_message(lines) == expected


def test_encode_pairs() -> None:
    assert encode_pairs([("Action", "Ping"), ("ActionID", "7")]) == (
        b"Action: Ping\r\nActionID: 7\r\n\r\n"
    )


def test_bare_lf_in_crlf_out() -> None:
    (message,) = Decoder().feed(b"Action: Ping\nActionID: lf-1\n\n")
    assert encode_message(message.lines) == b"Action: Ping\r\nActionID: lf-1\r\n\r\n"


# -- the 1024-byte line limit ---------------------------------------------------------------
#
# Asterisk reads a line into a 1024-byte buffer (its line break included): a line that does
# not fit is dropped, the rest of the message still counts, and the answer is
# "Failed to parse message: line too long" with the message's ActionID (transcript 28).

LINE_CASES = [
    # (bytes of the line without its break, line break, too long?)
    (1022, b"\r\n", False),  # 1024 bytes with CRLF: fits
    (1023, b"\r\n", True),
    (1023, b"\n", False),  # 1024 bytes with a bare LF: fits
    (1024, b"\n", True),
    (2000, b"\r\n", True),
    (10_000, b"\n", True),
]


def _long_message(size: int, eol: bytes) -> bytes:
    line = b"Data: " + b"x" * (size - 6)
    assert len(line) == size
    return b"Action: UserEvent" + eol + line + eol + b"ActionID: long-1" + eol + eol


@pytest.mark.parametrize(("size", "eol", "too_long"), LINE_CASES)
def test_line_limit(size: int, eol: bytes, too_long: bool) -> None:
    data = _long_message(size, eol)
    for messages in (decode(data), decode_in_pieces(data, list(range(0, len(data), 7)))):
        assert len(messages) == 1
        lines, error = messages[0]
        assert error == (LINE_TOO_LONG if too_long else None)
        message = Message(lines, error)
        assert message.get("actionid") == "long-1"
        assert message.get("action") == "UserEvent"
        assert ("data" in message) is not too_long


MULTIBYTE_CASES = [
    # a line of 3-byte characters: the limit counts bytes, not characters
    ("€" * 340 + "xx", False),  # 1022 bytes
    ("€" * 341, True),  # 1023 bytes
    ("€" * 400, True),
]


@pytest.mark.parametrize(("value", "too_long"), MULTIBYTE_CASES)
def test_line_limit_counts_bytes(value: str, too_long: bool) -> None:
    data = f"{value}\r\nActionID: mb\r\n\r\n".encode()
    for messages in (decode(data), decode_in_pieces(data, list(range(len(data))))):
        ((lines, error),) = messages
        assert error == (LINE_TOO_LONG if too_long else None)
        assert lines[-1] == "ActionID: mb"


def test_transcript_28_long_line_then_next_message_is_clean() -> None:
    data = (
        b"Action: UserEvent\r\nUserEvent: Long\r\nData: " + b"x" * 2000 + b"\r\n"
        b"ActionID: long-1\r\n\r\nAction: CoreStatus\r\nActionID: corestatus-1\r\n\r\n"
    )
    first, second = decode(data)
    assert first == (["Action: UserEvent", "UserEvent: Long", "ActionID: long-1"], LINE_TOO_LONG)
    assert second == (["Action: CoreStatus", "ActionID: corestatus-1"], None)


def test_endless_line_is_not_buffered() -> None:
    decoder = Decoder()
    for _ in range(1000):
        assert decoder.feed(b"y" * 997) == []
        assert len(decoder._buf) < MAX_LINE  # the partial line kept in memory
    assert decoder.pending
    (message,) = decoder.feed(b"\r\nActionID: endless\r\n\r\n")
    assert message.error == LINE_TOO_LONG
    assert message.lines == ["ActionID: endless"]
    assert not decoder.pending


# -- the 128-header limit -------------------------------------------------------------------

HEADER_CASES = [
    # (header lines in the message, error)
    (1, None),
    (MAX_HEADERS - 1, None),
    (MAX_HEADERS, None),
    (MAX_HEADERS + 1, TOO_MANY_HEADERS),
    (1000, TOO_MANY_HEADERS),
]


@pytest.mark.parametrize(("count", "error"), HEADER_CASES)
def test_header_limit(count: int, error: str | None) -> None:
    lines = ["ActionID: many"] + [f"H{n}: v" for n in range(count - 1)]
    data = encode_message(lines)
    for messages in (decode(data), decode_in_pieces(data, list(range(0, len(data), 50)))):
        ((got, got_error),) = messages
        assert got_error == error
        assert got == lines[:MAX_HEADERS]
        assert Message(got).get("actionid") == "many"


def test_lines_without_colon_count_as_headers() -> None:
    data = encode_message(["Action: Ping"] + ["NoColon"] * MAX_HEADERS)
    ((_, error),) = decode(data)
    assert error == TOO_MANY_HEADERS


def test_too_many_headers_wins_over_line_too_long() -> None:
    data = encode_message(["Data: " + "x" * 2000] + ["H: v"] * (MAX_HEADERS + 1))
    ((_, error),) = decode(data)
    assert error == TOO_MANY_HEADERS


def test_pending() -> None:
    decoder = Decoder()
    assert not decoder.pending
    decoder.feed(b"Action: Ping\r\n")
    assert decoder.pending
    decoder.feed(b"\r\n")
    assert not decoder.pending
    decoder.feed(b"Act")
    assert decoder.pending


# -- the client side: no limits, no empty messages, classic Command output ------------------


def client_decoder() -> Decoder:
    return Decoder(None, None, emit_empty=False, classic_output=True)


def test_client_side_has_no_limits() -> None:
    lines = ["Event: Big", "Data: " + "z" * 50_000] + [f"H{n}: {n}" for n in range(500)]
    data = encode_message(lines)
    ((got, error),) = decode_in_pieces(data, list(range(0, len(data), 999)), client_decoder())
    assert (got, error) == (lines, None)


def test_client_side_skips_blank_lines() -> None:
    assert decode(b"\r\n\r\nResponse: Success\r\n\r\n\r\n", client_decoder()) == [
        (["Response: Success"], None)
    ]


CLASSIC_CASES = [
    # (classic body between the headers and the blank line, Output values)
    (b"Asterisk 1.4.44\n--END COMMAND--\r\n", ["Asterisk 1.4.44"]),
    (b"line one\nline two: has a colon\n\nafter a blank\n--END COMMAND--\r\n",
     ["line one", "line two: has a colon", "", "after a blank"]),
    (b"no newline before the end--END COMMAND--\r\n", ["no newline before the end"]),
    (b"--END COMMAND--\r\n", []),
    (b"Privilege-like: value\r\nActionID: not a header\n--END COMMAND--\r\n",
     ["Privilege-like: value", "ActionID: not a header"]),
]


@pytest.mark.parametrize(("body", "output"), CLASSIC_CASES)
def test_classic_follows_body_becomes_output_headers(body: bytes, output: list[str]) -> None:
    data = b"Response: Follows\r\nPrivilege: Command\r\nActionID: c-1\r\n" + body + b"\r\n"
    data += b"Response: Success\r\nActionID: next\r\n\r\n"
    for messages in (
        decode(data, client_decoder()),
        decode_in_pieces(data, list(range(len(data))), client_decoder()),
    ):
        (lines, error), (after, _) = messages
        assert error is None
        message = Message(lines)
        assert message.get("response") == "Follows"
        assert message.get("actionid") == "c-1"
        assert message.get_all("output") == output
        assert after == ["Response: Success", "ActionID: next"]


def test_classic_output_off_on_the_server_side() -> None:
    data = b"Response: Follows\r\nPrivilege: Command\r\nsome text\n--END COMMAND--\r\n\r\n"
    ((lines, _),) = decode(data)
    assert lines == ["Response: Follows", "Privilege: Command", "some text", "--END COMMAND--"]


# -- properties -----------------------------------------------------------------------------

_name_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n:")
_value_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
NAMES = st.text(_name_chars, min_size=1, max_size=20)
VALUES = st.text(_value_chars, max_size=60)
HEADERS = st.lists(st.tuples(NAMES, VALUES), min_size=0, max_size=8)
MESSAGES = st.lists(HEADERS, min_size=1, max_size=5)


@st.composite
def wire(draw: st.DrawFn) -> bytes:
    """Messages with CRLF or bare LF line ends, sometimes with a too-long line."""
    out = b""
    for headers in draw(MESSAGES):
        for name, value in headers:
            eol = draw(st.sampled_from([b"\r\n", b"\n"]))
            out += f"{name}: {value}".encode() + eol
        if draw(st.booleans()):
            out += b"Long: " + b"L" * draw(st.integers(1000, 1100)) + b"\r\n"
        out += draw(st.sampled_from([b"\r\n", b"\n"]))
    return out


def _cuts(data: bytes) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, len(data)), max_size=len(data) + 1)


@settings(max_examples=150, deadline=None)
@given(data=wire(), cuts=st.data())
def test_split_anywhere_decodes_the_same(data: bytes, cuts: st.DataObject) -> None:
    """(a) any split, even inside a UTF-8 character, gives the messages of one whole feed."""
    points = cuts.draw(_cuts(data))
    assert decode_in_pieces(data, points) == decode(data)
    assert decode_in_pieces(data, points, client_decoder()) == decode(data, client_decoder())


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000), cuts=st.data())
def test_split_anywhere_arbitrary_bytes(data: bytes, cuts: st.DataObject) -> None:
    """(a) also for arbitrary binary input."""
    points = cuts.draw(_cuts(data))
    assert decode_in_pieces(data, points) == decode(data)


CHUNKS = st.lists(
    st.one_of(
        st.binary(max_size=600),
        st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=3), st.integers(1, 900)),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(chunks=CHUNKS)
def test_decoder_never_raises_and_never_buffers_a_long_line(chunks: list[bytes]) -> None:
    """(b) arbitrary bytes: no exception; an unfinished line never takes more than ~1 KiB."""
    decoder = Decoder()
    for chunk in chunks:
        for message in decoder.feed(chunk):
            assert message.error in (None, LINE_TOO_LONG, TOO_MANY_HEADERS)
            assert len(message.lines) <= MAX_HEADERS
        assert len(decoder._buf) < MAX_LINE
        assert len(decoder._lines) <= MAX_HEADERS


@settings(max_examples=200, deadline=None)
@given(headers=st.lists(st.tuples(NAMES, VALUES), min_size=1, max_size=10))
def test_encode_decode_round_trip(headers: list[tuple[str, str]]) -> None:
    """(c) names and values come back as sent; lookups skip the value's leading blanks."""
    lines = [f"{name}: {value}" for name, value in headers]
    ((got, error),) = decode(encode_message(lines))
    assert (got, error) == (lines, None)
    message = Message(got)
    assert list(message.items()) == [(name, value.lstrip(" \t")) for name, value in headers]
    for asked, _ in headers:
        assert message.get(asked) == next(
            value.lstrip(" \t") for name, value in headers if name.lower() == asked.lower()
        )


@settings(max_examples=200, deadline=None)
@given(value=st.binary(max_size=200).filter(lambda b: b"\n" not in b and b"\r" not in b))
def test_bytes_that_are_not_utf8_survive(value: bytes) -> None:
    """(d) surrogateescape: whatever bytes came in go out again unchanged."""
    data = b"Value: " + value + b"\r\n\r\n"
    ((lines, error),) = decode(data)
    assert error is None
    assert encode_message(lines) == data
    assert Message(lines).get("value").encode("utf-8", "surrogateescape") == value.lstrip(b" \t")


# -- the client's fast path (messages cut at blank lines) against the line-by-line path -----

_HEADER = st.builds(
    "{}: {}".format, st.text("abXY-", min_size=1, max_size=6), st.text("a b:é€\t", max_size=8)
)
_MESSAGES = st.lists(st.lists(_HEADER, min_size=1, max_size=6), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(
    messages=_MESSAGES,
    eol=st.sampled_from([b"\r\n", b"\n"]),
    extra_blank=st.booleans(),
    cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=20),
)
def test_client_fast_path_agrees_with_the_line_loop(
    messages: list[list[str]], eol: bytes, extra_blank: bool, cuts: list[int]
) -> None:
    """Split anywhere, CRLF or LF, extra blank lines: the client's decoder finds the same
    messages as the server's line-by-line loop (without the server's empty messages)."""
    blank = eol * (2 if extra_blank else 1)
    data = b"".join(eol.join(line.encode() for line in m) + eol + blank for m in messages)
    expected = [m for m in decode(data, Decoder(None, None, emit_empty=False)) if m[0]]
    decoder = Decoder(None, None, emit_empty=False, classic_output=True, latin1_fallback=True)
    assert decode_in_pieces(data, sorted(set(cuts)), decoder) == expected


def test_latin1_fallback_only_for_the_message_that_needs_it() -> None:
    decoder = Decoder(None, None, emit_empty=False, classic_output=True, latin1_fallback=True)
    data = "Event: A\r\nName: Zoë\r\n\r\n".encode() + b"Event: B\r\nName: Zo\xeb\r\n\r\n"
    assert decode(data, decoder) == [(["Event: A", "Name: Zoë"], None), (["Event: B", "Name: Zoë"], None)]
