"""Call detail records, built from the PBX bus the way Asterisk's CDR engine does.

Each channel is the Party A of a chain of records. A record starts when the channel is
created (or when a finished record is followed by more activity), takes a Party B from
Dial or from a bridge, and is finished by a dial failure, a bridge leave or a hangup. When
the Party A is destroyed its whole chain is posted: appended to ``cdr-csv/Master.csv``
(``cdr_csv``'s columns and quoting) and published as a ``CdrPosted`` bus event.

As in Asterisk: a dialed channel with no Party B of its own gives no record (it is the
caller's Party B); unanswered records without a Party B are dropped unless ``unanswered``
is set; each half of a Local channel is a channel of its own.

``channel.cdr`` is a live mapping over the channel's current record for ``CDR()``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from . import causes
from .channel import ChannelState
from .events import (
    AccountCodeChanged,
    BridgeEntered,
    BridgeLeft,
    CallerIdChanged,
    DialBegin,
    DialEnd,
    HungUp,
    NewChannel,
    NewExten,
    NewState,
)

if TYPE_CHECKING:
    from .channel import Channel, ChannelSnapshot
    from .core import PBX

log = logging.getLogger("pbxd.cdr")

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
UNREGISTERED = 20  # AST_CAUSE_UNREGISTERED (subscriber absent)


class Disposition(enum.IntEnum):
    """Asterisk's values; their order matters (below ANSWERED is "not answered")."""

    NOANSWER = 0
    NULL = 1
    FAILED = 2
    BUSY = 4
    ANSWERED = 8
    CONGESTION = 16

    @property
    def text(self) -> str:
        return _DISPOSITION_TEXT[self]


_DISPOSITION_TEXT = {
    Disposition.NOANSWER: "NO ANSWER",
    Disposition.NULL: "NO ANSWER",
    Disposition.FAILED: "FAILED",
    Disposition.BUSY: "BUSY",
    Disposition.ANSWERED: "ANSWERED",
    Disposition.CONGESTION: "CONGESTION",
}
AMA_FLAGS = {1: "OMIT", 2: "BILLING", 3: "DOCUMENTATION"}
DEFAULT_AMAFLAGS = 3


class State(enum.Enum):
    SINGLE = "Single"
    DIAL = "Dial"
    DIALED_PENDING = "DialedPending"
    BRIDGE = "Bridge"
    FINALIZED = "Finalized"


@dataclass
class Settings:
    """``cdr.conf``: ``[general]`` and ``[csv]`` (defaults as the stock sample sets them)."""

    enable: bool = True
    unanswered: bool = False
    congestion: bool = False
    csv: bool = True
    manager: bool = False  # cdr_manager.conf [general] enabled: the AMI Cdr event
    usegmtime: bool = False
    loguniqueid: bool = True
    loguserfield: bool = True
    accountlogs: bool = True


def load_settings(etc_dir: Path) -> Settings:
    """``cdr.conf`` if there is one: ``[general]``, and ``[csv]`` (no section: no CSV, as
    cdr_csv declines to load; absent options are off, as its code defaults them); and
    ``cdr_manager.conf`` ``[general] enabled`` for the AMI ``Cdr`` event."""
    from ..config.conf import load
    from ..config.values import is_true

    settings = Settings()
    manager_conf = Path(etc_dir) / "cdr_manager.conf"
    if manager_conf.exists():
        general = load(manager_conf).get_category("general")
        settings.manager = general is not None and is_true(general.get("enabled", "no"))
    path = Path(etc_dir) / "cdr.conf"
    if not path.exists():
        return settings
    config = load(path)
    general = config.get_category("general")
    if general is not None:
        settings.enable = is_true(general.get("enable", "yes"))
        settings.unanswered = is_true(general.get("unanswered", "no"))
        settings.congestion = is_true(general.get("congestion", "no"))
    csv = config.get_category("csv")
    settings.csv = csv is not None
    if csv is not None:
        settings.usegmtime = is_true(csv.get("usegmtime", "no"))
        settings.loguniqueid = is_true(csv.get("loguniqueid", "no"))
        settings.loguserfield = is_true(csv.get("loguserfield", "no"))
        settings.accountlogs = is_true(csv.get("accountlogs", "yes"))
    return settings


@dataclass(slots=True)
class Record:
    """One CDR; ``party_a`` is the snapshot of its channel as last seen."""

    party_a: ChannelSnapshot
    start: float
    state: State = State.SINGLE
    party_b: ChannelSnapshot | None = None
    answer: float | None = None
    end: float | None = None
    disposition: Disposition = Disposition.NULL
    lastapp: str = ""
    lastdata: str = ""
    exten: str = ""
    context: str = ""
    bridge: str = ""
    lock_app: bool = False
    userfield: str = ""
    amaflags: int = DEFAULT_AMAFLAGS
    hangup_cause: int = 0
    variables: dict[str, str] = field(default_factory=dict)

    # -- derived fields -------------------------------------------------------------------

    def duration(self, now: float) -> int:
        return int((self.end if self.end is not None else now) - self.start)

    def billsec(self, now: float) -> int:
        if self.answer is None:
            return 0
        return max(int((self.end if self.end is not None else now) - self.answer), 0)

    @property
    def clid(self) -> str:
        return callerid_merge(self.party_a.caller.name, self.party_a.caller.number)


def callerid_merge(name: str, number: str) -> str:
    """``"Name" <number>``, as ast_callerid_merge writes it."""
    if name and number:
        return f'"{name}" <{number}>'
    return name or number


class Cdr(NamedTuple):
    """A posted record, every field as the backends see it."""

    accountcode: str
    src: str
    dst: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start: float
    answer: float | None
    end: float
    duration: int
    billsec: int
    disposition: str
    amaflags: str
    uniqueid: str
    linkedid: str
    userfield: str


@dataclass(frozen=True, slots=True)
class CdrPosted:
    """Bus event: a call detail record was posted; ``manager``: cdr_manager is enabled."""

    cdr: Cdr
    manager: bool = False


_formatted: dict[tuple[int, bool], str] = {}  # the last few seconds formatted


def format_time(when: float | None, gmt: bool = False) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in local time (or GMT); "" when there is no time."""
    if when is None:
        return ""
    key = (int(when), gmt)
    text = _formatted.get(key)
    if text is None:
        if len(_formatted) >= 8:
            _formatted.clear()
        text = _formatted[key] = time.strftime(
            DATE_FORMAT, time.gmtime(key[0]) if gmt else time.localtime(key[0])
        )
    return text


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if '"' in value else f'"{value}"'


def csv_row(cdr: Cdr, settings: Settings) -> str:
    """cdr_csv's line: every text quoted (quotes doubled), numbers bare, no time -> empty."""
    gmt = settings.usegmtime
    start, answer, end = (
        "" if when is None else f'"{format_time(when, gmt)}"'
        for when in (cdr.start, cdr.answer, cdr.end)
    )
    texts = [cdr.accountcode, cdr.src, cdr.dst, cdr.dcontext, cdr.clid, cdr.channel]
    texts += [cdr.dstchannel, cdr.lastapp, cdr.lastdata]
    head = ",".join([_quoted(value) for value in texts])
    row = (
        f"{head},{start},{answer},{end},{cdr.duration},{cdr.billsec},"
        f"{_quoted(cdr.disposition)},{_quoted(cdr.amaflags)}"
    )
    if settings.loguniqueid:
        row += "," + _quoted(cdr.uniqueid)
    if settings.loguserfield:
        row += "," + _quoted(cdr.userfield)
    return row + "\n"


#: DIALSTATUS to disposition, as the dial end sets it.
_DIAL_DISPOSITION = {
    "ANSWER": Disposition.ANSWERED,
    "BUSY": Disposition.BUSY,
    "CANCEL": Disposition.NOANSWER,
    "NOANSWER": Disposition.NOANSWER,
    "FAILED": Disposition.FAILED,
}


MAX_OPEN_FILES = 32  # CSV files (Master and per-account) kept open at once


class CdrEngine:
    """Subscribed to ``pbx.bus``; writes Master.csv under ``log_dir/cdr-csv``."""

    def __init__(self, pbx: PBX, log_dir: Path | None = None, settings: Settings | None = None):
        self.pbx = pbx
        self.settings = settings or Settings()
        self.csv_dir = Path(log_dir) / "cdr-csv" if log_dir is not None else None
        self.chains: dict[str, list[Record]] = {}  # by channel name
        self.as_party_b: dict[str, list[Record]] = {}  # records naming a channel as Party B
        self.in_bridge: dict[str, list[Record]] = {}  # records that entered a bridge, by its id
        self._files: dict[str, TextIO] = {}  # open CSV files by name
        self._flush_pending = False
        self.dialed: set[str] = set()
        self.originated: set[str] = set()
        self.posted: list[Cdr] = []  # the most recent records (kept short)
        self._table = {
            NewChannel: self._new_channel,
            NewState: self._party_a_update,
            CallerIdChanged: self._party_a_update,
            AccountCodeChanged: self._party_a_update,
            NewExten: self._new_exten,
            DialBegin: self._dial_begin,
            DialEnd: self._dial_end,
            BridgeEntered: self._bridge_enter,
            BridgeLeft: self._bridge_leave,
            HungUp: self._hung_up,
        }
        # each handler subscribes to its own event types: no dispatch on every event
        unsubscribes = (
            [pbx.bus.subscribe(handler, (kind,)) for kind, handler in self._table.items()]
            if self.settings.enable
            else []
        )

        def unsubscribe() -> None:
            for each in unsubscribes:
                each()

        self.unsubscribe = unsubscribe

    # -- helpers ------------------------------------------------------------------------

    def now(self) -> float:
        return self.pbx.clock()

    def current(self, name: str) -> Record | None:
        chain = self.chains.get(name)
        return chain[-1] if chain else None

    def _set_party_b(self, record: Record, peer: ChannelSnapshot) -> None:
        """Name ``peer`` as the record's Party B, keeping the Party B index right."""
        old = record.party_b
        if old is not None and old.name != peer.name:
            listed = self.as_party_b.get(old.name)
            if listed is not None and record in listed:
                listed.remove(record)
        if old is None or old.name != peer.name:
            self.as_party_b.setdefault(peer.name, []).append(record)
        record.party_b = peer

    def _new_record(self, snapshot: ChannelSnapshot) -> Record:
        record = Record(snapshot, self.now())
        record.context, record.exten = snapshot.context, snapshot.exten
        if snapshot.state == ChannelState.UP:
            record.answer = record.start
        chain = self.chains.setdefault(snapshot.name, [])
        if chain:  # a follow-on record keeps what the channel had set
            record.userfield = chain[-1].userfield
            record.variables = dict(chain[-1].variables)
            record.amaflags = chain[-1].amaflags
        chain.append(record)
        return record

    def _finalize(self, record: Record, cause: int = 0) -> None:
        if record.end is None:
            record.end = self.now()
            if record.disposition == Disposition.NULL:
                if record.answer is not None:
                    record.disposition = Disposition.ANSWERED
                else:
                    record.disposition = self._cause_disposition(cause or record.hangup_cause)
        record.state = State.FINALIZED

    def _cause_disposition(self, cause: int) -> Disposition:
        if cause == causes.USER_BUSY:
            return Disposition.BUSY
        if cause == causes.CONGESTION:
            return Disposition.CONGESTION if self.settings.congestion else Disposition.FAILED
        if cause in (causes.NO_ROUTE_DESTINATION, UNREGISTERED):
            return Disposition.FAILED
        if cause in (causes.NORMAL_CLEARING, causes.NO_ANSWER):
            return Disposition.NOANSWER
        return Disposition.NULL if cause else Disposition.FAILED

    def _update_party_a(self, record: Record, snapshot: ChannelSnapshot) -> None:
        if record.state == State.FINALIZED:
            return
        record.party_a = snapshot
        record.context, record.exten = snapshot.context, snapshot.exten
        self._set_app(record, snapshot.application, snapshot.data)
        if snapshot.state == ChannelState.UP and record.answer is None:
            record.answer = self.now()

    @staticmethod
    def _set_app(record: Record, app: str, data: str) -> None:
        """The last application, unless locked (Dial locks it); the placeholder an outgoing
        channel shows (``AppDial...``) never replaces a real one."""
        if not app or record.lock_app:
            return
        if app.lower().startswith("appdial") and record.lastapp:
            return
        record.lastapp, record.lastdata = app, data
        if app == "Dial":
            record.lock_app = True

    # -- events -------------------------------------------------------------------------

    def _new_channel(self, event: NewChannel) -> None:
        self._new_record(event.channel)
        channel = self.pbx.channels.get(event.channel.name)
        if channel is not None:
            channel.cdr = LiveCdr(self, channel)  # type: ignore[attr-defined]

    def _party_a_update(self, event: NewState | CallerIdChanged | AccountCodeChanged) -> None:
        snapshot = event.channel
        for record in self.chains.get(snapshot.name, []):
            self._update_party_a(record, snapshot)
        for record in self.as_party_b.get(snapshot.name, ()):  # as Party B too
            record.party_b = snapshot

    def _new_exten(self, event: NewExten) -> None:
        snapshot = event.channel
        record = self.current(snapshot.name)
        if record is None:
            return
        if record.state == State.DIALED_PENDING:
            if record.party_b is not None:
                self._finalize(record)
            else:
                record.state = State.SINGLE
        if record.state == State.FINALIZED:
            if self._hanging_up(snapshot.name):
                return
            record = self._new_record(snapshot)
        self._update_party_a(record, snapshot)
        self._set_app(record, event.application, event.data)

    def _hanging_up(self, name: str) -> bool:
        channel = self.pbx.channels.get(name)
        return channel is None or channel.hangup_requested

    def _dial_begin(self, event: DialBegin) -> None:
        peer = event.dest
        if event.caller is None:  # an originated channel: it is its own Party A
            self.originated.add(peer.name)
            record = self.current(peer.name)
            if record is not None and record.state == State.SINGLE:
                self._update_party_a(record, peer)
                record.state = State.DIAL
            return
        self.dialed.add(peer.name)
        caller = event.caller
        record = self.current(caller.name)
        if record is None:
            return
        if record.state == State.DIALED_PENDING:
            self._finalize(record)
        if record.state != State.SINGLE:
            record = self._new_record(caller)
        self._update_party_a(record, caller)
        self._set_party_b(record, peer)
        record.lock_app = True
        record.state = State.DIAL

    def _dial_end(self, event: DialEnd) -> None:
        peer = event.dest
        owner = event.caller.name if event.caller is not None else peer.name
        for record in self.chains.get(owner, []):
            if record.state != State.DIAL:
                continue
            if event.caller is not None:
                if record.party_b is None or record.party_b.name != peer.name:
                    continue
                self._set_party_b(record, peer)
            disposition = _DIAL_DISPOSITION.get(event.status, Disposition.FAILED)
            if event.status == "CONGESTION" and self.settings.congestion:
                disposition = Disposition.CONGESTION
            record.disposition = disposition
            if disposition == Disposition.ANSWERED:
                record.state = State.DIALED_PENDING
            else:
                self._finalize(record)

    def _bridge_enter(self, event: BridgeEntered) -> None:
        snapshot, bridge = event.channel, event.bridge
        record = self.current(snapshot.name)
        if record is None:
            return
        if record.state in (State.FINALIZED, State.BRIDGE):
            record = self._new_record(snapshot)
        self._update_party_a(record, snapshot)
        record.bridge = bridge.uniqueid
        own = self.chains.get(snapshot.name, ())
        members = self.in_bridge.setdefault(bridge.uniqueid, [])
        others = [
            r
            for r in members
            if r.state == State.BRIDGE and r.bridge == bridge.uniqueid and r not in own
        ]
        members.append(record)
        if record.state in (State.DIAL, State.DIALED_PENDING):
            for other in others:
                if record.party_b is not None and other.party_a.name == record.party_b.name:
                    self._set_party_b(record, other.party_a)
                    if other.party_b is None:
                        self._finalize(other)
                    break
        elif record.state == State.SINGLE:
            for other in others:
                if other.party_b is not None and other.party_b.name == snapshot.name:
                    continue  # it already has us as its Party B
                if self._picks_first(record.party_a, other.party_a):
                    self._set_party_b(record, other.party_a)
                    if other.party_b is None:
                        self._finalize(other)
                    break
        record.state = State.BRIDGE

    def _picks_first(self, one: ChannelSnapshot, two: ChannelSnapshot) -> bool:
        """Which of two channels is Party A: not a dialed one, else the older."""
        one_dialed = one.name in self.dialed and one.name not in self.originated
        two_dialed = two.name in self.dialed and two.name not in self.originated
        if one_dialed != two_dialed:
            return two_dialed
        return one.created <= two.created

    def _bridge_leave(self, event: BridgeLeft) -> None:
        name, bridge = event.channel.name, event.bridge.uniqueid
        members = self.in_bridge.get(bridge, [])
        for record in list(members):
            if record.state != State.BRIDGE or record.bridge != bridge:
                continue
            if record.party_a.name == name or (
                record.party_b is not None and record.party_b.name == name
            ):
                self._finalize(record)
        members[:] = [r for r in members if r.state == State.BRIDGE and r.bridge == bridge]
        if not members:
            self.in_bridge.pop(bridge, None)

    def _hung_up(self, event: HungUp) -> None:
        snapshot = event.channel
        for record in self.as_party_b.pop(snapshot.name, ()):  # records it was Party B of end
            if record.party_b is not None and record.party_b.name == snapshot.name:
                record.party_b = snapshot
                if record.state in (State.DIAL, State.BRIDGE):
                    self._finalize(record, event.cause)
        chain = self.chains.pop(snapshot.name, [])
        for record in chain:
            self._update_party_a(record, snapshot)
            record.hangup_cause = event.cause
            self._finalize(record, event.cause)
        for record in chain:
            self._dispatch(record)
        self.dialed.discard(snapshot.name)
        self.originated.discard(snapshot.name)

    # -- posting ------------------------------------------------------------------------

    def _dispatch(self, record: Record) -> None:
        party_a = record.party_a
        dialed = party_a.name in self.dialed and party_a.name not in self.originated
        if dialed and record.party_b is None:
            return  # the dialed channel's own record: it was somebody's Party B
        if (
            not self.settings.unanswered
            and record.disposition < Disposition.ANSWERED
            and record.party_b is None
        ):
            return
        end = record.end if record.end is not None else self.now()
        cdr = Cdr(
            accountcode=party_a.accountcode,
            src=party_a.caller.number,
            dst=record.exten,
            dcontext=record.context,
            clid=record.clid,
            channel=party_a.name,
            dstchannel=record.party_b.name if record.party_b is not None else "",
            lastapp=record.lastapp,
            lastdata=record.lastdata,
            start=record.start,
            answer=record.answer,
            end=end,
            duration=record.duration(end),
            billsec=record.billsec(end),
            disposition=record.disposition.text,
            amaflags=AMA_FLAGS.get(record.amaflags, "DOCUMENTATION"),
            uniqueid=party_a.uniqueid,
            linkedid=party_a.linkedid,
            userfield=record.userfield,
        )
        self.posted = [*self.posted[-99:], cdr]
        self._write_csv(cdr)
        self.pbx.bus.publish(CdrPosted(cdr, self.settings.manager))

    def _write_csv(self, cdr: Cdr) -> None:
        if self.csv_dir is None or not self.settings.csv:
            return
        line = csv_row(cdr, self.settings)
        self._append("Master.csv", line, "Unable to re-open master file %s : %s")
        account = cdr.accountcode
        if not self.settings.accountlogs or not account:
            return
        if "/" in account or account.startswith("."):
            log.warning("Account code '%s' insecure for writing file", account)
            return
        self._append(f"{account}.csv", line, "Unable to write CSV record to account file '%s' : %s")

    def _append(self, name: str, line: str, complaint: str) -> None:
        """One line to a CSV file kept open; flushed at the end of the loop turn."""
        assert self.csv_dir is not None
        handle = self._files.get(name)
        try:
            if handle is None:
                if len(self._files) >= MAX_OPEN_FILES:
                    self._files.pop(next(iter(self._files))).close()
                self.csv_dir.mkdir(parents=True, exist_ok=True)
                handle = self._files[name] = open(self.csv_dir / name, "a", encoding="utf-8")  # noqa: SIM115
            handle.write(line)
            self._flush_soon()
        except OSError as exc:
            self._files.pop(name, None)
            log.error(complaint, self.csv_dir / name, exc.strerror)

    def _flush_soon(self) -> None:
        """Rows reach the disk at the end of this loop turn (at once when no loop runs)."""
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        self._flush_pending = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        for name, handle in list(self._files.items()):
            try:
                handle.flush()
            except OSError as exc:
                self._files.pop(name, None)
                log.error("Unable to write CDR file %s : %s", name, exc.strerror)

    def close(self) -> None:
        self._flush()
        for handle in self._files.values():
            handle.close()
        self._files.clear()


#: CDR() names that read a record's own fields (the rest are its variables).
FIELDS = (
    "clid",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "accountcode",
    "peeraccount",
    "uniqueid",
    "linkedid",
    "userfield",
    "sequence",
)

#: The fields the dialplan may write with CDR(); the others are read-only.
WRITABLE_FIELDS = frozenset({"accountcode", "amaflags", "peeraccount", "userfield"})


class LiveCdr(MutableMapping[str, str]):
    """``channel.cdr``: the channel's current record as ``CDR()`` reads and writes it."""

    def __init__(self, engine: CdrEngine, channel: Channel) -> None:
        self.engine = engine
        self.name = channel.name
        self._last: Record | None = None

    def _record(self) -> Record | None:
        record = self.engine.current(self.name)
        if record is not None:
            self._last = record
        return self._last

    def __getitem__(self, key: str) -> str:
        record = self._record()
        if record is None:
            raise KeyError(key)
        name = key.lower()
        now = self.engine.now()
        party_a = record.party_a
        value: str | None = {
            "clid": record.clid,
            "src": party_a.caller.number,
            "dst": record.exten,
            "dcontext": record.context,
            "channel": party_a.name,
            "dstchannel": record.party_b.name if record.party_b is not None else "",
            "lastapp": record.lastapp,
            "lastdata": record.lastdata,
            "start": format_time(record.start),
            "answer": format_time(record.answer),
            "end": format_time(record.end),
            "duration": str(record.duration(now)),
            "billsec": str(record.billsec(now)),
            "disposition": record.disposition.text,
            "amaflags": AMA_FLAGS.get(record.amaflags, "DOCUMENTATION"),
            "accountcode": party_a.accountcode,
            "peeraccount": record.party_b.accountcode if record.party_b is not None else "",
            "uniqueid": party_a.uniqueid,
            "linkedid": party_a.linkedid,
            "userfield": record.userfield,
            "sequence": "0",
        }.get(name)
        if value is None:
            value = record.variables.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: str) -> None:
        chain = self.engine.chains.get(self.name, [])
        name = key.lower()
        for record in chain:
            if record.state == State.FINALIZED and record is not chain[-1]:
                continue
            if name == "userfield":
                record.userfield = value
            elif name == "amaflags":
                flag = {v: k for k, v in AMA_FLAGS.items()}.get(value.upper())
                if flag is None and value.isdigit():
                    flag = int(value)
                if flag is not None:
                    record.amaflags = flag
            else:
                record.variables[key] = value

    def __delitem__(self, key: str) -> None:
        for record in self.engine.chains.get(self.name, []):
            record.variables.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        record = self._record()
        yield from FIELDS
        if record is not None:
            yield from record.variables

    def __len__(self) -> int:
        record = self._record()
        return len(FIELDS) + (len(record.variables) if record is not None else 0)
