"""Framing of AMI messages: header lines ended by CRLF (or bare LF), a blank line ends one.

The decoder takes bytes as they arrive, split anywhere, and returns whole messages. Text is
decoded as UTF-8 only once a line is complete, so a character split across reads arrives
whole; bytes that are not UTF-8 survive a round trip (``surrogateescape``), or, with
``latin1_fallback``, turn the whole message they are in into latin-1 text.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import LINE_TOO_LONG, TOO_MANY_HEADERS
from .message import Message

MAX_LINE = 1024  # bytes in one line, its line break included (Asterisk's input buffer)
MAX_HEADERS = 128  # header lines kept per message (Asterisk's AST_MAX_MANHEADERS)
CLASSIC_END = "--END COMMAND--"


class Decoder:
    """Turns a byte stream into ``Message`` objects.

    ``max_line``/``max_headers`` of ``None`` lift the limits (a client reading a server).
    ``emit_empty``: a blank line with no header before it is an (empty) message, as a
    server must answer it. ``classic_output``: understand the AMI 1.0 ``Response: Follows``
    body that runs until ``--END COMMAND--`` (client side); its text goes to ``output``.
    ``latin1_fallback``: a message that is not valid UTF-8 is decoded as latin-1 instead,
    every line of it (client side: old servers and channel names in other encodings).
    """

    __slots__ = (
        "_buf",
        "_lines",
        "_error",
        "_skipping",
        "_follows",
        "_output",
        "max_line",
        "max_headers",
        "emit_empty",
        "classic_output",
        "latin1_fallback",
        "_dirty",
    )

    def __init__(
        self,
        max_line: int | None = MAX_LINE,
        max_headers: int | None = MAX_HEADERS,
        *,
        emit_empty: bool = True,
        classic_output: bool = False,
        latin1_fallback: bool = False,
    ) -> None:
        self._buf = b""
        self._lines: list[str] = []
        self._error: str | None = None
        self._skipping = False
        self._follows = False
        self._output: list[str] = []
        self.max_line = max_line
        self.max_headers = max_headers
        self.emit_empty = emit_empty
        self.classic_output = classic_output
        self.latin1_fallback = latin1_fallback
        self._dirty = False  # lines of the pending message may hold undecodable bytes

    @property
    def pending(self) -> bool:
        """True while part of a message has been received."""
        return bool(self._buf or self._lines or self._error or self._skipping)

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return the messages they completed, in order."""
        buf = self._buf + data if self._buf else data
        out: list[Message] = []
        if self._skipping:
            nl = buf.find(b"\n")
            if nl < 0:
                self._buf = b""
                return out
            buf = buf[nl + 1 :]
            self._skipping = False
        last = buf.rfind(b"\n")
        if last >= 0:
            self._buf = buf[last + 1 :]
            complete = buf[:last]
            max_line = self.max_line
            if (
                max_line is not None
                and len(complete) >= max_line - 1
                and max(map(len, complete.split(b"\n"))) >= max_line
            ):
                lines = self._checked_lines(complete, max_line)
            elif not (self.classic_output or self.latin1_fallback):  # a server: the hot path
                text = complete.decode("utf-8", "surrogateescape")
                lines = (_lf(text) if "\r" in text else text).split("\n")
            else:
                if self.latin1_fallback:
                    text = self._client_text(complete)
                else:
                    text = complete.decode("utf-8", "surrogateescape")
                if self.classic_output and self._plain(text):
                    if text[-1:] == "\r" and text.count("\n") == text.count("\r\n"):
                        self._blocks_in(text[:-1], out, "\r\n")  # all CRLF, as servers send
                    else:
                        self._blocks_in(_lf(text), out, "\n")
                    return self._after(out)
                lines = _lf(text).split("\n")
            self._lines_in(lines, out)
            if max_line is None or len(self._buf) < max_line:
                return out
        else:
            self._buf = buf
        return self._after(out)

    def _after(self, out: list[Message]) -> list[Message]:
        max_line = self.max_line
        if max_line is not None and len(self._buf) >= max_line:
            self._buf = b""
            self._skipping = True
            self._flag(LINE_TOO_LONG)
        return out

    def _plain(self, text: str) -> bool:
        """Client side: no classic Command body and no latin-1 message in this text."""
        pending = self._lines
        return not (
            self._follows
            or self._dirty
            or self._error is not None
            or "Response: Follows" in text
            or (pending and pending[0] == "Response: Follows")
        )

    def _blocks_in(self, text: str, out: list[Message], eol: str) -> None:
        """Client side: messages cut at blank lines with str.split, not line by line (the
        hot path of a client reading events). ``text`` is whole lines joined by ``eol``."""
        blocks = (eol + text + eol).split(eol + eol)
        pending = self._lines
        limit = self.max_headers if self.max_headers is not None else 1 << 62
        for block in blocks[:-1]:  # each was followed by a blank line
            block = block.strip(eol)  # the breaks of extra blank lines
            lines = block.split(eol) if block else []
            if pending:
                lines = pending + lines
                pending = []
            if lines:
                if len(lines) > limit:
                    del lines[limit:]
                    out.append(Message(lines, TOO_MANY_HEADERS))
                else:
                    out.append(Message(lines))
        last = blocks[-1].strip(eol)
        if last:
            pending = pending + last.split(eol)
        if len(pending) > limit:
            del pending[limit:]
            self._error = TOO_MANY_HEADERS
        self._lines = pending

    def _client_text(self, complete: bytes) -> str:
        """Strict UTF-8 when it holds (the usual case); else keep the bytes as surrogates
        and let each finished message be re-read as latin-1 (``_latin1``)."""
        try:
            text = complete.decode("utf-8")
        except UnicodeDecodeError:
            self._dirty = True
            return complete.decode("utf-8", "surrogateescape")
        self._dirty = self._dirty and bool(self._lines or self._output)
        return text

    def _flag(self, error: str) -> None:
        if self._error is None or error == TOO_MANY_HEADERS:
            self._error = error

    def _lines_in(self, lines: list[str | None] | list[str], out: list[Message]) -> None:
        """Group lines into messages; a blank line ends one. The hot loop of the server."""
        if self.classic_output and (
            self._follows
            or self._dirty
            or "Response: Follows" in lines
            or (self._lines and self._lines[0] == "Response: Follows")
        ):
            self._classic_lines_in(lines, out)
            return
        current, error = self._lines, self._error
        limit = self.max_headers if self.max_headers is not None else 1 << 62
        emit_empty = self.emit_empty
        for line in lines:
            if line:
                current.append(line)
            elif line is None:  # a line over the limit: the message it is in gets the error
                if error is None:
                    error = LINE_TOO_LONG
            elif current or error is not None or emit_empty:
                if len(current) > limit:
                    del current[limit:]
                    error = TOO_MANY_HEADERS
                out.append(Message(current, error))
                current = []
                error = None
        if len(current) > limit:
            del current[limit:]
            error = TOO_MANY_HEADERS
        self._lines, self._error = current, error

    def _classic_lines_in(self, lines: list[str | None] | list[str], out: list[Message]) -> None:
        """As ``_lines_in``, also folding AMI 1.0 ``Response: Follows`` bodies."""
        current = self._lines
        classic = True
        for line in lines:
            if line is None:  # a line over the limit: the message it is in gets the error
                self._flag(LINE_TOO_LONG)
                continue
            if line:
                if classic and (self._follows or self._starts_output(current, line)):
                    self._output_line(line)
                    continue
                current.append(line)
            elif self._follows:
                self._output.append(line)
            elif current or self._error or self.emit_empty:
                if self.max_headers is not None and len(current) > self.max_headers:
                    del current[self.max_headers :]
                    self._flag(TOO_MANY_HEADERS)
                msg = Message(current, self._error)
                if self._output:
                    msg.lines.extend("Output: " + text for text in self._output)
                    self._output = []
                if self._dirty:
                    msg.lines[:] = _latin1(msg.lines)
                out.append(msg)
                current = self._lines = []
                self._error = None
        if self.max_headers is not None and len(current) > self.max_headers:
            del current[self.max_headers :]
            self._flag(TOO_MANY_HEADERS)

    def _checked_lines(self, complete: bytes, max_line: int) -> list[str | None]:
        """Lines one by one when some line is over the limit: each such line becomes
        None (the message it is in will be answered with the error). A line may take
        ``max_line`` bytes with its line break, whether LF or CRLF."""
        lines: list[str | None] = []
        for raw in complete.split(b"\n"):
            if len(raw) >= max_line:
                lines.append(None)
                continue
            if raw[-1:] == b"\r":
                raw = raw[:-1]
            if self.latin1_fallback and not self._dirty and not _is_utf8(raw):
                self._dirty = True
            lines.append(raw.decode("utf-8", "surrogateescape"))
        return lines

    def _starts_output(self, current: list[str], line: str) -> bool:
        return bool(current) and current[0] == "Response: Follows" and not _is_follows_header(line)

    def _output_line(self, line: str) -> None:
        """A line of a classic ``Response: Follows`` body."""
        if not self._follows:
            self._follows = True
        if line.endswith(CLASSIC_END):
            head = line[: -len(CLASSIC_END)]
            if head:
                self._output.append(head)
            self._follows = False
        else:
            self._output.append(line)


def _lf(text: str) -> str:
    """Line breaks as LF (CRLF is what servers send; bare LF is accepted too)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text[-1:] == "\r":  # the final line break was CRLF
            text = text[:-1]
    return text


def _latin1(lines: list[str]) -> list[str]:
    """The lines of a message holding bytes that are not UTF-8, re-read as latin-1."""
    raw = [line.encode("utf-8", "surrogateescape") for line in lines]
    if all(line.isascii() or _is_utf8(line) for line in raw):
        return lines
    return [line.decode("latin-1") for line in raw]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_follows_header(line: str) -> bool:
    name = line.partition(":")[0].lower()
    return name in ("privilege", "actionid")


def encode_message(lines: Iterable[str]) -> bytes:
    """Header lines to wire bytes: each ended by CRLF, then the blank line."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def encode_pairs(pairs: Iterable[tuple[str, str]]) -> bytes:
    """(name, value) pairs to wire bytes."""
    return encode_message(f"{name}: {value}" for name, value in pairs)
