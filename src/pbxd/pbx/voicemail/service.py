"""The voicemail system of one PBX: users from voicemail.conf, messages in the spool, and
the message-waiting state of every mailbox.

Every change of a mailbox's counts is published on the PBX bus as :class:`MailboxChanged`
(the manager makes it ``MessageWaiting``; a SIP stack sends MWI NOTIFYs from it). Counts come
from the spool itself each time, so files changed by other programs are seen; with
``pollmailboxes = yes`` the spool is also checked every ``pollfreq`` seconds on the PBX clock
(a folder whose modification time did not change is not listed again), and VoicemailRefresh
checks at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ...config.conf import Problem, load
from ..bus import ShuttingDown
from .settings import Mailbox, VoicemailSettings, load_settings
from .spool import INBOX, OLD, URGENT, Message, Spool, SpoolError, folder_by_name

if TYPE_CHECKING:
    from ..channel import ChannelSnapshot
    from ..clock import TimerHandle
    from ..core import PBX

log = logging.getLogger("pbxd.voicemail")

CONFIG_FILE = "voicemail.conf"
_COUNTED = (URGENT, INBOX, OLD)
_SEPARATORS = re.compile(r"[,&]")
_MSG_IDS = itertools.count()


@dataclass(frozen=True, slots=True)
class MailboxChanged:
    """A mailbox's message counts, published whenever they change (and when a channel has
    finished with the mailbox: ``channel`` is then set).

    ``new`` counts INBOX only; MWI's "new" is ``new + urgent`` (see ``waiting_new``).
    """

    mailbox: str
    context: str
    new: int
    old: int
    urgent: int
    channel: ChannelSnapshot | None = None

    @property
    def mailbox_id(self) -> str:
        return f"{self.mailbox}@{self.context}"

    @property
    def waiting_new(self) -> int:
        """New messages as message-waiting indication counts them (INBOX and Urgent)."""
        return self.new + self.urgent


class Counts(NamedTuple):
    urgent: int = 0
    new: int = 0
    old: int = 0


def new_msg_id(moment: float) -> str:
    """A message id as Asterisk makes them: ``<epoch>-<counter as 8 hex digits>``."""
    return f"{int(moment)}-{next(_MSG_IDS):08x}"


def split_mailbox(text: str) -> tuple[str, str]:
    """``1234@ctx`` -> (``1234``, ``ctx``); the context defaults to ``default``."""
    box, _, context = text.strip().partition("@")
    return box.strip(), context.strip() or "default"


def split_mailboxes(spec: str) -> list[tuple[str, str]]:
    """Several mailboxes joined by ``,`` or ``&``; empty parts are skipped."""
    return [split_mailbox(part) for part in _SEPARATORS.split(spec) if part.split("@")[0].strip()]


class Voicemail:
    def __init__(self, pbx: PBX, config_dir: Path | None, spool_dir: Path) -> None:
        self.pbx = pbx
        self.config_path = Path(config_dir) / CONFIG_FILE if config_dir is not None else None
        self.spool = Spool(Path(spool_dir) / "voicemail")
        self.settings = VoicemailSettings()
        self.states: dict[tuple[str, str], Counts] = {}  # last published, by (context, box)
        self._mtimes: dict[tuple[str, str], tuple[int, ...]] = {}
        self._timer: TimerHandle | None = None
        #: messages being recorded now, by (context, mailbox): they count towards maxmsg
        self.recording: dict[tuple[str, str], int] = {}
        self.mailing: set[asyncio.Task[bool]] = set()  # notifications being sent
        pbx.bus.subscribe(lambda _: self._stop_polling(), (ShuttingDown,))

    # -- configuration -------------------------------------------------------------------

    def load(self, quiet: bool = False) -> bool:
        """Read voicemail.conf; False (the old users stay) if the file has errors. Its
        warnings are logged unless ``quiet`` (they were reported with the configuration)."""
        problems: list[Problem] = []
        config = None
        if self.config_path is not None and self.config_path.exists():
            config = load(self.config_path, include_root=self.config_path.parent)
            problems.extend(config.problems)
        if any(p.severity == "error" for p in problems):
            for problem in problems:
                log.error("%s", problem)
            log.error("Config file %s is in an invalid format.  Aborting.", CONFIG_FILE)
            return False
        settings = load_settings(config, problems)
        for problem in [] if quiet else problems:
            log.warning("%s", problem)
        self.settings = settings
        for user in settings.users:
            self.notify(user.mailbox, user.context)  # as Asterisk does for every mailbox loaded
        self._schedule_poll()
        return True

    def reload(self) -> str:
        return "Success" if self.load() else "Error"

    def find(self, context: str, mailbox: str) -> Mailbox | None:
        return self.settings.find(context, mailbox)

    # -- counts --------------------------------------------------------------------------

    def counts(self, mailbox: str, context: str = "default") -> Counts:
        spool = self.spool
        return Counts(*(spool.count(context, mailbox, folder) for folder in _COUNTED))

    def inbox_count(self, spec: str) -> Counts:
        """Urgent, new and old messages of one or several mailboxes (summed)."""
        total = Counts()
        for box, context in split_mailboxes(spec):
            counts = self.counts(box, context)
            total = Counts(*(a + b for a, b in zip(total, counts, strict=True)))
        return total

    def has_new(self, spec: str) -> bool:
        """Whether any of the mailboxes has messages in INBOX or Urgent."""
        return any(
            self.spool.count(context, box, INBOX) or self.spool.count(context, box, URGENT)
            for box, context in split_mailboxes(spec)
        )

    # -- messages by id (the voicemail API behind the AMI actions) ----------------------

    def summary(self, user: Mailbox) -> list[Message]:
        """Every message of the mailbox; one without a ``msg_id`` is given one."""
        messages = []
        for message in self.spool.all_messages(user.context, user.mailbox):
            if message.info and not message.msg_id:
                try:
                    message = self.spool.add_msg_id(message, new_msg_id(self.pbx.clock()))
                except SpoolError as exc:
                    log.warning("%s", exc)
            messages.append(message)
        return messages

    def _selected(
        self, mailbox: str, context: str, folder: str, ids: list[str]
    ) -> tuple[Mailbox, list[Message]] | None:
        """The mailbox and its messages of ``folder`` with those ids, highest number first;
        None if the folder, the mailbox or any of the messages is unknown."""
        name = folder_by_name(folder)
        user = self.find(context, mailbox)
        if name is None or user is None:
            return None
        messages = self.spool.messages(user.context, user.mailbox, name)
        found = [next((m for m in messages if m.msg_id and m.msg_id == i), None) for i in ids]
        if not found or None in found:
            return None
        return user, sorted(found, key=lambda m: m.number, reverse=True)  # type: ignore[arg-type]

    def _each(self, messages: list[Message], work: Callable[[Message], object]) -> bool:
        """``work`` on every message; False (logged) if it failed for any."""
        ok = True
        for message in messages:
            try:
                work(message)
            except SpoolError as exc:
                log.warning("%s", exc)
                ok = False
        return ok

    def move_messages(
        self, mailbox: str, context: str, folder: str, ids: list[str], to_folder: str
    ) -> bool:
        """Move messages (by id) to another folder of the mailbox; False if any is missing,
        a folder or the mailbox is unknown, or the target folder is full."""
        selected, target = self._selected(mailbox, context, folder, ids), folder_by_name(to_folder)
        if selected is None or target is None:
            return False
        user, messages = selected
        ok = self._each(
            messages, lambda m: self.spool.move(m, user.context, user.mailbox, target, user.maxmsg)
        )
        self.notify(user.mailbox, user.context)
        return ok

    def remove_messages(self, mailbox: str, context: str, folder: str, ids: list[str]) -> bool:
        selected = self._selected(mailbox, context, folder, ids)
        if selected is None:
            return False
        user, messages = selected
        ok = self._each(messages, self.spool.remove)
        self.notify(user.mailbox, user.context)
        return ok

    def forward_messages(
        self, source: tuple[str, str, str], target: tuple[str, str, str], ids: list[str]
    ) -> bool:
        """Copy messages (by id) from (mailbox, context, folder) to another mailbox's folder."""
        to_folder = folder_by_name(target[2])
        recipient = self.find(target[1], target[0])
        if recipient is None:
            log.warning("Can't find voicemail user to forward to (%s@%s)", target[0], target[1])
        selected = self._selected(*source, ids)
        if selected is None or recipient is None or to_folder is None:
            return False
        box, context = recipient.mailbox, recipient.context
        ok = self._each(
            selected[1][::-1],
            lambda m: self.spool.copy(m, context, box, to_folder, recipient.maxmsg),
        )
        self.notify(box, context)
        return ok

    # -- notification --------------------------------------------------------------------

    def notify_owner(self, user: Mailbox, message: Message) -> None:
        """Email and page the mailbox's owner about a new message (in the background);
        with ``delete = yes`` the message is then removed."""
        from .mail import compose, send

        for address, pager in ((user.email, False), (user.pager, True)):
            if address:
                data = compose(self.pbx, self.settings, user, message, pager)
                task = asyncio.ensure_future(send(self.settings.mailcmd, data))
                self.mailing.add(task)
                task.add_done_callback(self.mailing.discard)
        if user.delete:
            try:
                self.spool.remove(message)
            except SpoolError as exc:
                log.warning("%s", exc)

    # -- message waiting -----------------------------------------------------------------

    def notify(
        self,
        mailbox: str,
        context: str,
        channel: ChannelSnapshot | None = None,
        only_if_changed: bool = False,
    ) -> Counts:
        """Count the mailbox again and publish its state (always, unless ``only_if_changed``)."""
        key = (context.lower(), mailbox.lower())
        self._mtimes[key] = self.spool.folder_mtimes(context, mailbox, _COUNTED)
        counts = self.counts(mailbox, context)
        if only_if_changed and self.states.get(key) == counts:
            return counts
        self.states[key] = counts
        self.pbx.bus.publish(
            MailboxChanged(mailbox, context, counts.new, counts.old, counts.urgent, channel)
        )
        return counts

    def poll(self, context: str = "", mailbox: str = "", force: bool = False) -> int:
        """Check the known mailboxes (of ``context``, or that one ``mailbox``) for changes
        made on disk, publishing those whose counts changed; returns how many did.

        A mailbox whose folders kept their modification times is not counted again
        unless ``force``."""
        boxes = {user.key: (user.mailbox, user.context) for user in self.settings.users}
        for known_context, box in self.states:
            boxes.setdefault((known_context, box), (box, known_context))
        if context and mailbox:
            boxes.setdefault((context.lower(), mailbox.lower()), (mailbox, context))
        changed = 0
        for key, (box, box_context) in boxes.items():
            if (context and key[0] != context.lower()) or (mailbox and key[1] != mailbox.lower()):
                continue
            mtimes = self.spool.folder_mtimes(box_context, box, _COUNTED)
            if not force and self._mtimes.get(key) == mtimes and key in self.states:
                continue
            before = self.states.get(key)
            if self.notify(box, box_context, only_if_changed=True) != before:
                changed += 1
        return changed

    def _schedule_poll(self) -> None:
        self._stop_polling()
        if self.settings.pollmailboxes:
            self._timer = self.pbx.clock.call_later(self.settings.pollfreq, self._tick)

    def _tick(self) -> None:
        self._timer = None
        try:
            self.poll()
        finally:
            self._schedule_poll()

    def _stop_polling(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


_SERVICES: weakref.WeakKeyDictionary[PBX, Voicemail] = weakref.WeakKeyDictionary()


def configure(
    pbx: PBX, config_dir: Path | None, spool_dir: Path, quiet: bool = False
) -> Voicemail:
    """Give ``pbx`` its voicemail (voicemail.conf in ``config_dir``, messages under
    ``spool_dir/voicemail``), loaded, with its CLI commands and the ``app_voicemail`` reloader.
    ``quiet``: the file's warnings were already reported (by ``load_configuration``)."""
    from .cli import register_cli

    service = Voicemail(pbx, config_dir, spool_dir)
    first = pbx not in _SERVICES
    _SERVICES[pbx] = service
    if first:
        register_cli(pbx)
    pbx.reloaders["app_voicemail"] = service.reload
    service.load(quiet)
    return service


def voicemail_of(pbx: PBX) -> Voicemail | None:
    """The PBX's voicemail, if the application configured one."""
    return _SERVICES.get(pbx)
