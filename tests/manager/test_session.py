"""The per-connection pipeline, driven through a fake Link with a real Manager and PBX."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterator

import pytest
from support import REFERENCE_CONF

import pbxd.manager.session as session_module
from pbxd.configuration import load_configuration
from pbxd.manager.server import Manager
from pbxd.manager.session import Session
from pbxd.pbx.core import PBX
from pbxd.protocol import ClientConnection, Message

REFERENCE = REFERENCE_CONF
START = 1_795_680_000.0
UNKNOWN = "Invalid/unknown command: {}. Use Action: ListCommands to show available commands."


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class FakeLink:
    """Records what the session does to its transport."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.aborted = False
        self.reading = True

    def write(self, data: bytes) -> None:
        assert not (self.closed or self.aborted), "write after close"
        self.data += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def buffered(self) -> int:
        return 0  # never drains by itself: a paused session here has stopped reading


class Client:
    """One connection: sends bytes into its session, decodes what the session wrote."""

    _fds = iter(range(100, 10_000))

    def __init__(self, manager: Manager, port: int = 40000) -> None:
        self.link = FakeLink()
        self.fd = next(self._fds)
        session = manager.open_session(self.link, ("127.0.0.1", 5038), ("127.0.0.1", port), self.fd)
        assert session is not None
        self.session: Session = session
        self.conn = ClientConnection()
        self._seen = 0

    def send(self, data: bytes) -> None:
        self.session.data_received(data)

    def action(self, name: str, *headers: tuple[str, str]) -> None:
        self.send(self.conn.send_action(name, headers))

    def read(self) -> list[Message]:
        """Messages written since the last read."""
        data = bytes(self.link.data[self._seen :])
        self._seen = len(self.link.data)
        return self.conn.receive_data(data)

    async def login(self, user: str = "admin", secret: str = "adminpass", events: str = "off") -> None:
        self.action("Login", ("Username", user), ("Secret", secret), ("Events", events))
        await settle()
        assert self.read()[0].get("message") == "Authentication accepted"


async def settle(turns: int = 5) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


def heads(messages: list[Message]) -> list[tuple[str, str]]:
    """(Response or Event, ActionID) of each message."""
    return [
        (f"Response: {m.get('response')}" if "response" in m else f"Event: {m.get('event')}",
         m.get("actionid"))
        for m in messages
    ]


class World:
    def __init__(self, manager: Manager, clock: Clock) -> None:
        self.manager = manager
        self.clock = clock
        self.pbx = manager.pbx

    def client(self, port: int = 40000) -> Client:
        return Client(self.manager, port)

    async def admin(self, events: str = "off") -> Client:
        client = self.client()
        client.read()
        await client.login(events=events)
        return client


Scenario = Callable[[World], Awaitable[None]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Scenario], None]]:
    """Run a scenario on its own event loop, with a real Manager on the reference config."""
    monkeypatch.setattr(session_module, "FAILED_LOGIN_DELAY", 0.05)

    def runner(scenario: Scenario) -> None:
        async def main() -> None:
            configuration = load_configuration(REFERENCE)
            clock = Clock()
            pbx = PBX(clock=clock)
            manager = Manager(configuration.manager, pbx, asyncio.get_running_loop())
            await scenario(World(manager, clock))

        asyncio.run(main())

    yield runner


# -- banner and login -------------------------------------------------------------------------


def test_banner_at_once(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        assert bytes(client.link.data) == b"Asterisk Call Manager/9.0.0\r\n"

    run(scenario)


def test_plain_login_with_events(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        world.clock.now += 269
        client.send(b"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\nActionID: login-1\r\n\r\n")
        await settle()
        messages = client.read()
        assert heads(messages) == [
            ("Response: Success", "login-1"),
            ("Event: FullyBooted", ""),
            ("Event: SuccessfulAuth", ""),
        ]
        assert messages[0].lines == [
            "Response: Success", "ActionID: login-1", "Message: Authentication accepted"
        ]
        assert messages[1].lines == [
            "Event: FullyBooted", "Privilege: system,all", "Uptime: 269", "LastReload: 269",
            "Status: Fully Booted",
        ]
        auth = messages[2]
        assert [name for name, _ in auth.items()] == [
            "Event", "Privilege", "EventTV", "Severity", "Service", "EventVersion", "AccountID",
            "SessionID", "LocalAddress", "RemoteAddress", "UsingPassword", "SessionTV",
        ]
        assert auth.get("RemoteAddress") == "IPV4/TCP/127.0.0.1/40000"
        assert auth.get("LocalAddress") == "IPV4/TCP/127.0.0.1/5038"
        assert client.session.authenticated
        client.send(b"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\nActionID: login-2\r\n\r\n")
        await settle()
        assert client.read()[0].lines == [
            "Response: Success", "ActionID: login-2", "Message: Already authenticated"
        ]

    run(scenario)


LOGIN_OK = [
    # (login headers, events expected after the response)
    ([("Username", "admin"), ("Secret", "adminpass"), ("Events", "off")], []),
    ([("Username", "ADMIN"), ("Secret", "adminpass"), ("Events", "off")], []),
    ([("username", "admin"), ("secret", "adminpass"), ("events", "on")],
     ["Event: FullyBooted", "Event: SuccessfulAuth"]),
    ([("Username", "limited"), ("Secret", "limitedpass")], []),  # reads call only
    ([("Username", "acluser"), ("Secret", "acluserpass"), ("Events", "system")],
     ["Event: FullyBooted"]),
]


@pytest.mark.parametrize(("headers", "events"), LOGIN_OK)
def test_login_accepted(
    run: Callable[[Scenario], None], headers: list[tuple[str, str]], events: list[str]
) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        client.action("Login", *headers)
        await settle()
        messages = client.read()
        assert messages[0].lines == ["Response: Success", "Message: Authentication accepted"]
        assert [head for head, _ in heads(messages[1:])] == events

    run(scenario)


def test_md5_login(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        client.action("Challenge", ("AuthType", "md5"), ("ActionID", "ch-1"))
        (answer,) = client.read()
        challenge = answer.get("challenge")
        assert answer.lines == ["Response: Success", "ActionID: ch-1", f"Challenge: {challenge}"]
        assert challenge.isdigit()
        key = hashlib.md5((challenge + "adminpass").encode()).hexdigest()
        client.action("Login", ("AuthType", "md5"), ("Username", "admin"), ("Key", key),
                      ("ActionID", "md5-login"), ("Events", "off"))
        await settle()
        assert client.read()[0].lines == [
            "Response: Success", "ActionID: md5-login", "Message: Authentication accepted"
        ]

    run(scenario)


def test_challenge_needs_md5(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        client.action("Challenge", ("AuthType", "sha1"), ("ActionID", "ch-3"))
        assert client.read()[0].lines == [
            "Response: Error", "ActionID: ch-3", "Message: Must specify AuthType"
        ]

    run(scenario)


LOGIN_REFUSED = [
    [("Username", "admin"), ("Secret", "wrong")],
    [("Username", "nosuchuser"), ("Secret", "x")],
    [],
    [("Username", "admin")],
    [("Username", "blocked"), ("Secret", "blockedpass")],  # ACL: 10.0.0.0/8 only
    [("AuthType", "md5"), ("Username", "admin"), ("Key", "0" * 32)],  # no Challenge before
    [("Username", "admin"), ("Secret", "ADMINPASS")],
]


@pytest.mark.parametrize("headers", LOGIN_REFUSED)
def test_failed_login_answered_after_a_delay_then_closed(
    run: Callable[[Scenario], None], headers: list[tuple[str, str]]
) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        client.action("Login", *headers, ("ActionID", "bad-1"))
        await settle()
        assert client.read() == []  # nothing before the delay
        assert not client.link.closed
        await asyncio.sleep(0.1)
        assert [m.lines for m in client.read()] == [
            ["Response: Error", "ActionID: bad-1", "Message: Authentication failed"]
        ]
        assert client.link.closed
        assert not client.session.authenticated

    run(scenario)


def test_failed_login_delay_is_one_second() -> None:
    assert session_module.FAILED_LOGIN_DELAY == 1.0  # Asterisk's; the fixture shortens it


def test_bad_md5_key_after_challenge(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        client.action("Challenge", ("AuthType", "md5"))
        client.read()
        client.action("Login", ("AuthType", "md5"), ("Username", "admin"), ("Key", "0" * 32))
        await asyncio.sleep(0.1)
        assert client.read()[0].get("message") == "Authentication failed"
        assert client.link.closed

    run(scenario)


BEFORE_LOGIN = [
    # (request, answer lines)
    (b"Action: Ping\r\nActionID: pre-1\r\n\r\n",
     ["Response: Error", "ActionID: pre-1", "Message: Permission denied"]),
    (b"Action: Command\r\nCommand: core show version\r\nActionID: pre-2\r\n\r\n",
     ["Response: Error", "ActionID: pre-2", "Message: Permission denied"]),
    (b"Action: FooBar\r\nActionID: pre-4b\r\n\r\n",
     ["Response: Error", "ActionID: pre-4b", "Message: Permission denied"]),
    (b"ActionID: pre-noaction\r\n\r\n",
     ["Response: Error", "ActionID: pre-noaction", "Message: Missing action in request"]),
    (b"\r\n", ["Response: Error", "Message: Missing action in request"]),
]


@pytest.mark.parametrize(("request_bytes", "answer"), BEFORE_LOGIN)
def test_before_login(
    run: Callable[[Scenario], None], request_bytes: bytes, answer: list[str]
) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        client.send(request_bytes)
        await settle()
        assert [m.lines for m in client.read()] == [answer]
        assert not client.link.closed

    run(scenario)


def test_logoff(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        for logged_in in (False, True):
            client = await world.admin() if logged_in else world.client()
            client.read()
            client.send(b"Action: Logoff\r\nActionID: bye-1\r\n\r\n")
            await settle()
            assert [m.lines for m in client.read()] == [
                ["Response: Goodbye", "ActionID: bye-1", "Message: Thanks for all the fish."]
            ]
            assert client.link.closed
            assert client.session.id not in world.manager.sessions

    run(scenario)


def test_logoff_with_events_on_sends_nothing_after_goodbye(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        await settle()
        client.read()
        client.send(b"Action: Logoff\r\n\r\n")
        await settle()
        assert heads(client.read()) == [("Response: Goodbye", "")]
        world.manager.publish("UserEvent", 64, [("UserEvent", "late")])
        await settle()
        assert client.read() == []

    run(scenario)


# -- requests once logged in ------------------------------------------------------------------

AUTHED_CASES = [
    # (request, answer lines; "*" stands for any value)
    (b"Action: FooBar\r\nActionID: unk-1\r\n\r\n",
     ["Response: Error", "ActionID: unk-1", "Message: " + UNKNOWN.format("FooBar")]),
    (b"Action: FooBar\r\n\r\n", ["Response: Error", "Message: " + UNKNOWN.format("FooBar")]),
    (b"Action:    Ping   \r\nActionID:   spaces-1   \r\n\r\n",
     ["Response: Error", "ActionID: spaces-1   ", "Message: " + UNKNOWN.format("Ping   ")]),
    (b"Action: PING\r\nActionID: case-1\r\n\r\n",
     ["Response: Success", "ActionID: case-1", "Ping: Pong", "Timestamp: *"]),
    (b"action: Ping\r\nactionid: lower-1\r\n\r\n",
     ["Response: Success", "ActionID: lower-1", "Ping: Pong", "Timestamp: *"]),
    (b"Action:Ping\r\nActionID:nospace-1\r\n\r\n",
     ["Response: Success", "ActionID: nospace-1", "Ping: Pong", "Timestamp: *"]),
    (b"Action: Ping\nActionID: lf-1\n\n",
     ["Response: Success", "ActionID: lf-1", "Ping: Pong", "Timestamp: *"]),
    (b"Action: Ping\r\nActionID: dup-A\r\nActionID: dup-B\r\n\r\n",
     ["Response: Success", "ActionID: dup-A", "Ping: Pong", "Timestamp: *"]),
    (b"Action: Ping\r\nThisHasNoColon\r\nActionID: nocolon-1\r\n\r\n",
     ["Response: Success", "ActionID: nocolon-1", "Ping: Pong", "Timestamp: *"]),
    (b"Action:\r\nAction: Ping\r\n\r\n", ["Response: Success", "Ping: Pong", "Timestamp: *"]),
    (b"\r\n", ["Response: Error", "Message: Missing action in request"]),
    (b"Action: UserEvent\r\nUserEvent: Long\r\nData: " + b"x" * 2000 + b"\r\nActionID: long-1\r\n\r\n",
     ["Response: Error", "ActionID: long-1", "Message: Failed to parse message: line too long"]),
    (b"Action: Ping\r\nActionID: many\r\n" + b"H: v\r\n" * 200 + b"\r\n",
     ["Response: Error", "ActionID: many",
      "Message: Too many lines in message or allocation failure"]),
    (b"Action: Events\r\nEventMask: on\r\nActionID: evon\r\n\r\n",
     ["Response: Success", "ActionID: evon", "Events: On"]),
    (b"Action: Events\r\nEventMask: off\r\n\r\n", ["Response: Success", "Events: Off"]),
    (b"Action: Filter\r\nActionID: filter-1\r\nOperation: Add\r\nFilter: Event: UserEvent\r\n\r\n",
     ["Response: Success", "ActionID: filter-1", "Message: Success"]),
    (b"Action: Command\r\nCommand: module load res_nothing.so\r\nActionID: cmd-6\r\n\r\n",
     ["Response: Error", "ActionID: cmd-6", "Message: Command blacklisted"]),
    (b"Action: Command\r\nCommand: module   unload res_nothing.so\r\nActionID: cmd-7\r\n\r\n",
     ["Response: Error", "ActionID: cmd-7", "Message: Command blacklisted"]),
    (b"Action: Command\r\nCommand: MODULE UNLOAD x\r\n\r\n",
     ["Response: Error", "Message: Command blacklisted"]),
    (b"Action: Command\r\nCommand: restart gracefully\r\n\r\n",
     ["Response: Error", "Message: Command blacklisted"]),
    (b"Action: Command\r\nCommand: foo bar baz\r\nActionID: cmd-3\r\n\r\n",
     ["Response: Error", "ActionID: cmd-3", "Message: Command output follows",
      "Output: No such command 'foo bar baz' (type 'core show help foo bar' for other possible commands)"]),
]


def _matches(lines: list[str], pattern: list[str]) -> bool:
    return len(lines) == len(pattern) and all(
        p == line or (p.endswith("*") and line.startswith(p[:-1])) for line, p in zip(lines, pattern, strict=True)
    )


@pytest.mark.parametrize(("request_bytes", "answer"), AUTHED_CASES)
def test_requests(run: Callable[[Scenario], None], request_bytes: bytes, answer: list[str]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        for chunking in (len(request_bytes), 1):  # whole, then byte by byte
            for i in range(0, len(request_bytes), chunking):
                client.send(request_bytes[i : i + chunking])
            await settle()
            messages = client.read()
            assert len(messages) == 1, messages
            assert _matches(messages[0].lines, answer), messages[0].lines

    run(scenario)


WRITE_CLASS_CASES = [
    # (user, secret, action headers, allowed?)
    ("limited", "limitedpass", [("Action", "Ping")], True),  # no class needed
    ("limited", "limitedpass", [("Action", "Command"), ("Command", "core show uptime")], False),
    ("limited", "limitedpass", [("Action", "UserEvent"), ("UserEvent", "x")], False),
    ("limited", "limitedpass", [("Action", "CoreStatus")], False),
    ("acluser", "acluserpass", [("Action", "CoreStatus")], True),  # system is ANY of system,reporting
    ("acluser", "acluserpass", [("Action", "Reload"), ("Module", "nosuch")], True),
    ("acluser", "acluserpass", [("Action", "Command"), ("Command", "core show uptime")], True),
]


@pytest.mark.parametrize(("user", "secret", "headers", "allowed"), WRITE_CLASS_CASES)
def test_write_class_check(
    run: Callable[[Scenario], None], user: str, secret: str, headers: list[tuple[str, str]],
    allowed: bool,
) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        await client.login(user, secret)
        client.send(client.conn.send_action(headers[0][1], [*headers[1:], ("ActionID", "w")]))
        await settle()
        (answer,) = client.read()
        denied = answer.lines == ["Response: Error", "ActionID: w", "Message: Permission denied"]
        assert denied is not allowed, answer

    run(scenario)


def test_list_commands_shows_only_what_the_user_may_run(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = world.client()
        client.read()
        await client.login("limited", "limitedpass")
        client.action("ListCommands")
        (answer,) = client.read()
        names = {name for name, _ in answer.items()} - {"Response"}
        assert {"Ping", "Login", "Logoff", "Events", "ListCommands"} <= names
        assert not names & {"Command", "UserEvent", "CoreStatus"}
        assert answer.get("Ping") == "Keepalive command.  (Priv: <none>)"

    run(scenario)


# -- events and their order -------------------------------------------------------------------


def test_events_caused_by_an_action_follow_its_response(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        other = await world.admin(events="on")
        await settle()
        client.read()
        other.read()
        client.send(
            b"Action: UserEvent\r\nUserEvent: MyEvent\r\nHeader1: value1\r\nHeader2: value two\r\n"
            b"ActionID: ue-1\r\n\r\nAction: Ping\r\nActionID: p-2\r\n\r\n"
        )
        await settle()
        messages = client.read()
        assert heads(messages) == [
            ("Response: Success", "ue-1"), ("Event: UserEvent", "ue-1"), ("Response: Success", "p-2")
        ]
        assert messages[1].lines == [
            "Event: UserEvent", "Privilege: user,all", "UserEvent: MyEvent", "Header1: value1",
            "Header2: value two", "ActionID: ue-1",
        ]
        assert [m.lines for m in other.read()] == [messages[1].lines]

    run(scenario)


def test_event_classes_and_event_masks(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        admin = await world.admin(events="on")
        limited = world.client()
        limited.read()
        await limited.login("limited", "limitedpass", events="on")
        quiet = await world.admin(events="off")
        userish = await world.admin(events="user")
        await settle()
        for client in (admin, limited, quiet, userish):
            client.read()
        admin.action("UserEvent", ("UserEvent", "Third"))
        await settle()
        assert [len(c.read()) for c in (admin, limited, quiet, userish)] == [2, 0, 0, 1]
        world.manager.publish("Newchannel", 2, [("Channel", "x")])  # class call
        await settle()
        assert [len(c.read()) for c in (admin, limited, quiet, userish)] == [1, 1, 0, 0]

    run(scenario)


def test_unsolicited_events_carry_no_action_id(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        await settle()
        client.read()
        world.pbx.reload("nosuchmodule")
        world.pbx.reload()
        await settle()
        reloads = [m for m in client.read() if m.get("event") == "Reload"]
        assert reloads
        for event in reloads:
            assert event.lines[:2] == ["Event: Reload", "Privilege: system,all"]
            assert "actionid" not in event

    run(scenario)


def test_wait_event_times_out(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        client.send(b"Action: WaitEvent\r\nActionID: waitevent-1\r\nTimeout: 1\r\n\r\n")
        await asyncio.sleep(0.5)
        assert client.read() == []
        await asyncio.sleep(0.7)
        assert [m.lines for m in client.read()] == [
            ["Response: Success", "ActionID: waitevent-1", "Message: Waiting for Event completed."],
            ["Event: WaitEventComplete", "ActionID: waitevent-1"],
        ]

    run(scenario)


def test_wait_event_ends_when_an_event_comes(run: Callable[[Scenario], None]) -> None:
    """Transcript 28: the response, WaitEventComplete, then the event that ended the wait."""

    async def scenario(world: World) -> None:
        client = await world.admin()
        client.send(b"Action: Filter\r\nOperation: Add\r\nFilter: Event: UserEvent\r\n\r\n")
        client.send(b"Action: Events\r\nEventMask: on\r\nActionID: evon\r\n\r\n")
        client.read()
        client.send(b"Action: WaitEvent\r\nTimeout: 3\r\nActionID: waitevent-2\r\n\r\n")
        await settle()
        other = await world.admin()
        assert client.read() == []
        other.send(b"Action: UserEvent\r\nUserEvent: DuringWait\r\nActionID: other-ue\r\n\r\n")
        await asyncio.sleep(0.05)
        assert [m.lines for m in client.read()] == [
            ["Response: Success", "ActionID: waitevent-2", "Message: Waiting for Event completed."],
            ["Event: WaitEventComplete", "ActionID: waitevent-2"],
            ["Event: UserEvent", "Privilege: user,all", "UserEvent: DuringWait", "ActionID: other-ue"],
        ]

    run(scenario)


def test_pipelined_actions_are_answered_in_order(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        client.send(
            b"Action: Ping\r\nActionID: burst-1\r\n\r\n"
            b"Action: WaitEvent\r\nTimeout: 0.05\r\nActionID: burst-2\r\n\r\n"
            b"Action: CoreStatus\r\nActionID: burst-3\r\n\r\n"
        )
        client.send(b"Action: Ping\r\nActionID: burst-4\r\n\r\n")  # arrives while waiting
        await settle()
        assert heads(client.read()) == [("Response: Success", "burst-1")]
        assert not client.link.reading  # reading paused while an action runs
        await asyncio.sleep(0.2)
        assert heads(client.read()) == [
            ("Response: Success", "burst-2"), ("Event: WaitEventComplete", "burst-2"),
            ("Response: Success", "burst-3"), ("Response: Success", "burst-4"),
        ]
        assert client.link.reading

    run(scenario)


# -- slow consumers, limits, timeouts ---------------------------------------------------------


def test_slow_consumer_is_aborted_after_writetimeout(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        slow = await world.admin(events="on")
        fast = await world.admin(events="on")
        await settle()
        slow.read()
        fast.read()
        slow.session.pause_writing()
        for n in range(10):
            world.manager.publish("UserEvent", 64, [("UserEvent", f"e{n}")])
        await settle()
        assert slow.read() == []
        assert len(fast.read()) == 10
        await asyncio.sleep(0.05)
        assert not slow.link.aborted  # 100 ms is the default writetimeout
        await asyncio.sleep(0.1)
        assert slow.link.aborted
        assert slow.session.id not in world.manager.sessions
        world.manager.publish("UserEvent", 64, [("UserEvent", "after")])
        await settle()
        assert len(fast.read()) == 1

    run(scenario)


def test_consumer_that_resumes_in_time_gets_everything(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin(events="on")
        await settle()
        client.read()
        client.session.pause_writing()
        world.manager.publish("UserEvent", 64, [("UserEvent", "held")])
        await asyncio.sleep(0.05)
        client.session.resume_writing()
        await asyncio.sleep(0.1)
        assert not client.link.aborted
        assert [m.get("userevent") for m in client.read()] == ["held"]

    run(scenario)


def test_queue_overflow_drops_only_that_session(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        world.manager.settings.max_queue = 4096
        slow = await world.admin(events="on")
        fast = await world.admin(events="on")
        await settle()
        slow.read()
        fast.read()
        slow.session.pause_writing()
        for n in range(100):
            world.manager.publish("UserEvent", 64, [("UserEvent", f"e{n}"), ("Pad", "x" * 60)])
            world.manager.hub.settle()
        assert slow.link.aborted
        assert not fast.link.aborted
        await settle()
        assert len(fast.read()) == 100
        assert slow.session.id not in world.manager.sessions

    run(scenario)


def test_authtimeout_closes_an_idle_unauthenticated_session(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        world.manager.settings.authtimeout = 0.05  # type: ignore[assignment]
        idle = world.client()
        logged = world.client()
        await logged.login()
        await asyncio.sleep(0.1)
        assert idle.link.closed
        assert not logged.link.closed

    run(scenario)


def test_authlimit(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        world.manager.settings.authlimit = 2
        first, _ = world.client(), world.client()
        assert world.manager.open_session(FakeLink(), ("127.0.0.1", 5038), ("127.0.0.1", 1)) is None
        await first.login()
        assert world.manager.open_session(FakeLink(), ("127.0.0.1", 5038), ("127.0.0.1", 1)) is not None

    run(scenario)


# -- CLI commands over the Command action -----------------------------------------------------


def output(message: Message) -> list[str]:
    """The Output lines as sent, leading blanks kept (lookups would skip them)."""
    return [line[len("Output: ") :] for line in message.lines if line.startswith("Output: ")]


async def command(client: Client, line: str) -> Message:
    client.action("Command", ("Command", line))
    await settle()
    (answer,) = client.read()
    return answer


UPTIME_CASES = [
    # (seconds since start, Output lines)
    (654, ["System uptime: 10 minutes, 54 seconds", "Last reload: 10 minutes, 54 seconds"]),
    (60, ["System uptime: 60 seconds", "Last reload: 60 seconds"]),
    (3600, ["System uptime: 60 minutes", "Last reload: 60 minutes"]),
    (3661, ["System uptime: 1 hour, 1 minute, 1 second", "Last reload: 1 hour, 1 minute, 1 second"]),
]


@pytest.mark.parametrize(("elapsed", "output"), UPTIME_CASES)
def test_core_show_uptime(run: Callable[[Scenario], None], elapsed: int, output: list[str]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        world.clock.now += elapsed
        answer = await command(client, "core show uptime")
        assert answer.lines[:2] == ["Response: Success", "Message: Command output follows"]
        assert answer.get_all("output") == output
        answer = await command(client, "core show uptime seconds")
        assert answer.get_all("output") == [f"System uptime: {elapsed}", f"Last reload: {elapsed}"]

    run(scenario)


def test_manager_show_connected(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        world.client()  # not logged in: not listed
        world.clock.now += 3
        answer = await command(client, "manager show connected")
        assert output(answer) == [
            "  Username         IP Address                                               Start       "
            "Elapsed     FileDes   HttpCnt   ReadPerms   WritePerms",
            f"  admin            127.0.0.1                                                {int(START)}  "
            f"3           {client.fd:<8d}  0         2147483647  2147483647",
            "1 users connected.",
        ]

    run(scenario)


def test_manager_show_settings(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        client = await world.admin()
        lines = output(await command(client, "manager show settings"))
        assert lines[:3] == ["", "Global Settings:", "----------------"]
        rows = {line[2:27].strip(): line[29:].strip() for line in lines[3:]}
        assert rows["Manager (AMI):"] == "Yes"
        assert rows["Web Manager (AMI/HTTP):"] == "Yes"
        assert rows["TCP Bindaddress:"] == "127.0.0.1:15038"
        assert rows["HTTP Timeout (seconds):"] == "60"
        assert rows["TLS Enable:"] == "No"
        assert rows["TLS Bindaddress:"] == "Disabled"
        assert rows["Display connects:"] == "Yes"
        assert rows["Timestamp events:"] == "No"
        assert rows["Allow multiple login:"] == "Yes"
        assert "  Manager (AMI):             Yes            " in lines

    run(scenario)


def test_manager_kick_session(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        admin = await world.admin()
        victim = await world.admin()
        answer = await command(admin, f"manager kick session {victim.fd}")
        assert answer.get_all("output") == [
            f"Kicking manager session connected using file descriptor {victim.fd}"
        ]
        assert victim.link.closed
        assert victim.session.id not in world.manager.sessions
        answer = await command(admin, "manager kick session 9999")
        assert answer.get_all("output") == ["No manager session found using file descriptor 9999"]
        answer = await command(admin, "manager kick session x")
        assert answer.get("response") == "Error"
        assert answer.get_all("output") == ["Invalid AMI file descriptor: x"]
        answer = await command(admin, "manager kick session")
        assert answer.get("response") == "Error"
        assert answer.get_all("output")[0].startswith("Usage: manager kick session")

    run(scenario)


def test_classic_dialect(run: Callable[[Scenario], None]) -> None:
    async def scenario(world: World) -> None:
        world.manager.settings.classic = True
        client = world.client()
        assert client.read() == []
        assert client.conn.version == "1.0"
        client.action("Ping", ("ActionID", "p"))
        assert client.read()[0].lines == ["Response: Error", "ActionID: p", "Message: Authentication Required"]
        await client.login()
        world.clock.now += 654
        client.action("Command", ("Command", "core show uptime"), ("ActionID", "c"))
        (answer,) = client.read()
        assert answer.get("response") == "Follows"
        assert answer.get_all("output") == [
            "System uptime: 10 minutes, 54 seconds", "Last reload: 10 minutes, 54 seconds"
        ]

    run(scenario)
