"""manager.conf as typed settings, with Asterisk's defaults and file:line problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config.conf import Category, ConfigFile, Entry, Problem
from ..config.values import (
    HostPort,
    as_bool,
    as_choice,
    as_hostport,
    as_int,
    as_list,
    as_str,
    report_invalid,
)
from .acl import Acl, HostAccessList
from .filters import EventFilters, FilterError, parse_advanced, parse_legacy
from .privileges import parse
from .users import User

GENERAL_KEYS = {
    "enabled",
    "webenabled",
    "port",
    "bindaddr",
    "tlsenable",
    "tlsbindaddr",
    "tlscertfile",
    "tlsprivatekey",
    "tlscipher",
    "tlscafile",
    "tlscapath",
    "tlsverifyclient",
    "tlsdontverifyserver",
    "displayconnects",
    "timestampevents",
    "allowmultiplelogin",
    "brokeneventsaction",
    "debug",
    "httptimeout",
    "authtimeout",
    "authlimit",
    "channelvars",
    "disabledevents",
    "block-sockets",
    "dialect",
    "eventqueuesize",
}
USER_KEYS = {
    "secret",
    "deny",
    "permit",
    "acl",
    "read",
    "write",
    "displayconnects",
    "allowmultiplelogin",
    "writetimeout",
    "setvar",
    "eventfilter",
}


@dataclass
class ManagerSettings:
    enabled: bool = False
    webenabled: bool = False
    port: int = 5038
    bindaddr: str = "0.0.0.0"
    tlsenable: bool = False
    tlsbindaddr: str = "0.0.0.0"
    tlsport: int = 5039
    tlscertfile: str = "asterisk.pem"
    tlsprivatekey: str = ""
    tlscipher: str = ""
    displayconnects: bool = True
    timestampevents: bool = False
    allowmultiplelogin: bool = True
    debug: bool = False
    httptimeout: int = 60
    authtimeout: int = 30
    authlimit: int = 50
    channelvars: list[str] = field(default_factory=list)
    disabledevents: list[str] = field(default_factory=list)
    classic: bool = False  # dialect = classic: speak AMI 1.0 to Asterisk 1.4-era clients
    max_queue: int = 16 * 1024 * 1024  # bytes of events a session may fall behind
    users: dict[str, User] = field(default_factory=dict)


def _note(
    where: Entry | Category, problems: list[Problem], text: str, severity: str = "warning"
) -> None:
    problems.append(Problem(where.file, where.line, severity, text))  # type: ignore[arg-type]


def manager_settings(
    config: ConfigFile, acls: dict[str, HostAccessList], problems: list[Problem]
) -> ManagerSettings:
    """Read a parsed manager.conf; problems are appended, never raised."""
    settings = ManagerSettings()
    general = config.get_category("general")
    if general is not None:
        _read_general(general, settings, problems)
    for category in config.iter_categories():
        if category.name.lower() == "general":
            continue
        user = _read_user(category, settings, acls, problems)
        if user.name.lower() in settings.users:
            _note(
                category,
                problems,
                f"manager user '{user.name}' defined twice; the first one is used",
            )
            continue
        settings.users[user.name.lower()] = user
    return settings


def _read_general(general: Category, s: ManagerSettings, problems: list[Problem]) -> None:
    get = general.entry
    s.enabled = as_bool(get("enabled"), s.enabled, problems)
    s.webenabled = as_bool(get("webenabled"), s.webenabled, problems)
    s.port = as_int(get("port"), s.port, problems, minimum=1, maximum=65535)
    s.bindaddr = as_hostport(get("bindaddr"), HostPort(s.bindaddr), problems).host
    s.tlsenable = as_bool(get("tlsenable"), s.tlsenable, problems)
    tls = as_hostport(
        get("tlsbindaddr"), HostPort(s.bindaddr, s.tlsport), problems, default_port=s.tlsport
    )
    s.tlsbindaddr, s.tlsport = tls.host, tls.port or s.tlsport
    s.tlscertfile = as_str(get("tlscertfile"), s.tlscertfile, problems)
    s.tlsprivatekey = as_str(get("tlsprivatekey"), s.tlsprivatekey, problems)
    s.tlscipher = as_str(get("tlscipher"), s.tlscipher, problems)
    s.displayconnects = as_bool(get("displayconnects"), s.displayconnects, problems)
    s.timestampevents = as_bool(get("timestampevents"), s.timestampevents, problems)
    s.allowmultiplelogin = as_bool(get("allowmultiplelogin"), s.allowmultiplelogin, problems)
    s.debug = as_bool(get("debug"), s.debug, problems)
    s.httptimeout = as_int(get("httptimeout"), s.httptimeout, problems, minimum=1)
    s.authtimeout = as_int(get("authtimeout"), s.authtimeout, problems, minimum=1)
    s.authlimit = as_int(get("authlimit"), s.authlimit, problems, minimum=1)
    s.channelvars = as_list(get("channelvars"), s.channelvars, problems)
    s.disabledevents = as_list(get("disabledevents"), s.disabledevents, problems)
    s.classic = as_choice(get("dialect"), "current", problems, ("current", "classic")) == "classic"
    size = as_int(get("eventqueuesize"), s.max_queue // 1024, problems, minimum=64)
    s.max_queue = size * 1024
    for entry in general.entries:
        if entry.key.lower() not in GENERAL_KEYS:
            _note(
                entry, problems, f"unknown option '{entry.key}' in manager.conf [general] (ignored)"
            )


def _read_user(
    category: Category, s: ManagerSettings, acls: dict[str, HostAccessList], problems: list[Problem]
) -> User:
    get = category.entry
    secret = get("secret")
    user = User(
        name=category.name,
        secret=secret.value if secret is not None else None,
        read=parse(get("read").value) if get("read") else 0,
        write=parse(get("write").value) if get("write") else 0,
        displayconnects=as_bool(get("displayconnects"), s.displayconnects, problems),
        allowmultiplelogin=as_bool(get("allowmultiplelogin"), s.allowmultiplelogin, problems),
    )
    timeout = get("writetimeout")
    if timeout is not None:
        value = as_int(timeout, user.writetimeout, problems)
        if value < 100:
            _note(
                timeout,
                problems,
                f"writetimeout {value} ms is below the minimum of 100 ms (ignored)",
            )
        else:
            user.writetimeout = value
    acl = Acl.from_entries(category.entries, acls, problems)
    user.acl = None if acl.is_empty else acl
    filters = EventFilters()
    for entry in category.entries:
        key = entry.key.lower()
        if key == "setvar":
            name, sep, value = entry.value.partition("=")
            if not sep or not name.strip():
                report_invalid(entry, "NAME=VALUE", problems)
            else:
                user.setvars.append((name.strip(), value))
        elif key == "eventfilter" or key.startswith("eventfilter("):
            try:
                filters.add(
                    parse_legacy(entry.value)
                    if key == "eventfilter"
                    else parse_advanced(entry.key, entry.value)
                )
            except FilterError as exc:
                _note(entry, problems, str(exc), "error")
        elif key not in USER_KEYS:
            _note(
                entry,
                problems,
                f"unknown option '{entry.key}' for manager user '{category.name}' (ignored)",
            )
    user.filters = filters or None
    return user
