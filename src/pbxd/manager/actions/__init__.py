"""Thin action handlers grouped by area; importing this package registers them all."""

from . import astdb as astdb
from . import bridging, channels, dialplan, login, media, modules, parking, recording, system  # noqa: F401
from . import extensions as extensions

parking.install()
