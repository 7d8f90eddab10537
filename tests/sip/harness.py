"""A SIP service on 127.0.0.1 with a virtual clock, and a SIP client stack talking to it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

from pbxd.config.conf import loads
from pbxd.pbx.astdb import AstDB
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.sip import digest
from pbxd.sip.config import load_sip_config
from pbxd.sip.message import Request, Response
from pbxd.sip.service import SipService
from pbxd.sip.stack import SipStack
from pbxd.sip.transaction import Endpoint, ServerTransaction


def free_udp_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (as far as one can tell)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


class Phone:
    """A client stack: registers, answers OPTIONS (unless ``mute``), records NOTIFYs."""

    def __init__(self, stack: SipStack, server: Endpoint) -> None:
        self.stack = stack
        self.server = server
        self.notifies: list[Request] = []
        self.options = 0
        self.mute = False
        stack.handlers["OPTIONS"] = self._options
        stack.handlers["NOTIFY"] = self._notify

    @property
    def port(self) -> int:
        address = self.stack.transport.udp_address
        assert address is not None
        return address[1]

    def _options(self, request: Request, txn: ServerTransaction | None, where: Endpoint) -> None:
        self.options += 1
        if not self.mute and txn is not None:
            txn.respond(200)

    def _notify(self, request: Request, txn: ServerTransaction | None, where: Endpoint) -> None:
        self.notifies.append(request)
        if txn is not None:
            txn.respond(200)

    async def send(self, request: Request) -> Response:
        done: asyncio.Future[Response] = asyncio.get_running_loop().create_future()

        def answered(response: Response) -> None:
            if response.status >= 200 and not done.done():
                done.set_result(response)

        self.stack.send_request(request, self.server, answered, lambda: None)
        return await asyncio.wait_for(done, 5)

    def register_request(
        self, user: str, expires: str | None = "60", contact: str | None = None, cseq: int = 1
    ) -> Request:
        aor = f"<sip:{user}@127.0.0.1>"
        request = self.stack.new_request(
            "REGISTER", f"sip:127.0.0.1:{self.server.port}", self.server, aor, aor,
            call_id=f"reg-{user}", cseq=cseq,
        )  # fmt: skip
        request.headers.add(
            "Contact", contact if contact is not None else f"<sip:{user}@127.0.0.1:{self.port}>"
        )
        if expires is not None:
            request.headers.add("Expires", expires)
        request.headers.set("User-Agent", "test-phone")
        return request

    async def register(
        self, user: str, secret: str, expires: str | None = "60", contact: str | None = None
    ) -> Response:
        first = await self.send(self.register_request(user, expires, contact))
        if first.status != 401:
            return first
        challenge = digest.parse_digest(first.headers.get("WWW-Authenticate") or "")
        request = self.register_request(user, expires, contact, cseq=2)
        request.headers.add(
            "Authorization",
            digest.authorization(challenge, "REGISTER", request.uri, user, secret),
        )
        return await self.send(request)


Scenario = Callable[[PBX, SipService, VirtualClock, Phone, list[object]], Awaitable[None]]


def run(conf: str, scenario: Scenario, astdb_path: Path | None = None) -> None:
    """Start a service on ``conf`` (``@PORT@`` replaced by a free port) and a phone."""

    async def main() -> None:
        port = free_udp_port()
        clock = VirtualClock()
        pbx = PBX(clock)
        if astdb_path is not None:
            pbx.astdb = AstDB(astdb_path)
        config = load_sip_config(loads(conf.replace("@PORT@", str(port)), "sip.conf"), [])
        service = SipService(pbx, config)
        pbx.sip = service
        seen: list[object] = []
        pbx.bus.subscribe(seen.append)
        await service.start()
        assert service.started
        client = SipStack(clock)
        await client.start(udp=("127.0.0.1", 0))
        phone = Phone(client, Endpoint("udp", "127.0.0.1", port))
        try:
            await scenario(pbx, service, clock, phone, seen)
        finally:
            await client.close()
            await service.stop()
            if pbx.astdb is not None:
                pbx.astdb.close()

    asyncio.run(main())
