"""Dialplan variable substitution and ``$[...]`` expressions, with Asterisk's semantics.

:func:`substitute` follows ``pbx_substitute_variables``: ``${VAR}``, ``${VAR:offset[:length]}``,
nested ``${${X}}``, function calls ``${FUNC(args)}`` (see :mod:`pbxd.pbx.functions`) and
``$[expression]``.  :func:`evaluate` is the ``ast_expr2`` language: values are strings or
numbers, arithmetic is done in 80-bit ``long double`` (emulated exactly with fractions) and
numbers print as C's ``%.18Lg``; comparisons are numeric when neither side is a non-numeric
string.  The conditional operator is Asterisk's ``cond ? a :: b``.  Nothing here raises on bad
input: problems are logged as warnings, and an expression that does not parse gives ``"0"``,
which is what ``ast_expr`` returns when its parser fails.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any, Protocol

from . import functions

log = logging.getLogger(__name__)

#: How deeply ``${...}`` / ``$[...]`` may nest (and substitution may recurse).
MAX_DEPTH = 32
INT_MAX = 2**31 - 1
_INT_MIN = -(2**31)


class Scope(Protocol):
    """Where substitution finds variables, the channel and the PBX."""

    channel: Any
    pbx: Any
    globals: MutableMapping[str, str]

    def get_variable(self, name: str) -> str | None:
        """A channel variable, else a global one; None when unset."""
        ...

    def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (a global one when there is no channel)."""
        ...


def _lookup(variables: MutableMapping[str, str], name: str) -> str | None:
    for candidate in (name, "_" + name, "__" + name):
        if candidate in variables:
            return variables[candidate]
    return None


@dataclass
class VariableScope:
    """A ready-made :class:`Scope`: channel variables from ``channel.variables``, then globals.

    As Asterisk's ``pbx_builtin_setvar_helper``, setting an empty value removes the variable,
    and ``_NAME`` / ``__NAME`` (inherited variables) are found under ``NAME``.
    """

    channel: Any = None
    pbx: Any = None
    globals: MutableMapping[str, str] = field(default_factory=dict)

    def get_variable(self, name: str) -> str | None:
        if self.channel is not None:
            found = _lookup(getattr(self.channel, "variables", {}), name)
            if found is not None:
                return found
        return _lookup(self.globals, name)

    def set_variable(self, name: str, value: str) -> None:
        if self.channel is not None:
            target: MutableMapping[str, str] = self.channel.variables
        else:
            target = self.globals
        base = name.lstrip("_")
        for candidate in (base, "_" + base, "__" + base):
            target.pop(candidate, None)
        if value:
            target[name] = value


# -- substitution ----------------------------------------------------------------------


def substitute(text: str, scope: Scope | None = None, *, _depth: int = 0) -> str:
    """Expand every ``${...}`` and ``$[...]`` in ``text``."""
    if "$" not in text:
        return text
    if _depth > MAX_DEPTH:
        log.warning("Variable substitution nested more than %d deep; giving up", MAX_DEPTH)
        return ""
    out: list[str] = []
    pos, size = 0, len(text)
    while pos < size:
        dollar = text.find("$", pos)
        if dollar < 0:
            out.append(text[pos:])
            break
        kind = text[dollar + 1 : dollar + 2]
        if kind not in ("{", "["):
            out.append(text[pos : dollar + 1])
            pos = dollar + 1
            continue
        out.append(text[pos:dollar])
        body, pos, needsub = _enclosed(text, dollar + 2, kind)
        if needsub:
            body = substitute(body, scope, _depth=_depth + 1)
        if kind == "{":
            out.append(_expand_variable(body, scope))
        else:
            out.append(evaluate(body, scope))
    return "".join(out)


def _enclosed(text: str, start: int, kind: str) -> tuple[str, int, bool]:
    """The body of ``${...}``/``$[...]`` starting at ``start``, the position after it, and
    whether the body itself needs substitution (as Asterisk's bracket counting does)."""
    opener, closer, other = ("{", "}", "[") if kind == "{" else ("[", "]", "{")
    depth, needsub, pos, size = 1, False, start, len(text)
    while depth and pos < size:
        char = text[pos]
        nxt = text[pos + 1 : pos + 2]
        if char == "$" and nxt == opener:
            needsub, depth, pos = True, depth + 1, pos + 1
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
        elif char == "$" and nxt == other:
            needsub, pos = True, pos + 1
        pos += 1
    length = pos - start
    if depth:
        log.warning("Error in extension logic (missing '%s')", closer)
    else:
        length -= 1
    return text[start : start + length], pos, needsub


_OFFSETS = re.compile(r"\s*([+-]?\d+)(?::\s*([+-]?\d+))?")


def _clamp(value: int) -> int:
    return max(_INT_MIN, min(INT_MAX, value))


def parse_variable_name(text: str) -> tuple[str, int, int, bool]:
    """Split ``NAME:offset:length`` as ``parse_variable_name`` does: (name, offset, length,
    is_function).  A missing or unparsable length is INT_MAX, an unparsable offset 0."""
    parens = 0
    is_function = False
    for index, char in enumerate(text):
        if char == "(":
            is_function = True
            parens += 1
        elif char == ")":
            parens -= 1
        elif char == ":" and parens == 0:
            offset, length = 0, INT_MAX
            found = _OFFSETS.match(text, index + 1)
            if found:
                offset = _clamp(int(found.group(1)))
                if found.group(2) is not None:
                    length = _clamp(int(found.group(2)))
            return text[:index], offset, length, is_function
    return text, 0, INT_MAX, is_function


def substring(value: str, offset: int, length: int = INT_MAX) -> str:
    """``${VAR:offset:length}``: negative offsets count from the end, a negative length
    leaves that many characters off the end."""
    size = len(value)
    if offset == 0 and length >= size:
        return value
    if offset < 0:
        offset = max(size + offset, 0)
    if offset >= size:
        return ""
    value, size = value[offset:], size - offset
    if length >= 0:
        return value[:length]
    return value[: size + length] if size > -length else ""


def _expand_variable(body: str, scope: Scope | None) -> str:
    name, offset, length, is_function = parse_variable_name(body)
    value = functions.read_function(scope, name) if is_function else retrieve_variable(scope, name)
    return "" if value is None else substring(value, offset, length)


def _clock(scope: Scope | None) -> float:
    clock: Callable[[], float] = getattr(getattr(scope, "pbx", None), "clock", time.time)
    return clock()


def _hint(scope: Scope, channel: Any) -> str | None:
    dialplan = getattr(scope.pbx, "dialplan", None)
    if dialplan is None:
        return None
    hint: str | None = dialplan.hint(channel.context, channel.exten)
    return hint


def retrieve_variable(scope: Scope | None, name: str) -> str | None:
    """A variable's value: channel built-ins first, then EPOCH & co, then the scope's
    variables (channel, then global)."""
    channel = getattr(scope, "channel", None)
    if channel is not None and scope is not None:
        builtin: dict[str, Callable[[], Any]] = {
            "EXTEN": lambda: channel.exten,
            "CONTEXT": lambda: channel.context,
            "PRIORITY": lambda: channel.priority,
            "CHANNEL": lambda: channel.name,
            "UNIQUEID": lambda: channel.uniqueid,
            "HANGUPCAUSE": lambda: getattr(channel, "hangupcause", 0),
            "HINT": lambda: _hint(scope, channel),
            "CALLINGPRES": lambda: getattr(channel, "callingpres", 0),
            "CALLINGANI2": lambda: getattr(channel, "callingani2", 0),
            "CALLINGTON": lambda: getattr(channel, "callington", 0),
            "CALLINGTNS": lambda: getattr(channel, "callingtns", 0),
        }
        if name in builtin:
            value = builtin[name]()
            return None if value is None else str(value)
    if name == "EPOCH":
        return str(int(_clock(scope)))
    if name == "SYSTEMNAME":
        return str(getattr(getattr(scope, "pbx", None), "system_name", "") or "")
    if scope is None:
        return None
    return scope.get_variable(name)


# -- expressions: values -----------------------------------------------------------------

_NUM, _NUMSTR, _STR = 0, 1, 2
_LD_BITS = 64  # significand bits of the x87 80-bit long double
_STRTOLD = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def _round_ld(value: Fraction) -> Fraction:
    """Round to the nearest long double (64-bit significand, ties to even)."""
    if value == 0:
        return value
    magnitude = abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    shift = _LD_BITS - 1 - exponent
    mantissa = round(magnitude * Fraction(2) ** shift)
    rounded = Fraction(mantissa) / Fraction(2) ** shift
    return rounded if value > 0 else -rounded


def format_number(value: Fraction) -> str:
    """C's ``printf("%.18Lg")`` of a long double value."""
    if value == 0:
        return "0"
    with localcontext() as context:
        context.prec = 18
        context.rounding = ROUND_HALF_EVEN
        decimal = Decimal(value.numerator) / Decimal(value.denominator)
    sign, digits, exp = decimal.as_tuple()
    assert isinstance(exp, int)
    point = exp + len(digits) - 1
    text = "".join(map(str, digits))
    if -4 <= point < 18:
        body = format(decimal.copy_abs(), "f")
        if "." in body:
            body = body.rstrip("0").rstrip(".")
    else:
        rest = text[1:].rstrip("0")
        body = text[0] + ("." + rest if rest else "") + f"e{'-' if point < 0 else '+'}"
        body += f"{abs(point):02d}"
    return ("-" if sign else "") + body


def _strtold(text: str) -> Fraction:
    found = _STRTOLD.match(text)
    return _round_ld(Fraction(found.group(1))) if found else Fraction(0)


class _Val:
    """An expression value: a number, a numeric-looking string or a plain string."""

    __slots__ = ("kind", "num", "text")

    def __init__(self, kind: int, text: str = "", num: Fraction = Fraction(0)) -> None:
        self.kind, self.text, self.num = kind, text, num

    @classmethod
    def number(cls, num: Fraction | int | float) -> _Val:
        return cls(_NUM, num=_round_ld(Fraction(num)))

    @classmethod
    def string(cls, text: str) -> _Val:
        """Asterisk's ``make_str``: digits and dots only (after a digit, '-' or '.') is
        numeric."""
        numeric = bool(text) and (text[0].isdigit() or text[0] in "-.")
        numeric = numeric and all(char.isdigit() or char == "." for char in text)
        return cls(_NUMSTR if numeric else _STR, text)

    def to_number(self) -> bool:
        if self.kind == _NUM:
            return True
        if self.kind == _STR:
            return False
        self.kind, self.num = _NUM, _strtold(self.text)
        return True

    def to_string(self) -> str:
        if self.kind == _NUM:
            self.kind, self.text = _STR, format_number(self.num)
        return self.text

    def is_zero_or_null(self) -> bool:
        if self.kind == _NUM:
            return self.num == 0
        return self.text == "" or (self.to_number() and self.num == 0)

    def result(self) -> str:
        return format_number(self.num) if self.kind == _NUM else self.text


# -- expressions: operators --------------------------------------------------------------


def _strip_quotes(text: str) -> str:
    if len(text) >= 1 and text[0] == '"' and text[-1] == '"':
        return text.replace('"', "")
    return text


def _op_or(a: _Val, b: _Val) -> _Val:
    return b if a.is_zero_or_null() else a


def _op_and(a: _Val, b: _Val) -> _Val:
    if a.is_zero_or_null() or b.is_zero_or_null():
        return _Val.number(0)
    return a


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda x, y: x == y,
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    ">": lambda x, y: x > y,
    "<=": lambda x, y: x <= y,
    ">=": lambda x, y: x >= y,
}


def _op_compare(op: str, a: _Val, b: _Val) -> _Val:
    test = _COMPARE[op]
    if a.kind == _STR or b.kind == _STR:
        return _Val.number(int(test(a.to_string(), b.to_string())))
    a.to_number()
    b.to_number()
    return _Val.number(int(test(a.num, b.num)))


def _op_plus(a: _Val, b: _Val) -> _Val:
    if not a.to_number():
        log.warning("non-numeric argument")
        return b if b.to_number() else _Val.number(0)
    if not b.to_number():
        return a
    return _Val.number(a.num + b.num)


def _op_minus(a: _Val, b: _Val) -> _Val:
    if not a.to_number():
        log.warning("non-numeric argument")
        return _Val.number(-b.num) if b.to_number() else _Val.number(0)
    if not b.to_number():
        log.warning("non-numeric argument")
        return a
    return _Val.number(a.num - b.num)


def _op_times(a: _Val, b: _Val) -> _Val:
    if not a.to_number() or not b.to_number():
        log.warning("non-numeric argument")
        return _Val.number(0)
    return _Val.number(a.num * b.num)


def _op_div(a: _Val, b: _Val) -> _Val:
    if not a.to_number():
        log.warning("non-numeric argument")
        return _Val.number(0)
    if not b.to_number():
        log.warning("non-numeric argument")
        return _Val.number(INT_MAX)
    if b.num == 0:
        log.warning("division by zero")
        return _Val.number(INT_MAX)
    return _Val.number(a.num / b.num)


def _op_rem(a: _Val, b: _Val) -> _Val:
    if not a.to_number() or not b.to_number():
        log.warning("non-numeric argument")
        return _Val.number(0)
    if b.num == 0:
        log.warning("div by zero")
        return b
    return _Val.number(a.num - b.num * int(a.num / b.num))


def _op_regex(op: str, a: _Val, b: _Val) -> _Val:
    subject = _strip_quotes(a.to_string())
    try:
        pattern = re.compile(_strip_quotes(b.to_string()))
    except re.error as exc:
        log.warning("regcomp() error : %s", exc)
        return _Val.string("")
    found = pattern.search(subject)
    if found is not None and (op == "=~" or found.start() == 0):
        if pattern.groups and found.start(1) >= 0:
            return _Val.string(found.group(1))
        return _Val.number(found.end() - found.start())
    return _Val.number(0) if pattern.groups == 0 else _Val.string("")


def _op_concat(a: _Val, b: _Val) -> _Val:
    return _Val.string(_strip_quotes(a.to_string()) + _strip_quotes(b.to_string()))


def _op_cond(cond: _Val, yes: _Val, no: _Val) -> _Val:
    if cond.kind == _STR:
        text = cond.text
        return yes if text and text != '""' and text != "0" else no
    cond.to_number()
    return yes if cond.num != 0 else no


def _atoi(text: str) -> int:
    found = re.match(r"\s*([+-]?\d+)", text)
    return int(found.group(1)) if found else 0


def _op_compl(a: _Val) -> _Val:
    truth = a.num != 0 if a.kind == _NUM else bool(a.text) and a.text != "0" and _atoi(a.text) != 0
    return _Val.number(int(not truth))


def _op_negate(a: _Val) -> _Val:
    if not a.to_number():
        log.warning("non-numeric argument")
        return _Val.number(0)
    return _Val.number(-a.num)


def _precise(name: str) -> Callable[[Decimal], Decimal]:
    return lambda x: getattr(x, name)()


_DECIMAL_FUNCS: dict[str, Callable[[Decimal], Decimal]] = {
    "SQRT": _precise("sqrt"),
    "EXP": _precise("exp"),
    "LOG": _precise("ln"),
    "LOG10": _precise("log10"),
    "LOG2": lambda x: x.ln() / Decimal(2).ln(),
    "EXP2": lambda x: Decimal(2) ** x,
    "EXP10": lambda x: Decimal(10) ** x,
}
_FLOAT_FUNCS: dict[str, Callable[[float], float]] = {
    "COS": math.cos,
    "SIN": math.sin,
    "TAN": math.tan,
    "ACOS": math.acos,
    "ASIN": math.asin,
    "ATAN": math.atan,
    "FLOOR": math.floor,
    "CEIL": math.ceil,
    "ROUND": lambda x: math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5),
    "RINT": round,
    "TRUNC": math.trunc,
    "ABS": abs,
}
_FLOAT_FUNCS2: dict[str, Callable[[float, float], float]] = {
    "ATAN2": math.atan2,
    "POW": math.pow,
    "REMAINDER": math.remainder,
}


def _fraction_to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _math_func(name: str, args: list[_Val]) -> _Val | None:
    """The built-in math functions of ast_expr2, or None when ``name`` is not one."""
    arity = 2 if name in _FLOAT_FUNCS2 else 1
    if name not in _DECIMAL_FUNCS and name not in _FLOAT_FUNCS and arity == 1:
        return None
    if len(args) != arity:
        log.warning("Wrong args to %s() function", name)
        return _Val.number(0)
    numbers = [arg.num if arg.to_number() else Fraction(0) for arg in args]
    try:
        if name in _DECIMAL_FUNCS:
            with localcontext() as context:
                context.prec = 40
                result = _DECIMAL_FUNCS[name](_fraction_to_decimal(numbers[0]))
            return _Val.number(Fraction(result))
        if arity == 2:
            return _Val.number(_FLOAT_FUNCS2[name](float(numbers[0]), float(numbers[1])))
        return _Val.number(_FLOAT_FUNCS[name](float(numbers[0])))
    except (ArithmeticError, ValueError, OverflowError) as exc:
        log.warning("%s() failed: %s", name, exc)
        return _Val.number(0)


def _op_func(name: str, args: list[_Val], scope: Scope | None) -> _Val:
    if not name or any(char not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789" for char in name):
        log.error("Error! '%s' is not possibly a function name!", name)
        return _Val.number(0)
    builtin = _math_func(name, args)
    if builtin is not None:
        return builtin
    if scope is None or functions.get_function(name) is None:
        log.error("Error! '%s' doesn't appear to be an available function!", name)
        return _Val.number(0)
    joined = ",".join(arg.result() for arg in args)
    value = functions.read_function(scope, f"{name}({joined})") or ""
    if value and all(char in "-0123456789. \t" for char in value):
        return _Val(_NUM, num=_strtold(value))
    return _Val.string(value)


# -- expressions: lexer and parser -------------------------------------------------------

_OPERATORS = sorted(
    [
        "||",
        "&&",
        "==",
        "=~",
        "~~",
        ">=",
        "<=",
        "!=",
        "::",
        "|",
        "&",
        "=",
        ">",
        "<",
        "+",
        ",",
        "-",
        "*",
        "/",
        "%",
        "?",
        "!",
        ":",
        "(",
        ")",
    ],
    key=len,
    reverse=True,
)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.';\\_^#@")
_TRAIL_STOP = frozenset("-\t\r \n$():?%/+=*<>!|&")
_NUMERIC = re.compile(r"[0-9]+(\.[0-9]+)?")
_BINARY = {
    "|": 3, "||": 3, "&": 4, "&&": 4,
    "=": 5, "==": 5, ">": 5, "<": 5, ">=": 5, "<=": 5, "!=": 5,
    "+": 6, "-": 6, "*": 7, "/": 7, "%": 7,
    ":": 9, "=~": 9, "~~": 9,
}  # fmt: skip
_COND_LEVEL, _UNARY_OPERAND = 2, 9


class _SyntaxError(Exception):
    pass


def _read_word(text: str, pos: int) -> int:
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == "$" and text[pos + 1 : pos + 2] == "{":
            depth, pos = 0, pos + 2
            while pos < size:
                if text[pos] == "{":
                    depth += 1
                elif text[pos] == "}":
                    depth -= 1
                    if depth < 0:
                        pos += 1
                        break
                pos += 1
            while pos < size and text[pos] not in _TRAIL_STOP:
                pos += 1
            if not (text[pos : pos + 1] == "$" and text[pos + 1 : pos + 2] == "{"):
                return pos
        elif char in _WORD_CHARS or ord(char) >= 0x80:
            pos += 1
        elif char == "$" and pos + 1 < size:
            pos += 2
        else:
            return pos
    return pos


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos, size = 0, len(text)
    while pos < size:
        char = text[pos]
        if char in " \t\r\n":
            pos += 1
            continue
        if char == '"':
            end = text.find('"', pos + 1)
            if end >= 0:
                tokens.append(("val", _Val(_STR, text[pos : end + 1])))
                pos = end + 1
                continue
        operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
        if operator is not None:
            tokens.append(("op", operator))
            pos += len(operator)
            continue
        end = _read_word(text, pos)
        if end == pos:
            pos += 1  # a character no rule matches is skipped, as flex's default rule does
            continue
        word = text[pos:end]
        kind = _NUMSTR if _NUMERIC.fullmatch(word) else _STR
        tokens.append(("val", _Val(kind, word)))
        pos = end
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], scope: Scope | None) -> None:
        self.tokens, self.pos, self.scope = tokens, 0, scope

    def peek_op(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] == "op":
            return str(self.tokens[self.pos][1])
        return None

    def expect(self, op: str) -> None:
        if self.peek_op() != op:
            raise _SyntaxError(f"expected '{op}'")
        self.pos += 1

    def parse(self) -> _Val:
        if not self.tokens:
            return _Val(_STR, "")
        value = self.expression(_COND_LEVEL)
        if self.pos != len(self.tokens):
            raise _SyntaxError("unexpected token")
        return value

    def expression(self, min_level: int) -> _Val:
        left = self.unary()
        while True:
            op = self.peek_op()
            if op == "?" and min_level <= _COND_LEVEL:
                self.pos += 1
                middle = self.expression(_COND_LEVEL)
                self.expect("::")
                left = _op_cond(left, middle, self.expression(_COND_LEVEL + 1))
                continue
            level = _BINARY.get(op or "")
            if op is None or level is None or level < min_level:
                return left
            self.pos += 1
            left = self.binary(op, left, self.expression(level + 1))

    @staticmethod
    def binary(op: str, left: _Val, right: _Val) -> _Val:
        if op in ("|", "||"):
            return _op_or(left, right)
        if op in ("&", "&&"):
            return _op_and(left, right)
        if op in _COMPARE:
            return _op_compare(op, left, right)
        if op in (":", "=~"):
            return _op_regex(op, left, right)
        arithmetic = {"+": _op_plus, "-": _op_minus, "*": _op_times, "/": _op_div, "%": _op_rem}
        return arithmetic.get(op, _op_concat)(left, right)

    def unary(self) -> _Val:
        if self.pos >= len(self.tokens):
            raise _SyntaxError("unexpected end of expression")
        kind, token = self.tokens[self.pos]
        self.pos += 1
        if kind == "val":
            if self.peek_op() == "(":
                self.pos += 1
                return _op_func(token.text, self.arguments(), self.scope)
            return token  # type: ignore[no-any-return]
        if token == "(":
            value = self.expression(_COND_LEVEL)
            self.expect(")")
            return value
        if token == "-":
            return _op_negate(self.expression(_UNARY_OPERAND))
        if token == "!":
            return _op_compl(self.expression(_UNARY_OPERAND))
        raise _SyntaxError(f"unexpected '{token}'")

    def arguments(self) -> list[_Val]:
        args = [self.expression(_COND_LEVEL)]
        while self.peek_op() == ",":
            self.pos += 1
            if self.peek_op() in (",", ")"):
                args.append(_Val.string(""))
            else:
                args.append(self.expression(_COND_LEVEL))
        self.expect(")")
        return args


def evaluate(expr: str, scope: Scope | None = None) -> str:
    """Evaluate an ``ast_expr2`` expression (the inside of ``$[...]``) to its text."""
    try:
        return _Parser(_tokenize(expr), scope).parse().result()
    except _SyntaxError as exc:
        log.warning("syntax error in expression %r: %s", expr, exc)
        return "0"
    except RecursionError:
        log.warning("expression %r nested too deeply", expr)
        return "0"
