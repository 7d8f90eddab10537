"""Thin action handlers grouped by area; importing this package registers them all."""

from . import channels, dialplan, login, media, system  # noqa: F401
