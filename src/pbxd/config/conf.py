"""Parser for Asterisk-style ``.conf`` files.

The grammar follows Asterisk's ``main/config.c``:

* ``[name]`` starts a category; ``[name](!)`` makes it a template, ``[name](a,b)`` copies the
  entries of the earlier categories/templates ``a`` and ``b`` first, ``[name](+)`` appends to the
  first existing category of that name.  A name may be used by several categories.
* ``key = value``, ``key => value`` (an "object" line) and ``key += value``, which appends the
  text after ``=`` to the last earlier value of ``key`` in the category, exactly as Asterisk does
  (``a = x`` then ``a += y`` gives ``"x y"``; ``a +=y`` gives ``"xy"``).
* ``;`` starts a comment, ``\\;`` is a literal semicolon, ``;-- ... --;`` is a (nestable, possibly
  multi-line) block comment.  A line may start with ``\\`` to make its first character literal.
* ``#include`` / ``#tryinclude`` with globs, relative to the including file's directory (or to
  ``include_root`` when given, which is what Asterisk does with its config directory).  Included
  files start in the most recently created category and do not change the including file's
  current category.  ``#exec`` is not supported.

Content problems never raise: they are collected as :class:`Problem` objects on the result.
Where Asterisk would reject the whole file (an "error" here), parsing goes on: a bad line is
dropped, and after a malformed category header the lines up to the next header are skipped.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]
Operator = Literal["=", "=>"]

# Asterisk's ast_strip() removes every byte below 33 from both ends.
_BLANKS = "".join(chr(code) for code in range(33))
_MAX_LINE = 8191


@dataclass(frozen=True)
class Problem:
    """A configuration problem found at ``file:line`` (line 0: the file as a whole)."""

    file: str
    line: int
    severity: Severity
    message: str

    @property
    def location(self) -> str:
        """``file:line``, or just ``file`` when no line applies."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Entry:
    """One ``key = value`` / ``key => value`` line, with where it was written.

    ``inherited`` is true for entries copied from a template (their file/line are the
    template's).  An entry modified by ``+=`` carries the position of the ``+=`` line.
    """

    key: str
    value: str
    op: Operator
    file: str
    line: int
    inherited: bool = False

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"

    @property
    def is_object(self) -> bool:
        """True for ``key => value`` lines."""
        return self.op == "=>"


@dataclass
class Category:
    """A ``[name]`` section: its entries in file order, inherited ones first."""

    name: str
    entries: list[Entry] = field(default_factory=list)
    is_template: bool = False
    templates: list[str] = field(default_factory=list)
    file: str = ""
    line: int = 0

    @property
    def location(self) -> str:
        """``file:line`` of the header."""
        return f"{self.file}:{self.line}"

    def entries_for(self, key: str) -> list[Entry]:
        """All entries named ``key`` (case-insensitive), in order."""
        folded = key.casefold()
        return [entry for entry in self.entries if entry.key.casefold() == folded]

    def entry(self, key: str) -> Entry | None:
        """The last entry named ``key`` (case-insensitive), or None."""
        folded = key.casefold()
        for entry in reversed(self.entries):
            if entry.key.casefold() == folded:
                return entry
        return None

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of ``key``; the LAST occurrence wins, like ``ast_variable_retrieve``."""
        found = self.entry(key)
        return default if found is None else found.value

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key`` (case-insensitive), in order."""
        return [entry.value for entry in self.entries_for(key)]

    def keys(self) -> list[str]:
        """Distinct keys in order of first appearance (original spelling)."""
        seen: dict[str, str] = {}
        for entry in self.entries:
            seen.setdefault(entry.key.casefold(), entry.key)
        return list(seen.values())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.entry(key) is not None

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


@dataclass
class ConfigFile:
    """A parsed configuration: categories in order, the files read, and the problems found."""

    path: str
    categories: list[Category] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def iter_categories(self, *, include_templates: bool = False) -> Iterator[Category]:
        """Categories in file order; templates only when asked for."""
        for category in self.categories:
            if include_templates or not category.is_template:
                yield category

    def get_categories(self, name: str, *, include_templates: bool = False) -> list[Category]:
        """Every category called ``name`` (case-insensitive), in order."""
        folded = name.casefold()
        return [
            category
            for category in self.iter_categories(include_templates=include_templates)
            if category.name.casefold() == folded
        ]

    def get_category(self, name: str, *, include_templates: bool = False) -> Category | None:
        """The FIRST category called ``name``, as Asterisk's ``ast_category_get`` finds it."""
        found = self.get_categories(name, include_templates=include_templates)
        return found[0] if found else None

    def category_names(self, *, include_templates: bool = False) -> list[str]:
        """Distinct category names in order of first appearance."""
        seen: dict[str, str] = {}
        for category in self.iter_categories(include_templates=include_templates):
            seen.setdefault(category.name.casefold(), category.name)
        return list(seen.values())

    @property
    def errors(self) -> list[Problem]:
        """The error-severity problems."""
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The warning-severity problems."""
        return [problem for problem in self.problems if problem.severity == "warning"]


def load(
    path: str | os.PathLike[str], *, include_root: str | os.PathLike[str] | None = None
) -> ConfigFile:
    """Parse the file at ``path`` (and its includes).  A missing file is an error problem."""
    label = os.fspath(path)
    parser = _Parser(ConfigFile(path=label), include_root)
    parser.load_top(Path(label))
    return parser.config


def load_optional(
    directory: str | os.PathLike[str], name: str, problems: list[Problem]
) -> ConfigFile | None:
    """``directory/name`` parsed (includes resolved from ``directory``), its problems added to
    ``problems``; None when there is no such file."""
    path = Path(directory) / name
    if not path.exists():
        return None
    config = load(path, include_root=directory)
    problems.extend(config.problems)
    return config


def loads(
    text: str | bytes,
    name: str = "<string>",
    *,
    base_dir: str | os.PathLike[str] | None = None,
    include_root: str | os.PathLike[str] | None = None,
) -> ConfigFile:
    """Parse configuration text; ``name`` labels problems, includes resolve under ``base_dir``."""
    parser = _Parser(ConfigFile(path=name), include_root)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    parser.parse_text(_decode(text) if isinstance(text, bytes) else text, name, base)
    return parser.config


def _decode(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def _strip(text: str) -> str:
    return text.strip(_BLANKS)


class _CommentState:
    """Block-comment nesting carried from line to line within one file."""

    def __init__(self) -> None:
        self.open_lines: list[int] = []


class _Cursor:
    """The category lines are added to; ``broken`` after a malformed header (lines skipped)."""

    def __init__(self, category: Category | None) -> None:
        self.category = category
        self.broken = False


class _Parser:
    """Stateful loader shared by a top-level file and everything it includes."""

    def __init__(self, config: ConfigFile, include_root: str | os.PathLike[str] | None) -> None:
        self.config = config
        self.include_root = Path(include_root) if include_root is not None else None
        self.stack: list[str] = []
        self.last_created: Category | None = None

    def problem(self, file: str, line: int, severity: Severity, message: str) -> None:
        self.config.problems.append(Problem(file, line, severity, message))

    # -- files -------------------------------------------------------------------------

    def load_top(self, path: Path) -> None:
        label = os.fspath(path)
        data = self.read(path, label, 0, label, optional=False)
        if data is not None:
            self.run_file(path, label, data)

    def read(self, path: Path, where: str, line: int, shown: str, *, optional: bool) -> str | None:
        """Read a regular file; report a problem (unless optional and absent) and return None."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if not optional:
                self.problem(where, line, "error", f"file not found: {shown}")
            return None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            self.problem(where, line, "error", f"cannot read {shown}: {reason}")
            return None
        if not stat.S_ISREG(info.st_mode):
            severity: Severity = "warning" if optional else "error"
            self.problem(where, line, severity, f"not a regular file: {shown}")
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.problem(where, line, "error", f"cannot read {shown}: {exc.strerror or exc}")
            return None
        return _decode(data)

    def run_file(self, path: Path, label: str, text: str) -> None:
        self.config.files.append(label)
        self.stack.append(os.path.realpath(path))
        try:
            self.parse_text(text, label, path.parent)
        finally:
            self.stack.pop()

    # -- text --------------------------------------------------------------------------

    def parse_text(self, text: str, label: str, base_dir: Path) -> None:
        state = _CommentState()
        cursor = _Cursor(self.last_created)
        for number, raw in enumerate(text.split("\n"), start=1):
            if len(raw) > _MAX_LINE:
                self.problem(label, number, "warning", f"line longer than {_MAX_LINE} characters")
            content = self.strip_comments(raw, state, label, number)
            if content is None:
                continue
            content = _strip(content)
            if content:
                self.process_line(content, label, number, base_dir, cursor)
        if state.open_lines:
            self.problem(label, state.open_lines[0], "warning", "unterminated ';--' block comment")

    def strip_comments(self, raw: str, state: _CommentState, label: str, number: int) -> str | None:
        """Remove comments; None when the line lies wholly inside a block comment."""
        pieces: list[str] = []
        active = not state.open_lines
        pos = 0
        while True:
            semi = raw.find(";", pos)
            if semi < 0:
                if not state.open_lines:
                    pieces.append(raw[pos:])
                break
            if semi - 1 >= pos and raw[semi - 1] == "\\":
                if not state.open_lines:
                    pieces.append(raw[pos : semi - 1] + ";")
                pos = semi + 1
            elif raw.startswith("--", semi + 1) and raw[semi + 3 : semi + 4] != "-":
                if not state.open_lines:
                    pieces.append(raw[pos:semi])
                state.open_lines.append(number)
                pos = semi + 3
            elif semi - 2 >= pos and raw[semi - 2 : semi] == "--" and state.open_lines:
                state.open_lines.pop()
                if not state.open_lines:
                    active = True
                pos = semi + 1
            elif state.open_lines:
                pos = semi + 1
            else:
                if semi - 2 >= pos and raw[semi - 2 : semi] == "--":
                    self.problem(label, number, "warning", "'--;' without an open ';--' comment")
                pieces.append(raw[pos:semi])
                break
        return "".join(pieces) if active else None

    def process_line(
        self,
        text: str,
        label: str,
        number: int,
        base_dir: Path,
        cursor: _Cursor,
    ) -> None:
        if text[0] == "[":
            category = self.category_header(text, label, number)
            cursor.broken = category is None
            cursor.category = category or cursor.category
        elif text[0] == "#":
            self.directive(text, label, number, base_dir)
        elif not cursor.broken:
            self.variable(text, label, number, cursor.category)

    def find(self, name: str) -> Category | None:
        """First category (templates included) with this name, as inheritance looks it up."""
        return self.config.get_category(name, include_templates=True)

    def category_header(self, text: str, label: str, number: int) -> Category | None:
        """The category a header starts or extends; None (after an error) if malformed."""
        close = text.find("]")
        if close < 0:
            self.problem(label, number, "error", "no closing ']' in category header")
            return None
        name = _strip(text[1:close])
        rest = _strip(text[close + 1 :])
        options: list[str] = []
        if rest.startswith("("):
            end = rest.find(")")
            if end < 0:
                self.problem(label, number, "error", "no closing ')' in category options")
                return None
            options = [_strip(option) for option in rest[1:end].split(",")]
            rest = _strip(rest[end + 1 :])
        if rest:
            self.problem(label, number, "warning", f"text after category header ignored: {rest!r}")
        if not name:
            self.problem(label, number, "warning", "empty category name")
        category = Category(name=name, file=label, line=number)
        target: Category | None = None
        for option in options:
            if option == "!":
                (target or category).is_template = True
            elif option == "+":
                existing = self.find(name)
                if existing is None:
                    self.problem(
                        label,
                        number,
                        "error",
                        f"category addition requested, but category '{name}' does not exist",
                    )
                    continue
                target = existing
                target.entries.extend(category.entries)
                target.templates.extend(category.templates)
                category.entries.clear()
            elif not option:
                self.problem(label, number, "warning", "empty category option ignored")
            else:
                base = self.find(option)
                into = target or category
                if base is None:
                    self.problem(
                        label,
                        number,
                        "error",
                        f"inheritance requested, but category '{option}' does not exist",
                    )
                    continue
                into.entries.extend(replace(entry, inherited=True) for entry in base.entries)
                into.templates.append(option)
        if target is not None:
            return target
        self.config.categories.append(category)
        self.last_created = category
        return category

    def directive(self, text: str, label: str, number: int, base_dir: Path) -> None:
        end = 1
        while end < len(text) and ord(text[end]) > 32:
            end += 1
        name = text[1:end]
        argument = _strip(text[end:])
        kind = name.lower()
        if kind in ("exec", "tryexec"):
            self.problem(label, number, "warning", f"#{name} is not supported; line ignored")
            return
        if kind not in ("include", "tryinclude"):
            self.problem(label, number, "warning", f"unknown directive '#{name}' ignored")
            return
        if not argument:
            self.problem(label, number, "warning", f"#{name} needs a file name; line ignored")
            return
        if len(argument) >= 2 and (
            (argument[0] == '"' and argument[-1] == '"')
            or (argument[0] == "<" and argument[-1] == ">")
        ):
            argument = argument[1:-1]
        self.include(argument, label, number, base_dir, optional=kind == "tryinclude")

    def include(
        self, argument: str, label: str, number: int, base_dir: Path, *, optional: bool
    ) -> None:
        if "\x00" in argument:
            self.problem(label, number, "error", "file name contains a NUL character")
            return
        target = Path(argument)
        if not target.is_absolute():
            target = (self.include_root or base_dir) / target
        pattern = os.fspath(target)
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern))
            if not matches:
                if not optional:
                    self.problem(label, number, "error", f"no file matches '{argument}'")
                return
        else:
            matches = [pattern]
        for match in matches:
            path = Path(match)
            real = os.path.realpath(path)
            if real in self.stack:
                chain = " -> ".join([*self.stack[self.stack.index(real) :], real])
                self.problem(label, number, "error", f"include loop: {chain}")
                continue
            data = self.read(path, label, number, match, optional=optional)
            if data is not None:
                self.run_file(path, match, data)

    def variable(self, text: str, label: str, number: int, category: Category | None) -> None:
        if category is None:
            self.problem(
                label, number, "error", "line is outside any category (no [category] above it)"
            )
            return
        start = 0
        if text[0] == "\\":
            text = text[1:]
            if not text or ord(text[0]) < 33:
                self.problem(label, number, "error", "invalid '\\' escape at start of line")
                return
            start = 1
        equals = text.find("=", start)
        if equals < 0:
            self.problem(label, number, "warning", "no '=' in line; ignored")
            return
        if equals > start and text[equals - 1] == "+":
            key = _strip(text[: equals - 1])
            self.append_to(category, key, text[equals + 1 :], label, number)
            return
        op: Operator = "="
        value = text[equals + 1 :]
        if value.startswith(">"):
            op = "=>"
            value = value[1:]
        self.add(category, _strip(text[:equals]), _strip(value), op, label, number)

    def append_to(self, category: Category, key: str, tail: str, label: str, number: int) -> None:
        for index in range(len(category.entries) - 1, -1, -1):
            old = category.entries[index]
            if old.key == key:
                value = _strip(old.value + tail)
                category.entries[index] = replace(
                    old, value=value, file=label, line=number, inherited=False
                )
                return
        self.add(category, key, _strip(tail), "=", label, number)

    def add(
        self, category: Category, key: str, value: str, op: Operator, label: str, number: int
    ) -> None:
        if not key:
            self.problem(label, number, "warning", "no variable name before '='; ignored")
            return
        category.entries.append(Entry(key, value, op, label, number))
