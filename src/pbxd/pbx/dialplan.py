"""The dialplan: ``extensions.conf`` read as Asterisk's ``pbx_config`` reads it.

Contexts hold extensions (exact names and ``_`` patterns, optionally with a caller-ID match),
each with numbered priorities, labels and an optional hint.  Extensions are kept in
Asterisk's order (``ext_cmp`` in ``main/pbx.c``): exact names first, then patterns, the more
specific first; an extension with a caller-ID match before the same one without.  A lookup
walks that order and takes the first extension that matches *and* has the wanted priority,
then tries the context's includes in order (depth-limited, each context once), which is
Asterisk's default ("old") matching algorithm.

Contexts are listed, as Asterisk's ``dialplan show`` and ``ShowDialPlan`` list them, most
recently created first.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

from ..config import conf
from ..config.conf import ConfigFile, Problem
from .expressions import VariableScope, substitute

PRIORITY_HINT = -1
#: Asterisk's AST_PBX_MAX_STACK: how many contexts a lookup may pass through.
MAX_STACK = 128
REGISTRAR = "pbx_config"
_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


class DialplanError(Exception):
    """A dialplan change that cannot be made."""


class NoSuchContext(DialplanError):
    """The context does not exist."""


class ExtensionExists(DialplanError):
    """That extension already has that priority (and replace was not asked for)."""


class _Mode(Enum):
    MATCH = 1
    MATCHMORE = 2
    CANMATCH = 3


@dataclass(frozen=True)
class Step:
    """One priority of one extension, where it came from, and what it runs."""

    app: str
    data: str
    priority: int
    label: str | None
    context: str
    exten: str
    registrar: str = REGISTRAR
    file: str | None = None
    line: int = 0
    caller_id: str | None = None

    @property
    def is_hint(self) -> bool:
        """True for the ``hint`` pseudo-priority (its ``app`` holds the devices)."""
        return self.priority == PRIORITY_HINT


@dataclass(frozen=True)
class Include:
    """``include => name[,timespec]``; ``context`` is the part before the time spec."""

    name: str
    context: str
    registrar: str = REGISTRAR


@dataclass
class Settings:
    """The ``[general]`` section."""

    static: bool = False
    writeprotect: bool = False
    autofallthrough: bool = True
    clearglobalvars: bool = False
    extenpatternmatchnew: bool = False
    userscontext: str = "default"


@dataclass
class ManagerListing:
    """What ``ShowDialPlan`` sends: the ListDialplan rows and the totals."""

    rows: list[dict[str, str]] = field(default_factory=list)
    extensions: int = 0
    priorities: int = 0
    contexts: int = 0
    context_found: bool = False
    extension_found: bool = False


# -- extension names, ordering and matching ----------------------------------------------


def _strip_spaces(name: str) -> str:
    """Asterisk's ``ext_strncpy``: spaces outside ``[...]`` are dropped."""
    out, in_set = [], False
    for char in name:
        if char == "[":
            in_set = True
        elif char == "]":
            in_set = False
        elif char == " " and not in_set:
            continue
        out.append(char)
    return "".join(out)


def _no_fluff(name: str) -> str:
    """The matching form: spaces and '-' outside ``[...]`` dropped."""
    out, in_set = [], False
    for char in name:
        if char == "[":
            in_set = True
        elif char == "]":
            in_set = False
        elif char in " -" and not in_set:
            continue
        out.append(char)
    return "".join(out)


def shrink_phone_number(number: str) -> str:
    """``ast_shrink_phone_number``: drop ``( )`` spaces, and '-' / '.' outside ``[...]``
    (a final '.' is kept, it is a pattern wildcard)."""
    out, depth = [], 0
    for index, char in enumerate(number):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "-" and not depth or char == "." and index != len(number) - 1 or char in "( )":
            continue
        out.append(char)
    return "".join(out)


_SPECIAL = {"N": (0x0800 | ord("2"), "23456789"), "X": (0x0A00 | ord("0"), "0123456789"),
            "Z": (0x0900 | ord("1"), "123456789")}  # fmt: skip


def _bits(chars: str) -> int:
    return sum(1 << (255 - min(ord(char), 255)) for char in set(chars))


def _pattern_positions(pattern: str) -> tuple[tuple[int, int], ...]:
    """Per position, Asterisk's ``ext_cmp_pattern_pos`` score and (negated) character set."""
    out: list[tuple[int, int]] = []
    pos, size = 0, len(pattern)
    while True:
        while pos < size and pattern[pos] == "-":
            pos += 1
        if pos >= size:
            out.append((0x30000, 0))
            return tuple(out)
        char = pattern[pos]
        pos += 1
        if char.upper() in _SPECIAL:
            score, members = _SPECIAL[char.upper()]
            out.append((score, -_bits(members)))
        elif char == ".":
            out.append((0x18000, 0))
        elif char == "!":
            out.append((0x28000, 0))
        elif char != "[":
            out.append((0x0100 | min(ord(char), 255), -_bits(char)))
        else:
            end = pattern.find("]", pos)
            if end < 0:
                out.append((0x40000, 0))
                continue
            members, minimum, index = set(), 0xFF, pos
            while index < end:
                first = last = pattern[index]
                if index + 2 < end and pattern[index + 1] == "-":
                    last = pattern[index + 2]
                    index += 2
                minimum = min(minimum, ord(first))
                members.update(chr(code) for code in range(ord(first), ord(last) + 1))
                index += 1
            pos = end + 1
            if members:
                out.append(((len(members) << 8) | min(minimum, 0xFF), -_bits("".join(members))))


def extension_key(name: str) -> tuple[int, tuple[object, ...]]:
    """A sort key giving Asterisk's ``ext_cmp`` order: names first, then patterns by
    specificity (fewer choices first, then lower characters)."""
    if name.startswith("_"):
        return (1, _pattern_positions(name[1:]))
    return (0, tuple(ord(char) for char in name.replace("-", "")))


def extension_compare(left: str, right: str) -> int:
    """-1, 0 or 1 as Asterisk's ``ast_extension_cmp``."""
    a, b = extension_key(left), extension_key(right)
    return (a > b) - (a < b)


def _match_core(pattern: str, data: str, mode: _Mode) -> int:
    """Asterisk's ``_extension_match_core``: 0 no match, 1 match, 2 early match ('!')."""
    if not pattern.startswith("_"):
        plain_pattern, plain_data = pattern.replace("-", ""), data.replace("-", "")
        if len(plain_pattern) < len(plain_data):
            return 0
        if mode is _Mode.MATCH:
            return int(plain_pattern == plain_data)
        if not plain_data or plain_pattern.startswith(plain_data):
            return int(len(plain_pattern) > len(plain_data)) if mode is _Mode.MATCHMORE else 1
        return 0
    if mode is _Mode.MATCH and data.startswith("_") and extension_compare(pattern, data) == 0:
        return 1
    p, d = 1, 0
    psize, dsize = len(pattern), len(data)
    while True:
        while d < dsize and data[d] == "-":
            d += 1
        while p < psize and pattern[p] == "-":
            p += 1
        if d >= dsize or p >= psize or pattern[p] == "/":
            break
        char, digit = pattern[p], data[d]
        if char == "[":
            end = pattern.find("]", p + 1)
            if end < 0:
                return 0
            if end == p + 1:  # an empty set is ignored
                p = end + 1
                continue
            index, found = p + 1, False
            while index < end:
                if index + 2 < end and pattern[index + 1] == "-":
                    if pattern[index] <= digit <= pattern[index + 2]:
                        found = True
                        break
                    index += 3
                    continue
                if digit == pattern[index]:
                    found = True
                    break
                index += 1
            if not found:
                return 0
            p = end
        elif char.upper() in _SPECIAL:
            if digit not in _SPECIAL[char.upper()][1]:
                return 0
        elif char == ".":
            return 1
        elif char == "!":
            return 2
        elif char != digit:
            return 0
        p += 1
        d += 1
    if d < dsize:
        return 0
    if p >= psize or pattern[p] == "/":
        return 0 if mode is _Mode.MATCHMORE else 1
    if pattern[p] == "!":
        return 2
    return 0 if mode is _Mode.MATCH else 1


def extension_match(pattern: str, data: str) -> bool:
    """``ast_extension_match``: does the number ``data`` match ``pattern``?"""
    return _match_core(pattern, data, _Mode.MATCH) != 0


def extension_close(pattern: str, data: str, *, need_more: bool) -> bool:
    """``ast_extension_close``: could ``data`` still become a match (``need_more``: only
    with more digits)?"""
    mode = _Mode.MATCHMORE if need_more else _Mode.CANMATCH
    return _match_core(pattern, data, mode) != 0


def _cid_matches(pattern: str, caller_id: str) -> bool:
    if not caller_id:
        return not pattern
    return extension_match(pattern, caller_id)


# -- the model ---------------------------------------------------------------------------


@dataclass
class _Extension:
    name: str
    match: str
    cid: str | None
    cid_match: str | None
    priorities: dict[int, Step] = field(default_factory=dict)

    @property
    def key(self) -> tuple[object, ...]:
        if self.cid_match is None:
            return (extension_key(self.match), 1, ())
        return (extension_key(self.match), 0, extension_key(self.cid_match))

    def ordered(self) -> list[Step]:
        return [self.priorities[number] for number in sorted(self.priorities)]

    def label(self, label: str) -> Step | None:
        return next((step for step in self.ordered() if step.label == label), None)


@dataclass
class _Context:
    name: str
    registrar: str = REGISTRAR
    extensions: list[_Extension] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    ignorepats: list[tuple[str, str]] = field(default_factory=list)
    switches: list[tuple[str, str, str]] = field(default_factory=list)

    def find(self, match: str, cid_match: str | None) -> _Extension | None:
        probe = _Extension(match, match, cid_match, cid_match)
        index = bisect.bisect_left([ext.key for ext in self.extensions], probe.key)
        if index < len(self.extensions) and self.extensions[index].key == probe.key:
            return self.extensions[index]
        return None


def _split_exten(exten: str) -> tuple[str, str | None]:
    """``EXT/CID`` into the extension and the shrunk caller-ID match (None when absent)."""
    name, slash, cid = exten.partition("/")
    return name, (shrink_phone_number(cid) if slash else None)


def _ast_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


class Dialplan:
    """All contexts, the ``[general]`` settings and the ``[globals]`` variables."""

    def __init__(self) -> None:
        self._contexts: dict[str, _Context] = {}
        self.settings = Settings()
        self.globals: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.generation = 0  # counts extension changes (hints are taken again after one)

    # -- loading ---------------------------------------------------------------------

    @classmethod
    def from_path(
        cls, path: str | os.PathLike[str], *, include_root: str | os.PathLike[str] | None = None
    ) -> Dialplan:
        """Parse and load an ``extensions.conf``."""
        return cls.load(conf.load(path, include_root=include_root))

    @classmethod
    def load(cls, config: ConfigFile) -> Dialplan:
        """Build a dialplan from a parsed ``extensions.conf``; problems are collected."""
        dialplan = cls()
        dialplan.problems.extend(config.problems)
        _Loader(dialplan, config).run()
        return dialplan

    def _warn(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, "warning", message))

    # -- contexts --------------------------------------------------------------------

    def contexts(self) -> list[str]:
        """Context names in creation order."""
        return list(self._contexts)

    def has_context(self, name: str) -> bool:
        """True when the context exists (names are case-sensitive)."""
        return name in self._contexts

    def create_context(self, name: str, registrar: str = REGISTRAR) -> None:
        """Create an empty context unless it exists."""
        self._contexts.setdefault(name, _Context(name, registrar))

    def includes(self, context: str) -> list[Include]:
        """The includes of a context, in order."""
        found = self._contexts.get(context)
        return list(found.includes) if found else []

    def add_include(self, context: str, include: str, registrar: str = REGISTRAR) -> bool:
        """Add ``include => include`` to a context; False if it is already included."""
        target = self._require(context)
        if any(existing.name.lower() == include.lower() for existing in target.includes):
            return False
        name = include.replace("|", ",").split(",", 1)[0].strip()
        target.includes.append(Include(include, name, registrar))
        return True

    def _walk(self) -> Iterator[_Context]:
        return reversed(list(self._contexts.values()))

    def _require(self, context: str) -> _Context:
        found = self._contexts.get(context)
        if found is None:
            raise NoSuchContext(context)
        return found

    # -- extensions ------------------------------------------------------------------

    def add_extension(
        self,
        context: str,
        exten: str,
        priority: int | str,
        app: str,
        data: str = "",
        *,
        replace: bool = False,
        registrar: str = REGISTRAR,
        label: str | None = None,
        file: str | None = None,
        line: int = 0,
        create_context: bool = False,
    ) -> Step:
        """Add one priority (``"hint"`` for a hint).  ``exten`` may carry ``/callerid``.

        Raises :class:`NoSuchContext` (unless ``create_context``), :class:`ExtensionExists`,
        or :class:`DialplanError` for an empty extension or a priority below 1.
        """
        if create_context:
            self.create_context(context, registrar)
        target = self._require(context)
        name, cid = _split_exten(exten)
        name = _strip_spaces(name)
        if not name:
            raise DialplanError("empty extension name")
        number = PRIORITY_HINT if priority == "hint" else int(priority)
        if number < 1 and number != PRIORITY_HINT:
            raise DialplanError(f"invalid priority {priority!r}")
        step = Step(app, data, number, label or None, context, name, registrar, file, line, cid)
        found = target.find(_no_fluff(name), cid and _no_fluff(cid))
        if found is None:
            found = _Extension(name, _no_fluff(name), cid, cid and _no_fluff(cid))
            keys = [ext.key for ext in target.extensions]
            target.extensions.insert(bisect.bisect_left(keys, found.key), found)
        elif number in found.priorities and not replace:
            raise ExtensionExists(f"{name}@{context} priority {number}")
        found.priorities[number] = step
        self.generation += 1
        return step

    def remove_extension(
        self, context: str, exten: str, priority: int | None = None, caller_id: str | None = None
    ) -> bool:
        """Remove one priority (or, with None, the whole extension); False if absent.

        ``exten`` may carry ``/callerid``; ``caller_id`` does the same separately.
        """
        target = self._contexts.get(context)
        if target is None:
            return False
        name, cid = _split_exten(exten)
        if caller_id is not None:
            cid = shrink_phone_number(caller_id)
        found = target.find(_no_fluff(_strip_spaces(name)), cid and _no_fluff(cid))
        if found is None:
            return False
        if priority is None or priority == 0:
            target.extensions.remove(found)
            self.generation += 1
            return True
        if found.priorities.pop(priority, None) is None:
            return False
        if not found.priorities:
            target.extensions.remove(found)
        self.generation += 1
        return True

    # -- lookups ---------------------------------------------------------------------

    def _search(
        self,
        context: str,
        exten: str,
        priority: int,
        label: str | None,
        caller_id: str,
        mode: _Mode,
        stack: list[str],
    ) -> Step | None:
        if len(stack) >= MAX_STACK:
            return None
        if any(seen.lower() == context.lower() for seen in stack):
            return None
        target = self._contexts.get(context)
        if target is None:
            return None
        for ext in target.extensions:
            result = _match_core(ext.match, exten, mode)
            if not result or (
                ext.cid_match is not None and not _cid_matches(ext.cid_match, caller_id)
            ):
                continue
            if result == 2 and mode is _Mode.MATCHMORE:
                return None
            step = ext.label(label) if label is not None else ext.priorities.get(priority)
            if step is not None:
                return step
        stack.append(target.name)
        for include in target.includes:
            found = self._search(include.context, exten, priority, label, caller_id, mode, stack)
            if found is not None:
                return found
        return None

    def find(self, context: str, exten: str, priority: int, caller_id: str = "") -> Step | None:
        """The step run at ``exten,priority`` in ``context`` (following includes)."""
        return self._search(context, exten, priority, None, caller_id, _Mode.MATCH, [])

    def exists(self, context: str, exten: str, priority: int = 1, caller_id: str = "") -> bool:
        """``ast_exists_extension``."""
        return self.find(context, exten, priority, caller_id) is not None

    def find_label(self, context: str, exten: str, label: str, caller_id: str = "") -> int | None:
        """The priority carrying ``label`` (``ast_findlabel_extension``), or None."""
        step = self._search(context, exten, 0, label, caller_id, _Mode.MATCH, [])
        return None if step is None else step.priority

    def matches_more(self, context: str, exten: str, caller_id: str = "") -> bool:
        """``ast_matchmore_extension``: could more digits still reach a match?"""
        return self._search(context, exten, 1, None, caller_id, _Mode.MATCHMORE, []) is not None

    def can_match(self, context: str, exten: str, caller_id: str = "") -> bool:
        """``ast_canmatch_extension``: a match now or with more digits."""
        return self._search(context, exten, 1, None, caller_id, _Mode.CANMATCH, []) is not None

    def hint(self, context: str, exten: str) -> str | None:
        """The hint's device list for ``exten`` (patterns and includes apply), or None."""
        step = self.find(context, exten, PRIORITY_HINT)
        return None if step is None else step.app

    def hints(self) -> list[tuple[str, str, str]]:
        """``(context, exten, devices)`` for every hint on a non-pattern extension."""
        return [
            (ctx.name, ext.name, ext.priorities[PRIORITY_HINT].app)
            for ctx in self._contexts.values()
            for ext in ctx.extensions
            if PRIORITY_HINT in ext.priorities and not ext.name.startswith("_")
        ]

    def steps(self, context: str) -> list[Step]:
        """Every step of a context in ``dialplan show`` order."""
        found = self._contexts.get(context)
        return [step for ext in found.extensions for step in ext.ordered()] if found else []

    # -- output ----------------------------------------------------------------------

    def show(self, context: str | None = None, exten: str | None = None) -> list[str]:
        """``dialplan show [[exten@]context]`` output lines, as Asterisk 20 lays them out."""
        lines: list[str] = []
        totals = {"exten": 0, "prio": 0, "context": 0, "context_found": 0, "exten_found": 0}
        self._show(lines, totals, context, exten, False, [])
        if context and not totals["context_found"]:
            return [f"There is no existence of '{context}' context"]
        if exten and not totals["exten_found"]:
            if context:
                return [f"There is no existence of {exten}@{context} extension"]
            return [f"There is no existence of '{exten}' extension in all contexts"]
        lines.append(
            f"-= {totals['exten']} {_plural(totals['exten'], 'extension', 'extensions')} "
            f"({totals['prio']} {_plural(totals['prio'], 'priority', 'priorities')}) in "
            f"{totals['context']} {_plural(totals['context'], 'context', 'contexts')}. =-"
        )
        return lines

    def _show(
        self,
        lines: list[str],
        totals: dict[str, int],
        context: str | None,
        exten: str | None,
        included: bool,
        stack: list[str],
    ) -> None:
        for ctx in self._walk():
            if context and ctx.name != context:
                continue
            totals["context_found"] = 1
            printed = False
            header = f"[ Context '{ctx.name}' created by '{ctx.registrar}' ]"
            if not exten:
                totals["context"] += 1
                lines.append(header)
                printed = True
            for ext in ctx.extensions:
                if exten and not extension_match(ext.name, exten):
                    continue
                totals["exten_found"] = 1
                if not printed:
                    totals["context"] += 1
                    lines.append(
                        header.replace("[ Context", "[ Included context") if included else header
                    )
                    printed = True
                for index, step in enumerate(ext.ordered()):
                    totals["prio"] += 1
                    if index == 0:
                        first = (
                            f"'{ext.name}' (CID match '{ext.cid_match}') => "
                            if ext.cid is not None
                            else f"'{ext.name}' =>"
                        )
                    else:
                        first = f"   [{step.label}]" if step.label else ""
                    lines.append(_show_line(first, step))
                totals["exten"] += 1
            for include in ctx.includes:
                if not exten:
                    quoted = f"'{include.name}'"
                    lines.append(f"  Include =>        {quoted:<45} [{include.registrar}]")
                elif len(stack) < MAX_STACK and include.name.lower() not in stack:
                    stack.append(include.name.lower())
                    self._show(lines, totals, include.context, exten, True, stack)
            for pattern, registrar in ctx.ignorepats:
                if not exten or extension_match(f"_{pattern}.", exten):
                    quoted = f"'{pattern}'"
                    lines.append(f"  Ignore pattern => {quoted:<45} [{registrar}]")
            if not included:
                for switch, data, registrar in ctx.switches:
                    quoted = f"'{switch}/{data}'"
                    lines.append(f"  Alt. Switch =>    {quoted:<45} [{registrar}]")
            if printed:
                lines.append("")

    def list_for_manager(
        self, context: str | None = None, exten: str | None = None
    ) -> ManagerListing:
        """The ``ListDialplan`` event bodies of ``ShowDialPlan`` (Context, Extension,
        [ExtensionLabel], Priority, Application, AppData, Registrar; IncludeContext,
        IgnorePattern and Switch rows) with the totals for ``ShowDialPlanComplete``."""
        listing = ManagerListing()
        self._list(listing, context or None, exten or None, False, [])
        return listing

    def _list(
        self,
        listing: ManagerListing,
        context: str | None,
        exten: str | None,
        included: bool,
        stack: list[str],
    ) -> None:
        for ctx in self._walk():
            if context and ctx.name != context:
                continue
            listing.context_found = True
            listing.contexts += 1
            for ext in ctx.extensions:
                if exten and not extension_match(ext.name, exten):
                    continue
                listing.extension_found = True
                listing.extensions += 1
                registrar = ext.ordered()[0].registrar if ext.priorities else REGISTRAR
                for step in ext.ordered():
                    listing.priorities += 1
                    row = {"Context": ctx.name, "Extension": ext.name}
                    if step.label:
                        row["ExtensionLabel"] = step.label
                    if step.is_hint:
                        row.update({"Priority": "hint", "Application": step.app})
                    else:
                        row.update(
                            {
                                "Priority": str(step.priority),
                                "Application": step.app,
                                "AppData": step.data,
                            }
                        )
                    row["Registrar"] = registrar
                    listing.rows.append(row)
            for include in ctx.includes:
                if not exten:
                    listing.rows.append(
                        {
                            "Context": ctx.name,
                            "IncludeContext": include.name,
                            "Registrar": include.registrar,
                        }
                    )
                elif len(stack) < MAX_STACK and include.name.lower() not in stack:
                    stack.append(include.name.lower())
                    self._list(listing, include.context, exten, True, stack)
            for pattern, registrar in ctx.ignorepats:
                if not exten or extension_match(f"_{pattern}.", exten):
                    listing.rows.append(
                        {"Context": ctx.name, "IgnorePattern": pattern, "Registrar": registrar}
                    )
            if not included:
                for switch, data, registrar in ctx.switches:
                    listing.rows.append(
                        {"Context": ctx.name, "Switch": f"{switch}/{data}", "Registrar": registrar}
                    )


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _show_line(first: str, step: Step) -> str:
    second = f"hint: {step.app}" if step.is_hint else f"{step.priority}. {step.app}({step.data})"
    where = f"{step.file}:{step.line}" if step.file else step.registrar
    return f"  {first:<17} {second:<45} [{where}]"


# -- extensions.conf -------------------------------------------------------------------


def _strsep_ext(value: str) -> tuple[str, str | None]:
    """``pbx_strsep(",")``: the first field, with ',' inside [...] or after '\\' kept."""
    depth = 0
    index = 0
    while index < len(value):
        char = value[index]
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char == "\\":
            index += 1
        elif char == "," and not depth:
            return value[:index], value[index + 1 :]
        index += 1
    return value, None


def _split_app(text: str, *, hint: bool = False) -> tuple[str, str, str | None]:
    """The application part of an ``exten`` line: (app, data, warning or None).

    Besides ``App(args)``, the pre-1.6 ``App,args`` form is accepted (with a warning).
    """
    comma, paren = text.find(","), text.find("(")
    if not hint and comma >= 0 and (paren < 0 or comma < paren):
        return text[:comma].lstrip(), text[comma + 1 :], "old-style 'App,args' syntax"
    if paren < 0:
        return text.lstrip(), "", None
    app = text[:paren]
    if "${" in app or "$[" in app:
        return text.lstrip(), "", None
    data = text[paren + 1 :]
    close = data.rfind(")")
    if close < 0:
        return app.lstrip(), data, f"No closing parenthesis found? '{app}({data}'"
    return app.lstrip(), data[:close], None


class _Loader:
    """``pbx_load_config``: one pass over the categories of ``extensions.conf``."""

    def __init__(self, dialplan: Dialplan, config: ConfigFile) -> None:
        self.dialplan = dialplan
        self.config = config
        self.scope = VariableScope(globals=dialplan.globals)

    def run(self) -> None:
        general = self.config.get_category("general")
        if general is not None:
            settings = self.dialplan.settings
            settings.static = _ast_true(general.get("static"))
            settings.writeprotect = _ast_true(general.get("writeprotect"))
            settings.clearglobalvars = _ast_true(general.get("clearglobalvars"))
            if general.get("autofallthrough") is not None:
                settings.autofallthrough = _ast_true(general.get("autofallthrough"))
            if general.get("extenpatternmatchnew") is not None:
                settings.extenpatternmatchnew = _ast_true(general.get("extenpatternmatchnew"))
            settings.userscontext = general.get("userscontext") or "default"
        globals_ = self.config.get_category("globals")
        if globals_ is not None:
            for entry in globals_.entries:
                self.scope.set_variable(entry.key, substitute(entry.value, self.scope))
        for category in self.config.iter_categories():
            if category.name.lower() in ("general", "globals"):
                continue
            self.dialplan.create_context(category.name)
            self.load_context(category)
        for ctx in self.dialplan._contexts.values():
            for include in ctx.includes:
                if include.context not in self.dialplan._contexts:
                    self.dialplan._warn(
                        self.config.path,
                        0,
                        f"Context '{ctx.name}' tries to include nonexistent context "
                        f"'{include.context}'",
                    )

    def load_context(self, category: conf.Category) -> None:
        last_exten = ""
        last_priority = -2
        context = category.name
        warn = self.dialplan._warn
        for entry in category.entries:
            key = entry.key.lower()
            if key.startswith("same"):
                if not last_exten:
                    self.dialplan.problems.append(
                        Problem(
                            entry.file,
                            entry.line,
                            "error",
                            f"No previous pattern in the first entry of context '{context}' "
                            f"to match '{entry.key}'",
                        )
                    )
                    continue
                last_priority = self.add(entry, context, last_exten, entry.value, last_priority)
            elif key == "exten":
                ext, rest = _strsep_ext(entry.value)
                last_exten = substitute(ext, self.scope)
                last_priority = self.add(entry, context, last_exten, rest or "", last_priority)
            elif key == "include":
                value = substitute(entry.value, self.scope)
                if not self.dialplan.add_include(context, value):
                    warn(
                        entry.file,
                        entry.line,
                        f"Context '{value}' already included in '{context}' context",
                    )
                elif "," in value or "|" in value:
                    warn(
                        entry.file,
                        entry.line,
                        f"time-restricted include '{value}': the time part is ignored, "
                        "the include is always active",
                    )
            elif key == "ignorepat":
                value = substitute(entry.value, self.scope)
                target = self.dialplan._contexts[context]
                if any(pattern == value for pattern, _ in target.ignorepats):
                    warn(
                        entry.file,
                        entry.line,
                        f"Unable to include ignorepat '{value}' in context '{context}'",
                    )
                else:
                    target.ignorepats.append((value, REGISTRAR))
                    warn(entry.file, entry.line, "ignorepat has no effect in pbxd")
            elif key in ("switch", "lswitch", "eswitch"):
                value = substitute(entry.value, self.scope) if key == "switch" else entry.value
                name, _, data = value.partition("/")
                self.dialplan._contexts[context].switches.append((name, data, REGISTRAR))
                warn(entry.file, entry.line, f"alternative switch '{value}' is not supported")
            else:
                warn(entry.file, entry.line, f"Unknown directive: {entry.key} -- IGNORING")

    def add(self, entry: conf.Entry, context: str, exten: str, rest: str, last: int) -> int:
        """Add one ``exten``/``same`` line; returns the new "last priority"."""
        warn = self.dialplan._warn
        where = (entry.file, entry.line)
        name, cid = _split_exten(exten)
        priority_text, _, app_text = rest.partition(",")
        priority_text = priority_text.strip()
        label: str | None = None
        if "(" in priority_text:
            priority_text, _, label = priority_text.partition("(")
            if ")" not in label:
                warn(*where, "Label missing trailing ')'")
                return last
            label = label[: label.index(")")]
        priority_text, plus, offset = priority_text.partition("+")
        if priority_text == "hint":
            number = PRIORITY_HINT
        elif priority_text in ("n", "next", "s", "same"):
            if last <= -2:
                warn(*where, f"Can't use '{priority_text}' priority on the first entry")
                return last
            number = last + 1 if priority_text in ("n", "next") else last
        else:
            digits = _leading_int(priority_text)
            if digits is None:
                found = self.dialplan._contexts[context].find(
                    _no_fluff(_strip_spaces(name)), cid and _no_fluff(cid)
                )
                step = found.label(priority_text) if found else None
                if step is None or step.priority < 1:
                    warn(*where, f"Invalid priority/label '{priority_text}'")
                    return last
                number = step.priority
            elif digits < 1:
                warn(*where, f"Invalid priority '{priority_text}'")
                return last
            else:
                number = digits
        if number == 0:
            warn(*where, "priority 0 (a 'n' after a hint?): line ignored")
            return last
        app, data, problem = _split_app(app_text, hint=number == PRIORITY_HINT)
        if problem:
            warn(*where, problem)
        if plus:
            number += _leading_int(offset) or 0
        if name in ("_.", "_!"):
            warn(
                *where,
                f"The use of '{name}' for an extension is strongly discouraged and can "
                f"have unexpected behavior.  Please use '_X{name[1]}' instead",
            )
        try:
            self.dialplan.add_extension(
                context,
                exten,
                number,
                app,
                data,
                label=label,
                file=os.path.basename(entry.file),
                line=entry.line,
            )
        except DialplanError as exc:
            warn(*where, f"Unable to register extension: {exc}")
        return number


def _leading_int(text: str) -> int | None:
    """``sscanf("%d")``: the integer at the start of ``text`` or None."""
    stripped = text.lstrip()
    end = 1 if stripped[:1] in ("+", "-") else 0
    while end < len(stripped) and stripped[end].isdigit():
        end += 1
    digits = stripped[:end]
    return int(digits) if digits.lstrip("+-") else None
