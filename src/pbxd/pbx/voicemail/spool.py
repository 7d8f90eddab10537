"""Asterisk's voicemail spool on disk: ``<spool>/voicemail/<context>/<mailbox>/<Folder>/``
holding ``msgNNNN.txt`` (the message information file) beside its audio ``msgNNNN.wav``.

A message exists when its ``.txt`` does (that is what app_voicemail counts). Files that are
not ``msg`` + four digits are left alone; a ``.txt`` that cannot be read still counts (its
fields are empty) and is never removed for it. New messages take the first free number and
land by rename, audio first, so a reader never sees half a message.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("pbxd.voicemail")

#: Folder names by number, as app_voicemail numbers them (VoiceMailMain's ``a(N)`` option).
FOLDERS = (
    "INBOX", "Old", "Work", "Family", "Friends",
    "Cust1", "Cust2", "Cust3", "Cust4", "Cust5", "Deleted", "Urgent",
)  # fmt: skip
INBOX, OLD, URGENT = "INBOX", "Old", "Urgent"
MAX_NUMBER = 10000  # msgNNNN: four digits
_MESSAGE = re.compile(r"^msg(\d{4})\.txt$")
_MESSAGE_FILE = re.compile(r"^msg(\d{4})\.([A-Za-z0-9]+)$")
#: The fields of a message information file, in the order Asterisk writes them.
FIELDS = (
    "origmailbox", "context", "macrocontext", "exten", "rdnis", "priority", "callerchan",
    "callerid", "origdate", "origtime", "category", "msg_id", "flag", "duration",
)  # fmt: skip


class SpoolError(Exception):
    """A message could not be stored, moved or removed (the reason is in the text)."""


def folder_name(text: str) -> str | None:
    """A folder by number (``0``-``11``) or name (any case); None if there is no such folder."""
    if text.isdigit():
        index = int(text)
        return FOLDERS[index] if index < len(FOLDERS) else None
    return next((name for name in FOLDERS if name.lower() == text.lower()), None)


def folder_by_name(name: str) -> str | None:
    """A folder by its name only, any case (as the voicemail API looks folders up)."""
    return next((folder for folder in FOLDERS if folder.lower() == name.lower()), None)


def origdate(moment: float) -> str:
    """The ``origdate`` Asterisk writes: ``Thu Nov 26 08:12:48 AM UTC 2026``."""
    when = datetime.fromtimestamp(moment, UTC)
    return f"{when:%a %b} {when.day:2d} {when:%I:%M:%S %p} UTC {when.year}"


def render_info(info: dict[str, str]) -> str:
    """A message information file, as app_voicemail writes it."""
    lines = [";", "; Message Information file", ";", "[message]"]
    lines += [f"{name}={info.get(name, '')}" for name in FIELDS if name in info]
    lines += [f"{name}={value}" for name, value in info.items() if name not in FIELDS]
    return "\n".join(lines) + "\n"


def parse_info(text: str) -> dict[str, str]:
    """The ``[message]`` fields of a message information file (comments and other
    categories ignored)."""
    info: dict[str, str] = {}
    in_message = False
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            in_message = line.lower() == "[message]"
        elif in_message and "=" in line:
            name, _, value = line.partition("=")
            info[name.strip().lower()] = value.strip()
    return info


@dataclass(frozen=True, slots=True)
class Message:
    """One stored message: where it is and what its information file says."""

    folder: str
    number: int
    path: Path  # without extension: <folder dir>/msgNNNN
    info: dict[str, str]

    @property
    def audio(self) -> Path | None:
        """The message's audio file (its wav first), if there is one."""
        wav = self.path.with_name(self.path.name + ".wav")
        if wav.exists():
            return wav
        others = sorted(p for p in self.path.parent.glob(self.path.name + ".*") if p.suffix != ".txt")
        return others[0] if others else None

    @property
    def msg_id(self) -> str:
        return self.info.get("msg_id", "")

    @property
    def duration(self) -> int:
        text = self.info.get("duration", "")
        return int(text) if text.isdigit() else 0


class Spool:
    """The voicemail part of one spool directory (``astspooldir/voicemail``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def box_dir(self, context: str, mailbox: str) -> Path:
        """``<root>/<context>/<mailbox>``; SpoolError for a name that would leave the spool."""
        context = context or "default"
        for part in (context, mailbox):
            if not part or part in (".", "..") or "/" in part or "\0" in part:
                raise SpoolError(f"Invalid mailbox {mailbox}@{context}")
        return self.root / context / mailbox

    def folder_dir(self, context: str, mailbox: str, folder: str) -> Path:
        return self.box_dir(context, mailbox) / folder

    # -- reading -------------------------------------------------------------------------

    def numbers(self, folder_dir: Path) -> list[int]:
        """The message numbers in a folder, ascending (stray files ignored)."""
        try:
            names = os.listdir(folder_dir)
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("Cannot read voicemail folder %s: %s", folder_dir, exc.strerror)
            return []
        return sorted(int(m[1]) for name in names if (m := _MESSAGE.match(name)))

    def count(self, context: str, mailbox: str, folder: str) -> int:
        """Messages in a folder; 0 for a mailbox that has none (or cannot exist)."""
        try:
            return len(self.numbers(self.folder_dir(context, mailbox, folder)))
        except SpoolError:
            return 0

    def folder_mtimes(self, context: str, mailbox: str, folders: Iterable[str]) -> tuple[int, ...]:
        """The folders' modification times (0 for a missing one): a cheap change check."""
        times = []
        for folder in folders:
            try:
                times.append(self.folder_dir(context, mailbox, folder).stat().st_mtime_ns)
            except (OSError, SpoolError):
                times.append(0)
        return tuple(times)

    def messages(self, context: str, mailbox: str, folder: str) -> list[Message]:
        try:
            directory = self.folder_dir(context, mailbox, folder)
        except SpoolError:
            return []
        return [self._message(directory, folder, n) for n in self.numbers(directory)]

    def _message(self, directory: Path, folder: str, number: int) -> Message:
        base = directory / f"msg{number:04d}"
        try:
            info = parse_info(base.with_name(base.name + ".txt").read_text("utf-8", "replace"))
        except OSError as exc:
            log.warning("Cannot read voicemail message %s.txt: %s", base, exc.strerror)
            info = {}
        return Message(folder, number, base, info)

    def all_messages(self, context: str, mailbox: str) -> list[Message]:
        """Every message of a mailbox, folder by folder in Asterisk's folder order."""
        return [m for folder in FOLDERS for m in self.messages(context, mailbox, folder)]

    # -- writing -------------------------------------------------------------------------

    def add_msg_id(self, message: Message, msg_id: str) -> Message:
        """Give a message that has none its ``msg_id`` (the file is replaced whole)."""
        txt = message.path.with_name(message.path.name + ".txt")
        info = {**message.info, "msg_id": msg_id}
        staging = txt.with_name(txt.name + ".new")
        try:
            staging.write_text(render_info(info), "utf-8")
            os.replace(staging, txt)
        except OSError as exc:
            staging.unlink(missing_ok=True)
            raise SpoolError(f"Unable to update {txt} to have a message ID: {exc.strerror}") from exc
        return Message(message.folder, message.number, message.path, info)

    def tmp_dir(self, context: str, mailbox: str) -> Path:
        """Where a message is recorded before it is filed (``<mailbox>/tmp``)."""
        path = self.box_dir(context, mailbox) / "tmp"
        _make_dir(path)
        return path

    def _free_number(self, directory: Path, limit: int) -> int:
        """The first number with no file of any kind (so nothing is ever overwritten)."""
        try:
            names = os.listdir(directory)
        except OSError:
            names = []
        used = {int(m[1]) for name in names if (m := _MESSAGE_FILE.match(name))}
        number = next(n for n in range(len(used) + 1) if n not in used)
        if number >= limit:
            raise SpoolError(f"No more messages possible in {directory}")
        return number

    def file(
        self,
        files: dict[str, Path],
        context: str,
        mailbox: str,
        folder: str,
        limit: int = MAX_NUMBER,
    ) -> Message:
        """Move prepared files (extension -> path, ``txt`` among them) into a folder as the
        next message; the ``txt`` goes last. Raises SpoolError (files left where they were)."""
        directory = self.folder_dir(context, mailbox, folder)
        _make_dir(directory)
        number = self._free_number(directory, limit)
        base = directory / f"msg{number:04d}"
        order = sorted(files, key=lambda ext: ext == "txt")
        moved: list[tuple[Path, Path]] = []
        try:
            for ext in order:
                target = base.with_name(f"{base.name}.{ext}")
                os.replace(files[ext], target)
                moved.append((files[ext], target))
        except OSError as exc:
            for source, target in reversed(moved):
                os.replace(target, source)
            raise SpoolError(f"Could not file message in {directory}: {exc.strerror}") from exc
        return self._message(directory, folder, number)

    def copy(
        self, message: Message, context: str, mailbox: str, folder: str, limit: int = MAX_NUMBER
    ) -> Message:
        """A copy of ``message`` filed into another mailbox or folder."""
        staging = self.tmp_dir(context, mailbox)
        files: dict[str, Path] = {}
        try:
            for source in message.path.parent.glob(message.path.name + ".*"):
                ext = source.suffix.lstrip(".")
                target = staging / f"copy-{os.getpid()}-{message.number:04d}.{ext}"
                shutil.copyfile(source, target)
                files[ext] = target
            return self.file(files, context, mailbox, folder, limit)
        except (OSError, SpoolError) as exc:
            for path in files.values():
                path.unlink(missing_ok=True)
            raise SpoolError(str(exc)) from exc

    def move(
        self, message: Message, context: str, mailbox: str, folder: str, limit: int = MAX_NUMBER
    ) -> Message:
        """Move a message to another folder of its mailbox (the source is renumbered)."""
        files = self._files_of(message)
        moved = self.file(files, context, mailbox, folder, limit)
        self.resequence(message.path.parent)
        return moved

    def remove(self, message: Message) -> None:
        for path in self._files_of(message).values():
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise SpoolError(f"Could not remove {path}: {exc.strerror}") from exc
        self.resequence(message.path.parent)

    def _files_of(self, message: Message) -> dict[str, Path]:
        return {p.suffix.lstrip("."): p for p in message.path.parent.glob(message.path.name + ".*")}

    def resequence(self, directory: Path) -> None:
        """Close the gaps: messages renumbered 0, 1, 2... keeping their order."""
        for target, number in enumerate(self.numbers(directory)):
            if number == target:
                continue
            for source in directory.glob(f"msg{number:04d}.*"):
                destination = directory / f"msg{target:04d}{source.suffix}"
                if destination.exists():
                    log.warning("Not renumbering %s: %s exists", source, destination)
                    continue
                os.replace(source, destination)


def _make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpoolError(f"Unable to create directory {path}: {exc.strerror}") from exc
