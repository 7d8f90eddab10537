"""The HTTP manager end to end: a real ``pbxd serve`` process, curl-style requests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import re
import socket
import threading
from collections.abc import Iterator

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.server import PbxdProcess

MANAGER_CONF = """\
[general]
enabled = yes
webenabled = yes
port = 5038
bindaddr = 127.0.0.1
httptimeout = 60

[admin]
secret = adminpass
read = all
write = all

[limited]
secret = limitedpass
read = call
write = call

[filtered]
secret = filteredpass
read = all
write = all
eventfilter = !UserEvent: Hidden

[blocked]
secret = blockedpass
deny = 0.0.0.0/0.0.0.0
permit = 10.0.0.0/255.0.0.0
read = all
write = all
"""
HTTP_CONF = """\
[general]
enabled = yes
bindaddr = 127.0.0.1
bindport = 8088
prefix = asterisk
sessionlimit = 20
"""
COOKIE = re.compile(r'^mansession_id="([0-9a-f]{8})"; Version=1; Max-Age=60$')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PbxdProcess]:
    conf = tmp_path_factory.mktemp("http-conf")
    (conf / "manager.conf").write_text(MANAGER_CONF)
    (conf / "http.conf").write_text(HTTP_CONF)
    process = PbxdProcess(conf, tmp_path_factory.mktemp("http-data"))
    process.start()
    assert process.http_port
    try:
        yield process
    finally:
        process.stop()


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.getheaders()
        self.body = response.read()

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def cookie(self) -> str:
        match = COOKIE.match(self.header("Set-Cookie") or "")
        assert match, self.headers
        return match[1]

    @property
    def text(self) -> str:
        return self.body.decode()


def request(
    server: PbxdProcess,
    path: str,
    cookie: str | None = None,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    connection = http.client.HTTPConnection(server.host, server.http_port, timeout=10)
    fields = dict(headers or {})
    if cookie:
        fields["Cookie"] = f"mansession_id={cookie}"
    try:
        connection.request(method, path, body=body, headers=fields)
        return Reply(connection.getresponse())
    finally:
        connection.close()


def login(server: PbxdProcess, user: str = "admin", secret: str = "adminpass") -> str:
    reply = request(server, f"/asterisk/rawman?action=login&username={user}&secret={secret}")
    assert reply.text == "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
    return reply.cookie


def raw(server: PbxdProcess, data: bytes) -> bytes:
    """Bytes in, everything the server sends until it closes."""
    with socket.create_connection((server.host, server.http_port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


# -- sessions -----------------------------------------------------------------------------


def test_cookie_session_lives_until_logoff(server: PbxdProcess) -> None:
    cookie = login(server)
    ping = request(server, "/asterisk/rawman?action=ping&actionid=p1", cookie)
    assert ping.status == 200
    assert ping.cookie == cookie
    assert re.fullmatch(
        r"Response: Success\r\nActionID: p1\r\nPing: Pong\r\nTimestamp: \d+\.\d{6}\r\n\r\n",
        ping.text,
    )
    assert [name for name, _ in ping.headers] == [
        "Server", "Date", "Cache-Control", "Content-type", "Set-Cookie", "Pragma",
        "Content-Length",
    ]  # fmt: skip
    bye = request(server, "/asterisk/rawman?action=logoff", cookie)
    assert bye.text == "Response: Goodbye\r\nMessage: Thanks for all the fish.\r\n\r\n"
    after = request(server, "/asterisk/rawman?action=ping", cookie)
    assert after.text == "Response: Error\r\nMessage: Permission denied\r\n\r\n"
    assert after.cookie != cookie


@pytest.mark.parametrize("cookie", [None, "", "zzzz", '"deadbeef"', "0", "f" * 40, "1;;=="])
def test_missing_or_unknown_cookie_starts_a_new_session(server: PbxdProcess, cookie: str) -> None:
    headers = {} if cookie is None else {"Cookie": f"mansession_id={cookie}"}
    reply = request(server, "/asterisk/rawman?action=ping", headers=headers)
    assert reply.status == 200
    assert reply.text == "Response: Error\r\nMessage: Permission denied\r\n\r\n"
    assert reply.cookie


def test_quoted_cookie_as_curl_sends_it(server: PbxdProcess) -> None:
    cookie = login(server)
    reply = request(server, "/asterisk/rawman?action=ping", headers={
        "Cookie": f'other=1; mansession_id="{cookie}"'})  # fmt: skip
    assert reply.text.startswith("Response: Success\r\nPing: Pong\r\n")


def test_form_post(server: PbxdProcess) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = request(server, "/asterisk/rawman", method="POST", headers=form,
                    body=b"action=login&username=admin&secret=adminpass")  # fmt: skip
    assert reply.text.endswith("Message: Authentication accepted\r\n\r\n")
    command = request(server, "/asterisk/rawman?action=ping", reply.cookie, "POST",
                      b"action=command&command=core+show+version", form)  # fmt: skip
    assert command.text.startswith("Response: Success\r\nMessage: Command output follows\r\n")
    assert "Output: Asterisk 20.20.1" in command.text
    other = request(server, "/asterisk/rawman", reply.cookie, "POST", b"action=ping",
                    {"Content-Type": "text/plain"})  # fmt: skip
    assert other.text == "Response: Error\r\nMessage: Missing action in request\r\n\r\n"


def test_http_show_status(server: PbxdProcess) -> None:
    cookie = login(server)
    reply = request(server, "/asterisk/rawman?action=command&command=http%20show%20status", cookie)
    assert "Output: Prefix: /asterisk\r\n" in reply.text
    assert f"Output: Server Enabled and Bound to 127.0.0.1:{server.http_port}\r\n" in reply.text
    assert "Output: /asterisk/rawman => Raw HTTP Manager Event Interface\r\n" in reply.text


# -- events, permissions, filters ------------------------------------------------------------


def wait_event(server: PbxdProcess, cookie: str, timeout: int = 0, path: str = "rawman") -> str:
    return request(server, f"/asterisk/{path}?action=waitevent&timeout={timeout}", cookie).text


def test_events_wait_for_waitevent(server: PbxdProcess) -> None:
    watcher = login(server)
    wait_event(server, watcher)  # what has queued so far
    sender = login(server)
    sent = request(server, "/asterisk/rawman?action=userevent&userevent=Probe&Extra=1", sender)
    assert sent.text == "Response: Success\r\nMessage: Event Sent\r\n\r\n"
    assert "Probe" not in sent.text
    got = wait_event(server, watcher)
    assert got.startswith("Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\n")
    assert "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Probe\r\nExtra: 1\r\n\r\n" in got
    assert got.endswith("Event: WaitEventComplete\r\n\r\n")
    assert "UserEvent: Probe" not in wait_event(server, watcher)  # delivered once


def test_waitevent_long_poll_ends_when_an_event_comes(server: PbxdProcess) -> None:
    watcher = login(server)
    sender = login(server)
    wait_event(server, watcher)
    result: list[str] = []
    poll = threading.Thread(target=lambda: result.append(wait_event(server, watcher, 30)))
    poll.start()
    while poll.is_alive():
        request(server, "/asterisk/rawman?action=userevent&userevent=Wake", sender)
        poll.join(0.2)
    assert "UserEvent: Wake" in result[0]


def test_read_classes_and_write_classes_apply(server: PbxdProcess) -> None:
    limited = login(server, "limited", "limitedpass")
    wait_event(server, limited)
    denied = "Response: Error\r\nMessage: Permission denied\r\n\r\n"
    assert request(server, "/asterisk/rawman?action=command&command=x", limited).text == denied
    assert request(server, "/asterisk/rawman?action=userevent&userevent=X", limited).text == denied
    admin = login(server)
    request(server, "/asterisk/rawman?action=userevent&userevent=ForAdmins", admin)
    assert "ForAdmins" not in wait_event(server, limited)  # class user: not readable


def test_event_filters_apply(server: PbxdProcess) -> None:
    filtered = login(server, "filtered", "filteredpass")
    wait_event(server, filtered)
    admin = login(server)
    request(server, "/asterisk/rawman?action=userevent&userevent=Hidden", admin)
    request(server, "/asterisk/rawman?action=userevent&userevent=Shown", admin)
    got = wait_event(server, filtered)
    assert "UserEvent: Shown" in got
    assert "UserEvent: Hidden" not in got


def test_acl_refuses_login_and_digest(server: PbxdProcess) -> None:
    reply = request(server, "/asterisk/rawman?action=login&username=blocked&secret=blockedpass")
    assert reply.text == "Response: Error\r\nMessage: Authentication failed\r\n\r\n"
    first = request(server, "/asterisk/arawman?action=ping")
    nonce = re.search(r'nonce="([0-9a-f]+)"', first.header("WWW-authenticate") or "")
    assert nonce
    auth = digest_header("blocked", "blockedpass", "/asterisk/arawman?action=ping", nonce[1])
    denied = request(server, "/asterisk/arawman?action=ping", headers={"Authorization": auth})
    assert denied.status == 403
    assert b"<h1>Permission denied</h1>" in denied.body


# -- formats ----------------------------------------------------------------------------------


def test_mxml_and_manager_render_events(server: PbxdProcess) -> None:
    watcher = login(server)
    wait_event(server, watcher)
    admin = login(server)
    request(server, "/asterisk/rawman?action=userevent&userevent=Xml&Note=%3Ca%20b='c'%3E%26%22",
            admin)  # fmt: skip
    xml = request(server, "/asterisk/mxml?action=waitevent&timeout=0", watcher)
    assert xml.header("Content-type") == "text/xml"
    assert xml.text.startswith("<ajax-response>\n<response type='object' id='unknown'><generic "
                               "response='Success' message='Waiting for Event completed.' />")  # fmt: skip
    assert " note='&lt;a b=&apos;c&apos;&gt;&amp;&quot;' />" in xml.text
    assert xml.text.endswith("<generic event='WaitEventComplete' /></response>\n</ajax-response>\n")
    html = request(server, "/asterisk/manager?action=ping", watcher)
    assert html.header("Content-type") == "text/html"
    assert "<tr><td>Ping</td><td>Pong</td></tr>\n" in html.text
    assert html.text.endswith('<tr><td colspan="2"><hr></td></tr>\r\n</table></body>\r\n')
    dest = request(server, "/asterisk/mxml?action=ping&ajaxdest=here&ajaxobjtype=row", watcher)
    assert "<response type='object' id='here'><row response='Success'" in dest.text


# -- digest authentication ----------------------------------------------------------------


def digest_header(user: str, secret: str, uri: str, nonce: str, nc: str = "00000001") -> str:
    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    answer = md5(f"{md5(f'{user}:asterisk:{secret}')}:{nonce}:{nc}:abc:auth:{md5(f'GET:{uri}')}")
    return (f'Digest username="{user}", realm="asterisk", nonce="{nonce}", uri="{uri}", '
            f'cnonce="abc", nc={nc}, qop=auth, response="{answer}", opaque="{nonce}"')  # fmt: skip


def challenge(reply: Reply) -> tuple[str, bool]:
    assert reply.status == 401
    value = reply.header("WWW-authenticate") or ""
    match = re.fullmatch(r'Digest algorithm=MD5, realm="asterisk", nonce="([0-9a-f]{8})", '
                         r'qop="auth", opaque="\1"(, stale=true)?', value)  # fmt: skip
    assert match, value
    return match[1], bool(match[2])


def test_digest_sessions(server: PbxdProcess) -> None:
    uri = "/asterisk/arawman?action=ping"
    nonce, stale = challenge(request(server, uri))
    assert not stale
    wrong = request(server, uri, headers={"Authorization": digest_header(
        "admin", "nope", uri, nonce)})  # fmt: skip
    challenge(wrong)
    nonce, _ = challenge(request(server, uri))
    good = request(server, uri, headers={"Authorization": digest_header(
        "admin", "adminpass", uri, nonce)})  # fmt: skip
    assert good.status == 200
    assert good.header("Set-Cookie") is None
    assert good.text.startswith("Response: Success\r\nPing: Pong\r\n")
    again = request(server, uri, headers={"Authorization": digest_header(
        "admin", "adminpass", uri, nonce, "00000002")})  # fmt: skip
    assert again.status == 200
    replayed = request(server, uri, headers={"Authorization": digest_header(
        "admin", "adminpass", uri, nonce, "00000002")})  # fmt: skip
    fresh, stale = challenge(replayed)
    assert stale and fresh != nonce
    made_up = request(server, uri, headers={"Authorization": digest_header(
        "admin", "adminpass", uri, "12345678")})  # fmt: skip
    challenge(made_up)
    for broken in ("Digest", "Basic YWRtaW46YWRtaW5wYXNz", 'Digest username="admin"', "Digest ,,="):
        challenge(request(server, uri, headers={"Authorization": broken}))


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/rawman?action=ping", "GET", 404),  # without the prefix
        ("/asterisk/rawman/more", "GET", 404),
        ("/asterisk/nothing", "GET", 404),
        ("/", "GET", 404),
        ("/asterisk/RAWMAN?action=ping", "GET", 200),  # names are matched without case
        ("/asterisk/rawman?action=ping", "PUT", 501),
        ("/asterisk/rawman?action=ping", "DELETE", 501),
    ],
)
def test_paths_and_methods(server: PbxdProcess, path: str, method: str, status: int) -> None:
    reply = request(server, path, method=method)
    assert reply.status == status
    if status != 200:
        assert reply.header("Content-type") == "text/html"
        assert reply.body.startswith(b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n')
        assert reply.body.endswith(b"<address>Asterisk/20.20.1</address>\r\n</body></html>\r\n")


def test_head_has_no_body(server: PbxdProcess) -> None:
    reply = request(server, "/asterisk/rawman?action=ping", method="HEAD")
    assert reply.status == 200
    assert reply.body == b""


def test_body_too_large(server: PbxdProcess) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"action=ping&x=" + b"a" * 50_000
    reply = request(server, "/asterisk/rawman", method="POST", body=body, headers=form)
    assert reply.status == 413
    assert b"<p>Body too large</p>" in reply.body


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        (b"GET /asterisk/rawman HTTP/1.1\r\n" + b"X-A: b\r\n" * 150 + b"\r\n", "413",
         b"Too many headers"),
        (b"GET /asterisk/rawman HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", "400",
         b"Header line too long"),
        (b"GET /asterisk/rawman?" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", "400",
         b"Header line too long"),
        (b"GET /asterisk/rawman HTTP/1.1\r\nNoColon\r\n\r\n", "400", b"Invalid Request"),
        (b"\x16\x03\x01\x00garbage\r\n\r\n", "501", b"unsupported method"),
        (b"GET\r\n\r\n", "501", b"unsupported method"),
    ],
)  # fmt: skip
def test_malformed_requests(server: PbxdProcess, data: bytes, status: str, text: bytes) -> None:
    reply = raw(server, data)
    assert re.match(rb"HTTP/1\.[01] " + status.encode() + b" ", reply), reply  # aiohttp: 1.0
    assert b"Server: Asterisk/20.20.1\r\n" in reply
    assert text in reply
    assert b"Traceback" not in reply
    assert request(server, "/asterisk/rawman?action=ping").status == 200  # still serving


def test_session_limit(server: PbxdProcess) -> None:
    held = []
    try:
        for _ in range(20):
            connection = http.client.HTTPConnection(server.host, server.http_port, timeout=10)
            connection.request("GET", "/asterisk/rawman?action=ping")
            connection.getresponse().read()
            held.append(connection)
        assert raw(server, b"GET /asterisk/rawman HTTP/1.1\r\nHost: a\r\n\r\n") == b""  # over
    finally:
        for connection in held:
            connection.close()


_QUERY = st.text(alphabet="abcdeAZ09%&=+;?/#:_-.~ \t\x00\x7f\u00e9\u4e2d", max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_QUERY)
def test_any_query_string_gets_an_ami_answer(server: PbxdProcess, query: str) -> None:
    target = "/asterisk/rawman?" + query.encode("utf-8").decode("latin-1")
    encoded = "".join(c if 32 < ord(c) < 127 and c != "#" else f"%{ord(c):02X}" for c in target)
    reply = raw(server, f"GET {encoded} HTTP/1.1\r\nHost: pbx\r\nConnection: close\r\n\r\n".encode())
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), reply
    assert body.startswith(b"Response: "), body


def test_the_html_form_as_a_browser_posts_it(server: PbxdProcess) -> None:
    """The tester page's form sends ``action`` twice (the select, then the text box)."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    page = request(server, "/asterisk/manager", method="POST", headers=form,
                   body=b"action=login&action=&command=&username=admin&secret=adminpass")  # fmt: skip
    assert "<tr><td>Message</td><td>Authentication accepted</td></tr>" in page.text
    pong = request(server, "/asterisk/manager", page.cookie, "POST",
                   b"action=&action=ping&command=&username=&secret=", form)  # fmt: skip
    assert "<tr><td>Ping</td><td>Pong</td></tr>" in pong.text


def test_extra_parameters_are_dropped_past_128(server: PbxdProcess) -> None:
    cookie = login(server)
    query = "action=ping&" + "&".join(f"x{i}=1" for i in range(300))
    reply = request(server, f"/asterisk/rawman?{query}", cookie)
    assert reply.text.startswith("Response: Success\r\nPing: Pong\r\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300))
def test_any_form_body_gets_an_ami_answer(server: PbxdProcess, body: bytes) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = request(server, "/asterisk/mxml", method="POST", body=body, headers=form)
    assert reply.status == 200
    assert reply.text.startswith("<ajax-response>\n<response type='object' id='unknown'>")


def test_websocket_against_the_server_process(server: PbxdProcess) -> None:
    """A WebSocket client logs in, gets the events its user may read, and is answered in JSON."""

    async def scenario() -> list[dict[str, object]]:
        url = f"http://{server.host}:{server.http_port}/asterisk/ws"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            await ws.send_json({"Action": "Login", "Username": "admin", "Secret": "adminpass",
                                "Events": "user"})  # fmt: skip
            got = [await ws.receive_json(timeout=5)]
            cookie = login(server)  # an HTTP session sends an event the socket may read
            request(server, "/asterisk/rawman?action=userevent&userevent=ToSocket", cookie)
            while got[-1].get("Event") != "UserEvent":
                got.append(await ws.receive_json(timeout=5))
            return got

    messages = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert messages[0] == {"Response": "Success", "Message": "Authentication accepted"}
    assert messages[-1] == {"Event": "UserEvent", "Privilege": "user,all", "UserEvent": "ToSocket"}
    assert all(m.get("Event") != "SuccessfulAuth" for m in messages)  # not in its Events mask
