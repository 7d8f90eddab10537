"""Small AMI servers for client tests: scripted by a coroutine, or replaying what a real
Asterisk sent in a recorded transcript (its own bytes, ActionIDs mapped to the client's)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from support.transcript import Transcript, split_messages

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
Handler = Callable[["Peer"], Awaitable[None]]


class Peer:
    """One client connection as the fake server sees it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.received: list[dict[str, str]] = []

    async def read_action(self) -> dict[str, str]:
        """The next action the client sent (header names lower-cased); {} at EOF."""
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return {}
        fields: dict[str, str] = {}
        for line in raw.decode().split("\r\n"):
            name, sep, value = line.partition(": ")
            if sep:
                fields.setdefault(name.lower(), value)
        self.received.append(fields)
        return fields

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, action: dict[str, str], *lines: str) -> None:
        """``Response: Success`` (or the lines given) with the action's ActionID."""
        lines = lines or ("Response: Success",)
        body = [lines[0], f"ActionID: {action.get('actionid', '')}", *lines[1:]]
        await self.send(("\r\n".join(body) + "\r\n\r\n").encode())

    async def login(self, mask_seen: list[str] | None = None) -> dict[str, str]:
        """Send the banner, accept any Login; returns it."""
        await self.send(BANNER)
        action = await self.read_action()
        assert action.get("action", "").lower() == "login", action
        if mask_seen is not None:
            mask_seen.append(action.get("events", ""))
        await self.answer(action, "Response: Success", "Message: Authentication accepted")
        return action

    async def answer_rest(self) -> None:
        """Answer every further action (Logoff with Goodbye) until the client goes."""
        while action := await self.read_action():
            if action.get("action", "").lower() == "logoff":
                await self.answer(action, "Response: Goodbye", "Message: Thanks for all the fish.")
            else:
                await self.answer(action)

    def close(self) -> None:
        self.writer.close()


@asynccontextmanager
async def fake_server(handler: Handler) -> AsyncIterator[tuple[str, int, list[Peer]]]:
    """A server on 127.0.0.1 running ``handler`` for each connection: (host, port, peers)."""
    peers: list[Peer] = []
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(reader, writer)
        peers.append(peer)
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(peer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            tasks.discard(task)
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield "127.0.0.1", port, peers
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# -- replaying a transcript --------------------------------------------------------------

_ACTION_ID = re.compile(rb"^ActionID: ([^\r\n]*)", re.MULTILINE | re.IGNORECASE)


def action_of(message: bytes) -> tuple[str, list[tuple[str, str]], str | None]:
    """(action name, other headers, ActionID) of a recorded client message."""
    name, headers, action_id = "", [], None
    for line in message.decode().splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        value = value.lstrip(" ")
        if key.lower() == "action":
            name = value
        elif key.lower() == "actionid":
            action_id = value
        else:
            headers.append((key, value))
    return name, headers, action_id


class Step:
    """Client messages of one recorded write, and the server chunks that followed them."""

    def __init__(self, requests: list[bytes]) -> None:
        self.requests = requests
        self.replies: list[bytes] = []


def steps_of(transcript: Transcript, conn: str = "c1") -> tuple[list[bytes], list[Step]]:
    """What the server sent before the first request, then the steps."""
    first: list[bytes] = []
    steps: list[Step] = []
    for item in transcript.of(conn, "send", "recv"):
        if item.kind == "send":
            requests = [m for m in split_messages(item.lines) if m.strip()]
            steps.append(Step(requests))
        elif steps:
            steps[-1].replies.append(item.data)
        else:
            first.append(item.data)
    return first, steps


def replay_handler(transcript: Transcript, mismatches: list[str]) -> Handler:
    """Serve ``transcript``'s c1 server side: after each recorded write's requests arrive,
    send what Asterisk sent, with recorded ActionIDs replaced by the client's."""
    first, steps = steps_of(transcript)

    async def handler(peer: Peer) -> None:
        ids: dict[bytes, bytes] = {}
        for chunk in first:
            await peer.send(chunk)
        for step in steps:
            for request in step.requests:
                recorded_name, _, recorded_id = action_of(request)
                action = await peer.read_action()
                if not action:
                    return
                if action.get("action", "").lower() != recorded_name.lower():
                    mismatches.append(f"expected {recorded_name}, got {action}")
                    return
                if recorded_id is not None:
                    ids[recorded_id.encode()] = action.get("actionid", "").encode()
            for chunk in step.replies:
                await peer.send(
                    _ACTION_ID.sub(lambda m: b"ActionID: " + ids.get(m[1], m[1]), chunk)
                )
        await peer.answer_rest()

    return handler
