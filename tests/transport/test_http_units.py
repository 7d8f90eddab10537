"""Unit tests of the HTTP manager's pieces: renderers, digest, JSON mapping, settings."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxd.config.conf import loads
from pbxd.configuration import load_configuration
from pbxd.protocol.errors import LINE_TOO_LONG, TOO_MANY_HEADERS
from pbxd.transport import digest
from pbxd.transport.ami_json import JsonMessageError, message_from_json, messages_to_json
from pbxd.transport.http_render import XML_HEAD, XML_TAIL, attribute_name, escape, translate
from pbxd.transport.http_settings import http_settings

# -- XML and HTML ------------------------------------------------------------------------


def test_xml_as_asterisk_writes_it() -> None:
    text = (
        "Response: Success\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
        "Event: CoreShowChannelsComplete\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
    )
    assert translate(text, xml=True) == (
        "<response type='object' id='unknown'><generic response='Success' eventlist='start' "
        "message='Channels will follow' /></response>\n"
        "<response type='object' id='unknown'><generic event='CoreShowChannelsComplete' "
        "eventlist='Complete' listitems='0' /></response>\n"
    )


def test_html_rows_and_rules() -> None:
    text = "Response: Success\r\nPing: Pong\r\n\r\n"
    assert translate(text, xml=False) == (
        "<tr><td>Response</td><td>Success</td></tr>\n<tr><td>Ping</td><td>Pong</td></tr>\n"
        '<tr><td colspan="2"><hr></td></tr>\r\n'
    )


@pytest.mark.parametrize(
    ("text", "xml"),
    [
        ("Output: a\r\nOutput: b\r\nOutput: c\r\n\r\n", " output='a' output-2='b' output-3='c'"),
        ("X-Weird.Name: <&'\">\r\n\r\n", " x_weird_name='&lt;&amp;&apos;&quot;&gt;'"),
        ("Key:   spaced   \r\n\r\n", " key='spaced'"),
        ("Response: Follows\r\nfree text\r\nmore\r\n\r\n",
         " response='Follows' opaque_data='free text\nmore'"),
        ("Ping: Pong", " ping='Pong'"),  # no blank line at the end
    ],
)  # fmt: skip
def test_xml_fields(text: str, xml: str) -> None:
    assert translate(text, xml=True) == (
        f"<response type='object' id='unknown'><generic{xml} /></response>\n"
    )


def test_opaque_data_in_html() -> None:
    assert translate("free text\nmore\n\n", xml=False) == (
        "<tr><td>Opaque-data</td><td>free text<br>\nmore</td></tr>\n"
        '<tr><td colspan="2"><hr></td></tr>\r\n'
    )


def test_destination_and_object_type_are_escaped() -> None:
    out = translate("A: b\r\n\r\n", True, dest="x'><script>", objtype="row")
    assert out.startswith("<response type='object' id='x&apos;&gt;&lt;script&gt;'><row a='b'")


def test_escape_and_names() -> None:
    assert escape("<a href=\"x\">'&'</a>") == (
        "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
    )
    assert attribute_name("Caller-ID(Num) É") == "caller_id_num___"


_NAME = st.from_regex(r"[A-Z][A-Za-z0-9]{0,10}", fullmatch=True).map(str.capitalize)
_VALUE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).map(str.strip)


@given(st.lists(st.dictionaries(_NAME, _VALUE, min_size=1, max_size=6), min_size=1, max_size=4))
def test_xml_is_well_formed_and_keeps_values(messages: list[dict[str, str]]) -> None:
    text = "".join(
        "".join(f"{name}: {value}\r\n" for name, value in message.items()) + "\r\n"
        for message in messages
    )
    root = ET.fromstring(XML_HEAD + translate(text, xml=True) + XML_TAIL)
    assert [response[0].attrib for response in root] == [
        {name.lower(): value for name, value in message.items()} for message in messages
    ]


# -- digest ----------------------------------------------------------------------------------

CURL = (
    'Digest username="admin", realm="asterisk", nonce="6a7b5d07", uri="/arawman?action=ping", '
    'cnonce="Njc5MzAwMjk0Yzk1NjAzNDAyZjI1NTliM2MyZjRiZTQ=", nc=00000001, qop=auth, '
    'response="d031e5f9817e84a6d7190572f1dbaadf", opaque="6a7b5d07", algorithm=MD5'
)


def test_digest_of_the_recorded_curl_run_verifies() -> None:
    """curl's answer to Asterisk's challenge, as recorded, checks out against the secret."""
    parsed = digest.parse_digest(CURL)
    assert parsed is not None
    assert parsed.username == "admin" and parsed.nc == "00000001"
    assert digest.verify(parsed, "adminpass", "GET", 0x6A7B5D07)
    assert not digest.verify(parsed, "wrong", "GET", 0x6A7B5D07)
    assert not digest.verify(parsed, "adminpass", "POST", 0x6A7B5D07)
    assert not digest.verify(parsed, "adminpass", "GET", 0x6A7B5D08)


def test_digest_without_qop() -> None:
    parsed = digest.parse_digest('Digest username="u", nonce="0000abcd", uri="/x", response="r"')
    assert parsed is not None and not parsed.qop

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    answer = md5(f"{md5('u:asterisk:s')}:0000abcd:{md5('GET:/x')}")
    assert digest.verify(digest.Digest("u", "0000abcd", "/x", answer), "s", "GET", 0xABCD)


@pytest.mark.parametrize(
    "header",
    ["", "Basic abc", "Digest", 'Digest username="a"', 'Digest username="a", nonce="1", uri="/"',
     'Digest username="a", nonce="1", uri="/", response="x", qop=auth', "Digest ,,,", 'Digest a="'],
)  # fmt: skip
def test_broken_digests(header: str) -> None:
    assert digest.parse_digest(header) is None


@given(st.text(max_size=200))
def test_any_authorization_header_parses_or_is_refused(header: str) -> None:
    digest.parse_digest(header)


@pytest.mark.parametrize(
    ("text", "value"),
    [("bda2c71e", 0xBDA2C71E), ("0x1F", 0x1F), (" 12zz", 0x12), ("zz", 0), ("", 0),
     ("f" * 30, 0xFFFFFFFF)],
)  # fmt: skip
def test_parse_hex(text: str, value: int) -> None:
    assert digest.parse_hex(text) == value


def test_challenge_header() -> None:
    assert digest.challenge(0x151D9AA) == (
        'Digest algorithm=MD5, realm="asterisk", nonce="0151d9aa", qop="auth", opaque="0151d9aa"'
    )
    assert digest.challenge(1, stale=True).endswith(', stale=true')


# -- JSON ------------------------------------------------------------------------------------


def test_json_in() -> None:
    message = message_from_json(
        '{"Action": "Originate", "Variable": ["A=1", "B=2"], "Timeout": 30, "Async": true,'
        ' "Data": null}'
    )
    assert message.lines == [
        "Action: Originate", "Variable: A=1", "Variable: B=2", "Timeout: 30", "Async: yes",
        "Data: ",
    ]  # fmt: skip
    assert message.error is None


def test_json_limits() -> None:
    assert message_from_json('{"Action": "Ping", "X": "' + "a" * 1100 + '"}').error == LINE_TOO_LONG
    many = "{" + ", ".join(f'"H{i}": "v"' for i in range(200)) + "}"
    message = message_from_json(many)
    assert message.error == TOO_MANY_HEADERS and len(message.lines) == 128


@given(st.text(max_size=100))
def test_any_frame_is_a_message_or_a_clear_error(text: str) -> None:
    try:
        message_from_json(text)
    except JsonMessageError as exc:
        assert str(exc).startswith("Failed to parse message: ")


def test_json_out_keeps_order_and_repeats() -> None:
    data = (
        b"Response: Success\r\nActionID: 1\r\nMessage: Command output follows\r\n"
        b"Output: a\r\nOutput: b\r\n\r\nEvent: X\r\nPrivilege: call,all\r\nEmpty: \r\n\r\n"
    )
    first, second = messages_to_json(data)
    assert list(first) == ["Response", "ActionID", "Message", "Output"]
    assert first["Output"] == ["a", "b"]
    assert second == {"Event": "X", "Privilege": "call,all", "Empty": ""}
    classic = messages_to_json(b"Response: Follows\r\nPrivilege: Command\r\nline one\r\n"
                               b"--END COMMAND--\r\n\r\n")  # fmt: skip
    assert classic[0]["Output"] == ["line one", "--END COMMAND--"]


# -- http.conf -------------------------------------------------------------------------------


def test_settings_defaults_and_values() -> None:
    problems: list = []
    absent = http_settings(None, problems)
    assert not absent.enabled and absent.bindport == 8088 and absent.servername.startswith("Asterisk/")
    conf = loads(
        "[general]\nenabled=yes\nbindaddr=127.0.0.1\nbindport=18088\nprefix=/pbx/\n"
        "sessionlimit=5\nservername=\nbogus=1\nbindport2=x\n",
        "http.conf",
    )
    settings = http_settings(conf, problems)
    assert settings.enabled and settings.bindaddr == "127.0.0.1" and settings.bindport == 18088
    assert settings.prefix == "/pbx" and settings.sessionlimit == 5 and settings.servername == ""
    assert [p.message for p in problems] == [
        "unknown option 'bogus' in [general]", "unknown option 'bindport2' in [general]"]  # fmt: skip


def test_check_config_reports_http_conf(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text("[general]\nenabled = yes\nwebenabled = yes\n")
    (tmp_path / "http.conf").write_text("[general]\nenabled = maybe\nbindport = 99999\n")
    configuration = load_configuration(tmp_path)
    texts = [str(problem) for problem in configuration.problems]
    assert any("http.conf:2" in text and "enabled" in text for text in texts), texts
    assert any("http.conf:3" in text and "bindport" in text for text in texts), texts
    assert configuration.http.bindport == 8088 and not configuration.http.enabled
