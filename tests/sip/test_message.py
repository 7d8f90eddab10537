"""The SIP message parser and serializer, with hypothesis on garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxd.sip.message import (
    Headers,
    NameAddr,
    Request,
    Response,
    SipParseError,
    SipUri,
    StreamFramer,
    Via,
    make_response,
    parse_cseq,
    parse_message,
    split_list,
)

REGISTER = (
    b"REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1;rport,"
    b" SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2\r\n"
    b"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK3\r\n"
    b"f: \"Alice, A.\" <sip:alice@example.com>;tag=abc\r\n"
    b"t: <sip:alice@example.com>\r\n"
    b"i: call-1@10.0.0.1\r\n"
    b"CSEQ: 7 register\r\n"
    b"m: <sip:alice@10.0.0.1:5062;transport=udp>;expires=60, <sip:a2@h>\r\n"
    b"Subject: one\r\n"
    b"  folded two\r\n"
    b"\tthree\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"bodyEXTRA"
)


def test_request_with_compact_folded_and_multiple_headers() -> None:
    message = parse_message(REGISTER)
    assert isinstance(message, Request)
    assert (message.method, message.uri) == ("REGISTER", "sip:127.0.0.1")
    assert message.call_id == "call-1@10.0.0.1"
    assert message.cseq == (7, "REGISTER")
    vias = message.vias
    assert [v.host for v in vias] == ["10.0.0.1", "proxy.example.com", "[2001:db8::1]"]
    assert vias[0].port == 5062 and vias[0].params == {"branch": "z9hG4bK1", "rport": None}
    assert vias[1].transport == "TCP" and vias[2].port == 5070
    assert message.from_.display == "Alice, A." and message.from_.tag == "abc"
    assert message.to.tag is None
    contacts = [NameAddr.parse(c) for c in message.headers.values("contact")]
    assert contacts[0].params == {"expires": "60"}
    assert contacts[0].sip_uri.params == {"transport": "udp"}
    assert message.headers.get("SUBJECT") == "one folded two three"
    assert message.body == b"body"  # bytes past Content-Length are dropped


def test_response_and_round_trip() -> None:
    data = (
        b"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
        b"WWW-Authenticate: Digest realm=\"asterisk\", nonce=\"1\"\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse_message(data)
    assert isinstance(message, Response)
    assert (message.status, message.reason) == (401, "Unauthorized")
    assert message.headers.values("www-authenticate") == ['Digest realm="asterisk", nonce="1"']
    again = parse_message(message.encode())
    assert isinstance(again, Response)
    assert list(again.headers) == list(message.headers)


def test_encode_sets_content_length() -> None:
    request = Request(Headers([("Content-Length", "99"), ("Call-ID", "x")]), b"abc", "MESSAGE",
                      "sip:a@b")  # fmt: skip
    assert request.encode() == b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 3\r\n\r\nabc"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n",  # no blank line
        b"INVITE sip:a@b SIP/3.0\r\n\r\n",
        b"INVITE  SIP/2.0\r\n\r\n",
        b"SIP/2.0 99 Odd\r\n\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",  # wrong length
        b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\n\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\n folded first\r\n\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nTo: \xff\r\n\r\n",
    ],
)
def test_malformed_messages_raise_parse_error(data: bytes) -> None:
    with pytest.raises(SipParseError):
        parse_message(data)


def test_structured_values() -> None:
    uri = SipUri.parse("sip:bob:pw@[::1]:5080;transport=tcp;lr?subject=x")
    assert (uri.user, uri.password, uri.host, uri.port) == ("bob", "pw", "[::1]", 5080)
    assert uri.params == {"transport": "tcp", "lr": None} and uri.headers == "subject=x"
    assert str(uri) == "sip:bob:pw@[::1]:5080;transport=tcp;lr?subject=x"
    plain = NameAddr.parse("sip:carol@h;tag=9")
    assert plain.uri == "sip:carol@h" and plain.tag == "9"
    assert str(NameAddr.parse('"A \\"B\\"" <sip:x@y>;tag=1')) == '"A "B"" <sip:x@y>;tag=1'
    assert NameAddr.parse("*").uri == "*"
    via = Via.parse("SIP/2.0/tcp 10.1.1.1:5061;branch=z9hG4bKa;received=1.2.3.4")
    assert str(via) == "SIP/2.0/TCP 10.1.1.1:5061;branch=z9hG4bKa;received=1.2.3.4"
    assert parse_cseq("1 invite") == (1, "INVITE")
    assert split_list('"a,b" <sip:x>, <sip:y;p=1,2>') == ['"a,b" <sip:x>', "<sip:y;p=1,2>"]
    for bad in ("tel:123", "sip:", "sip:a@b:99999", "sip:a@b:x"):
        with pytest.raises(SipParseError):
            SipUri.parse(bad)
    for bad in ("", "<sip:a@b", '"x <sip:a@b>', "<sip:a@b> junk"):
        with pytest.raises(SipParseError):
            NameAddr.parse(bad)
    for bad in ("SIP/2.0 host", "SIP/1.0/UDP h", "SIP/2.0/UDP"):
        with pytest.raises(SipParseError):
            Via.parse(bad)


def test_make_response_copies_and_tags() -> None:
    message = parse_message(REGISTER)
    assert isinstance(message, Request)
    response = make_response(message, 200, to_tag="t1")
    assert response.headers.get_all("Via") == message.headers.get_all("Via")
    assert response.to.tag == "t1" and response.reason == "OK"
    assert make_response(message, 100, to_tag="t1").to.tag is None


def test_headers_set_replace_and_case() -> None:
    headers = Headers([("via", "a"), ("X-One", "1"), ("VIA", "b")])
    headers.set("Via", "c")
    assert list(headers) == [("Via", "c"), ("X-One", "1")]
    headers.replace_all("via", ["d", "e"])
    assert list(headers) == [("Via", "d"), ("Via", "e"), ("X-One", "1")]
    assert "x-one" in headers and "Call-ID" not in headers


def test_stream_framer_splits_by_content_length() -> None:
    framer = StreamFramer()
    one = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\n\r\nhi"
    two = b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n"
    data = b"\r\n\r\n" + one + two
    messages = [m for i in range(len(data)) for m in framer.feed(data[i : i + 1])]
    assert [type(m) for m in messages] == [Request, Response]
    assert messages[0].body == b"hi"
    with pytest.raises(SipParseError):
        StreamFramer().feed(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_garbage_raises_only_parse_error(data: bytes) -> None:
    try:
        message = parse_message(data)
    except SipParseError:
        return
    message.encode()


_HEADER_NAMES = st.sampled_from(
    ["Via", "v", "From", "f", "To", "t", "Call-ID", "CSeq", "Contact", "m", "l", "X-Y"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_HEADER_NAMES, st.text(max_size=40)), max_size=8),
    st.binary(max_size=30),
)
def test_near_valid_messages_raise_only_parse_error(
    headers: list[tuple[str, str]], body: bytes
) -> None:
    head = "INVITE sip:a@b SIP/2.0\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    data = head.encode("utf-8", "surrogatepass") + b"\r\n" + body
    try:
        message = parse_message(data)
    except SipParseError:
        return
    for reader in (
        lambda: message.vias,
        lambda: message.from_,
        lambda: message.to,
        lambda: message.cseq,
        lambda: [NameAddr.parse(c).sip_uri for c in message.headers.values("Contact")],
    ):
        try:
            reader()
        except SipParseError:
            pass
    framer = StreamFramer()
    try:
        framer.feed(data)
    except SipParseError:
        pass
