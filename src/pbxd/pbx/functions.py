"""The dialplan function registry (``${LEN(x)}``, ``Set(CALLERID(num)=...)``, ...).

Each function is registered once with :func:`function`, carrying its Asterisk syntax and
synopsis (what ``core show functions`` lists), a read handler and optionally a write handler::

    @function("LEN", "LEN(string)", "Return the length of the string given.")
    def _len(scope, name, data): ...

    @_len.writer
    def _len_write(scope, name, data, value): ...

A read handler returns the text, or None when the call fails (Asterisk's ``-1``: the
substitution then inserts nothing).  A write handler returns True on success.  Handlers get
the raw argument text; :func:`separate_args` splits it the way Asterisk's application
argument parser does.  Failures are logged; nothing raises out of :func:`read_function` or
:func:`write_function`.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .astdb import AstDBError
from .cdr import FIELDS, WRITABLE_FIELDS
from .devicestate import parse_state

if TYPE_CHECKING:
    from .expressions import Scope

log = logging.getLogger(__name__)

ReadHandler = Callable[["Scope", str, str], "str | None"]
WriteHandler = Callable[["Scope", str, str, str], bool]


@dataclass
class DialplanFunction:
    """One registered function: name, Asterisk syntax, synopsis and handlers."""

    name: str
    syntax: str
    synopsis: str
    read: ReadHandler | None = None
    write: WriteHandler | None = None

    def writer(self, handler: WriteHandler) -> WriteHandler:
        """Decorator registering the write handler."""
        self.write = handler
        return handler


_REGISTRY: dict[str, DialplanFunction] = {}


def function(name: str, syntax: str, synopsis: str) -> Callable[[ReadHandler], DialplanFunction]:
    """Decorator registering a read handler as the function ``name``."""

    def register(handler: ReadHandler) -> DialplanFunction:
        entry = DialplanFunction(name, syntax, synopsis, read=handler)
        _REGISTRY[name.upper()] = entry
        return entry

    return register


def get_function(name: str) -> DialplanFunction | None:
    """The function called ``name`` (case-insensitive), or None."""
    return _REGISTRY.get(name.upper())


def registered() -> list[DialplanFunction]:
    """Every registered function, sorted by name."""
    return sorted(_REGISTRY.values(), key=lambda entry: entry.name)


def show_functions(like: str | None = None) -> list[str]:
    """``core show functions [like <text>]`` output lines."""
    chosen = [f for f in registered() if not like or like.lower() in f.name.lower()]
    lines = [
        f"{'Matching' if like else 'Installed'} Custom Functions:",
        "-" * 80,
    ]
    lines += [f"{f.name:<20.20}  {f.syntax:<35.35}  {f.synopsis}" for f in chosen]
    lines.append(f"{len(chosen)} {'matching ' if like else ''}custom functions installed.")
    return lines


def split_call(expression: str) -> tuple[str, str]:
    """``NAME(args)`` into name and argument text (the last ')' closes the arguments)."""
    opening = expression.find("(")
    if opening < 0:
        log.warning(
            "Function '%s' doesn't contain parentheses.  Assuming null argument.", expression
        )
        return expression, ""
    name, args = expression[:opening], expression[opening + 1 :]
    closing = args.rfind(")")
    if closing < 0:
        log.warning("Can't find trailing parenthesis for function '%s(%s'?", name, args)
        return name, args
    return name, args[:closing]


def read_function(scope: Scope | None, expression: str) -> str | None:
    """Evaluate ``NAME(args)``; None when unknown, not readable or failed."""
    name, args = split_call(expression)
    entry = get_function(name)
    if entry is None or entry.read is None:
        log.error("Function %s %s", name, "not registered" if entry is None else "cannot be read")
        return None
    try:
        return entry.read(scope, entry.name, args)  # type: ignore[arg-type]
    except Exception:  # a handler bug must not take the caller down
        log.exception("Function %s failed", entry.name)
        return None


def write_function(scope: Scope | None, expression: str, value: str) -> bool:
    """Assign ``NAME(args)=value``; False when unknown, read-only or failed."""
    name, args = split_call(expression)
    entry = get_function(name)
    if entry is None or entry.write is None:
        log.error(
            "Function %s %s", name, "not registered" if entry is None else "cannot be written to"
        )
        return False
    try:
        return entry.write(scope, entry.name, args, value)  # type: ignore[arg-type]
    except Exception:
        log.exception("Function %s failed", entry.name)
        return False


def separate_args(
    data: str, delim: str = ",", limit: int | None = None, *, remove_chars: bool = True
) -> list[str]:
    """Split arguments as ``ast_app_separate_args``: delimiters inside (), [] or double quotes
    do not split; with ``remove_chars`` quotes are dropped and a backslash makes the next
    character literal.  With ``limit``, the last argument takes the rest unparsed."""
    if not data:
        return []
    args: list[str] = []
    current: list[str] = []
    parens = brackets = 0
    quoted = False
    pos, size = 0, len(data)
    while pos < size:
        if limit is not None and len(args) == limit - 1:
            current.append(data[pos:])
            pos = size
            break
        char = data[pos]
        if char == "(":
            parens += 1
        elif char == ")" and parens:
            parens -= 1
        elif char == "[":
            brackets += 1
        elif char == "]" and brackets:
            brackets -= 1
        elif char == '"' and delim != '"':
            quoted = not quoted
            if remove_chars:
                pos += 1
                continue
        elif char == "\\" and pos + 1 < size:
            current.append(data[pos + 1] if remove_chars else data[pos : pos + 2])
            pos += 2
            continue
        elif char == delim and not parens and not brackets and not quoted:
            args.append("".join(current))
            current = []
            pos += 1
            continue
        current.append(char)
        pos += 1
    args.append("".join(current))
    return args


def check_condition(text: str) -> bool:
    """``pbx_checkcondition``: empty is false, a leading integer is its truth, text is true."""
    if not text:
        return False
    found = re.match(r"\s*([+-]?\d+)", text)
    return int(found.group(1)) != 0 if found else True


def _channel(scope: Scope | None, name: str) -> Any:
    channel = getattr(scope, "channel", None)
    if channel is None:
        log.warning("No channel was provided to %s function.", name)
    return channel


def _pbx_service(scope: Scope | None, attribute: str, name: str) -> Any:
    service = getattr(getattr(scope, "pbx", None), attribute, None)
    if service is None:
        log.warning("%s: no %s available", name, attribute)
    return service


# -- strings and logic -----------------------------------------------------------------


@function("LEN", "LEN(string)", "Return the length of the string given.")
def _len(scope: Scope, name: str, data: str) -> str | None:
    return str(len(data))


@function("ISNULL", "ISNULL(data)", "Check if a value is NULL.")
def _isnull(scope: Scope, name: str, data: str) -> str | None:
    return "0" if data else "1"


@function("EXISTS", "EXISTS(data)", "Test the existence of a value.")
def _exists(scope: Scope, name: str, data: str) -> str | None:
    return "1" if data else "0"


@function("IF", "IF(expression?[true][:false])", "Check for an expression.")
def _if(scope: Scope, name: str, data: str) -> str | None:
    first = separate_args(data, "?", 2)
    expression = first[0].strip() if first else ""
    branches = separate_args(first[1], ":", 2) if len(first) > 1 else []
    if not expression or not branches:
        log.warning(
            "Syntax IF(<expr>?[<true>][:<false>])  (expr must be non-null, and either "
            "<true> or <false> must be non-null)"
        )
        return None
    iftrue = branches[0].strip()
    iffalse = branches[1].strip() if len(branches) > 1 else ""
    return iftrue if check_condition(expression) else iffalse


def _cut_delimiter(text: str) -> str:
    if not text:
        return "-"
    if text[0] == "\\" and len(text) > 1:
        return {"n": "\n", "r": "\r", "t": "\t"}.get(text[1], text[1])
    return text[0]


@function(
    "CUT",
    "CUT(varname,char-delim,range-spec)",
    "Slices and dices strings, based upon a named delimiter.",
)
def _cut(scope: Scope, name: str, data: str) -> str | None:
    from .expressions import substitute  # expressions imports this module

    args = separate_args(data, ",", 3)
    if len(args) < 3 or not args[0]:
        log.warning("Syntax: CUT(<varname>,<char-delim>,<range-spec>) - missing argument!")
        return None
    delim = _cut_delimiter(args[1])
    value = substitute("${" + args[0] + "}", scope)
    if not value or not args[2]:
        return ""
    fields = value.split(delim)
    chosen: list[str] = []
    cursor = 1  # fields are consumed in order: a spec cannot go back
    for group in args[2].split("&"):
        both = re.match(r"\s*([+-]?\d+)-\s*([+-]?\d+)", group)
        upto = re.match(r"-\s*([+-]?\d+)", group)
        start_only = re.match(r"\s*([+-]?\d+)-", group)
        single = re.match(r"\s*([+-]?\d+)", group)
        if both:
            first, last = int(both.group(1)), int(both.group(2))
        elif upto:
            first, last = 0, int(upto.group(1))
        elif start_only:
            first, last = int(start_only.group(1)), len(fields)
        elif single:
            first = last = int(single.group(1))
        else:
            log.warning("Usage: CUT(<varname>,<char-delim>,<range-spec>)")
            return None
        if first > 0 and cursor > first:
            log.warning("We're already past the field you wanted?")
        cursor = max(cursor, first)
        while cursor <= min(last, len(fields)):
            chosen.append(fields[cursor - 1])
            cursor += 1
    return delim.join(chosen)


@function(
    "REGEX", 'REGEX("regular expression" string)', "Check string against a regular expression."
)
def _regex(scope: Scope, name: str, data: str) -> str | None:
    parts = data.split('"', 2)
    if len(parts) != 3:
        log.warning("Unexpected arguments: should have been in the form '\"<regex>\" <string>'")
        return None
    pattern, subject = parts[1], parts[2]
    if subject[:1] in (" ", "\t"):
        subject = subject[1:]
    try:
        return "1" if re.search(pattern, subject) else "0"
    except re.error as exc:
        log.warning("Malformed input REGEX(%s): %s", data, exc)
        return None


def _c_int(value: float) -> int:
    return int(max(-(2**31), min(2**31 - 1, value))) if value == value else 0


_MATH_OPERATORS: list[tuple[str, str]] = [
    ("*", "*"), ("/", "/"), ("%", "%"), ("^", "^"), ("AND", "AND"), ("XOR", "XOR"),
    ("OR", "OR"), (">", ">"), ("<", "<"), ("=", "="), ("+", "+"), ("-", "-"),
]  # fmt: skip
_SCANF_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _math_operands(expr: str) -> tuple[str, str, str] | None:
    for symbol, action in _MATH_OPERATORS:
        index = expr.find(symbol)
        if index < 0:
            continue
        rest = expr[index + len(symbol) :]
        if symbol in "<>" and rest[:1] in ("=", symbol):
            action = {"<=": "<=", ">=": ">=", "<<": "<<", ">>": ">>"}[symbol + rest[0]]
            rest = rest[1:]
        elif symbol == "=":
            if rest[:1] != "=":
                return None
            action, rest = "==", rest[1:]
        return expr[:index], action, rest
    return None


def _math_compute(action: str, a: float, b: float) -> float | str:
    ints = {
        "%": lambda x, y: 0 if y == 0 else int(math.fmod(x, y)),
        "<<": lambda x, y: x << y if 0 <= y < 64 else 0,
        ">>": lambda x, y: x >> y if 0 <= y < 64 else 0,
        "AND": lambda x, y: x & y,
        "XOR": lambda x, y: x ^ y,
        "OR": lambda x, y: x | y,
    }
    if action in ints:
        return float(ints[action](_c_int(a), _c_int(b)))
    tests = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b, "==": a == b}
    if action in tests:
        return "TRUE" if tests[action] else "FALSE"
    if action == "/":
        return 0.0 if b <= 0 else a / b
    if action == "^":
        try:
            return math.pow(a, b)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.inf
    return {"*": a * b, "+": a + b, "-": a - b}[action]


@function(
    "MATH",
    "MATH(expression[,type])",
    "Performs Mathematical Functions.",
)
def _math(scope: Scope, name: str, data: str) -> str | None:
    args = separate_args(data, ",", 2)
    if not args or not args[0]:
        log.warning("Syntax: MATH(<number1><op><number 2>[,<type_of_result>]) - missing argument!")
        return None
    expr = args[0]
    negative = expr.startswith("-")
    expr = expr[1:] if negative else expr
    kinds = {
        "float": "f",
        "f": "f",
        "int": "i",
        "i": "i",
        "hex": "h",
        "h": "h",
        "char": "c",
        "c": "c",
    }
    kind = "f"
    if len(args) > 1:
        if args[1].lower() not in kinds:
            log.warning("Unknown type of result requested '%s'.", args[1])
            return None
        kind = kinds[args[1].lower()]
    split = _math_operands(expr)
    if split is None:
        log.warning("Supply all the parameters - just this once, please")
        return None
    left, action, right = split
    numbers = [_SCANF_FLOAT.match(text) for text in (left, right)]
    if numbers[0] is None or numbers[1] is None:
        log.warning("'%s' is not a valid number", left if numbers[0] is None else right)
        return None
    a, b = float(numbers[0].group(0)), float(numbers[1].group(0))
    result = _math_compute(action, -a if negative else a, b)
    if isinstance(result, str):
        return result
    if kind == "i":
        return str(_c_int(result))
    if kind == "h":
        return format(_c_int(result) & 0xFFFFFFFF, "x")
    if kind == "c":
        return chr(_c_int(result) & 0xFF)
    return f"{result:f}"


@function("RAND", "RAND([min][,max])", "Choose a random number in a range.")
def _rand(scope: Scope, name: str, data: str) -> str | None:
    args = separate_args(data, ",", 2) + ["", ""]
    low = int(args[0]) if re.fullmatch(r"\s*[+-]?\d+\s*", args[0]) else 0
    high = int(args[1]) if re.fullmatch(r"\s*[+-]?\d+\s*", args[1]) else 2**31 - 1
    if low > high:
        low, high = high, low
    return str(random.randint(low, high))


def _timezone(name: str) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Unknown timezone '%s'; using UTC", name)
        return UTC


def _strftime(moment: datetime, fmt: str) -> str:
    """``strftime`` plus Asterisk's ``%q`` / ``%1q``..``%6q`` (fractions of a second)."""

    def fraction(found: re.Match[str]) -> str:
        digits = int(found.group(1) or 3)
        return f"{moment.microsecond:06d}"[:digits]

    return moment.strftime(re.sub(r"%([1-6])?q", fraction, fmt))


@function(
    "STRFTIME",
    "STRFTIME([epoch][,timezone[,format]])",
    "Returns the current date/time in the specified format.",
)
def _strftime_function(scope: Scope, name: str, data: str) -> str | None:
    args = separate_args(data, ",", 3) + ["", "", ""]
    epoch_text, zone, fmt = args[0].strip(), args[1].strip(), args[2] or "%c"
    if re.fullmatch(r"\d+(\.\d+)?", epoch_text):
        epoch = float(epoch_text)
    else:
        clock = getattr(getattr(scope, "pbx", None), "clock", time.time)
        epoch = clock()
    base = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)
    tz = _timezone(zone)
    moment = base.astimezone(tz) if tz is not None else base.astimezone()
    return _strftime(moment, fmt)


# -- variables -------------------------------------------------------------------------


def _globals(scope: Scope | None) -> Any:
    found = getattr(scope, "globals", None)
    if found is None:
        found = getattr(getattr(scope, "pbx", None), "globals", None)
    if found is None:
        log.warning("GLOBAL: no global variables available")
    return found


@function("GLOBAL", "GLOBAL(varname)", "Gets or sets the global variable specified.")
def _global(scope: Scope, name: str, data: str) -> str | None:
    store = _globals(scope)
    if store is None:
        return None
    return str(store.get(data, ""))


@_global.writer
def _global_write(scope: Scope, name: str, data: str, value: str) -> bool:
    store = _globals(scope)
    if store is None or not data:
        return False
    if value:
        store[data] = value
    else:
        store.pop(data, None)
    return True


# -- party identification --------------------------------------------------------------


def _split_callerid(value: str) -> tuple[str, str]:
    """``ast_callerid_split``: ``"Name" <number>`` into (name, number)."""
    found = re.match(r'\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>', value)
    if found:
        return (found.group(1) if found.group(1) is not None else found.group(2)), found.group(3)
    text = value.strip().strip('"')
    if text and all(char.isdigit() or char in "+*#" for char in text):
        return "", text
    return text, ""


def _party_read(party: Any, item: str, function_name: str) -> str | None:
    key = item.strip().lower()
    if key == "all":
        return f'"{party.name or ""}" <{party.number or ""}>'
    if key == "name":
        return str(party.name or "")
    if key in ("num", "number"):
        return str(party.number or "")
    log.warning("Unknown %s data type '%s'.", function_name, item)
    return None


def _party_write(setter: Callable[..., Any], item: str, value: str, function_name: str) -> bool:
    key = item.strip().lower()
    if key == "all":
        party_name, number = _split_callerid(value)
        setter(number=number, name=party_name)
    elif key == "name":
        setter(name=value)
    elif key in ("num", "number"):
        setter(number=value)
    else:
        log.warning("Unknown %s data type '%s'.", function_name, item)
        return False
    return True


@function(
    "CALLERID",
    "CALLERID(datatype[,CID])",
    "Gets or sets Caller*ID data on the channel.",
)
def _callerid(scope: Scope, name: str, data: str) -> str | None:
    args = separate_args(data, ",", 2)
    item = args[0].strip().lower() if args else ""
    if len(args) > 1:  # CALLERID(item,"Name" <num>): read from the given text, not the channel
        party_name, number = _split_callerid(args[1])
        return {
            "name": party_name,
            "num": number,
            "number": number,
            "all": f'"{party_name}" <{number}>',
        }.get(item)
    channel = _channel(scope, name)
    if channel is None:
        return None
    if item in ("ani", "ani-num"):
        return str(getattr(channel, "ani", "") or "")
    if item == "dnid":
        return str(getattr(channel, "dnid", "") or "")
    if item == "rdnis":
        return str(getattr(channel, "rdnis", "") or "")
    return _party_read(channel.caller, item, name)


@_callerid.writer
def _callerid_write(scope: Scope, name: str, data: str, value: str) -> bool:
    channel = _channel(scope, name)
    if channel is None:
        return False
    return _party_write(channel.set_caller, data.split(",", 1)[0], value, name)


@function(
    "CONNECTEDLINE",
    "CONNECTEDLINE(datatype[,i])",
    "Gets or sets Connected Line data on the channel.",
)
def _connectedline(scope: Scope, name: str, data: str) -> str | None:
    channel = _channel(scope, name)
    if channel is None:
        return None
    return _party_read(channel.connected, data.split(",", 1)[0], name)


@_connectedline.writer
def _connectedline_write(scope: Scope, name: str, data: str, value: str) -> bool:
    channel = _channel(scope, name)
    if channel is None:
        return False
    return _party_write(channel.set_connected, data.split(",", 1)[0], value, name)


# -- channel and CDR -------------------------------------------------------------------


def _state_text(channel: Any) -> str:
    state = channel.state
    return str(getattr(state, "description", state))


_CHANNEL_ITEMS: dict[str, Callable[[Any], Any]] = {
    "name": lambda c: c.name,
    "language": lambda c: c.language,
    "accountcode": lambda c: c.accountcode,
    "state": _state_text,
    "uniqueid": lambda c: c.uniqueid,
    "linkedid": lambda c: c.linkedid,
    "context": lambda c: c.context,
    "exten": lambda c: c.exten,
    "priority": lambda c: c.priority,
    "channeltype": lambda c: c.name.split("/", 1)[0],
    "musicclass": lambda c: getattr(c, "musicclass", ""),
    "peeraccount": lambda c: getattr(c, "peeraccount", ""),
    "hangupsource": lambda c: getattr(c, "hangupsource", ""),
    "amaflags": lambda c: getattr(c, "amaflags", ""),
    "userfield": lambda c: getattr(c, "userfield", ""),
}


@function("CHANNEL", "CHANNEL(item)", "Gets/sets various pieces of information about the channel.")
def _channel_function(scope: Scope, name: str, data: str) -> str | None:
    channel = _channel(scope, name)
    if channel is None:
        return None
    getter = _CHANNEL_ITEMS.get(data.strip().lower())
    if getter is None:
        log.warning("Unknown or unavailable item requested: '%s'", data)
        return None
    value = getter(channel)
    return "" if value is None else str(value)


@_channel_function.writer
def _channel_write(scope: Scope, name: str, data: str, value: str) -> bool:
    channel = _channel(scope, name)
    if channel is None:
        return False
    item = data.strip().lower()
    if item == "language":
        channel.set_language(value)
    elif item == "accountcode":
        channel.set_accountcode(value)
    elif item in ("musicclass", "userfield", "amaflags", "peeraccount", "hangupsource"):
        setattr(channel, item, value)
    else:
        log.warning("Unknown or unavailable item requested: '%s'", data)
        return False
    return True


_CDR_READ_ONLY = frozenset(FIELDS) - WRITABLE_FIELDS


@function("CDR", "CDR(name[,options])", "Gets or sets a CDR variable.")
def _cdr(scope: Scope, name: str, data: str) -> str | None:
    channel = _channel(scope, name)
    if channel is None:
        return None
    cdr = getattr(channel, "cdr", None)
    field_name = data.split(",", 1)[0].strip()
    if cdr is None:
        log.warning("CDR: no CDR on channel %s", getattr(channel, "name", "?"))
        return None
    value = cdr.get(field_name)
    return "" if value is None else str(value)


@_cdr.writer
def _cdr_write(scope: Scope, name: str, data: str, value: str) -> bool:
    channel = _channel(scope, name)
    if channel is None:
        return False
    field_name = data.split(",", 1)[0].strip()
    if field_name.lower() in _CDR_READ_ONLY:
        log.error("Attempted to set the '%s' read-only variable in the CDR.", field_name)
        return False
    cdr = getattr(channel, "cdr", None)
    if cdr is None or not field_name:
        return False
    cdr[field_name] = value
    return True


# -- ASTdb -----------------------------------------------------------------------------


def _db_target(scope: Scope, name: str, data: str) -> tuple[Any, str, str] | None:
    """The ASTdb and the ``family/key`` a DB function names; None (logged) if either lacks."""
    parts = separate_args(data, "/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        log.warning("%s requires an argument, %s(<family>/<key>)", name, name)
        return None
    astdb = _pbx_service(scope, "astdb", name)
    return None if astdb is None else (astdb, parts[0], parts[1])


def _db_run(name: str, call: Callable[[], Any]) -> tuple[bool, Any]:
    """``(True, result)`` of an ASTdb call, or ``(False, None)`` with its failure logged."""
    try:
        return True, call()
    except AstDBError as exc:
        log.error("%s: the ASTdb failed: %s", name, exc)
        return False, None


def _set_result(scope: Scope | None, value: str) -> None:
    if scope is not None and getattr(scope, "channel", None) is not None:
        scope.set_variable("DB_RESULT", value)


@function("DB", "DB(family/key)", "Read from or write to the Asterisk database.")
def _db(scope: Scope, name: str, data: str) -> str | None:
    target = _db_target(scope, name, data)
    if target is None:
        return None
    astdb, *key = target
    ok, value = _db_run(name, lambda: astdb.get(*key))
    if not ok:
        return None
    if value is None:
        log.debug("DB: %s/%s not found in database.", *key)
        return ""
    _set_result(scope, value)
    return str(value)


@_db.writer
def _db_write(scope: Scope, name: str, data: str, value: str) -> bool:
    target = _db_target(scope, name, data)
    if target is None:
        return False
    astdb, *key = target
    return _db_run(name, lambda: astdb.put(key[0], key[1], value))[0]


@function(
    "DB_EXISTS", "DB_EXISTS(family/key)", "Check to see if a key exists in the Asterisk database."
)
def _db_exists(scope: Scope, name: str, data: str) -> str | None:
    target = _db_target(scope, name, data)
    if target is None:
        return None
    astdb, *key = target
    ok, value = _db_run(name, lambda: astdb.get(*key))
    if not ok:
        return None
    if value is None:
        return "0"
    _set_result(scope, value)
    return "1"


@function("DB_DELETE", "DB_DELETE(family/key)", "Return a value from the database and delete it.")
def _db_delete(scope: Scope, name: str, data: str) -> str | None:
    target = _db_target(scope, name, data)
    if target is None:
        return None
    astdb, *key = target
    ok, value = _db_run(name, lambda: astdb.get(*key))
    if not ok:
        return None
    if value is None:
        log.debug("DB_DELETE: %s/%s could not be retrieved from the database", *key)
        return ""
    if not _db_run(name, lambda: astdb.delete(*key))[0]:
        return None
    return str(value)


@function("DB_KEYS", "DB_KEYS([prefix])", "Obtain a list of keys within the Asterisk database.")
def _db_keys(scope: Scope, name: str, data: str) -> str | None:
    astdb = _pbx_service(scope, "astdb", name)
    if astdb is None:
        return None
    ok, keys = _db_run(name, lambda: astdb.keys(data.strip("/")))
    return ",".join(key.replace(",", "\\,") for key in keys) if ok else None


# -- device and extension state --------------------------------------------------------


@function("DEVICE_STATE", "DEVICE_STATE(device)", "Get or Set a device state.")
def _device_state(scope: Scope, name: str, data: str) -> str | None:
    pbx = getattr(scope, "pbx", None)
    if pbx is None or not hasattr(pbx, "device_state"):
        log.warning("DEVICE_STATE: no device state service")
        return None
    return str(pbx.device_state(data))


@_device_state.writer
def _device_state_write(scope: Scope, name: str, data: str, value: str) -> bool:
    if data[:7].lower() != "custom:":
        log.warning("The DEVICE_STATE function can only be used to set 'Custom:' device state!")
        return False
    if not data[7:]:
        log.warning("DEVICE_STATE function called with no custom device name!")
        return False
    if parse_state(value) == "UNKNOWN":
        log.error("DEVICE_STATE function given invalid state value '%s'", value)
        return False
    pbx = getattr(scope, "pbx", None)
    if pbx is None or not hasattr(pbx, "set_custom_device_state"):
        log.warning("DEVICE_STATE: no device state service")
        return False
    pbx.set_custom_device_state(data, value)
    return True


@function(
    "EXTENSION_STATE",
    "EXTENSION_STATE(extension[@context])",
    "Get an extension's state.",
)
def _extension_state(scope: Scope, name: str, data: str) -> str | None:
    exten, _, context = data.partition("@")
    if not exten:
        log.warning("EXTENSION_STATE requires an extension")
        return None
    pbx = getattr(scope, "pbx", None)
    if pbx is None or not hasattr(pbx, "extension_state"):
        log.warning("EXTENSION_STATE: no extension state service")
        return None
    return str(pbx.extension_state(exten, context or "default"))
