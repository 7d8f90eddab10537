"""Thin action handlers grouped by area; importing this package registers them all."""

from . import (  # noqa: F401
    bridging,
    channels,
    dialplan,
    login,
    media,
    modules,
    parking,
    recording,
    system,
    voicemail,  # noqa: F401
)

parking.install()
