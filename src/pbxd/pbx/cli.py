"""The CLI command registry: what ``Command`` runs over AMI and what the console runs.

A command is a sequence of fixed words followed by arguments; the longest fixed-word
match wins. Handlers return the output lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

CliHandler = Callable[[list[str]], list[str]]


class ShowUsage(Exception):
    """Raised by a handler whose arguments are wrong: the command's usage is printed."""


class CliFailure(Exception):
    """Raised by a handler that ran but failed; its text is the output."""


@dataclass(frozen=True, slots=True)
class CliCommand:
    words: tuple[str, ...]
    handler: CliHandler
    summary: str
    usage: str
    takes_args: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True, slots=True)
class CliResult:
    ok: bool
    lines: list[str]


#: Commands refused over the manager interface (they change the server's code).
BLACKLIST: tuple[tuple[str, ...], ...] = (
    ("module", "load"),
    ("module", "unload"),
    ("restart", "gracefully"),
)


def split_words(line: str) -> list[str]:
    """The words of a command line as Asterisk's CLI parses them: blanks separate,
    ``"..."`` keeps blanks in a word, a backslash takes the next character as is."""
    words: list[str] = []
    word: list[str] = []
    quoted = escaped = started = False
    for char in line:
        if escaped:
            word.append(char)
            escaped = False
        elif char == "\\":
            escaped = started = True
        elif char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(word))
                word, started = [], False
        else:
            word.append(char)
            started = True
    if started:
        words.append("".join(word))
    return words


class CliRegistry:
    def __init__(self) -> None:
        self._commands: dict[tuple[str, ...], CliCommand] = {}

    def register(
        self,
        text: str,
        summary: str,
        usage: str = "",
        takes_args: bool = False,
    ) -> Callable[[CliHandler], CliHandler]:
        """Decorator: ``@cli.register("core show version", "Display version info")``."""

        def add(handler: CliHandler) -> CliHandler:
            words = tuple(text.split())
            if words in self._commands:
                raise ValueError(f"CLI command '{text}' registered twice")
            self._commands[words] = CliCommand(
                words, handler, summary, usage or f"Usage: {text}\n       {summary}.", takes_args
            )
            return handler

        return add

    def __iter__(self) -> Iterator[CliCommand]:
        return iter(sorted(self._commands.values(), key=lambda c: c.words))

    def find(self, words: Sequence[str]) -> tuple[CliCommand, list[str]] | None:
        """The command ``words`` names and its arguments, or None."""
        lowered = tuple(word.lower() for word in words)
        for size in range(len(lowered), 0, -1):
            command = self._commands.get(lowered[:size])
            if command is not None and (command.takes_args or size == len(lowered)):
                return command, list(words[size:])
        return None

    def run(self, line: str) -> CliResult:
        """Run one command line as the CLI would, output lines included."""
        words = split_words(line)
        if not words:
            return CliResult(True, [])
        found = self.find(words)
        if found is None:
            return CliResult(
                False,
                [
                    f"No such command '{line.strip()}' "
                    f"(type 'core show help {self.hint(words)}' for other possible commands)"
                ],
            )
        command, args = found
        try:
            return CliResult(True, command.handler(args))
        except ShowUsage:
            return CliResult(False, command.usage.splitlines())
        except CliFailure as exc:
            return CliResult(False, str(exc).splitlines())

    @staticmethod
    def blacklisted(line: str) -> bool:
        words = tuple(word.lower() for word in line.split())
        return any(words[: len(banned)] == banned for banned in BLACKLIST)

    def help_lines(self, prefix: Sequence[str] = ()) -> list[str]:
        """``core show help [words]``: one line per command, its words then its summary."""
        want = tuple(word.lower() for word in prefix)
        rows = [c for c in self if c.words[: len(want)] == want]
        return [f"{c.text:<30s} -- {c.summary}" for c in rows]

    def hint(self, words: Sequence[str]) -> str:
        """The words ``core show help`` is suggested with for an unknown command: up to and
        including the first word after which no command's words continue."""
        lowered = [word.lower() for word in words]
        known = list(self._commands)
        for size in range(1, len(lowered) + 1):
            head = tuple(lowered[: size - 1])
            if not any(len(w) >= size and w[: size - 1] == head for w in known):
                return " ".join(words[:size])
        return " ".join(words)
