#!/usr/bin/env python3
"""Events parsed per second by AMI clients: pbxd.client against panoramisk, same stream.

The stream is what a real pbxd sends for Local calls (Newchannel, Newexten, VarSet,
Newstate, Dial*, Hangup...), recorded once from an in-process pbxd and repeated up to
``--events`` events. A separate process serves it over loopback TCP as fast as the client
reads: banner, a login answer with the client's ActionID, then the events. Each client
connects, logs in and counts the events its callback (or async iterator) receives. Two
figures per client: events per second of wall time (connect to the last event), and
events per second of this process's CPU time over the same span, which other programs on
the machine barely move. Clients take turns, ``--runs`` times each, in this one process
and loop (uvloop when installed).

    python bench/client_events.py --events 200000 --runs 3      # prints one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

BANNER = b"Asterisk Call Manager/9.0.0\r\n"

EXTENSIONS_CONF = """\
[bench]
exten => 100,1,Answer()
 same => n,Set(CUSTOMER=12345)
 same => n,Set(QUEUE=support)
 same => n,UserEvent(CallStarted,Customer: ${CUSTOMER})
 same => n,Wait(1)
 same => n,Hangup()
"""
MANAGER_CONF = "[general]\nenabled = yes\nport = 5038\n\n[bench]\nsecret = benchpass\nread = all\nwrite = all\n"


async def record_events(calls: int) -> bytes:
    """The raw event bytes a pbxd session receives during ``calls`` Local calls."""
    from pbxd.client import AmiClient
    from pbxd.testing import VirtualClock, place_call, running_pbxd

    chunks: list[bytes] = []
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp, "conf")
        conf.mkdir()
        (conf / "extensions.conf").write_text(EXTENSIONS_CONF)
        (conf / "manager.conf").write_text(MANAGER_CONF)
        clock = VirtualClock()
        async with running_pbxd(conf, Path(tmp, "data"), clock) as app:
            host, port = app.ami_address or ("", 0)
            async with AmiClient(host, port, "bench", "benchpass", ping_interval=0) as driver:
                recorder = AmiClient(host, port, "bench", "benchpass", ping_interval=0,
                                     transcript=lambda d, b: chunks.append(b) if d == "<<" else None)
                async with recorder:
                    hangups = recorder.events("Hangup")
                    chunks.clear()
                    for _ in range(calls):
                        await place_call(driver, "100", "bench", hold=1)
                    await clock.advance(2)
                    for _ in range(2 * calls):
                        await hangups.get(5)
                    recorder.on("*", lambda e: None)
                    data = b"".join(chunks)
    # only whole events, none with an ActionID (answers to the driver's actions)
    events = [m + b"\r\n\r\n" for m in data.split(b"\r\n\r\n") if m.startswith(b"Event: ")]
    return b"".join(e for e in events if b"\r\nActionID:" not in e)


def build_stream(sample: bytes, total: int) -> tuple[bytes, int]:
    per_sample = sample.count(b"\r\n\r\n")
    repeats = max(1, total // per_sample)
    return sample * repeats, per_sample * repeats


# -- the server (a child process) ---------------------------------------------------------


def serve(path: str) -> None:
    """Accept connections on a free port (printed on stdout); send each the stream."""
    stream = Path(path).read_bytes()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(BANNER)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
            action_id = b""
            for line in request.split(b"\r\n"):
                if line.lower().startswith(b"actionid:"):
                    action_id = line.split(b":", 1)[1].strip()
            answer = b"Response: Success\r\n"
            if action_id:
                answer += b"ActionID: " + action_id + b"\r\n"
            conn.sendall(answer + b"Message: Authentication accepted\r\n\r\n" + stream)
            try:
                while conn.recv(65536):  # until the client goes
                    pass
            except OSError:
                pass


# -- the clients --------------------------------------------------------------------------


async def pbxd_callback(port: int, count: int) -> None:
    from pbxd.client import AmiClient

    loop = asyncio.get_running_loop()
    done = loop.create_future()
    seen = 0

    def on_event(event: object) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            done.set_result(None)

    client = AmiClient("127.0.0.1", port, "bench", "benchpass", ping_interval=0, reconnect=False)
    client.on("*", on_event)
    await client.connect()
    await asyncio.wait_for(done, 120)
    await client.close()


async def pbxd_iterator(port: int, count: int) -> None:
    from pbxd.client import AmiClient

    client = AmiClient("127.0.0.1", port, "bench", "benchpass", ping_interval=0, reconnect=False)
    stream = client.events("*", maxsize=10_000, overflow="pause")
    await client.connect()
    seen = 0
    async with asyncio.timeout(120):
        async for _ in stream:
            seen += 1
            if seen + stream.dropped >= count:
                break
    await client.close()
    if stream.dropped:
        raise RuntimeError(f"the iterator dropped {stream.dropped} events")


async def panoramisk_callback(port: int, count: int) -> None:
    from panoramisk import Manager

    loop = asyncio.get_running_loop()
    done = loop.create_future()
    seen = 0

    def on_event(manager: object, event: object) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            done.set_result(None)

    manager = Manager(loop=loop, host="127.0.0.1", port=port, username="bench",
                      secret="benchpass", ping_delay=3600, ping_interval=3600, reconnect_timeout=0)
    manager.register_event("*", on_event)
    await manager.connect()
    await asyncio.wait_for(done, 300)
    manager.close()


CLIENTS: dict[str, Callable[[int, int], Awaitable[None]]] = {
    "pbxd.client (callback)": pbxd_callback,
    "pbxd.client (async for)": pbxd_iterator,
    "panoramisk 1.4 (callback)": panoramisk_callback,
}


async def measure(port: int, count: int, runs: int) -> dict[str, dict[str, list[float]]]:
    """Per client: ``wall`` and ``cpu`` rates of each run."""
    rates: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in CLIENTS}
    for _ in range(runs):
        for name, client in CLIENTS.items():
            wall, cpu = time.perf_counter(), time.process_time()
            await client(port, count)
            rates[name]["wall"].append(count / (time.perf_counter() - wall))
            rates[name]["cpu"].append(count / (time.process_time() - cpu))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    logging.disable(logging.WARNING)  # panoramisk logs every unknown message
    sample = asyncio.run(record_events(20))
    stream, count = build_stream(sample, args.events)
    with tempfile.NamedTemporaryFile(suffix=".ami", delete=False) as file:
        file.write(stream)
    server = subprocess.Popen([sys.executable, __file__, "--serve", file.name],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        try:
            import uvloop
        except ImportError:
            rates = asyncio.run(measure(port, count, args.runs))
            loop_name = "asyncio"
        else:
            rates = uvloop.run(measure(port, count, args.runs))
            loop_name = f"uvloop {uvloop.__version__}"
    finally:
        server.kill()
        server.wait()
        os.unlink(file.name)
    result = {
        "events": count,
        "bytes": len(stream),
        "kinds": sorted({line.split(b": ", 1)[1].decode() for line in stream[: len(sample)].split(b"\r\n")
                         if line.startswith(b"Event: ")}),
        "loop": loop_name,
        "rates": rates,
        "medians": {
            name: {kind: statistics.median(values) for kind, values in figures.items()}
            for name, figures in rates.items()
        },
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
