"""The client against a real Asterisk's bytes: each transcript's server side is served by a
fake server, the client sends the same actions and must see the same answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support import TRANSCRIPTS_DIR
from support.transcript import Transcript, load

from pbxd.client import AmiClient, LoginError
from pbxd.protocol import ClientConnection, Message

from .fakes import BANNER, action_of, fake_server, replay_handler, steps_of

SKIPPED = {"28_wire_quirks"}  # malformed requests on purpose: nothing a client sends


def replayable() -> list[Path]:
    paths = []
    for path in sorted(TRANSCRIPTS_DIR.glob("*.txt")):
        transcript = load(path)
        if path.stem in SKIPPED or "c1" not in transcript.connections:
            continue
        _, steps = steps_of(transcript)
        if steps and action_of(steps[0].requests[0])[0].lower() in ("login", "challenge"):
            paths.append(path)
    return paths


PATHS = replayable()


def test_enough_transcripts_replay() -> None:
    assert len(PATHS) >= 18


def decode(chunks: list[bytes]) -> list[Message]:
    conn = ClientConnection()
    conn.receive_data(BANNER)
    return conn.receive_data(b"".join(chunks))


def without_id(message: Message) -> list[str]:
    return [line for line in message.lines if not line.lower().startswith("actionid:")]


def expected_answers(transcript: Transcript) -> tuple[dict[str, object], list, list[list[str]]]:
    """The client's login settings, per-step (request, response, list items) and the
    events not tied to a list, all from the recording."""
    _, steps = steps_of(transcript)
    settings: dict[str, object] = {"auth": "plain", "events": "on"}
    plan = []
    events: list[list[str]] = []
    login_done = False
    for step in steps:
        messages = decode(step.replies)
        responses = [m for m in messages if "response" in m]
        lists: set[str] = set()
        requests = []
        for request in step.requests:
            name, headers, action_id = action_of(request)
            response = next(  # None: Asterisk never answers (IAXnetstats)
                (m for m in responses if m.get("actionid") == (action_id or "")), None
            )
            if response is None:
                requests.append((name, headers, None, None))
                continue
            responses.remove(response)
            items = [
                m for m in messages
                if "event" in m and action_id and m.get("actionid") == action_id
                and m.get("eventlist").lower() != "complete"
            ]
            # a list answers to an action without ActionID with items without one: the
            # client (which always sends one) would see them; here they are plain events
            is_list = bool(action_id) and response.get("eventlist").lower() == "start"
            if is_list:
                lists.add(action_id)
            if not login_done and name.lower() == "challenge":
                settings["auth"] = "md5"
                continue
            if not login_done and name.lower() == "login":
                login_done = True
                settings["events"] = dict(headers).get("Events", "on")
                settings["secret"] = dict(headers).get("Secret", "adminpass")
                settings["login"] = response
                continue
            requests.append((name, headers, response, items if is_list else None))
        plan.append(requests)
        events += [
            m.lines for m in messages if "event" in m and m.get("actionid") not in lists
        ]
    return settings, plan, events


async def unanswered(client: AmiClient, name: str, headers: list[tuple[str, str]]) -> None:
    """An action the server never answers times out, and the client goes on."""
    with pytest.raises(TimeoutError):
        await client.send_action(name, headers, timeout=0.2)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_client_replays_transcript(path: Path) -> None:
    transcript = load(path)
    settings, plan, recorded_events = expected_answers(transcript)
    mismatches: list[str] = []

    async def scenario() -> None:
        async with fake_server(replay_handler(transcript, mismatches)) as (host, port, _):
            client = AmiClient(
                host, port, "admin", str(settings.get("secret", "adminpass")),
                auth=settings["auth"], events=str(settings["events"]),  # type: ignore[arg-type]
                ping_interval=0, reconnect=False, timeout=5,
            )  # fmt: skip
            stream = client.events("*", maxsize=100_000)
            login = settings["login"]
            assert isinstance(login, Message)
            if login.get("response") != "Success":
                with pytest.raises(LoginError, match=login.get("message")):
                    await client.connect()
                return
            await client.connect()
            assert client.version == "9.0.0"
            for requests in plan:
                calls = []
                for name, headers, response, items in requests:
                    if response is None:
                        calls.append(unanswered(client, name, headers))
                    elif items is not None:
                        calls.append(client.list_action(name, headers).collect())
                    else:
                        calls.append(client.send_action(name, headers))
                results = await asyncio.gather(*calls)
                for (name, _, response, items), result in zip(requests, results, strict=True):
                    if response is None:
                        assert result is None, name
                    elif isinstance(result, list):
                        assert [without_id(m) for m in result] == [without_id(m) for m in items]
                    else:
                        assert without_id(result) == without_id(response), name
            seen: list[list[str]] = []
            while len(seen) < len(recorded_events):
                seen.append((await stream.get(5)).lines)
            assert [without_id(Message(m)) for m in seen] == [
                without_id(Message(m)) for m in recorded_events
            ]
            await client.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert mismatches == []
