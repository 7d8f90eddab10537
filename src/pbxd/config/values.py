"""Typed readers for configuration values.

Every ``as_*`` function takes the :class:`Entry` holding the setting (or None when the setting is
absent), the default, and the problem list.  An absent setting yields the default silently; an
invalid one yields the default and records a :class:`Problem` at the entry's ``file:line``, e.g.
``invalid value 'x' for 'port' (expected an integer 1-65535)``.  Like Asterisk, which logs a
warning and keeps its default, problems are warnings unless ``severity="error"`` is passed.

:class:`Settings` wraps a category so settings views can write ``s.get_int("port", 5038, ...)``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pbxd.config.conf import Category, Entry, Problem, Severity

TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"no", "false", "n", "f", "0", "off"})

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?")
_DOTTED = re.compile(r"[0-9.]+")


def is_true(text: str | None) -> bool:
    """Asterisk's ``ast_true``: yes/true/y/t/1/on, case-insensitive."""
    return text is not None and text.lower() in TRUE_WORDS


def is_false(text: str | None) -> bool:
    """Asterisk's ``ast_false``: no/false/n/f/0/off, case-insensitive."""
    return text is not None and text.lower() in FALSE_WORDS


def parse_bool(text: str | None) -> bool | None:
    """True/False for Asterisk's boolean words, None for anything else."""
    if is_true(text):
        return True
    if is_false(text):
        return False
    return None


class HostPort(NamedTuple):
    """A host (name or IP literal, IPv6 without brackets) and an optional port."""

    host: str
    port: int | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IPv4/IPv6 literal (IPv6 optionally in brackets), or None."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _valid_host(host: str) -> bool:
    if ":" in host:
        return isinstance(parse_ip(host), ipaddress.IPv6Address)
    if _DOTTED.fullmatch(host):
        return parse_ip(host) is not None
    return _HOSTNAME.fullmatch(host) is not None


def _parse_port(text: str) -> int | None:
    if not text.isascii() or not text.isdigit():
        return None
    port = int(text)
    return port if 1 <= port <= 65535 else None


def parse_hostport(text: str) -> HostPort | None:
    """Parse ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` or a bare IPv6 address."""
    host, port_text = text, None
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            return None
        host, tail = text[1:close], text[close + 1 :]
        if tail:
            if not tail.startswith(":"):
                return None
            port_text = tail[1:]
        if not isinstance(parse_ip(host), ipaddress.IPv6Address):
            return None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host or not _valid_host(host):
        return None
    if port_text is None:
        return HostPort(host, None)
    port = _parse_port(port_text)
    return None if port is None else HostPort(host, port)


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" {minimum}-{maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def report_invalid(
    entry: Entry, expected: str, problems: list[Problem], severity: Severity = "warning"
) -> None:
    """Record ``invalid value 'v' for 'key' (expected ...)`` at the entry's position."""
    problems.append(
        Problem(
            entry.file,
            entry.line,
            severity,
            f"invalid value '{entry.value}' for '{entry.key}' (expected {expected})",
        )
    )


def as_str(
    entry: Entry | None,
    default: str,
    problems: list[Problem],
    *,
    allow_empty: bool = True,
    severity: Severity = "warning",
) -> str:
    """The raw text; an empty value is invalid when ``allow_empty`` is false."""
    if entry is None:
        return default
    if not entry.value and not allow_empty:
        report_invalid(entry, "a non-empty value", problems, severity)
        return default
    return entry.value


def as_bool(
    entry: Entry | None, default: bool, problems: list[Problem], *, severity: Severity = "warning"
) -> bool:
    """An Asterisk boolean word (yes/no, true/false, y/n, t/f, 1/0, on/off)."""
    if entry is None:
        return default
    value = parse_bool(entry.value)
    if value is None:
        report_invalid(entry, "yes or no", problems, severity)
        return default
    return value


def as_int(
    entry: Entry | None,
    default: int,
    problems: list[Problem],
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    severity: Severity = "warning",
) -> int:
    """A decimal integer within ``[minimum, maximum]`` (each bound optional)."""
    if entry is None:
        return default
    if _INT.fullmatch(entry.value):
        value = int(entry.value)
        if (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
            return value
    report_invalid(entry, "an integer" + _range_text(minimum, maximum), problems, severity)
    return default


def as_float(
    entry: Entry | None,
    default: float,
    problems: list[Problem],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    severity: Severity = "warning",
) -> float:
    """A finite decimal number within ``[minimum, maximum]`` (each bound optional)."""
    if entry is None:
        return default
    if _FLOAT.fullmatch(entry.value):
        value = float(entry.value)
        if (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
            return value
    report_invalid(entry, "a number" + _range_text(minimum, maximum), problems, severity)
    return default


def as_choice(
    entry: Entry | None,
    default: str,
    problems: list[Problem],
    choices: Sequence[str],
    *,
    severity: Severity = "warning",
) -> str:
    """One of ``choices`` (case-insensitive); returns the spelling given in ``choices``."""
    if entry is None:
        return default
    folded = entry.value.casefold()
    for choice in choices:
        if choice.casefold() == folded:
            return choice
    report_invalid(entry, "one of " + ", ".join(choices), problems, severity)
    return default


def as_list(
    entry: Entry | None,
    default: Sequence[str],
    problems: list[Problem],
    *,
    separator: str = ",",
    severity: Severity = "warning",
) -> list[str]:
    """Items split on ``separator``, stripped, empty items dropped."""
    del problems, severity  # any text is a valid list
    if entry is None:
        return list(default)
    return [item.strip() for item in entry.value.split(separator) if item.strip()]


def as_ip(
    entry: Entry | None,
    default: str,
    problems: list[Problem],
    *,
    severity: Severity = "warning",
) -> str:
    """An IPv4 or IPv6 address literal, returned in canonical text form."""
    if entry is None:
        return default
    address = parse_ip(entry.value)
    if address is None:
        report_invalid(entry, "an IP address", problems, severity)
        return default
    return str(address)


def as_hostport(
    entry: Entry | None,
    default: HostPort,
    problems: list[Problem],
    *,
    default_port: int | None = None,
    require_port: bool = False,
    severity: Severity = "warning",
) -> HostPort:
    """``host[:port]``; a missing port becomes ``default_port``."""
    if entry is None:
        return default
    parsed = parse_hostport(entry.value)
    if parsed is None or (require_port and parsed.port is None):
        expected = "host:port (port 1-65535)" if require_port else "host[:port] (port 1-65535)"
        report_invalid(entry, expected, problems, severity)
        return default
    if parsed.port is None and default_port is not None:
        return HostPort(parsed.host, default_port)
    return parsed


class Settings:
    """Typed, problem-recording access to one category's settings (last occurrence wins).

    ``category`` may be None (section absent): every getter then returns its default.
    """

    def __init__(
        self,
        category: Category | None,
        problems: list[Problem],
        *,
        severity: Severity = "warning",
    ) -> None:
        self.category = category
        self.problems = problems
        self.severity: Severity = severity

    def entry(self, key: str) -> Entry | None:
        """The last entry for ``key``, or None."""
        return None if self.category is None else self.category.entry(key)

    def get_str(self, key: str, default: str, *, allow_empty: bool = True) -> str:
        """See :func:`as_str`."""
        return as_str(
            self.entry(key),
            default,
            self.problems,
            allow_empty=allow_empty,
            severity=self.severity,
        )

    def get_bool(self, key: str, default: bool) -> bool:
        """See :func:`as_bool`."""
        return as_bool(self.entry(key), default, self.problems, severity=self.severity)

    def get_int(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """See :func:`as_int`."""
        return as_int(
            self.entry(key),
            default,
            self.problems,
            minimum=minimum,
            maximum=maximum,
            severity=self.severity,
        )

    def get_float(
        self,
        key: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        """See :func:`as_float`."""
        return as_float(
            self.entry(key),
            default,
            self.problems,
            minimum=minimum,
            maximum=maximum,
            severity=self.severity,
        )

    def get_choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        """See :func:`as_choice`."""
        return as_choice(self.entry(key), default, self.problems, choices, severity=self.severity)

    def get_list(self, key: str, default: Sequence[str] = (), *, separator: str = ",") -> list[str]:
        """See :func:`as_list`."""
        return as_list(self.entry(key), default, self.problems, separator=separator)

    def get_ip(self, key: str, default: str) -> str:
        """See :func:`as_ip`."""
        return as_ip(self.entry(key), default, self.problems, severity=self.severity)

    def get_hostport(
        self,
        key: str,
        default: HostPort,
        *,
        default_port: int | None = None,
        require_port: bool = False,
    ) -> HostPort:
        """See :func:`as_hostport`."""
        return as_hostport(
            self.entry(key),
            default,
            self.problems,
            default_port=default_port,
            require_port=require_port,
            severity=self.severity,
        )

    def warn_unknown(self, known: Iterable[str]) -> list[Entry]:
        """Record a warning for every entry whose key is not in ``known``; return them."""
        if self.category is None:
            return []
        names = {name.casefold() for name in known}
        unknown = [e for e in self.category.entries if e.key.casefold() not in names]
        for entry in unknown:
            self.problems.append(
                Problem(
                    entry.file,
                    entry.line,
                    "warning",
                    f"unknown option '{entry.key}' in [{self.category.name}]",
                )
            )
        return unknown
