"""http.conf ``[general]`` as typed settings, with Asterisk's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from ..config.conf import ConfigFile, Problem
from ..config.values import Settings
from ..pbx.core import ASTERISK_VERSION

KNOWN = (
    "enabled", "bindaddr", "bindport", "prefix", "sessionlimit", "session_inactivity",
    "session_keep_alive", "servername", "enablestatic", "redirect", "tlsenable",
    "tlsbindaddr", "tlscertfile", "tlsprivatekey", "tlscipher", "tlsdisablev1",
    "tlsdisablev11", "tlsdisablev12", "tlsservercipherorder",
)  # fmt: skip


@dataclass
class HttpSettings:
    enabled: bool = False
    bindaddr: str = ""
    bindport: int = 8088
    prefix: str = ""  # "/asterisk" when set to "asterisk": every URI starts with it
    sessionlimit: int = 100  # HTTP connections open at once
    session_inactivity: int = 30000  # ms a connection may stay silent
    servername: str = f"Asterisk/{ASTERISK_VERSION}"


def http_settings(config: ConfigFile | None, problems: list[Problem]) -> HttpSettings:
    """Read http.conf (None: the file is absent, HTTP stays off); problems are appended."""
    settings = HttpSettings()
    if config is None:
        return settings
    general = Settings(config.get_category("general"), problems)
    settings.enabled = general.get_bool("enabled", settings.enabled)
    settings.bindaddr = general.get_ip("bindaddr", settings.bindaddr)
    settings.bindport = general.get_int("bindport", settings.bindport, minimum=0, maximum=65535)
    prefix = general.get_str("prefix", "").strip("/")
    settings.prefix = f"/{prefix}" if prefix else ""
    settings.sessionlimit = general.get_int("sessionlimit", settings.sessionlimit, minimum=1)
    settings.session_inactivity = general.get_int(
        "session_inactivity", settings.session_inactivity, minimum=1
    )
    settings.servername = general.get_str("servername", settings.servername)
    general.warn_unknown(KNOWN)
    return settings
